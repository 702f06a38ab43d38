-- The requests a job spent reading its tickets from list pages (its items count their own).
ALTER TABLE jobs ADD COLUMN page_requests INTEGER NOT NULL DEFAULT 0;
