ALTER TABLE attendees ADD COLUMN current_lab TEXT;

CREATE TABLE step_checks (
  attendee_id TEXT NOT NULL REFERENCES attendees(id),
  lab_slug TEXT NOT NULL,
  passed_at TEXT NOT NULL,
  PRIMARY KEY (attendee_id, lab_slug)
);

CREATE TABLE event_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL,
  starts_at TEXT,
  ends_at TEXT,
  ended_at TEXT
);

CREATE TABLE help_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  attendee_id TEXT NOT NULL REFERENCES attendees(id),
  message TEXT NOT NULL,
  bundle TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX help_requests_status ON help_requests(status);

CREATE TABLE announcements (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE environment_usage (
  env_id TEXT PRIMARY KEY REFERENCES environments(id),
  cost_usd REAL NOT NULL DEFAULT 0,
  cpu_seconds REAL NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);

CREATE TABLE room_cost_samples (
  at TEXT PRIMARY KEY,
  total REAL NOT NULL
);
