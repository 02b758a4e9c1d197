import { spawnSync } from "node:child_process";
import path from "node:path";

/**
 * Test-mode seam for end-to-end runs of the portal against moto
 * (PORTAL_AWS_TEMPLATE_TRANSFORM=moto): templates pass through the moto harness's
 * transform (test/moto/moto_template.py) before CreateStack. Only allowed when the
 * endpoint is on loopback, so real AWS always gets the templates untouched.
 */
export function motoTemplateTransform(endpoint: string | undefined): (body: string) => string {
  const host = endpoint ? new URL(endpoint).hostname : "";
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
    throw new Error("PORTAL_AWS_TEMPLATE_TRANSFORM=moto needs AWS_ENDPOINT_URL on loopback (a moto server).");
  }
  const root = process.cwd();
  return (body) => {
    const result = spawnSync(
      // turbopackIgnore keeps the bundler from tracing the Python venv into the build.
      path.join(/* turbopackIgnore: true */ root, ".venv-tools/bin/python"),
      [path.join(/* turbopackIgnore: true */ root, "test/moto/moto_template.py")], {
      input: body,
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`moto template transform failed: ${result.stderr || result.error}`);
    return result.stdout;
  };
}
