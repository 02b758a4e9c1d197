import type { TaskState } from "@/lib/providers/contract";
import { taskTone } from "@/lib/status";
import { textTone } from "@/components/ui/tone";

const time = (iso?: string) => (iso ? new Date(iso).toLocaleTimeString() : "—");

export function TaskTable({ tasks }: { tasks: TaskState[] }) {
  if (!tasks.length) return <p className="text-muted">No tasks yet.</p>;
  const ordered = [...tasks].sort((a, b) => {
    if (a.role !== b.role) return a.role === "scheduler" ? -1 : 1;
    const stoppedA = a.lastStatus === "STOPPED" ? 1 : 0;
    const stoppedB = b.lastStatus === "STOPPED" ? 1 : 0;
    return stoppedA - stoppedB || a.id.localeCompare(b.id, undefined, { numeric: true });
  });
  return (
    <div className="overflow-x-auto rounded-lg border border-line">
      <table className="w-full text-left text-sm">
        <thead className="bg-code">
          <tr>
            <th scope="col" className="px-3 py-2">Task</th>
            <th scope="col" className="px-3 py-2">Role</th>
            <th scope="col" className="px-3 py-2">Last status</th>
            <th scope="col" className="px-3 py-2">Desired</th>
            <th scope="col" className="px-3 py-2">Started</th>
            <th scope="col" className="px-3 py-2">CPU / memory</th>
            <th scope="col" className="px-3 py-2">Stopped reason</th>
          </tr>
        </thead>
        <tbody>
          {ordered.map((t) => (
            <tr key={t.id} data-testid="task-row" data-role={t.role} data-status={t.lastStatus} className="border-t border-line">
              <td className="px-3 py-2 font-mono">{t.id}</td>
              <td className="px-3 py-2">{t.role}</td>
              <td className={`px-3 py-2 font-mono ${textTone[taskTone(t.lastStatus)]}`}>{t.lastStatus}</td>
              <td className="px-3 py-2 font-mono">{t.desiredStatus}</td>
              <td className="px-3 py-2">{time(t.startedAt)}</td>
              <td className="px-3 py-2">
                {t.cpu / 1024} vCPU / {t.memory >= 1024 ? `${t.memory / 1024} GiB` : `${t.memory} MiB`}
              </td>
              <td className="px-3 py-2">{t.stoppedReason ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
