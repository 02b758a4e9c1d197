// Where the portal serves an environment's own web servers (JupyterLab, the Dask dashboard)
// under its own origin: scripts/proxy.mjs forwards these paths, the servers are started with
// them as their base path, and the links point there. One place, so the three agree.

export type ProxiedKind = "notebook" | "dashboard";

export const proxiedKinds: readonly ProxiedKind[] = ["notebook", "dashboard"];

/** The portal path a server of the environment is reached under, without a trailing slash. */
export function proxiedBase(envId: string, kind: ProxiedKind): string {
  return `/environments/${envId}/${kind}`;
}
