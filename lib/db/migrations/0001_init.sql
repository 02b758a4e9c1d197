CREATE TABLE attendees (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL
);

CREATE TABLE environments (
  id TEXT PRIMARY KEY,
  attendee_id TEXT NOT NULL REFERENCES attendees(id),
  provider TEXT NOT NULL,
  stack_name TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  status_reason TEXT,
  desired_workers INTEGER NOT NULL,
  running_workers INTEGER NOT NULL DEFAULT 0,
  stream_cursor TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE UNIQUE INDEX environments_one_live_per_attendee ON environments(attendee_id) WHERE deleted_at IS NULL;

CREATE TABLE lab_progress (
  attendee_id TEXT NOT NULL REFERENCES attendees(id),
  lab_slug TEXT NOT NULL,
  done_at TEXT NOT NULL,
  PRIMARY KEY (attendee_id, lab_slug)
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  result TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE stream_events (
  env_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  data TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (env_id, seq)
);
