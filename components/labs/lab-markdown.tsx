import Markdown from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import remarkGfm from "remark-gfm";
import { rehypeCallouts } from "@/lib/labs/callouts";
import { CodeBlock } from "./code-block";

/** Renders a lab's Markdown. Raw HTML in the source is not rendered; it shows as text. */
export function LabMarkdown({ source }: { source: string }) {
  return (
    <div className="prose">
      <Markdown
        remarkPlugins={[remarkGfm]}
        rehypePlugins={[rehypeCallouts, [rehypeHighlight, { detect: false, ignoreMissing: true }]]}
        components={{
          pre: ({ children }) => <CodeBlock>{children}</CodeBlock>,
          // Plain <img>: lab images are local SVGs, served as they are.
          // eslint-disable-next-line @next/next/no-img-element
          img: ({ src, alt }) => <img src={typeof src === "string" ? src : undefined} alt={alt ?? ""} loading="lazy" />,
        }}
      >
        {source}
      </Markdown>
    </div>
  );
}
