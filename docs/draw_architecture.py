#!/usr/bin/env python3
"""Draws docs/architecture.svg from the description below: `python3 docs/draw_architecture.py`.

The picture is data, not hand-placed shapes, so when a module moves the description changes
and the drawing follows. Each band is a layer of docs/architecture.md; each box names the
module and what it holds; the numbered badges follow flow 1 (a click on Deploy, blue) and
flow 2 (a log line reaching the browser, green) of that page.
"""
from __future__ import annotations

import html
from pathlib import Path

WIDTH = 1180
MARGIN = 8
PAD = 22
GAP = 14
LINE = 15
DEPLOY, LOG = "#0969da", "#1a7f37"

# (band label, box height, [(title, [lines], width share, [(flow colour, step), ...])])
BANDS = [
    ("browser", 62, [
        ("Pages and components", ["components/: environment, facilitator, labs, room", "types from the contract only"], 3, [(DEPLOY, 1), (LOG, 7)]),
        ("useEventStream", ["components/stream/use-event-stream.ts", "EventSource, Last-Event-ID, de-duplication"], 3, [(LOG, 6)]),
        ("Typed protocol (shared with the server)", ["lib/stream/protocol.ts: the frames of the", "environment, room, attendee, build, rehearsal streams"], 4, []),
    ]),
    ("app/ - routes by audience (proxy.ts: session, then same-origin for anything that changes)", 76, [
        ("(attendee) labs, environment", ["app/(attendee)/actions.ts", "deploy, scale, tear down, checks, help"], 3, [(DEPLOY, 2)]),
        ("(facilitator) facilitator", ["app/(facilitator)/actions.ts", "roster, event, image, rehearsal, backups"], 3, []),
        ("Five SSE routes", ["each one defineStreamRoute({ role,", "channel, recheck }): app/api/stream-route.ts"], 3, [(LOG, 5)]),
        ("Content origin (lib/content)", ["JupyterLab and dashboards on an origin", "of their own: ticket, cookie, proxy"], 3, []),
    ]),
    ("one way to act, one process", 62, [
        ("defineAction  (lib/actions.ts)", ["zod input, viewer, role, audit entry, typed result", "lib/auth (session, requireRole), lib/audit"], 5, [(DEPLOY, 3)]),
        ("Runtime  (lib/runtime.ts)", ["start-up and shutdown: reconcile, adopt, resume; holds the provider,", "the watchers, the room signal and channels, the room's pollers"], 7, []),
    ]),
    ("domain", 92, [
        ("lib/environments", ["commands: deploy, scale, tear down;", "reconcile; EnvironmentWatcher (poll,", "policies, publish) and its policies"], 4, [(DEPLOY, 7), (DEPLOY, 4), (LOG, 2)]),
        ("Snapshot policies (policies.ts)", ["worker limit, diagnosis (lib/diagnosis),", "progress lines (zod, jitless),", "store write-back"], 4, []),
        ("lib/room", ["room stream, attendee channel, roster,", "help, announcements, the event's end,", "usage, pace"], 4, []),
        ("lib/labs", ["labs from content/labs,", "progress checks"], 3, []),
    ]),
    ("transport (imports no domain)", 62, [
        ("Channel  (lib/stream/channel.ts)", ["numbers, keeps, resumes, drops slow", "subscribers: one for each stream"], 4, [(LOG, 3)]),
        ("SSE  (lib/stream/response.ts, sse.ts)", ["id / event / JSON data, heartbeats,", "a bounded buffer per browser"], 4, [(LOG, 4)]),
        ("Poller  (lib/poller.ts)", ["the one polling loop: cadence, backoff,", "nudge, stop (watchers, builds, room log)"], 4, []),
    ]),
    ("providers: the contract (lib/providers/contract) and what implements it; lib/architecture.test.ts holds the imports", 92, [
        ("contract/", ["core (Provider, snapshots, dashboard access),", "cloud, image, rehearsal, capacity, proxied,", "log lines, ProviderError"], 4, []),
        ("local/", ["real dask scheduler / workers / JupyterLab", "in a sandbox each: namespace, /etc, caps;", "log files watched (onActivity)"], 4, [(DEPLOY, 6), (LOG, 1)]),
        ("aws/", ["context (clients, call budget), operations,", "snapshot, events, room-log (one cursor),", "cloud tools, cost, room image"], 4, [(DEPLOY, 6)]),
        ("fake/", ["in memory; the test plays the", "platform; provider-contract.ts", "runs against all three"], 3, []),
    ]),
    ("foundations (the store imports nothing above it but the configuration)", 62, [
        ("Store  (lib/db)", ["schema.ts and generated migrations; queries", "by aggregate: attendees, environments, streams..."], 5, [(DEPLOY, 5)]),
        ("lib/status.ts", ["stack and task vocabulary,", "predicates and words"], 3, []),
        ("lib/errors.ts, lib/audit.ts", ["one error type, one mapping;", "audit actions by name"], 3, []),
        ("lib/config.ts", ["every environment variable, read", "once into PortalConfig, handed down"], 3, []),
    ]),
]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def draw() -> str:
    out: list[str] = []
    y = 24
    for label, height, boxes in BANDS:
        band_h = height + 30
        out.append(f'<rect x="{MARGIN}" y="{y}" width="{WIDTH - 2 * MARGIN}" height="{band_h}" rx="10" fill="none" stroke="#d0d7de" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{WIDTH - MARGIN - 12}" y="{y + 16}" font-size="11" fill="#6e7781" font-style="italic" text-anchor="end">{esc(label)}</text>')
        shares = sum(b[2] for b in boxes)
        room = WIDTH - 2 * PAD - GAP * (len(boxes) - 1)
        x = PAD
        for title, lines, share, badges in boxes:
            w = room * share / shares
            top = y + 22
            out.append(f'<rect x="{x:.0f}" y="{top}" width="{w:.0f}" height="{height}" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.2"/>')
            out.append(f'<text x="{x + 10:.0f}" y="{top + 20}" font-size="13" font-weight="700" fill="#1f2328">{esc(title)}</text>')
            for i, line in enumerate(lines):
                out.append(f'<text x="{x + 10:.0f}" y="{top + 38 + i * LINE}" font-size="11.5" fill="#424a53">{esc(line)}</text>')
            for i, (colour, step) in enumerate(badges):
                cx = x + w - 14 - i * 24
                out.append(f'<circle cx="{cx:.0f}" cy="{top + 16}" r="10" fill="{colour}"/>')
                out.append(f'<text x="{cx:.0f}" y="{top + 20}" font-size="11" font-weight="700" fill="#fff" text-anchor="middle">{step}</text>')
            x += w + GAP
        y += band_h + 12
    legend = y + 14
    out.append(f'<circle cx="40" cy="{legend}" r="8" fill="{DEPLOY}"/><text x="56" y="{legend + 4}" font-size="12" fill="#1f2328">A click on Deploy (docs/architecture.md, flow 1)</text>')
    out.append(f'<circle cx="420" cy="{legend}" r="8" fill="{LOG}"/><text x="436" y="{legend + 4}" font-size="12" fill="#1f2328">A log line reaching the browser (flow 2)</text>')
    height = legend + 22
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" role="img" aria-labelledby="title desc">',
        '<title id="title">The workshop portal\'s modules and its two main flows</title>',
        '<desc id="desc">Layers from the browser down to the store; each uses only those below it, as lib/architecture.test.ts checks. '
        'Numbered markers follow a click on Deploy and a log line reaching the browser.</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    return "\n".join(head + out + ["</svg>", ""])


if __name__ == "__main__":
    Path(__file__).with_name("architecture.svg").write_text(draw())
