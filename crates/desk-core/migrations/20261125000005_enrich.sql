-- Enrichment: lookup sources per workspace (secret header values live in the OS keyring), and
-- the source an enrichment job looks customers up in.

CREATE TABLE enrich_sources (
    name        TEXT PRIMARY KEY,
    json        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

ALTER TABLE jobs ADD COLUMN source TEXT;
