import "server-only";
import fs from "node:fs";
import path from "node:path";

// An environment's box: the only folder of it the sandbox may write (its home, notebooks,
// scratch space, logs, exit records and TLS files). What its processes run as maps to the
// portal's own user outside the sandbox, so anything in the box may be a symbolic link or a
// socket the attendee's code planted. The portal's own files (state.json, the stack events,
// the egress log) sit beside the box, out of the sandbox's reach, and every file the portal
// itself opens in the box goes through openPlainFile.

/** The environment's box; environments made before it had their whole folder bound (`boxed` false). */
export function boxDir(dir: string, boxed: boolean): string {
  return boxed ? path.join(dir, "box") : dir;
}

const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/**
 * Opens a plain file for reading, or for appending (made when missing), refusing a symbolic
 * link (O_NOFOLLOW) and anything that is not a regular file (a FIFO is opened without
 * blocking, then refused): a file the sandbox replaced never leads the portal elsewhere.
 */
export function openPlainFile(file: string, how: "read" | "append"): number {
  const flags = how === "read" ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK : O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK;
  const fd = fs.openSync(file, flags, 0o600);
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw Object.assign(new Error(`${file} is not a plain file`), { code: "ENOTPLAIN" });
  }
  return fd;
}

/** Appends to a file in the box, never through a link put in its place (see openPlainFile); a failure is only logged. */
export function appendPlainFile(file: string, text: string): void {
  try {
    const fd = openPlainFile(file, "append");
    try {
      fs.writeSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    console.error(`could not write to ${file}:`, (err as Error).message);
  }
}

/** A plain file's text, or undefined when it is missing or not a plain file. */
export function readPlainFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = openPlainFile(file, "read");
  } catch {
    return undefined;
  }
  try {
    return fs.readFileSync(fd, "utf8");
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether `file` is a Unix socket itself, not a link to one: checked before the portal connects to a server in a sandbox. */
export function isOwnSocket(file: string): boolean {
  try {
    return fs.lstatSync(file).isSocket();
  } catch {
    return false;
  }
}
