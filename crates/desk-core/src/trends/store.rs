//! The trends' tables (`trend_levels`, `trend_flow`) and the cache reads a look takes.

use std::collections::HashMap;

use super::{FlowCounts, Levels, Touched, TrendDim};
use crate::cache::Cache;
use crate::error::{Error, Result};

/// Hours are kept this long (today's chart is by the hour; longer ranges read days).
pub const KEEP_HOURS_SECS: i64 = 2 * 86_400;

/// Each tag's levels over the open tickets (open, waiting), counted by SQLite from the indexes,
/// and its at-risk count among `at_risk` (ticket ids).
pub async fn tag_levels(cache: &Cache, at_risk: &[i64]) -> Result<Vec<(i64, [u32; 3])>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT tt.tag_id, COUNT(*), COUNT(t.waiting_since)
           FROM tickets t INDEXED BY tickets_clock JOIN ticket_tags tt ON tt.ticket_id = t.id
          WHERE t.status_kind = 'open' AND t.in_working_set = 1
          GROUP BY tt.tag_id",
    )
    .fetch_all(cache.pool())
    .await?;
    let risky: HashMap<i64, i64> = if at_risk.is_empty() {
        HashMap::new()
    } else {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT tag_id, COUNT(*) FROM ticket_tags WHERE ticket_id IN (SELECT value FROM json_each(?)) GROUP BY tag_id",
        )
        .bind(serde_json::to_string(at_risk).unwrap_or_else(|_| "[]".into()))
        .fetch_all(cache.pool())
        .await?
        .into_iter()
        .collect()
    };
    Ok(rows
        .into_iter()
        .map(|(tag, open, waiting)| {
            let r = risky.get(&tag).copied().unwrap_or(0);
            (tag, [open as u32, waiting as u32, r as u32])
        })
        .collect())
}

/// The tags of the open tickets, as (ticket, tag): one JSON row, parsed without a row each.
pub async fn open_tags(cache: &Cache) -> Result<Vec<(i64, i64)>> {
    let json: String = sqlx::query_scalar(
        "SELECT COALESCE(json_group_array(json_array(tt.ticket_id, tt.tag_id)), '[]')
           FROM tickets t INDEXED BY tickets_clock JOIN ticket_tags tt ON tt.ticket_id = t.id
          WHERE t.status_kind = 'open' AND t.in_working_set = 1",
    )
    .fetch_one(cache.pool())
    .await?;
    let rows: Vec<[i64; 2]> = serde_json::from_str(&json)
        .map_err(|e| Error::Invalid(format!("the cache's tags could not be read: {e}")))?;
    Ok(rows.into_iter().map(|[a, b]| (a, b)).collect())
}

/// A ticket's row as the flow counts it (`tags`: its tag ids, comma-separated).
#[derive(sqlx::FromRow)]
struct TouchedRow {
    id: i64,
    team_id: Option<i64>,
    channel_id: Option<i64>,
    user_id: Option<i64>,
    created_at: Option<i64>,
    closed_at: Option<i64>,
    first_reply_at: Option<i64>,
    tags: Option<String>,
}

impl From<TouchedRow> for Touched {
    fn from(r: TouchedRow) -> Touched {
        Touched {
            id: r.id,
            team: r.team_id,
            channel: r.channel_id,
            user: r.user_id,
            created_at: r.created_at,
            closed_at: r.closed_at,
            first_reply_at: r.first_reply_at,
            tags: r
                .tags
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter_map(|x| x.parse().ok())
                .collect(),
        }
    }
}

/// The tickets created or closed since `since` (any status, in the working set or not).
pub async fn touched(cache: &Cache, since: i64) -> Result<Vec<Touched>> {
    let rows: Vec<TouchedRow> = sqlx::query_as(
        "SELECT t.id, t.team_id, t.channel_id, t.user_id, t.created_at, t.closed_at, t.first_reply_at,
                group_concat(tt.tag_id) AS tags
           FROM tickets t INDEXED BY tickets_updated LEFT JOIN ticket_tags tt ON tt.ticket_id = t.id
          WHERE t.updated_at >= ?1 AND (t.created_at >= ?1 OR t.closed_at >= ?1)
          GROUP BY t.id",
    )
    .bind(since)
    .fetch_all(cache.pool())
    .await?;
    Ok(rows.into_iter().map(Touched::from).collect())
}

