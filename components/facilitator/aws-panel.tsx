import { EventStackCard } from "./event-stack-card";
import { PreflightCard } from "./preflight-card";

/** The facilitator's account tools: preflight (the account's headroom) and the event stack. */
export function AwsPanel({ attendees }: { attendees: number }) {
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <PreflightCard attendees={attendees} />
      <EventStackCard />
    </div>
  );
}
