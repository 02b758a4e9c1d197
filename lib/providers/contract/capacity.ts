// What a shared machine holds and how it keeps its environments apart (the local provider's
// capabilities `capacity` and `isolation`), and how sizes are written for people.

/** A size in MiB as people read it: 900 MiB, 1.5 GiB. */
export function formatMiB(mib: number): string {
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${Math.round(mib)} MiB`;
}

/** Plans a machine's memory for its environments. */
export interface CapacityPlanner {
  /** The machine, one environment's measured (or estimated) footprint, and how many fit. */
  report(): RoomCapacity;
  /** Throws a ProviderError saying what to do when one more environment would overcommit memory. */
  admit(workers: number): void;
}

/** What the facilitator sees: the machine, one environment's footprint, how many fit. */
export interface RoomCapacity {
  cores: number;
  memoryMiB: number;
  reserveMiB: number;
  workerMemoryMiB: number;
  notebookMemoryMiB: number;
  workersPerEnvironment: number;
  /** Whether each environment is held to its cap; the card says so either way. */
  capped: boolean;
  cpusPerEnvironment: number;
  /** Resident memory of the largest environment measured so far; null before any. */
  measuredMiB: number | null;
  /** What a new environment is counted as: its cap (or, uncapped, its measurement if larger). */
  plannedPerEnvironmentMiB: number;
  /** Environments on the machine now, and what they are counted as together. */
  live: number;
  plannedLiveMiB: number;
  /** Environments the machine holds in all, and how many more fit now. */
  fit: number;
  more: number;
}

export type IsolationMode = "sandbox" | "none";

export type PartState = "ok" | "weaker" | "missing";

export interface IsolationPart {
  part: "sandbox" | "network" | "caps";
  state: PartState;
  /** One sentence for the start-up log and the facilitator page. */
  message: string;
}

/** How environments on this machine are kept apart, part by part, and whether deploys are refused for it. */
export interface IsolationReport {
  mode: IsolationMode;
  /** False when a part is missing and its weaker mode was not accepted. */
  deploysAllowed: boolean;
  parts: IsolationPart[];
}
