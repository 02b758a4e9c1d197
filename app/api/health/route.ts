import { getViewer } from "@/lib/auth/session";
import { runtime } from "@/lib/runtime";
import { healthResponse } from "./report";

export const dynamic = "force-dynamic";

/** Status words for anyone; the facilitator also gets the messages behind them (report.ts). */
export async function GET() {
  // A session that cannot be read counts as anonymous: the words still say what is wrong.
  const viewer = await getViewer().catch(() => null);
  return healthResponse(runtime(), viewer?.role === "facilitator");
}
