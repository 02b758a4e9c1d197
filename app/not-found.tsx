import Link from "next/link";

export default function NotFound() {
  return (
    <section className="max-w-xl">
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <p className="mt-3 text-muted">There is nothing at this address. The lab may have a different name.</p>
      <p className="mt-4">
        <Link href="/labs" className="text-accent underline">Go to the first lab</Link>
      </p>
    </section>
  );
}
