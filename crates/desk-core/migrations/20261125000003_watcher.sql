-- The assignment watcher's memory: an assignment (ticket, to whom, when) is reported once.
CREATE TABLE watch_seen (
    ticket_id    INTEGER NOT NULL,
    kind         TEXT NOT NULL,      -- 'me' or 'team:<id>'
    assigned_at  INTEGER NOT NULL,   -- 0 when Trengo gave none
    seen_at      INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, kind, assigned_at)
) WITHOUT ROWID;

-- Assignments made from this app: not news to its user.
CREATE TABLE watch_suppress (
    ticket_id  INTEGER PRIMARY KEY,
    until      INTEGER NOT NULL
);
