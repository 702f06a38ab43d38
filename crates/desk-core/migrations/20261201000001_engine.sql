-- The action engine: every write is a job (single actions too), before-states are read fresh by
-- the job itself, and undo reverts a part only while it still stands as the job left it.

-- For undo items: the state the undone job left, which each step's part must still show.
ALTER TABLE job_items ADD COLUMN expect TEXT;
-- Why an item failed, as a code the UI and scripts branch on.
ALTER TABLE job_items ADD COLUMN code TEXT;
-- For a filter selection: the ticket-list pages the job reads its before-states from (JSON).
ALTER TABLE jobs ADD COLUMN page_plan TEXT;

-- Enrichment jobs were recorded with their source; single actions are a kind of their own now.
UPDATE jobs SET kind = 'enrich' WHERE source IS NOT NULL AND kind = 'bulk';

-- Before-states taken from the cache are not fresh reads: an unfinished item reads its ticket
-- again before it changes it.
UPDATE job_items SET before = NULL, before_at = NULL WHERE state = 'pending' AND step = 0 AND in_flight = 0;
