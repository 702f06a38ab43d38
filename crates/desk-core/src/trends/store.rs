//! The trends' tables (`trend_levels`, `trend_flow`) and the cache reads a look takes.

use std::collections::HashMap;

use super::{FlowCounts, Levels, Touched, TrendDim};
use crate::cache::Cache;
use crate::error::{Error, Result};

/// Hours are kept this long (the charts over 30 days read days beyond it).
pub const KEEP_HOURS_SECS: i64 = 35 * 86_400;

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

/// The tickets created or closed since `since` (any status, in the working set or not).
pub async fn touched(cache: &Cache, since: i64) -> Result<Vec<Touched>> {
    type Row = (
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.team_id, t.channel_id, t.user_id, t.created_at, t.closed_at, t.first_reply_at,
                (SELECT group_concat(tag_id) FROM ticket_tags WHERE ticket_id = t.id)
           FROM tickets t INDEXED BY tickets_updated
          WHERE t.updated_at >= ?1 AND (t.created_at >= ?1 OR t.closed_at >= ?1)",
    )
    .bind(since)
    .fetch_all(cache.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Touched {
            id: r.0,
            team: r.1,
            channel: r.2,
            user: r.3,
            created_at: r.4,
            closed_at: r.5,
            first_reply_at: r.6,
            tags: r
                .7
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter_map(|x| x.parse().ok())
                .collect(),
        })
        .collect())
}

/// Writes a look's levels into its hour and its day (the last look of a bucket stands for it),
/// and forgets hours older than [`KEEP_HOURS_SECS`].
pub async fn put_levels(
    cache: &Cache,
    levels: &Levels,
    hour: i64,
    day: i64,
    now: i64,
) -> Result<()> {
    let mut tx = cache.pool().begin().await?;
    for (grain, at) in [(1_i64, hour), (2, day)] {
        // A key with nothing open now: its bucket says 0, not the last look that saw some.
        sqlx::query("DELETE FROM trend_levels WHERE grain = ? AND at = ?")
            .bind(grain)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        for ((dim, key), [open, waiting, at_risk]) in levels {
            sqlx::query(
                "INSERT INTO trend_levels (grain, dim, key, at, open, waiting, at_risk, seen_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(grain)
            .bind(dim.code())
            .bind(*key)
            .bind(at)
            .bind(*open as i64)
            .bind(*waiting as i64)
            .bind(*at_risk as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query("DELETE FROM trend_levels WHERE grain = 1 AND at < ?")
        .bind(now - KEEP_HOURS_SECS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces a day's flow.
pub async fn put_flow(
    cache: &Cache,
    day: i64,
    flow: &HashMap<(TrendDim, i64), FlowCounts>,
    now: i64,
) -> Result<()> {
    let mut tx = cache.pool().begin().await?;
    sqlx::query("DELETE FROM trend_flow WHERE day = ?")
        .bind(day)
        .execute(&mut *tx)
        .await?;
    for ((dim, key), f) in flow {
        sqlx::query(
            "INSERT INTO trend_flow (day, dim, key, created, closed, reply_secs, replies, resolve_secs, resolved, seen_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(day)
        .bind(dim.code())
        .bind(*key)
        .bind(f.created as i64)
        .bind(f.closed as i64)
        .bind(f.reply_secs)
        .bind(f.replies as i64)
        .bind(f.resolve_secs)
        .bind(f.resolved as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
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
