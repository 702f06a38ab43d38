-- The SLA radar. What the cache knows of each ticket's clock: who wrote last, since when the
-- customer has been waiting for us, and whether (and when first) we replied. Kept by every ticket
-- write: a list page tells the latest message and its direction, a thread read tells it all.
ALTER TABLE tickets ADD COLUMN last_from TEXT;          -- 'customer' or 'us'; NULL: not known (or a note)
ALTER TABLE tickets ADD COLUMN waiting_since INTEGER;   -- the customer's wait began; NULL: not waiting
ALTER TABLE tickets ADD COLUMN replied INTEGER;         -- 1: we replied; 0: not yet; NULL: not known
ALTER TABLE tickets ADD COLUMN first_reply_at INTEGER;  -- our first reply, where known
-- The resolution clock stops while the last message is ours: how long it stood still before the
-- wait under way (seconds), and since when it stands still now (our reply; NULL: it runs).
ALTER TABLE tickets ADD COLUMN paused_secs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN paused_from INTEGER;

-- The lead's SLA policies, first match wins in `position` order.
CREATE TABLE sla_policies (
    id          INTEGER PRIMARY KEY,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    enabled     INTEGER NOT NULL DEFAULT 1,
    json        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Warnings given before a breach: one per ticket, target and due time (a new wait is a new due).
CREATE TABLE sla_warnings (
    ticket_id  INTEGER NOT NULL,
    target     TEXT NOT NULL,
    due_at     INTEGER NOT NULL,
    warned_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, target, due_at)
) WITHOUT ROWID;

-- The radar (and the workload board) read the clock of every open ticket after each refresh: from
-- this index alone (a few MB), not from the rows with their subjects and previews.
CREATE INDEX tickets_clock ON tickets (status_kind, in_working_set, id, created_at, team_id, channel_id,
    waiting_since, replied, contact_id, paused_secs, user_id, assigned_at);
