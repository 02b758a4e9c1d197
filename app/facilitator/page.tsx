import { requireFacilitator } from "@/lib/auth/session";
import { listAttendees, listEnvironments } from "@/lib/db/queries";

export const metadata = { title: "Facilitator" };
export const dynamic = "force-dynamic";

export default async function FacilitatorPage() {
  await requireFacilitator();
  const attendees = listAttendees();
  const envs = listEnvironments();
  const latest = new Map<string, (typeof envs)[number]>();
  for (const env of envs) if (!latest.has(env.attendeeId)) latest.set(env.attendeeId, env);
  return (
    <div>
      <h1 className="text-3xl font-semibold tracking-tight">Facilitator · the room</h1>
      <p className="mt-1 text-muted">
        {attendees.length} attendee(s), {envs.filter((e) => !e.deletedAt).length} environment(s) alive.
      </p>
      <table className="mt-6 w-full text-left text-sm">
        <thead>
          <tr className="border-b border-line">
            <th scope="col" className="py-2">Name</th>
            <th scope="col" className="py-2">Email</th>
            <th scope="col" className="py-2">Environment</th>
            <th scope="col" className="py-2">Workers</th>
          </tr>
        </thead>
        <tbody>
          {attendees.map((a) => {
            const env = latest.get(a.id);
            return (
              <tr key={a.id} data-testid="roster-row" className="border-b border-line">
                <td className="py-2">{a.name}</td>
                <td className="py-2">{a.email}</td>
                <td className="py-2 font-mono">{env ? env.status : "none"}</td>
                <td className="py-2">{env && !env.deletedAt ? env.runningWorkers : 0}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
