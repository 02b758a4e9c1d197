import { pageViewer } from "@/lib/auth/session";

/** The facilitator's pages: only the facilitator gets past this (proxy.ts turns others away first). */
export default async function FacilitatorLayout({ children }: { children: React.ReactNode }) {
  await pageViewer("facilitator");
  return children;
}
