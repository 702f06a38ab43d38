-- The local cache of one Trengo workspace. Records keep their unified JSON in `json`
-- (without remote_data); the columns are what lists filter and sort on.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT,
    role       TEXT,
    is_active  INTEGER NOT NULL DEFAULT 1,
    json       TEXT NOT NULL,
    synced_at  INTEGER NOT NULL
);

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    json       TEXT NOT NULL,
    synced_at  INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE tags (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    color      TEXT,
    active     INTEGER NOT NULL DEFAULT 1,
    json       TEXT NOT NULL,
    synced_at  INTEGER NOT NULL
);

CREATE TABLE fields (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    label        TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    field_type   TEXT NOT NULL,
    json         TEXT NOT NULL,
    synced_at    INTEGER NOT NULL
);

CREATE TABLE channels (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT,
    json       TEXT NOT NULL,
    synced_at  INTEGER NOT NULL
);

CREATE TABLE ticket_results (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    synced_at  INTEGER NOT NULL
);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    name        TEXT,
    email       TEXT,
    phone       TEXT,
    identifier  TEXT,
    json        TEXT NOT NULL,
    synced_at   INTEGER NOT NULL
);

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    status              TEXT NOT NULL,      -- Trengo's: OPEN, ASSIGNED, CLOSED, INVALID
    status_kind         TEXT NOT NULL,      -- unified: open, closed, spam
    subject             TEXT,
    preview             TEXT,               -- the latest message, plain text, shortened
    contact_id          INTEGER,
    channel_id          INTEGER,
    user_id             INTEGER,
    team_id             INTEGER,
    created_at          INTEGER,
    updated_at          INTEGER,
    assigned_at         INTEGER,
    closed_at           INTEGER,
    last_message_at     INTEGER,
    -- 1 while the ticket is open or assigned in Trengo, or among the most recent; 0 once it left.
    in_working_set      INTEGER NOT NULL DEFAULT 1,
    synced_at           INTEGER NOT NULL,
    messages_synced_at  INTEGER
);
-- Lists filter by status (and team, assignee) and sort by recency: each index serves a filter,
-- its order and its count without touching the table.
CREATE INDEX tickets_updated ON tickets (updated_at DESC, id DESC);
CREATE INDEX tickets_kind ON tickets (status_kind, in_working_set, updated_at DESC, id DESC);
CREATE INDEX tickets_status ON tickets (status, in_working_set, updated_at DESC, id DESC);
CREATE INDEX tickets_team ON tickets (team_id, status_kind, in_working_set, updated_at DESC, id DESC);
CREATE INDEX tickets_user ON tickets (user_id, status, in_working_set, updated_at DESC, id DESC);
CREATE INDEX tickets_contact ON tickets (contact_id);

-- The whole unified record, apart so list scans stay small.
CREATE TABLE ticket_json (
    id    INTEGER PRIMARY KEY,
    json  TEXT NOT NULL
);

CREATE TABLE ticket_tags (
    ticket_id  INTEGER NOT NULL,
    tag_id     INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_tag ON ticket_tags (tag_id, ticket_id);

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL,
    created_at   INTEGER,
    is_internal  INTEGER NOT NULL DEFAULT 0,
    json         TEXT NOT NULL,
    synced_at    INTEGER NOT NULL
);
CREATE INDEX messages_ticket ON messages (ticket_id, created_at);

-- Full-text search over what a lead types: subject, latest message, the contact's name, email and
-- identifier. rowid = ticket id.
CREATE VIRTUAL TABLE ticket_fts USING fts5 (
    subject, preview, contact_name, contact_email, contact_identifier,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE sync_state (
    resource          TEXT PRIMARY KEY,
    high_water        INTEGER,      -- newest updated_at seen by a completed read
    last_complete_at  INTEGER,      -- when the last complete read finished
    items             INTEGER NOT NULL DEFAULT 0,
    pages             INTEGER NOT NULL DEFAULT 0
);
