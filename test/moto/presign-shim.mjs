// A loopback HTTP shim in front of moto that answers the one SageMaker call moto lacks,
// CreatePresignedNotebookInstanceUrl, and forwards every other request to moto unchanged.
// Point the portal's AWS_ENDPOINT_URL at it (tests only). It plays SageMaker's part:
//   - the notebook must exist in moto (asked with DescribeNotebookInstance), else the
//     ValidationException SageMaker gives for an unknown notebook;
//   - the answer is https://<name>.notebook.<region>.sagemaker.aws?authToken=<random>, the
//     shape AWS returns, with a fresh token each time;
//   - deny(true) makes it answer AccessDeniedException, as AWS does for a role without
//     sagemaker:CreatePresignedNotebookInstanceUrl on that notebook.
// issued() lists every token it handed out, so a test can search the store and the logs;
// sessionSeconds() the session length each URL was made with.
import { randomBytes } from "node:crypto";
import { forward, json, startShim } from "./shim-http.mjs";

const presignTarget = "SageMaker.CreatePresignedNotebookInstanceUrl";

/**
 * @param {{ target: string, region?: string }} options moto's endpoint (or another shim's)
 * @returns {Promise<{ endpoint: string, issued(): string[], sessionSeconds(): number[], deny(on: boolean): void, close(): Promise<void> }>}
 */
export async function startPresignShim({ target, region = "us-west-2" }) {
  const tokens = [];
  /** SessionExpirationDurationInSeconds of each URL made, in order (12 hours when not given, the API's default). */
  const sessions = [];
  let denying = false;

  const shim = await startShim(target, async (amzTarget, body, req, res, upstream) => {
    if (amzTarget !== presignTarget) return false;
    const { NotebookInstanceName: name, SessionExpirationDurationInSeconds: seconds } = JSON.parse(body.toString("utf8") || "{}");
    // The API's range (API_CreatePresignedNotebookInstanceUrl): AWS refuses anything outside it.
    if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 1800 && seconds <= 43200)) {
      json(res, 400, { __type: "ValidationException", Message: `1 validation error detected: Value '${seconds}' at 'sessionExpirationDurationInSeconds' failed to satisfy constraint` });
      return true;
    }
    if (denying) {
      json(res, 400, {
        __type: "AccessDeniedException",
        Message: `User is not authorized to perform: sagemaker:CreatePresignedNotebookInstanceUrl on resource: notebook-instance/${name}`,
      });
      return true;
    }
    // The request is signed for the presign call; moto does not check signatures, so the
    // same headers carry the describe call with its own target.
    const described = await forward(upstream, req, JSON.stringify({ NotebookInstanceName: name }), {
      ...req.headers,
      "x-amz-target": "SageMaker.DescribeNotebookInstance",
    });
    if (described.status !== 200) {
      json(res, 400, { __type: "ValidationException", Message: `RecordNotFound` });
      return true;
    }
    const token = randomBytes(24).toString("base64url");
    tokens.push(token);
    sessions.push(seconds ?? 43200);
    json(res, 200, { AuthorizedUrl: `https://${name}.notebook.${region}.sagemaker.aws?authToken=${token}` });
    return true;
  });
  return {
    endpoint: shim.endpoint,
    issued: () => [...tokens],
    sessionSeconds: () => [...sessions],
    deny: (on) => {
      denying = on;
    },
    close: shim.close,
  };
}
