import { redirect } from "next/navigation";
import { getViewer } from "@/lib/auth/session";

export default async function Home() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  redirect(viewer.role === "facilitator" ? "/facilitator" : "/labs");
}
