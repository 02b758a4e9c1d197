// A loopback HTTP shim in front of moto that plays where Fargate puts a task's private address.
// Moto gives every awsvpc task a random 10.x.x.x address that nothing answers on; a test of
// the portal's dashboard proxy (PORTAL_DASHBOARD_ACCESS=vpc) needs the scheduler's address to
// be one where the test's own server listens. place(taskId, address) makes DescribeTasks report
// that loopback address as the task's privateIPv4Address; every other request, and every other
// task, goes to moto unchanged. Tests only: point the portal's AWS_ENDPOINT_URL at it.
import { isIP } from "node:net";
import { forward, json, relay, startShim } from "./shim-http.mjs";

const describeTasks = "AmazonEC2ContainerServiceV20141113.DescribeTasks";

/**
 * @param {{ target: string }} options moto's endpoint (or another shim's)
 * @returns {Promise<{ endpoint: string, place(taskId: string, address: string): void, close(): Promise<void> }>}
 */
export async function startPrivateAddressShim({ target }) {
  /** @type {Map<string, string>} task id → loopback address */
  const placed = new Map();
  const shim = await startShim(target, async (amzTarget, body, req, res, upstream) => {
    if (amzTarget !== describeTasks) return false;
    const answer = await forward(upstream, req, body);
    if (answer.status !== 200) return relay(res, answer), true;
    const described = JSON.parse(answer.body.toString("utf8"));
    for (const task of described.tasks ?? []) {
      const address = placed.get(String(task.taskArn ?? "").split("/").pop());
      if (!address) continue;
      for (const attachment of task.attachments ?? []) {
        for (const detail of attachment.details ?? []) if (detail.name === "privateIPv4Address") detail.value = address;
      }
    }
    json(res, 200, described);
    return true;
  });
  return {
    endpoint: shim.endpoint,
    place(taskId, address) {
      // Only loopback: a test never sends the portal's requests anywhere else.
      if (isIP(address) !== 4 || !address.startsWith("127.")) throw new Error(`${address} is not a loopback IPv4 address`);
      placed.set(taskId, address);
    },
    close: shim.close,
  };
}
