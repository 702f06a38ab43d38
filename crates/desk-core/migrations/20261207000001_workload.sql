-- The workload board. Each agent's availability as Trengo says it (read with the directory;
-- NULL: not known), and the capacity limits a lead sets per workspace: the tickets that may wait
-- on an agent at once (user 0: the default for everyone without one).
ALTER TABLE users ADD COLUMN is_online INTEGER;

CREATE TABLE workload_limits (
    user_id      INTEGER PRIMARY KEY,
    max_waiting  INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
