import type { Metadata, Viewport } from "next";
import Link from "next/link";
import { SignOutButton } from "@/components/sign-out-button";
import { getViewer } from "@/lib/auth/session";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Dask on AWS ECS workshop", template: "%s · Dask on ECS workshop" },
  description: "Hands-on labs: analyse ERA5 climate data on a Dask cluster on Amazon ECS with Fargate.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const viewer = await getViewer();
  return (
    <html lang="en">
      <body className="min-h-screen">
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2 focus:bg-card">
          Skip to content
        </a>
        <header className="border-b border-line bg-card">
          <nav aria-label="Main" className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
            <Link href="/" className="font-semibold tracking-tight">
              Dask on ECS <span className="text-muted font-normal">workshop</span>
            </Link>
            {viewer?.role === "attendee" && (
              <>
                <Link href="/labs" className="hover:underline">Labs</Link>
                <Link href="/environment" className="hover:underline">My environment</Link>
              </>
            )}
            {viewer?.role === "facilitator" && (
              <Link href="/facilitator" className="hover:underline">Facilitator</Link>
            )}
            {viewer && (
              <span className="ml-auto flex items-center gap-3 text-sm text-muted">
                <span>{viewer.name}</span>
                <SignOutButton />
              </span>
            )}
          </nav>
        </header>
        <main id="main" className="mx-auto max-w-7xl px-4 py-6">
          {children}
        </main>
      </body>
    </html>
  );
}
