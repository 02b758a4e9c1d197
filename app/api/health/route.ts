import { dbStatus } from "@/lib/db";
import { runtime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

export async function GET() {
  const { provider } = runtime();
  const database = dbStatus();
  const backend = await provider.health();
  const ok = database === "ok";
  return Response.json({ status: ok ? "ok" : "error", provider: provider.name, database, backend }, { status: ok ? 200 : 503 });
}
