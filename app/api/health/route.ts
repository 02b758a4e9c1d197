import { dbStatus } from "@/lib/db";
import { getProvider } from "@/lib/providers";

export const dynamic = "force-dynamic";

export async function GET() {
  const provider = getProvider();
  const database = dbStatus();
  const backend = (await provider.health?.()) ?? { ok: true, message: "ready" };
  const ok = database === "ok";
  return Response.json(
    { status: ok ? "ok" : "error", provider: provider.name, database, backend },
    { status: ok ? 200 : 503 },
  );
}
