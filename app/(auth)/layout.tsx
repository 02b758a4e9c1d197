/** Pages anyone may open: signing in, and being told a page is not for them. */
export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return <div className="mx-auto max-w-3xl">{children}</div>;
}
