import "server-only";
import { sessionStateOf } from "@/lib/db/attendee-queries";
import { joinCodeMark, type SignInSecrets } from "./sign-in";

/** Whether an attendee's session still counts: same session version, same join code, not removed. */
export function attendeeSessionHolds(token: { uid?: string; sv?: number; jc?: string }, secrets: SignInSecrets): boolean {
  if (!token.uid) return false;
  const state = sessionStateOf(token.uid);
  if (!state || state.removed || state.sessionVersion !== token.sv) return false;
  return token.jc === joinCodeMark(secrets.joinCode, secrets.sessionSecret);
}
