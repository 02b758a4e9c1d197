import { headers } from "next/headers";
import { anonymousActor, audit } from "@/lib/audit";
import { getViewer } from "@/lib/auth/session";
import { foreignOrigin } from "@/lib/auth/same-origin";
import { publicUrl } from "@/lib/config";

export const dynamic = "force-dynamic";

/**
 * Where proxy.ts sends a request that would change something but came from a page of another
 * origin (lib/auth/same-origin.ts): an environment's page trying a facilitator's action with
 * the facilitator's cookies, say. Nothing of it runs; the audit log records who it would have
 * acted as, from where, and what it asked for, and the browser gets 403.
 */
async function refuse(): Promise<Response> {
  const h = await headers();
  const origin = foreignOrigin((name) => h.get(name), publicUrl());
  // Asked for directly, by the portal's own pages: there is nothing here.
  if (!origin) return Response.json({ error: "Not found." }, { status: 404 });
  const viewer = await getViewer().catch(() => null);
  const asked = (h.get("x-portal-refused-path") ?? "").slice(0, 200);
  audit(viewer ?? anonymousActor, "cross-origin-refused", { ok: false, detail: `${asked} from ${origin}` });
  return Response.json({ error: "Refused: this request came from a page that is not the portal's." }, { status: 403, headers: { "Cache-Control": "no-store" } });
}

export const POST = refuse;
export const PUT = refuse;
export const PATCH = refuse;
export const DELETE = refuse;