/// Writes a look's levels into its hour and its day (the last look of a bucket stands for it),
/// and forgets hours older than [`KEEP_HOURS_SECS`]. One statement per bucket: the rows go in as
/// one JSON array, not a statement each.
pub async fn put_levels(
    cache: &Cache,
    levels: &Levels,
    hour: i64,
    day: i64,
    now: i64,
) -> Result<()> {
    let mut tx = cache.pool().begin().await?;
    write_levels(&mut tx, levels, hour, day, now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`put_levels`] inside a transaction of the caller's (the demo's weeks are written as one).
pub async fn write_levels(
    conn: &mut sqlx::SqliteConnection,
    levels: &Levels,
    hour: i64,
    day: i64,
    now: i64,
) -> Result<()> {
    let rows: Vec<[i64; 5]> = levels
        .iter()
        .map(|((dim, key), [o, w, r])| [dim.code(), *key, *o as i64, *w as i64, *r as i64])
        .collect();
    let json = serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into());
    for (grain, at) in [(1_i64, hour), (2, day)] {
        // A key with nothing open now: its bucket says 0, not the last look that saw some.
        sqlx::query("DELETE FROM trend_levels WHERE grain = ? AND at = ?")
            .bind(grain)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO trend_levels (grain, dim, key, at, open, waiting, at_risk, seen_at)
             SELECT ?1, value ->> 0, value ->> 1, ?2, value ->> 2, value ->> 3, value ->> 4, ?3
               FROM json_each(?4)",
        )
        .bind(grain)
        .bind(at)
        .bind(now)
        .bind(&json)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM trend_levels WHERE grain = 1 AND at < ?")
        .bind(now - KEEP_HOURS_SECS)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces a day's flow (one statement for its rows).
pub async fn put_flow(
    cache: &Cache,
    day: i64,
    flow: &HashMap<(TrendDim, i64), FlowCounts>,
    now: i64,
) -> Result<()> {
    let mut tx = cache.pool().begin().await?;
    write_flow(&mut tx, day, flow, now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`put_flow`] inside a transaction of the caller's.
pub async fn write_flow(
    conn: &mut sqlx::SqliteConnection,
    day: i64,
    flow: &HashMap<(TrendDim, i64), FlowCounts>,
    now: i64,
) -> Result<()> {
    let rows: Vec<[i64; 8]> = flow
        .iter()
        .map(|((dim, key), f)| {
            [
                dim.code(),
                *key,
                f.created as i64,
                f.closed as i64,
                f.reply_secs,
                f.replies as i64,
                f.resolve_secs,
                f.resolved as i64,
            ]
        })
        .collect();
    sqlx::query("DELETE FROM trend_flow WHERE day = ?")
        .bind(day)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO trend_flow (day, dim, key, created, closed, reply_secs, replies, resolve_secs, resolved, seen_at)
         SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, ?2
           FROM json_each(?3)",
    )
    .bind(day)
    .bind(now)
    .bind(serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// When a day's flow was last counted.
pub async fn flow_seen(cache: &Cache, day: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT seen_at FROM trend_flow WHERE day = ? AND dim = 0 AND key = 0")
            .bind(day)
            .fetch_optional(cache.pool())
            .await?,
    )
}

/// Whether a day's flow was written before.
pub async fn has_flow(cache: &Cache, day: i64) -> Result<bool> {
    let n: Option<i64> = sqlx::query_scalar("SELECT 1 FROM trend_flow WHERE day = ? LIMIT 1")
        .bind(day)
        .fetch_optional(cache.pool())
        .await?;
    Ok(n.is_some())
}

/// The levels of one key per bucket start (`grain` 1: hours, 2: days) within `[from, to]`.
pub async fn levels(
    cache: &Cache,
    grain: i64,
    dim: TrendDim,
    key: i64,
    from: i64,
    to: i64,
) -> Result<HashMap<i64, [i64; 3]>> {
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT at, open, waiting, at_risk FROM trend_levels
          WHERE grain = ? AND dim = ? AND key = ? AND at BETWEEN ? AND ?",
    )
    .bind(grain)
    .bind(dim.code())
    .bind(key)
    .bind(from)
    .bind(to)
    .fetch_all(cache.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(a, o, w, r)| (a, [o, w, r]))
        .collect())
}

