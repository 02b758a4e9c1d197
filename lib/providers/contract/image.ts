// The room's image (event mode: the facilitator builds it in the cloud; capability `image`).

/** A CodeBuild build's status, in CodeBuild's words. */
export type ImageBuildStatus = "IN_PROGRESS" | "SUCCEEDED" | "FAILED" | "FAULT" | "STOPPED" | "TIMED_OUT";

/** One phase of a build (SUBMITTED, QUEUED, PROVISIONING, DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD, …). */
export interface ImageBuildPhase {
  phase: string;
  /** Absent while the phase runs (CodeBuild reports no status until it ends). */
  status?: string;
  startedAt?: string;
  endedAt?: string;
  /** CodeBuild's own words on why the phase failed. */
  message?: string;
}

export interface ImageBuildView {
  id: string;
  status: ImageBuildStatus;
  currentPhase?: string;
  phases: ImageBuildPhase[];
  startedAt?: string;
  endedAt?: string;
  /** The pins hash of the sources this build was given. */
  pins?: string;
  /** The image it makes: <repository uri>:pins-<hash>. */
  image?: string;
  /** The first phase that did not succeed, when the build failed. */
  failedPhase?: ImageBuildPhase;
}

export interface ImageBuildLogLine {
  at: string;
  text: string;
  /** Unique per line, so a line read twice is shown once. */
  key: string;
}

/** The image attendee stacks run, and how it compares with the portal's pins. */
export interface RoomImage {
  /** The image deploys pass as DaskImage; null while there is none. */
  image: string | null;
  /** configured: DASK_IMAGE; built: the newest successful build, found in the repository. */
  source: "configured" | "built" | "none";
  /** The pins hash the image's tag names (null: it names none). */
  imagePins: string | null;
  /** This portal's pins hash (docker/requirements.txt). */
  portalPins: string;
  /** The newest build, whatever its state. */
  latestBuild: ImageBuildView | null;
  /** Whether a build can be started now (the event stack holds the project). */
  canBuild: boolean;
  /** What is missing and what to do, when there is no image or no way to build one. */
  message?: string;
}

/** Starting a build: a request while one runs starts nothing and says so. */
export interface ImageBuildStart {
  started: boolean;
  build: ImageBuildView;
  message: string;
}

/** Building and following the room's image (the AWS provider in event mode: CodeBuild and ECR). */
export interface RoomImageTools {
  current(): Promise<RoomImage>;
  /** Uploads docker/ and starts a build, unless one is in progress. */
  startBuild(): Promise<ImageBuildStart>;
  build(id: string): Promise<ImageBuildView>;
  /** The build's log lines after `cursor`, oldest first. */
  buildLog(id: string, cursor: string | null): Promise<{ lines: ImageBuildLogLine[]; cursor: string | null }>;
}
