//! The board's reads from the cache (open tickets, teams, agents) and the capacity limits kept
//! per workspace (the `workload_limits` table).

use std::collections::HashMap;

use super::Agent;
use crate::cache::Cache;
use crate::error::Result;

pub async fn teams(cache: &Cache) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, name FROM teams")
        .fetch_all(cache.pool())
        .await?)
}

/// The active agents with their teams and availability, and when the directory was read.
pub async fn agents(cache: &Cache) -> Result<(Vec<Agent>, Option<i64>)> {
    /// id, name, email, online, read at.
    type Row = (i64, String, Option<String>, Option<i64>, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, email, is_online, synced_at FROM users WHERE is_active = 1",
    )
    .fetch_all(cache.pool())
    .await?;
    let members: Vec<(i64, i64)> = sqlx::query_as("SELECT user_id, team_id FROM team_members")
        .fetch_all(cache.pool())
        .await?;
    let mut teams: HashMap<i64, Vec<i64>> = HashMap::new();
    for (u, t) in members {
        teams.entry(u).or_default().push(t);
    }
    let read_at = rows.iter().map(|r| r.4).max();
    Ok((
        rows.into_iter()
            .map(|(id, name, email, online, _)| Agent {
                id,
                name,
                email,
                online: online.map(|x| x != 0),
                teams: teams.remove(&id).unwrap_or_default(),
            })
            .collect(),
        read_at,
    ))
}

/// Each agent's limit by user id; `0`: the default.
pub async fn limits(cache: &Cache) -> Result<HashMap<i64, u32>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT user_id, max_waiting FROM workload_limits")
        .fetch_all(cache.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(u, l)| (u, l.max(0) as u32))
        .collect())
}

/// Sets (or, `None`, removes) an agent's limit; user `0`: the default.
pub async fn set_limit(cache: &Cache, user: i64, limit: Option<u32>) -> Result<()> {
    match limit {
        Some(l) => {
            sqlx::query(
                "INSERT INTO workload_limits (user_id, max_waiting, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT(user_id) DO UPDATE SET max_waiting = excluded.max_waiting, updated_at = excluded.updated_at",
            )
            .bind(user)
            .bind(l as i64)
            .bind(chrono::Utc::now().timestamp())
            .execute(cache.pool())
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM workload_limits WHERE user_id = ?")
                .bind(user)
                .execute(cache.pool())
                .await?;
        }
    }
    Ok(())
}

/// The demo's limits, so the board shows something real: a default of 12 waiting tickets, a
/// newer agent at 6 and a senior one at 20. Limits the lead set stay as they are.
pub async fn add_examples(cache: &Cache, sim: &trengo_sim::Sim) -> Result<()> {
    let users: Vec<u64> = sim.state().world().users.keys().take(2).copied().collect();
    let now = chrono::Utc::now().timestamp();
    let mut wanted = vec![(0_i64, 12_i64)];
    wanted.extend(users.iter().zip([6, 20]).map(|(u, l)| (*u as i64, l)));
    for (user, limit) in wanted {
        sqlx::query(
            "INSERT OR IGNORE INTO workload_limits (user_id, max_waiting, updated_at) VALUES (?, ?, ?)",
        )
        .bind(user)
        .bind(limit)
        .bind(now)
        .execute(cache.pool())
        .await?;
    }
    Ok(())
}
