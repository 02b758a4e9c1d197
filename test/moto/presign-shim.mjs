// A loopback HTTP shim in front of moto that answers the one SageMaker call moto lacks,
// CreatePresignedNotebookInstanceUrl, and forwards every other request to moto unchanged.
// Point the portal's AWS_ENDPOINT_URL at it (tests only). It plays SageMaker's part:
//   - the notebook must exist in moto (asked with DescribeNotebookInstance), else the
//     ValidationException SageMaker gives for an unknown notebook;
//   - the answer is https://<name>.notebook.<region>.sagemaker.aws?authToken=<random>, the
//     shape AWS returns, with a fresh token each time;
//   - deny(true) makes it answer AccessDeniedException, as AWS does for a role without
//     sagemaker:CreatePresignedNotebookInstanceUrl on that notebook.
// issued() lists every token it handed out, so a test can search the store and the logs.
import { randomBytes } from "node:crypto";
import http from "node:http";

const presignTarget = "SageMaker.CreatePresignedNotebookInstanceUrl";

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Sends one request to moto and returns its status, headers and body. */
function forward(target, req, body, headers = req.headers) {
  const sent = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...headers, host: target.host, "content-length": String(sent.length) },
      },
      async (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: await readBody(res) }),
    );
    upstream.on("error", reject);
    upstream.end(sent);
  });
}

function json(res, status, value) {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomBytes(8).toString("hex") });
  res.end(JSON.stringify(value));
}

/**
 * @param {{ target: string, region?: string }} options moto's endpoint
 * @returns {Promise<{ endpoint: string, issued(): string[], deny(on: boolean): void, close(): Promise<void> }>}
 */
export async function startPresignShim({ target, region = "us-west-2" }) {
  const upstream = new URL(target);
  const tokens = [];
  let denying = false;

  const server = http.createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (req.headers["x-amz-target"] !== presignTarget) {
        const answer = await forward(upstream, req, body);
        const headers = { ...answer.headers, "content-length": String(answer.body.length) };
        delete headers["transfer-encoding"];
        res.writeHead(answer.status, headers);
        return res.end(answer.body);
      }
      const { NotebookInstanceName: name } = JSON.parse(body.toString("utf8") || "{}");
      if (denying) {
        return json(res, 400, {
          __type: "AccessDeniedException",
          Message: `User is not authorized to perform: sagemaker:CreatePresignedNotebookInstanceUrl on resource: notebook-instance/${name}`,
        });
      }
      // The request is signed for the presign call; moto does not check signatures, so the
      // same headers carry the describe call with its own target.
      const described = await forward(upstream, req, JSON.stringify({ NotebookInstanceName: name }), {
        ...req.headers,
        "x-amz-target": "SageMaker.DescribeNotebookInstance",
      });
      if (described.status !== 200) return json(res, 400, { __type: "ValidationException", Message: `RecordNotFound` });
      const token = randomBytes(24).toString("base64url");
      tokens.push(token);
      json(res, 200, { AuthorizedUrl: `https://${name}.notebook.${region}.sagemaker.aws?authToken=${token}` });
    } catch (error) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(error));
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    issued: () => [...tokens],
    deny: (on) => {
      denying = on;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
