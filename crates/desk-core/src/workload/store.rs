//! The board's reads from the cache (open tickets, teams, agents) and the capacity limits kept
//! per workspace (the `workload_limits` table).

use std::collections::HashMap;

use super::balance::Skill;
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

/// Each agent's skills by user id.
pub async fn skills(cache: &Cache) -> Result<HashMap<i64, std::collections::HashSet<Skill>>> {
    let rows: Vec<(i64, String, String, String)> =
        sqlx::query_as("SELECT user_id, kind, key, value FROM workload_skills")
            .fetch_all(cache.pool())
            .await?;
    let mut out: HashMap<i64, std::collections::HashSet<Skill>> = HashMap::new();
    for (user, kind, key, value) in rows {
        let s = match kind.as_str() {
            "tag" => Skill::Tag { tag_id: value },
            "team" => Skill::Team { team_id: value },
            "channel" => Skill::Channel { channel_id: value },
            "contact_field" => Skill::ContactField {
                field_id: key,
                value,
            },
            "ticket_field" => Skill::TicketField {
                field_id: key,
                value,
            },
            _ => continue,
        };
        out.entry(user).or_default().insert(s);
    }
    Ok(out)
}

/// Replaces an agent's skills.
pub async fn set_skills(cache: &Cache, user: i64, skills: &[Skill]) -> Result<()> {
    let mut tx = cache.pool().begin().await?;
    sqlx::query("DELETE FROM workload_skills WHERE user_id = ?")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    for s in skills {
        let (kind, key, value) = match s {
            Skill::Tag { tag_id } => ("tag", "", tag_id.trim()),
            Skill::Team { team_id } => ("team", "", team_id.trim()),
            Skill::Channel { channel_id } => ("channel", "", channel_id.trim()),
            Skill::ContactField { field_id, value } => {
                ("contact_field", field_id.trim(), value.trim())
            }
            Skill::TicketField { field_id, value } => {
                ("ticket_field", field_id.trim(), value.trim())
            }
        };
        sqlx::query(
            "INSERT OR IGNORE INTO workload_skills (user_id, kind, key, value) VALUES (?, ?, ?, ?)",
        )
        .bind(user)
        .bind(kind)
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The agent a round-robin rule gave its last ticket to.
pub async fn turn(cache: &Cache, rule: u32) -> Result<Option<u64>> {
    let u: Option<i64> = sqlx::query_scalar("SELECT user_id FROM balance_turns WHERE rule_id = ?")
        .bind(rule as i64)
        .fetch_optional(cache.pool())
        .await?;
    Ok(u.map(|u| u as u64))
}

pub async fn set_turn(cache: &Cache, rule: u32, user: u64) -> Result<()> {
    sqlx::query(
        "INSERT INTO balance_turns (rule_id, user_id, at) VALUES (?, ?, ?)
         ON CONFLICT(rule_id) DO UPDATE SET user_id = excluded.user_id, at = excluded.at",
    )
    .bind(rule as i64)
    .bind(user as i64)
    .bind(chrono::Utc::now().timestamp())
    .execute(cache.pool())
    .await?;
    Ok(())
}

/// When the agents' availability was last read on its own (between directory reads).
pub async fn availability_read(cache: &Cache) -> Result<Option<i64>> {
    let t: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT MAX(last_complete_at) FROM sync_state WHERE resource IN ('users', 'availability')",
    )
    .fetch_optional(cache.pool())
    .await?;
    Ok(t.flatten())
}

/// Each agent's availability as just read; users not in the answer are left as they are.
pub async fn put_availability(cache: &Cache, online: &[(u64, bool)], now: i64) -> Result<()> {
    let mut tx = cache.pool().begin().await?;
    for (id, on) in online {
        sqlx::query("UPDATE users SET is_online = ?, synced_at = ? WHERE id = ?")
            .bind(*on)
            .bind(now)
            .bind(*id as i64)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO sync_state (resource, last_complete_at, items) VALUES ('availability', ?, ?)
         ON CONFLICT(resource) DO UPDATE SET last_complete_at = excluded.last_complete_at, items = excluded.items",
    )
    .bind(now)
    .bind(online.len() as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The demo's skills: the two agents with their own limits take the VIP customers (the tag
/// `vip`, else the workspace's last tag), so those go to them alone; nothing the lead set is
/// replaced.
pub async fn add_example_skills(cache: &Cache, sim: &trengo_sim::Sim) -> Result<()> {
    let has: Option<i64> = sqlx::query_scalar("SELECT 1 FROM workload_skills LIMIT 1")
        .fetch_optional(cache.pool())
        .await?;
    if has.is_some() {
        return Ok(());
    }
    let (users, tag) = {
        let w = sim.state().world();
        let users: Vec<u64> = w.users.keys().take(2).copied().collect();
        let tag = w
            .labels
            .values()
            .find(|l| l.name.eq_ignore_ascii_case("vip"))
            .or_else(|| w.labels.values().last())
            .map(|l| l.id);
        (users, tag)
    };
    let Some(tag) = tag else { return Ok(()) };
    for u in users {
        let skill = Skill::Tag {
            tag_id: tag.to_string(),
        };
        set_skills(cache, u as i64, &[skill]).await?;
    }
    Ok(())
}

/// The cached subjects of these tickets.
pub async fn subjects(cache: &Cache, ids: &[u64]) -> Result<HashMap<u64, String>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!(
            "SELECT id, subject FROM tickets WHERE id IN ({marks}) AND subject IS NOT NULL"
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
        for id in chunk {
            q = q.bind(*id as i64);
        }
        for (id, s) in q.fetch_all(cache.pool()).await? {
            out.insert(id as u64, s);
        }
    }
    Ok(out)
}
