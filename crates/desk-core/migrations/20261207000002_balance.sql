-- Balanced assignment. What each agent may take (skills, kept per workspace): a tag, a team or a
-- channel (value: its id), or a contact's or ticket's field value (key: the field's id, value:
-- the value, folded). And where each round-robin rule stopped: the agent it gave a ticket last.
CREATE TABLE workload_skills (
    user_id  INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    key      TEXT NOT NULL DEFAULT '',
    value    TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, key, value)
);

CREATE TABLE balance_turns (
    rule_id  INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL,
    at       INTEGER NOT NULL
);
