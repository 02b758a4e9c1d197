import Link from "next/link";
import type { Lab } from "@/lib/labs";

export function LabSidebar({ labs, current, done }: { labs: Lab[]; current: string; done: Set<string> }) {
  const finished = labs.filter((lab) => done.has(lab.slug)).length;
  return (
    <nav aria-label="Labs" className="text-sm">
      <p className="mb-2 font-semibold">
        Labs <span className="font-normal text-muted">· {finished} of {labs.length} done</span>
      </p>
      <div
        className="mb-3 h-1.5 rounded bg-line"
        role="progressbar"
        aria-label="Labs completed"
        aria-valuemin={0}
        aria-valuemax={labs.length}
        aria-valuenow={finished}
      >
        <div className="h-1.5 rounded bg-ok" style={{ width: `${(finished / labs.length) * 100}%` }} />
      </div>
      <ol data-testid="lab-list" className="space-y-1">
        {labs.map((lab) => {
          const isDone = done.has(lab.slug);
          return (
            <li key={lab.slug}>
              <Link
                href={`/labs/${lab.slug}`}
                aria-current={lab.slug === current ? "page" : undefined}
                className={`flex gap-2 rounded px-2 py-1.5 hover:bg-code ${
                  lab.slug === current ? "bg-code font-medium" : ""
                }`}
              >
                <span aria-hidden className={isDone ? "text-ok" : "text-muted"}>{isDone ? "✓" : lab.order}</span>
                <span>
                  {lab.title}
                  <span className="sr-only">{isDone ? " (done)" : ""}</span>
                  <span className="block text-xs text-muted">{lab.minutes} min</span>
                </span>
              </Link>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
