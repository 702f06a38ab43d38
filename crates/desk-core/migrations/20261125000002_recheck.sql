-- Tickets that left the working set and still have to be re-read to learn their new state.
ALTER TABLE tickets ADD COLUMN needs_check INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_needs_check ON tickets (needs_check) WHERE needs_check = 1;
