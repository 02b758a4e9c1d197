// A loopback shim in front of moto (or another shim) that plays what the "before the event"
// preflight asks of the account and moto 5.2 lacks, and forwards everything else unchanged:
//   Service Quotas  GetServiceQuota / ListServiceQuotas for quotas a test sets (moto serves
//                   only the vpc service), RequestServiceQuotaIncrease and
//                   ListRequestedServiceQuotaChangeHistoryByQuota: a request is PENDING until
//                   the test settles it; a second request while one is open is refused with
//                   ResourceAlreadyExistsException, as Service Quotas does; refuse() makes the
//                   next request fail with the given error.
//   Cost Explorer   ListCostAllocationTags / UpdateCostAllocationTagsStatus over tag keys the
//                   test says Billing has seen (activating one it has not seen is an error
//                   entry in the answer, as Cost Explorer reports it).
// Point the portal's AWS_ENDPOINT_URL at it (tests only).
import { randomBytes } from "node:crypto";
import { json, startShim } from "./shim-http.mjs";

const quotasApi = "ServiceQuotasV20190624.";
const costApi = "AWSInsightsIndexService.";
const openStatuses = new Set(["PENDING", "CASE_OPENED"]);

/**
 * @param {{ target: string }} options moto's endpoint (or another shim's)
 */
export async function startAccountShim({ target }) {
  /** "service/code" → { name, value } */
  const quotas = new Map();
  /** @type {{ Id: string, ServiceCode: string, QuotaCode: string, QuotaName?: string, DesiredValue: number, Status: string, Created: number }[]} */
  const requests = [];
  /** tag key → "Active" | "Inactive" */
  const tags = new Map();
  /** @type {{ type: string, message: string } | undefined} */
  let refusal;

  const quotaOf = (service, code) => {
    const q = quotas.get(`${service}/${code}`);
    return q && { ServiceCode: service, QuotaCode: code, QuotaName: q.name, Value: q.value, Adjustable: true, Unit: "None" };
  };

  const shim = await startShim(target, async (amzTarget, body, _req, res) => {
    const input = JSON.parse(body.toString("utf8") || "{}");
    if (amzTarget.startsWith(quotasApi)) {
      const operation = amzTarget.slice(quotasApi.length);
      if (operation === "GetServiceQuota") {
        const found = quotaOf(input.ServiceCode, input.QuotaCode);
        if (!found) return false;
        json(res, 200, { Quota: found });
        return true;
      }
      if (operation === "ListServiceQuotas") {
        const found = [...quotas.keys()].filter((k) => k.startsWith(`${input.ServiceCode}/`)).map((k) => quotaOf(...k.split("/")));
        if (found.length === 0) return false;
        json(res, 200, { Quotas: found });
        return true;
      }
      if (operation === "RequestServiceQuotaIncrease") {
        if (refusal) {
          const { type, message } = refusal;
          refusal = undefined;
          json(res, 400, { __type: type, Message: message });
          return true;
        }
        if (requests.some((r) => r.QuotaCode === input.QuotaCode && openStatuses.has(r.Status))) {
          json(res, 400, { __type: "ResourceAlreadyExistsException", Message: "A quota increase request for this quota is already open." });
          return true;
        }
        const request = {
          Id: randomBytes(16).toString("hex"),
          ServiceCode: input.ServiceCode,
          QuotaCode: input.QuotaCode,
          QuotaName: quotas.get(`${input.ServiceCode}/${input.QuotaCode}`)?.name,
          DesiredValue: input.DesiredValue,
          Status: "PENDING",
          Created: Date.now() / 1000,
        };
        requests.push(request);
        json(res, 200, { RequestedQuota: request });
        return true;
      }
      if (operation === "ListRequestedServiceQuotaChangeHistoryByQuota") {
        json(res, 200, { RequestedQuotas: requests.filter((r) => r.ServiceCode === input.ServiceCode && r.QuotaCode === input.QuotaCode) });
        return true;
      }
      return false;
    }
    if (amzTarget.startsWith(costApi)) {
      const operation = amzTarget.slice(costApi.length);
      if (operation === "ListCostAllocationTags") {
        const keys = input.TagKeys ?? [...tags.keys()];
        json(res, 200, { CostAllocationTags: keys.filter((k) => tags.has(k)).map((k) => ({ TagKey: k, Type: "UserDefined", Status: tags.get(k) })) });
        return true;
      }
      if (operation === "UpdateCostAllocationTagsStatus") {
        const Errors = [];
        for (const { TagKey, Status } of input.CostAllocationTagsStatus ?? []) {
          if (tags.has(TagKey)) tags.set(TagKey, Status);
          else Errors.push({ TagKey, Code: "TagKeysNotFoundException", Message: `Failed to update the status of tag key ${TagKey}: the tag key was not found.` });
        }
        json(res, 200, { Errors });
        return true;
      }
    }
    return false;
  });

  return {
    endpoint: shim.endpoint,
    /** The account's applied quota for a service's quota code (and its name, for lookups by name). */
    setQuota(serviceCode, quotaCode, value, name = quotaCode) {
      quotas.set(`${serviceCode}/${quotaCode}`, { name, value });
    },
    requests: () => requests.map((r) => ({ ...r })),
    /** Moves a request on, as AWS Support would; an approved one raises the quota. */
    settle(id, status) {
      const request = requests.find((r) => r.Id === id);
      if (!request) throw new Error(`no request ${id}`);
      request.Status = status;
      const quota = quotas.get(`${request.ServiceCode}/${request.QuotaCode}`);
      if (status === "APPROVED" && quota) quota.value = request.DesiredValue;
    },
    refuseNext(type, message) {
      refusal = { type, message };
    },
    /** Billing has seen the tag key, with this status. */
    setTag(key, status) {
      tags.set(key, status);
    },
    tagStatus: (key) => tags.get(key),
    close: shim.close,
  };
}
