import type { Element, ElementContent, Root, RootContent } from "hast";

const marker = /^\s*\[!(NOTE|WARNING|TIP|IMPORTANT|CAUTION)\]\s*/;
const titles: Record<string, { kind: "note" | "warning"; title: string }> = {
  NOTE: { kind: "note", title: "Note" },
  TIP: { kind: "note", title: "Tip" },
  IMPORTANT: { kind: "note", title: "Important" },
  WARNING: { kind: "warning", title: "Warning" },
  CAUTION: { kind: "warning", title: "Caution" },
};

function isElement(node: RootContent | ElementContent): node is Element {
  return node.type === "element";
}

/** Turns a blockquote whose first line is `[!NOTE]` or `[!WARNING]` into a labelled callout. */
function toCallout(quote: Element): void {
  const firstPara = quote.children.find(isElement);
  if (!firstPara || firstPara.tagName !== "p") return;
  const firstText = firstPara.children[0];
  if (!firstText || firstText.type !== "text") return;
  const match = marker.exec(firstText.value);
  if (!match) return;
  const { kind, title } = titles[match[1]];
  firstText.value = firstText.value.slice(match[0].length);
  quote.tagName = "aside";
  quote.properties = { ...quote.properties, className: ["callout", `callout-${kind}`], role: "note", ariaLabel: title };
  quote.children.unshift({
    type: "element",
    tagName: "p",
    properties: { className: ["callout-title"] },
    children: [{ type: "text", value: title }],
  });
}

function walk(node: Root | Element): void {
  for (const child of node.children) {
    if (!isElement(child)) continue;
    if (child.tagName === "blockquote") toCallout(child);
    walk(child);
  }
}

export function rehypeCallouts() {
  return (tree: Root) => walk(tree);
}
