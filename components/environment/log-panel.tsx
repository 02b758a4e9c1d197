"use client";

import { useEffect, useMemo, useRef, useState } from "react";
import type { LogLine } from "./use-environment-stream";

const SHOWN = 1_000;

/**
 * Follows new lines unless paused; filters by text and task. Text is rendered as text, never
 * HTML. Where the server could no longer send what the page missed, a mark says so (always
 * shown, whatever the filter).
 */
export function LogPanel({ lines, taskIds }: { lines: LogLine[]; taskIds: string[] }) {
  const [paused, setPaused] = useState(false);
  const [frozen, setFrozen] = useState<LogLine[]>([]);
  const [query, setQuery] = useState("");
  const [task, setTask] = useState("");
  const box = useRef<HTMLDivElement>(null);

  const source = paused ? frozen : lines;
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return source
      .filter((l) => l.gap || ((!task || l.task === task) && (!q || l.text.toLowerCase().includes(q))))
      .slice(-SHOWN);
  }, [source, query, task]);

  useEffect(() => {
    if (!paused && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [shown, paused]);

  const tasks = useMemo(() => [...new Set([...taskIds, ...lines.flatMap((l) => (l.gap ? [] : [l.task]))])].sort(), [taskIds, lines]);

  return (
    <div className="rounded-lg border border-line bg-card">
      <div className="flex flex-wrap items-center gap-3 border-b border-line p-3 text-sm">
        <label className="flex items-center gap-2">
          <span>Filter</span>
          <input
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="text in the line"
            className="rounded border border-line bg-bg px-2 py-1"
          />
        </label>
        <label className="flex items-center gap-2">
          <span>Task</span>
          <select value={task} onChange={(e) => setTask(e.target.value)} className="rounded border border-line bg-bg px-2 py-1">
            <option value="">all tasks</option>
            {tasks.map((t) => (
              <option key={t} value={t}>{t}</option>
            ))}
          </select>
        </label>
        <button
          type="button"
          aria-pressed={paused}
          onClick={() => {
            setFrozen(lines);
            setPaused(!paused);
          }}
          className="rounded border border-line px-2 py-1"
        >
          {paused ? `Resume (${lines.length - frozen.length} new)` : "Pause"}
        </button>
        <span className="text-muted">{lines.filter((l) => !l.gap).length} lines</span>
      </div>
      <div
        ref={box}
        role="log"
        aria-label="Log lines"
        aria-live="off"
        tabIndex={0}
        className="h-80 overflow-y-auto p-3 font-mono text-xs leading-5"
      >
        {shown.length === 0 && <p className="text-muted">No log lines yet.</p>}
        {shown.map((l) =>
          l.gap ? (
            <div key={`gap-${l.id}`} data-testid="log-gap" role="note" className="my-1 border-y border-dashed border-line py-1 text-muted italic">
              Earlier lines are no longer available (the portal no longer holds what this page missed while away).
            </div>
          ) : (
            <div key={l.id} data-testid="log-line" data-task={l.task} className="whitespace-pre-wrap break-all">
              <span className="text-muted">{l.task}</span> {l.text}
            </div>
          ),
        )}
      </div>
    </div>
  );
}
