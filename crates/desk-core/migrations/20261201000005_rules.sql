-- Auto-tagging rules per workspace (the rule itself as JSON), and the rule a job was run for: its
-- runner checks each ticket still matches it on the fresh read before changing it.
CREATE TABLE rules (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    json        TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  INTEGER NOT NULL,
    -- When it was last switched on (or changed while on): live, it applies to tickets made or
    -- changed since.
    enabled_at  INTEGER
);
CREATE UNIQUE INDEX rules_name ON rules (name COLLATE NOCASE);

-- A live rule's log: each ticket at most once per rule version (so a rule's own writes, or another
-- rule's, never set it off again), with the outcome of the job that applied it.
CREATE TABLE rule_runs (
    rule_id    INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    ticket_id  INTEGER NOT NULL,
    job_id     INTEGER,
    at         INTEGER NOT NULL,
    outcome    TEXT NOT NULL DEFAULT 'pending',   -- pending, done, skipped, failed, conflict
    PRIMARY KEY (rule_id, version, ticket_id)
) WITHOUT ROWID;

ALTER TABLE jobs ADD COLUMN guard TEXT;

-- A counter every change to what rules read moves on (from any process): a rule preview keeps the
-- tickets in memory while it stands still.
CREATE TABLE cache_gen (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);
INSERT INTO cache_gen (id, n) VALUES (1, 0);
CREATE TRIGGER tickets_gen_insert AFTER INSERT ON tickets BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER tickets_gen_update AFTER UPDATE ON tickets BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER tickets_gen_delete AFTER DELETE ON tickets BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER ticket_tags_gen_insert AFTER INSERT ON ticket_tags BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER ticket_tags_gen_update AFTER UPDATE ON ticket_tags BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER ticket_tags_gen_delete AFTER DELETE ON ticket_tags BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER contacts_gen_insert AFTER INSERT ON contacts BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER contacts_gen_update AFTER UPDATE ON contacts BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER contacts_gen_delete AFTER DELETE ON contacts BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER ticket_json_gen_insert AFTER INSERT ON ticket_json BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER ticket_json_gen_update AFTER UPDATE ON ticket_json BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
CREATE TRIGGER ticket_json_gen_delete AFTER DELETE ON ticket_json BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
