import { describe, expect, it } from "vitest";
import { TICKET_TTL_MS, TicketBook, type TicketGrant } from "./tickets";

// The one-time tickets the portal hands to the content origin: good once, for a minute, in the
// browser whose state cookie asked for it, for the environment it names.

const envA = "aaaaaaaa-0000-4000-8000-00000000000a";
const grant: TicketGrant = { envId: envA, kind: "notebook", viewer: { role: "attendee", id: "ada", sessionVersion: 1 }, path: `/environments/${envA}/notebook/lab` };

function book() {
  let now = 1_000_000;
  const tickets = new TicketBook(() => now);
  return { tickets, pass: (ms: number) => (now += ms) };
}

describe("tickets", () => {
  it("are taken once, by the browser holding the state they were made for", () => {
    const { tickets } = book();
    const ticket = tickets.issue(grant, "state-1");
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tickets.take(ticket, envA, ["state-1"])).toEqual(grant);
    expect(tickets.take(ticket, envA, ["state-1"]), "replayed").toBeNull();
  });

  it("are worth nothing in another browser, for another environment, or after a minute, and a failed try uses them up", () => {
    const { tickets, pass } = book();
    const other = tickets.issue(grant, "state-1");
    expect(tickets.take(other, envA, ["someone-else's-state"])).toBeNull();
    expect(tickets.take(other, envA, ["state-1"]), "after a failed try").toBeNull();
    const noState = tickets.issue(grant, "state-1");
    expect(tickets.take(noState, envA, [undefined])).toBeNull();
    const elsewhere = tickets.issue(grant, "state-1");
    expect(tickets.take(elsewhere, "bbbbbbbb-0000-4000-8000-00000000000b", ["state-1"])).toBeNull();
    const late = tickets.issue(grant, "state-1");
    pass(TICKET_TTL_MS);
    expect(tickets.take(late, envA, ["state-1"])).toBeNull();
    expect(tickets.take("never-issued", envA, ["state-1"])).toBeNull();
  });

  it("are taken with any of the browser's hand-offs under way: its notebook's and its dashboard's at once", () => {
    const { tickets } = book();
    const ticket = tickets.issue(grant, "dashboard-state");
    expect(tickets.take(ticket, envA, ["notebook-state", "dashboard-state"])).toEqual(grant);
  });
});
