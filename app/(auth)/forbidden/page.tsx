import Link from "next/link";

export const metadata = { title: "Not allowed" };

export default function Forbidden() {
  return (
    <section className="max-w-xl">
      <h1 className="text-2xl font-semibold">403 — not allowed</h1>
      <p className="mt-3 text-muted">
        This part of the portal is for the workshop facilitator. If you are an attendee, your labs and your
        environment are a click away.
      </p>
      <p className="mt-4">
        <Link href="/labs" className="text-accent underline">Back to the labs</Link>
      </p>
    </section>
  );
}
