import path from "node:path";
import { accessTemplate, deployRole } from "./access";
import { oraclePlace, roomDeployments } from "./deployments";
import type { Check } from "./oracle";
import { checkRoom } from "./room";
import { Schemas } from "./schemas";

// `make test-cfn`: the deploy role of cloudformation/portal-access.yaml against every handler
// permission of every stack the portal creates with it. Prints what is refused and exits 1.

const repoRoot = path.resolve(import.meta.dirname, "../..");

function describe(check: Check): string {
  const why = check.detail ? ` (${check.detail})` : "";
  return `  ${check.stack} ${check.logicalId} (${check.type}) ${check.operation}: ${check.action} on ${check.arn}: ${check.decision}${why}`;
}

async function main(): Promise<number> {
  const role = deployRole(accessTemplate(repoRoot), oraclePlace);
  const verdict = await checkRoom(roomDeployments(repoRoot, role.boundaryArn), {
    principal: role.arn,
    policies: role.policies,
    schemas: new Schemas(repoRoot, oraclePlace.region),
  });
  const checked = verdict.checks.filter((c) => !c.excusedBy);
  const excused = verdict.checks.filter((c) => c.excusedBy);
  const onPurpose = verdict.checks.filter((c) => c.refusedOnPurpose);
  console.log(
    `handler permissions: ${checked.length} calls checked, ${excused.length} excused by an absent property, ` +
      `${onPurpose.length} withheld on purpose, ${verdict.denied.length} refused; ` +
      `${verdict.capabilities.length} missing capabilities`,
  );
  for (const line of verdict.capabilities) console.log(`  capability not acknowledged: ${line}`);
  for (const check of verdict.denied) console.log(describe(check));
  return verdict.denied.length > 0 || verdict.capabilities.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
