import { redirect } from "next/navigation";
import { safeCallbackUrl } from "@/lib/auth/callback-url";
import { portalConfig } from "@/lib/config";
import { getViewer } from "@/lib/auth/session";
import { SignInForms } from "@/components/signin-forms";

export const metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  const viewer = await getViewer();
  if (viewer) redirect(viewer.role === "facilitator" ? "/facilitator" : "/labs");
  const { callbackUrl } = await searchParams;
  // Only the portal's own pages: a crafted link must not bounce a fresh session elsewhere.
  const safeCallback = safeCallbackUrl(callbackUrl, portalConfig().publicUrl);
  return (
    <section className="mx-auto max-w-3xl">
      <h1 className="text-3xl font-semibold tracking-tight">Dask on AWS ECS workshop</h1>
      <p className="mt-2 text-muted">
        Analyse ERA5 climate data on your own Dask cluster. Sign in with the join code your facilitator shows.
      </p>
      <SignInForms callbackUrl={safeCallback} />
    </section>
  );
}
