import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { accessTemplate, deployRole } from "./access";
import { oraclePlace, roomDeployments } from "./deployments";
import {
  administrator,
  asPolicy,
  checkHostModes,
  deployerPolicyFile,
  deployRoleHostNames,
  hostDeployerPolicy,
  hostDeployments,
  policyText,
  separation,
  type HostMode,
} from "./host";
import { denied, type Check } from "./oracle";
import { checkRoom } from "./room";
import { Schemas } from "./schemas";

// `make test-cfn`: the deploy role of cloudformation/portal-access.yaml against every handler
// permission of every stack the portal creates with it; the host stack against the policy
// generated for its administrator (cloudformation/portal-host-deployer.json, which must be
// up to date), and against the deploy role, which must not be able to make it. Prints what is
// wrong and exits 1.
//
// `--write-host-policy` (make cfn-host-policy) writes portal-host-deployer.json instead.

const repoRoot = path.resolve(import.meta.dirname, "../..");
const relative = (file: string) => path.relative(repoRoot, file);

function describe(check: Check): string {
  const why = check.detail ? ` (${check.detail})` : "";
  return `  ${check.stack} ${check.logicalId} (${check.type}) ${check.operation}: ${check.action} on ${check.arn}: ${check.decision}${why}`;
}

async function room(schemas: Schemas, role: ReturnType<typeof deployRole>): Promise<boolean> {
  const verdict = await checkRoom(roomDeployments(repoRoot, role.boundaryArn), { principal: role.arn, policies: role.policies, schemas });
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
  return verdict.denied.length === 0 && verdict.capabilities.length === 0;
}

async function host(schemas: Schemas, role: ReturnType<typeof deployRole>): Promise<boolean> {
  let ok = true;
  const file = deployerPolicyFile(repoRoot);
  const text = policyText(await hostDeployerPolicy(repoRoot, schemas, role.boundaryArn));
  const written = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (written !== text) {
    console.log(`${relative(file)} is out of date: run \`make cfn-host-policy\``);
    ok = false;
  }
  // (a) The administrator with the policy file as it is: every call of both modes allowed.
  const policy = asPolicy(JSON.parse(written ?? text));
  const asAdministrator = await checkHostModes(hostDeployments(repoRoot, role.boundaryArn), { principal: administrator, policies: [policy], schemas }, { caller: true });
  const line = (mode: HostMode, checks: Check[]) =>
    `${mode}: ${checks.filter((c) => !c.excusedBy).length} calls checked (${checks.filter((c) => c.logicalId === "(the stack)").length} the administrator's own), ` +
    `${checks.filter((c) => c.excusedBy).length} excused by an absent property, ${denied(checks).length} refused`;
  console.log(`host stack as its administrator with ${relative(file)}: ${[...asAdministrator].map(([mode, checks]) => line(mode, checks)).join("; ")}`);
  for (const checks of asAdministrator.values()) {
    for (const check of denied(checks)) console.log(describe(check));
    if (denied(checks).length > 0) ok = false;
  }
  // (b) The deploy role, were the portal to hand it the host stack (named as documented, and
  // inside the workshop's prefix): refused the instance, its profile and its role.
  for (const stackName of deployRoleHostNames(repoRoot)) {
    const deployments = hostDeployments(repoRoot, role.boundaryArn, stackName);
    const asDeployRole = await checkHostModes(deployments, { principal: role.arn, policies: role.policies, schemas }, { caller: false });
    for (const [mode, checks] of asDeployRole) {
      const refused = denied(checks);
      const refusedActions = new Set(refused.map((c) => c.iamAction ?? c.action));
      const missing = separation.filter((a) => !refusedActions.has(a));
      console.log(
        `host stack ${deployments[0].host.place.stackName} (${mode}) as the access stack's deploy role: ${refused.length} of ${checks.filter((c) => !c.excusedBy).length} calls refused` +
          `${missing.length === 0 ? `, among them ${separation.join(", ")}` : `; ALLOWED, though it must be refused: ${missing.join(", ")}`}`,
      );
      if (missing.length > 0) ok = false;
    }
  }
  return ok;
}

async function main(): Promise<number> {
  const role = deployRole(accessTemplate(repoRoot), oraclePlace);
  const schemas = new Schemas(repoRoot, oraclePlace.region);
  if (process.argv.includes("--write-host-policy")) {
    const file = deployerPolicyFile(repoRoot);
    writeFileSync(file, policyText(await hostDeployerPolicy(repoRoot, schemas, role.boundaryArn)));
    console.log(`wrote ${relative(file)}`);
    return 0;
  }
  const roomOk = await room(schemas, role);
  const hostOk = await host(schemas, role);
  return roomOk && hostOk ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
