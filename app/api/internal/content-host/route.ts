import { environmentOfContentHost } from "@/lib/content/on-demand";
import { getEnvironment } from "@/lib/db/environment-queries";
import { ready } from "@/lib/runtime";

export const dynamic = "force-dynamic";

const no = () => new Response(null, { status: 404, headers: { "Cache-Control": "no-store" } });

/**
 * Caddy's question before an on-demand certificate (lib/content/on-demand.ts): 200 when
 * `domain` is the content host of an environment that is not torn down, 404 otherwise.
 */
export async function GET(request: Request) {
  const rt = await ready();
  const id = environmentOfContentHost(rt.config.content, new URL(request.url).searchParams.get("domain"));
  const row = id ? getEnvironment(id) : undefined;
  return row && !row.deletedAt ? new Response("yes", { status: 200, headers: { "Cache-Control": "no-store" } }) : no();
}