/// The buckets some look wrote at all (any key): a bucket the app saw but where this key had
/// nothing open is a 0, not a gap.
pub async fn looked(cache: &Cache, grain: i64, from: i64, to: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT at FROM trend_levels WHERE grain = ? AND dim = 0 AND key = 0 AND at BETWEEN ? AND ?",
    )
    .bind(grain)
    .bind(from)
    .bind(to)
    .fetch_all(cache.pool())
    .await?)
}

/// A key's flow per day start within `[from, to]`.
pub async fn flows(
    cache: &Cache,
    dim: TrendDim,
    key: i64,
    from: i64,
    to: i64,
) -> Result<HashMap<i64, FlowCounts>> {
    type Row = (i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT day, created, closed, reply_secs, replies, resolve_secs, resolved FROM trend_flow
          WHERE dim = ? AND key = ? AND day BETWEEN ? AND ?",
    )
    .bind(dim.code())
    .bind(key)
    .bind(from)
    .bind(to)
    .fetch_all(cache.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.0,
                FlowCounts {
                    created: r.1 as u32,
                    closed: r.2 as u32,
                    reply_secs: r.3,
                    replies: r.4 as u32,
                    resolve_secs: r.5,
                    resolved: r.6 as u32,
                },
            )
        })
        .collect())
}

/// The days whose flow was counted at all.
pub async fn flowed(cache: &Cache, from: i64, to: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT day FROM trend_flow WHERE dim = 0 AND key = 0 AND day BETWEEN ? AND ?",
    )
    .bind(from)
    .bind(to)
    .fetch_all(cache.pool())
    .await?)
}

/// The first look the history holds.
pub async fn first_look(cache: &Cache) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar::<_, Option<i64>>("SELECT MIN(seen_at) FROM trend_levels")
            .fetch_one(cache.pool())
            .await?,
    )
}

/// Each tag's tickets created in `[this, now]` and in `[last, this)` (from the days' flow).
pub async fn tag_weeks(
    cache: &Cache,
    last: i64,
    this: i64,
    now: i64,
) -> Result<Vec<(i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT key, SUM(CASE WHEN day >= ?2 THEN created ELSE 0 END),
                SUM(CASE WHEN day < ?2 THEN created ELSE 0 END)
           FROM trend_flow WHERE dim = 2 AND day >= ?1 AND day <= ?3
          GROUP BY key",
    )
    .bind(last)
    .bind(this)
    .bind(now)
    .fetch_all(cache.pool())
    .await?)
}

/// Every cached ticket as a day's history counts it (the demo's seed): its dimensions, times,
/// tags, and since when it waits on us.
pub async fn all_tickets(cache: &Cache) -> Result<Vec<(Touched, Option<i64>, bool)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        ticket: TouchedRow,
        waiting_since: Option<i64>,
        status_kind: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.team_id, t.channel_id, t.user_id, t.created_at, t.closed_at, t.first_reply_at,
                group_concat(tt.tag_id) AS tags, t.waiting_since, t.status_kind
           FROM tickets t LEFT JOIN ticket_tags tt ON tt.ticket_id = t.id
          GROUP BY t.id",
    )
    .fetch_all(cache.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.ticket.into(), r.waiting_since, r.status_kind == "spam"))
        .collect())
}

