import type { Page } from "@playwright/test";

// Code run in an attendee's kernel the way JupyterLab runs it: from a page of the notebook's
// own origin, through the portal's content origin (a kernel started over its REST API, the
// code sent over the kernel's WebSocket).

/**
 * Runs `code` in a new kernel of the notebook server at `base`, from the page (which must be on
 * the notebook's origin): its stdout. Fails with "the kernel died" when the kernel does.
 */
export async function runInNewKernel(page: Page, base: string, code: string): Promise<string> {
  return page.evaluate(
    async ({ base, code }) => {
      const xsrf = /(?:^|; )_xsrf=([^;]*)/.exec(document.cookie)?.[1] ?? "";
      const started = await fetch(`${base}/api/kernels`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-XSRFToken": decodeURIComponent(xsrf) },
        body: JSON.stringify({ name: "python3" }),
      });
      if (!started.ok) throw new Error(`starting a kernel answered ${started.status}`);
      const kernel = (await started.json()) as { id: string };
      const socket = new WebSocket(`${location.origin.replace(/^http/, "ws")}${base}/api/kernels/${kernel.id}/channels`);
      const msgId = crypto.randomUUID();
      const output = await new Promise<string>((resolve, reject) => {
        let stdout = "";
        socket.onerror = () => reject(new Error("the kernel's WebSocket failed"));
        socket.onclose = () => reject(new Error("the kernel's WebSocket closed before the code finished"));
        socket.onopen = () =>
          socket.send(
            JSON.stringify({
              header: { msg_id: msgId, msg_type: "execute_request", username: "e2e", session: crypto.randomUUID(), version: "5.3", date: new Date().toISOString() },
              parent_header: {},
              metadata: {},
              content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
              channel: "shell",
              buffers: [],
            }),
          );
        socket.onmessage = (event) => {
          const msg = JSON.parse(String(event.data));
          // JupyterLab's own news about the kernel, whoever asked: it died under this code.
          if (msg.msg_type === "status" && ["restarting", "dead"].includes(msg.content.execution_state)) {
            reject(new Error(`the kernel died (${msg.content.execution_state})`));
          }
          if (msg.parent_header?.msg_id !== msgId) return;
          if (msg.msg_type === "stream") stdout += msg.content.text;
          if (msg.msg_type === "error") reject(new Error(`${msg.content.ename}: ${msg.content.evalue}`));
          // Idle after the request: every output of it has arrived.
          if (msg.msg_type === "status" && msg.content.execution_state === "idle") resolve(stdout);
        };
      });
      socket.onclose = null;
      socket.close();
      await fetch(`${base}/api/kernels/${kernel.id}`, { method: "DELETE", headers: { "X-XSRFToken": decodeURIComponent(xsrf) } });
      return output;
    },
    { base, code },
  );
}

/** Whether a WebSocket to `path` on the page's origin opens (true) or is refused (false). */
export function webSocketOpens(page: Page, path: string): Promise<boolean> {
  return page.evaluate(
    (path) =>
      new Promise<boolean>((resolve) => {
        const socket = new WebSocket(`${location.origin.replace(/^http/, "ws")}${path}`);
        socket.onopen = () => {
          socket.close();
          resolve(true);
        };
        socket.onerror = () => resolve(false);
      }),
    path,
  );
}
