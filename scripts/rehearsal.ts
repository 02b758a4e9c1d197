// `make aws-rehearsal`: the facilitator's dress rehearsal from a terminal, with the
// provider the portal is configured with (PORTAL_PROVIDER=aws for the real room, local to
// try it here). The same code as the facilitator page's button: one environment deployed,
// the notebook run against it, everything torn down, a report written. Prints each phase
// as it ends and the report's path; exits 0 when the rehearsal passed, 1 when it failed,
// 2 when another rehearsal is running. Run with `node --conditions=react-server --import tsx`
// so the portal's server-only modules load.
import { portalConfig } from "@/lib/config";
import { createProvider } from "@/lib/providers";
import { phaseLabels } from "@/lib/rehearsal/phases";
import { rehearsalSettings, startRehearsal } from "@/lib/rehearsal/run";

async function main(): Promise<number> {
  const config = portalConfig();
  const provider = createProvider(config);
  const printed = new Set<string>();
  const start = startRehearsal({ provider, settings: rehearsalSettings(config) }, "terminal", {
    onView(view) {
      for (const p of view.phases) {
        const key = `${p.name}:${p.status}`;
        if (printed.has(key) || p.status === "pending") continue;
        printed.add(key);
        const time = p.seconds !== undefined ? ` in ${p.seconds.toFixed(1)} s` : "";
        console.log(`[${new Date().toISOString()}] ${phaseLabels[p.name]}: ${p.status}${time}${p.detail && p.status !== "running" ? ` — ${p.detail}` : ""}`);
      }
    },
    onLog(line) {
      console.log(`  | ${line.text}`);
    },
  });
  console.log(start.message);
  if (!start.started) return 2;
  try {
    const view = await start.done!;
    console.log(`\nThe rehearsal ${view.status}. Report: ${view.reportPath}`);
    return view.status === "passed" ? 0 : 1;
  } finally {
    provider.release();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
