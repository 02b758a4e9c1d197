import { headers } from "next/headers";
import { peerHeader } from "@/lib/auth/client-address";
import { environmentOfContentHost, mayAskForHost } from "@/lib/content/on-demand";
import { getEnvironment } from "@/lib/db/environment-queries";
import { ready } from "@/lib/runtime";

export const dynamic = "force-dynamic";

const no = () => new Response(null, { status: 404, headers: { "Cache-Control": "no-store" } });

/**
 * Caddy's question before an on-demand certificate (lib/content/on-demand.ts): 200 when
 * `domain` is the content host of an environment that is not torn down, 404 otherwise, and
 * 404 to anyone but the machine itself, so the internet cannot list environments by name.
 */
export async function GET(request: Request) {
  const h = await headers();
  if (!mayAskForHost(h.get(peerHeader), h.get("x-forwarded-for"))) return no();
  const rt = await ready();
  const id = environmentOfContentHost(rt.config.content, new URL(request.url).searchParams.get("domain"));
  const row = id ? getEnvironment(id) : undefined;
  return row && !row.deletedAt ? new Response("yes", { status: 200, headers: { "Cache-Control": "no-store" } }) : no();
}
