import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { ProxiedKind } from "@/lib/providers/contract";
import type { ContentViewer } from "./session";

// The hand-off from the portal to the content origin (JupyterHub's OAuth hand-off, in small):
// the content origin asks the browser to bring a ticket (setting a random state cookie on
// itself first); the portal, where the viewer's session lives, makes a ticket for that state,
// viewer and environment; the content origin takes it once, checks the state cookie the same
// browser carries, and sets a cookie of its own for that environment and viewer. A ticket is
// good once, for one minute, in the browser that asked for it: a replayed, late or carried-off
// ticket is answered like an environment that does not exist.

/** Long enough for two redirects on a slow connection; short enough that a leaked ticket is worthless. */
export const TICKET_TTL_MS = 60_000;
/** Tickets waiting to be taken, at most; the oldest go first past that. */
const MAX_WAITING = 10_000;

export interface TicketGrant {
  envId: string;
  kind: ProxiedKind;
  viewer: ContentViewer;
  /** Where the content origin sends the browser once the ticket is taken (a path under the environment's own). */
  path: string;
}

interface Waiting extends TicketGrant {
  stateHash: Buffer;
  expires: number;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** The tickets of this process (one per process: Next may load this module twice). */
export class TicketBook {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new ticket for the browser holding `state` (the content origin's state cookie). */
  issue(grant: TicketGrant, state: string): string {
    const at = this.now();
    for (const [ticket, entry] of this.waiting) if (entry.expires <= at || this.waiting.size >= MAX_WAITING) this.waiting.delete(ticket);
    const ticket = randomBytes(32).toString("base64url");
    this.waiting.set(ticket, { ...grant, stateHash: digest(state), expires: at + TICKET_TTL_MS });
    return ticket;
  }

  /**
   * The grant, if `ticket` is waiting, has not expired, is for `envId` and is brought by the
   * browser holding its `state`; null otherwise. Any attempt uses the ticket up.
   */
  take(ticket: string, envId: string, states: (string | undefined)[]): TicketGrant | null {
    const entry = this.waiting.get(ticket);
    this.waiting.delete(ticket);
    if (!entry || entry.expires <= this.now() || entry.envId !== envId) return null;
    // The browser's state cookies (one per kind of hand-off it has under way): one must be the ticket's.
    if (!states.some((state) => state && timingSafeEqual(entry.stateHash, digest(state)))) return null;
    return { envId: entry.envId, kind: entry.kind, viewer: entry.viewer, path: entry.path };
  }
}

const holder = globalThis as unknown as { [key: symbol]: TicketBook | undefined };
const bookKey = Symbol.for("dask-workshop.content-tickets");

export function ticketBook(): TicketBook {
  return (holder[bookKey] ??= new TicketBook());
}
