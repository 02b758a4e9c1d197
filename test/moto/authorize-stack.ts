// The moto harness's stand-in for CloudFormation acting as a stack's role
// (test/moto/cloudformation_rules.py runs it): reads one JSON request on stdin, prints the
// create-handler permissions the role lacks for the new stack, as the oracle
// (cloudformation/oracle) evaluates them. Stacks created before it are modelled first, so
// its imports resolve and the resources it names carry their tags.
import { checkStack, denied, registerStack, TagRegistry, type Policy, type StackUnderTest } from "../../cloudformation/oracle/oracle";
import { Schemas } from "../../cloudformation/oracle/schemas";
import { parseTemplate } from "../../cloudformation/oracle/template";
import { StackResolver } from "../../cloudformation/oracle/resolve";
import path from "node:path";

interface StackSpec {
  stackName: string;
  template: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
}

interface Request {
  region: string;
  accountId: string;
  principal: string;
  policies: Policy[];
  prior: StackSpec[];
  stack: StackSpec;
}

function underTest(spec: StackSpec, request: Request, exports: Record<string, string>): StackUnderTest {
  return {
    place: { partition: "aws", region: request.region, accountId: request.accountId, stackName: spec.stackName },
    template: parseTemplate(spec.template),
    parameters: spec.parameters,
    tags: spec.tags,
    exports,
  };
}

async function main(): Promise<void> {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  const request = JSON.parse(text) as Request;
  const registry = new TagRegistry();
  const exports: Record<string, string> = {};
  for (const spec of request.prior) {
    try {
      const stack = underTest(spec, request, { ...exports });
      registerStack(stack, registry);
      Object.assign(exports, new StackResolver(stack).exports());
    } catch {
      // A stack the oracle cannot model (the harness's own users and keys) names nothing a workshop stack uses.
    }
  }
  const schemas = new Schemas(path.resolve(import.meta.dirname, "../.."), request.region);
  const checks = await checkStack(underTest(request.stack, request, exports), { principal: request.principal, policies: request.policies, schemas, operations: ["create"] }, registry);
  process.stdout.write(JSON.stringify({ denied: denied(checks) }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
