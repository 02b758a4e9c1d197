import "server-only";
import type { LocalConfig } from "@/lib/config";
import type { IsolationPart, IsolationReport } from "@/lib/providers/contract";
import { probeCaps, type CapsProbe, type CgroupLayout } from "./caps";
import { probeNetwork, type NetworkProbe, type NetworkTools } from "./network";
import { probedSandbox, type SandboxProbe } from "./sandbox";

// How this portal keeps attendees' environments apart, from three parts it probes once at
// start: the bubblewrap sandbox (sandbox.ts), a network namespace per environment
// (network.ts) and memory and CPU caps per environment (caps.ts). A part this machine cannot
// provide refuses deploys, saying how to fix it, unless the operator accepted the weaker mode
// (PORTAL_LOCAL_ACCEPT=shared-network, uncapped; PORTAL_LOCAL_ISOLATION=none for all three).

/** The report (lib/providers/contract/capacity.ts), and what new environments get: bubblewrap's binary, their network, their caps. */
export interface Isolation extends IsolationReport {
  bwrap: string | null;
  network: NetworkTools | null;
  caps: CgroupLayout | null;
}

export interface IsolationProbes {
  sandbox: SandboxProbe;
  network: NetworkProbe;
  caps: CapsProbe;
}

type Settings = Pick<LocalConfig, "isolation" | "egress" | "accept" | "cpus">;

function sandboxPart(probe: SandboxProbe): IsolationPart {
  return probe.bwrap
    ? { part: "sandbox", state: "ok", message: "Each environment runs in its own bubblewrap sandbox, with a minimal /etc and Dask TLS." }
    : {
        part: "sandbox",
        state: "missing",
        message: `Deploys are refused: ${probe.error}. Install it (\`apt-get install bubblewrap\`, done by \`make start\`), or set PORTAL_LOCAL_ISOLATION=none on a single-user machine.`,
      };
}

function networkPart(probe: NetworkProbe, settings: Settings): IsolationPart {
  if (probe.tools) {
    const way = settings.egress === "public" ? "its way out is the internet, through slirp4netns" : "it has no way out (PORTAL_LOCAL_EGRESS=none)";
    return {
      part: "network",
      state: "ok",
      message: `Each environment has a network namespace of its own: the portal reaches it through Unix sockets, ${way}; this machine, other environments and private, shared and link-local ranges are blocked.`,
    };
  }
  if (settings.accept.includes("shared-network")) {
    return {
      part: "network",
      state: "weaker",
      message: `Environments share this machine's network (PORTAL_LOCAL_ACCEPT=shared-network, because ${probe.error}): a kernel can reach this machine's own services and any network it reaches.`,
    };
  }
  const egressFix = settings.egress === "public" ? "install slirp4netns (`apt-get install slirp4netns`, done by `make start`) or set PORTAL_LOCAL_EGRESS=none, and " : "";
  return {
    part: "network",
    state: "missing",
    message: `Deploys are refused: ${probe.error}. Run the portal as root, ${egressFix}restart it; or accept environments on this machine's network with PORTAL_LOCAL_ACCEPT=shared-network.`,
  };
}

function capsPart(probe: CapsProbe, settings: Settings): IsolationPart {
  if (probe.layout) {
    return {
      part: "caps",
      state: "ok",
      message: `Each environment's processes, its kernels included, are capped together (${probe.layout.mode}): its workers' memory plus PORTAL_LOCAL_NOTEBOOK_MEMORY, and ${settings.cpus} CPUs.`,
    };
  }
  if (settings.accept.includes("uncapped")) {
    return {
      part: "caps",
      state: "weaker",
      message: `Environments are not capped (PORTAL_LOCAL_ACCEPT=uncapped, because ${probe.error}): one kernel that takes all memory takes every environment and the portal down with it.`,
    };
  }
  return {
    part: "caps",
    state: "missing",
    message: `Deploys are refused: ${probe.error}. Run the portal as root, or under a systemd unit with Delegate=yes on a cgroup v2 machine; or accept environments without caps with PORTAL_LOCAL_ACCEPT=uncapped.`,
  };
}

/** What the three probes mean under these settings. */
export function isolationFrom(settings: Settings, probes: IsolationProbes): Isolation {
  if (settings.isolation === "none") {
    return {
      mode: "none",
      deploysAllowed: true,
      parts: [
        {
          part: "sandbox",
          state: "weaker",
          message: "Environments are not isolated (PORTAL_LOCAL_ISOLATION=none): no sandbox, no network of their own, no caps; for a single-user machine only.",
        },
      ],
      bwrap: null,
      network: null,
      caps: null,
    };
  }
  const parts = [sandboxPart(probes.sandbox), networkPart(probes.network, settings), capsPart(probes.caps, settings)];
  return {
    mode: "sandbox",
    deploysAllowed: parts.every((p) => p.state !== "missing"),
    parts,
    bwrap: probes.sandbox.bwrap,
    network: probes.network.tools,
    caps: probes.caps.layout,
  };
}

/** Probes this machine (bubblewrap, a network namespace with its egress, a capped group) for these settings. */
export async function probeIsolation(settings: Settings & Pick<LocalConfig, "inherited"> & { owner: string }): Promise<IsolationProbes> {
  if (settings.isolation === "none") {
    return { sandbox: { bwrap: null }, network: { tools: null }, caps: { layout: null } };
  }
  const searchPath = settings.inherited.PATH;
  return { sandbox: probedSandbox(searchPath), network: await probeNetwork(settings.egress, searchPath), caps: probeCaps(settings.owner) };
}
