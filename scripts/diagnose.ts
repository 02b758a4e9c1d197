// `npm run --silent diagnose`: reads log or error lines on stdin and prints, for each, one
// JSON object {"code","cause","fix"} from the diagnosis catalogue (docs/diagnosis.md).
// A line the catalogue does not recognise, a healthy one included, is "unknown".
import { once } from "node:events";
import { diagnoseStream } from "@/lib/diagnosis/cli";

async function main(): Promise<void> {
  await diagnoseStream(process.stdin, async (line) => {
    if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain");
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
