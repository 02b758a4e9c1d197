// Where an environment's own web servers (JupyterLab, the Dask dashboard) are served on the
// content origin (lib/content): the proxy forwards these paths, the servers are started with
// them as their base path, and the hand-off sends browsers there. One place, so the three agree.

/** What the portal makes an environment's id (a UUID): nothing else names one. */
export const environmentId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type ProxiedKind = "notebook" | "dashboard";

export const proxiedKinds: readonly ProxiedKind[] = ["notebook", "dashboard"];

/** The portal path a server of the environment is reached under, without a trailing slash. */
export function proxiedBase(envId: string, kind: ProxiedKind): string {
  return `/environments/${envId}/${kind}`;
}
