-- A lead's saved views: named filters over the cache, in the sidebar's order (per workspace, as
-- the cache is).
CREATE TABLE saved_views (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    position INTEGER NOT NULL,
    filter   TEXT NOT NULL
);
CREATE UNIQUE INDEX saved_views_name ON saved_views (name COLLATE NOCASE);