/// New tickets per team and per tag created since `since` (from the cache).
pub async fn created_since(cache: &Cache, since: i64) -> Result<Vec<(TrendDim, i64, i64)>> {
    let teams: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT team_id, COUNT(*) FROM tickets INDEXED BY tickets_updated
          WHERE updated_at >= ?1 AND created_at >= ?1 AND team_id IS NOT NULL GROUP BY team_id",
    )
    .bind(since)
    .fetch_all(cache.pool())
    .await?;
    let tags: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT tt.tag_id, COUNT(*) FROM tickets t INDEXED BY tickets_updated
           JOIN ticket_tags tt ON tt.ticket_id = t.id
          WHERE t.updated_at >= ?1 AND t.created_at >= ?1 GROUP BY tt.tag_id",
    )
    .bind(since)
    .fetch_all(cache.pool())
    .await?;
    Ok(teams
        .into_iter()
        .map(|(k, n)| (TrendDim::Team, k, n))
        .chain(tags.into_iter().map(|(k, n)| (TrendDim::Tag, k, n)))
        .collect())
}

/// Per team and tag, the new tickets of the days from `from` to before `to`, and how many days
/// were counted at all.
pub async fn usual(
    cache: &Cache,
    from: i64,
    to: i64,
) -> Result<(HashMap<(TrendDim, i64), i64>, i64)> {
    let days: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM trend_flow WHERE dim = 0 AND key = 0 AND day >= ? AND day < ?",
    )
    .bind(from)
    .bind(to)
    .fetch_one(cache.pool())
    .await?;
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT dim, key, SUM(created) FROM trend_flow WHERE dim IN (1, 2) AND day >= ? AND day < ? GROUP BY dim, key",
    )
    .bind(from)
    .bind(to)
    .fetch_all(cache.pool())
    .await?;
    Ok((
        rows.into_iter()
            .filter_map(|(d, k, n)| Some(((TrendDim::from_code(d)?, k), n)))
            .collect(),
        days,
    ))
}

/// Records a spike as told, unless one was told for it within six hours: whether to tell it.
pub async fn tell_spike(
    cache: &Cache,
    dim: TrendDim,
    key: i64,
    hour: i64,
    count: i64,
    usual: f64,
) -> Result<bool> {
    let recent: Option<i64> = sqlx::query_scalar(
        "SELECT hour FROM trend_spikes WHERE dim = ? AND key = ? AND hour > ? AND hour <= ? LIMIT 1",
    )
    .bind(dim.code())
    .bind(key)
    .bind(hour - 6 * 3600)
    .bind(hour)
    .fetch_optional(cache.pool())
    .await?;
    if recent.is_some() {
        return Ok(false);
    }
    let r = sqlx::query(
        "INSERT OR IGNORE INTO trend_spikes (dim, key, hour, count, usual) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(dim.code())
    .bind(key)
    .bind(hour)
    .bind(count)
    .bind(usual)
    .execute(cache.pool())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether the cache holds any ticket at all (a first sync happened).
/// Whether the demo's history was rebuilt from its tickets (once, after its first full read).
pub async fn demo_seeded(cache: &Cache) -> Result<bool> {
    let one: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM sync_state WHERE resource = 'trends_demo_seed'")
            .fetch_optional(cache.pool())
            .await?;
    Ok(one.is_some())
}

pub async fn mark_demo_seeded(cache: &Cache, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO sync_state (resource, last_complete_at, items) VALUES ('trends_demo_seed', ?, 0)",
    )
    .bind(now)
    .execute(cache.pool())
    .await?;
    Ok(())
}

/// Whether the whole working set has been read once (the first sync is complete).
pub async fn working_set_read(cache: &Cache) -> Result<bool> {
    let one: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM sync_state WHERE resource = 'tickets'")
            .fetch_optional(cache.pool())
            .await?;
    Ok(one.is_some())
}

/// Whether any look has been kept yet.
pub async fn begun(cache: &Cache) -> Result<bool> {
    let one: Option<i64> = sqlx::query_scalar("SELECT 1 FROM trend_levels LIMIT 1")
        .fetch_optional(cache.pool())
        .await?;
    Ok(one.is_some())
}

pub async fn any_ticket(cache: &Cache) -> Result<bool> {
    let one: Option<i64> = sqlx::query_scalar("SELECT 1 FROM tickets LIMIT 1")
        .fetch_optional(cache.pool())
        .await?;
    Ok(one.is_some())
}
