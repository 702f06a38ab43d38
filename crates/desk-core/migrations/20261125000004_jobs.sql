-- Bulk jobs: written before their first request, each outcome recorded as it lands.

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,               -- bulk, undo
    title         TEXT NOT NULL,               -- what it does, in words
    actions       TEXT NOT NULL,               -- JSON: the actions asked for
    selection     TEXT NOT NULL,               -- how the tickets were chosen, in words
    problems      TEXT NOT NULL DEFAULT '[]',  -- JSON: pasted lines that were not ticket ids
    state         TEXT NOT NULL,               -- pending, running, paused, interrupted, cancelled, done
    reason        TEXT,                        -- why it stopped before the end
    undo_of       INTEGER,
    undone_by     INTEGER,
    total         INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    -- The process running it, and when it last said so (unix ms); a dead or silent runner's job
    -- is taken over.
    runner_pid    INTEGER,
    runner_token  TEXT,
    heartbeat_at  INTEGER
);

CREATE TABLE job_items (
    job_id     INTEGER NOT NULL REFERENCES jobs (id),
    seq        INTEGER NOT NULL,
    ticket_id  INTEGER NOT NULL,
    plan       TEXT NOT NULL,                 -- JSON: this ticket's actions, in order
    before     TEXT,                          -- JSON: the ticket before the job; NULL until read
    before_at  INTEGER,                       -- when `before` was true (unix seconds)
    step       INTEGER NOT NULL DEFAULT 0,    -- the next action to do
    in_flight  INTEGER NOT NULL DEFAULT 0,    -- 1: action `step` was sent, its outcome not recorded
    outcomes   TEXT NOT NULL DEFAULT '[]',    -- JSON: per action done, "already"
    state      TEXT NOT NULL DEFAULT 'pending', -- pending, done, skipped, failed, cancelled
    reason     TEXT,
    requests   INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE INDEX job_items_state ON job_items (job_id, state, seq);
