import { badgeTone } from "@/components/ui/tone";
import { stackTone, stackWords } from "@/lib/status";

/** The platform's status word, coloured by what it means, with the plain words for screen readers and tooltips. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span data-testid="env-status" title={stackWords(status)} className={`rounded-full border px-3 py-0.5 font-mono text-sm ${badgeTone[stackTone(status)]}`}>
      {status}
    </span>
  );
}
