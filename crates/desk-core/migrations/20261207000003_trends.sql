-- Trends: a local history of the inbox, kept from what the app already reads (no request).
-- Levels (open, waiting on us, at risk) per hour and per local day, each the last look taken in
-- it; an hour or day the app never looked at has no row, and a chart shows the gap. Per local day
-- also the tickets created and closed and the reply times, where the cache knows them.
-- dim: 0 everything, 1 team, 2 tag, 3 channel, 4 agent; key: that one's id (0 for everything).
CREATE TABLE trend_levels (
    grain    INTEGER NOT NULL,   -- 1: an hour, 2: a local day
    dim      INTEGER NOT NULL,
    key      INTEGER NOT NULL,
    at       INTEGER NOT NULL,   -- the bucket's start, an instant (unix seconds)
    open     INTEGER NOT NULL,
    waiting  INTEGER NOT NULL,
    at_risk  INTEGER NOT NULL,
    seen_at  INTEGER NOT NULL,   -- the look these counts are from
    PRIMARY KEY (grain, dim, key, at)
) WITHOUT ROWID;
-- A look replaces its buckets and forgets old hours: by time, not by key.
CREATE INDEX trend_levels_at ON trend_levels (grain, at);

CREATE TABLE trend_flow (
    day           INTEGER NOT NULL,  -- the local day's start, an instant
    dim           INTEGER NOT NULL,
    key           INTEGER NOT NULL,
    created       INTEGER NOT NULL,
    closed        INTEGER NOT NULL,
    reply_secs    INTEGER NOT NULL,  -- first replies to the tickets created that day, summed
    replies       INTEGER NOT NULL,
    resolve_secs  INTEGER NOT NULL,  -- the tickets closed that day, created to closed, summed
    resolved      INTEGER NOT NULL,
    seen_at       INTEGER NOT NULL,
    PRIMARY KEY (day, dim, key)
) WITHOUT ROWID;

-- Spikes told: a tag or team whose new tickets in the last hour were far above its usual level,
-- each told once (and not again for that one within six hours).
CREATE TABLE trend_spikes (
    dim     INTEGER NOT NULL,
    key     INTEGER NOT NULL,
    hour    INTEGER NOT NULL,   -- the hour it was told in (its start, an instant)
    count   INTEGER NOT NULL,
    usual   REAL NOT NULL,      -- new tickets an hour, usually
    PRIMARY KEY (dim, key, hour)
) WITHOUT ROWID;
