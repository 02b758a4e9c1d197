import Link from "next/link";
import { notFound } from "next/navigation";
import { CheckProgress } from "@/components/labs/check-progress";
import { LabMarkdown } from "@/components/labs/lab-markdown";
import { LabSidebar } from "@/components/labs/lab-sidebar";
import { LabVisit } from "@/components/labs/lab-visit";
import { MarkDone } from "@/components/labs/mark-done";
import { pageViewer } from "@/lib/auth/session";
import { labsDone, checksPassed } from "@/lib/db/lab-queries";
import { findLab, listLabs, neighbours } from "@/lib/labs";

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }) {
  const lab = findLab((await params).slug);
  return { title: lab?.title ?? "Lab not found" };
}

export default async function LabPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const lab = findLab(slug);
  if (!lab) notFound();
  const viewer = await pageViewer();
  const attendee = viewer.role === "attendee";
  const done = attendee ? labsDone(viewer.id) : new Set<string>();
  const passed = attendee ? checksPassed(viewer.id) : new Map<string, string>();
  const { previous, next } = neighbours(slug);

  return (
    <div className="grid gap-8 lg:grid-cols-[16rem_1fr]">
      {attendee && <LabVisit slug={slug} />}
      <aside className="lg:sticky lg:top-4 lg:self-start">
        <LabSidebar labs={listLabs()} current={slug} done={done} />
      </aside>
      <article>
        <p className="text-sm text-muted">
          Lab {lab.order} · about {lab.minutes} minutes
        </p>
        <h1 className="mt-1 text-3xl font-semibold tracking-tight">{lab.title}</h1>
        {lab.summary && <p className="mt-2 max-w-[72ch] text-lg text-muted">{lab.summary}</p>}
        <LabMarkdown source={lab.body} />
        <div className="mt-10 max-w-[72ch] border-t border-line pt-6">
          {attendee && lab.check && <CheckProgress key={`check-${slug}`} slug={slug} passedAt={passed.get(slug)} />}
          {attendee && (
            <div className="mt-4">
              <MarkDone key={slug} slug={slug} initiallyDone={done.has(slug)} />
            </div>
          )}
          <nav aria-label="Lab pages" className="mt-6 flex justify-between gap-4">
            {previous ? (
              <Link href={`/labs/${previous.slug}`} rel="prev" className="text-accent underline">
                ← {previous.title}
              </Link>
            ) : (
              <span />
            )}
            {next && (
              <Link href={`/labs/${next.slug}`} rel="next" className="text-accent underline">
                {next.title} →
              </Link>
            )}
          </nav>
        </div>
      </article>
    </div>
  );
}
