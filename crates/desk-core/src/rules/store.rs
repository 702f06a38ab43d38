//! Rules as the workspace keeps them (the cache's `rules` and `rule_runs` tables), the open
//! tickets as rules read them, previews, and what the live rules took and did.

use super::*;
use crate::actions::Action;
use crate::error::{Error, Result};
use chrono::Utc;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use trengo_unified::Directory;

/// The open tickets of the cache as rules read them.
pub(crate) async fn load(cache: &crate::cache::Cache, dir: &Directory) -> Result<Vec<RuleTicket>> {
    #[derive(Deserialize)]
    struct Fields {
        #[serde(default)]
        custom_fields: BTreeMap<String, trengo_unified::FieldValue>,
    }
    #[derive(Deserialize)]
    struct Last {
        #[serde(default)]
        last_message_inbound: Option<bool>,
    }
    let by_name: HashMap<&str, &str> = dir
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.id.as_str()))
        .collect();
    let fields_of = |json: Option<&str>, folded: bool| -> HashMap<String, String> {
        json.and_then(|j| serde_json::from_str::<Fields>(j).ok())
            .map(|f| {
                f.custom_fields
                    .iter()
                    .filter_map(|(name, v)| {
                        let id = by_name.get(name.as_str())?;
                        let raw = v.as_text();
                        let text = if folded {
                            fold(raw.trim())
                        } else {
                            raw.trim().to_string()
                        };
                        (!text.is_empty()).then(|| (id.to_string(), text))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    type Row = (
        i64,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.subject, t.preview, t.channel_id, t.team_id, t.user_id, t.status, t.created_at, j.json, c.json, t.updated_at
         FROM tickets t LEFT JOIN ticket_json j ON j.id = t.id LEFT JOIN contacts c ON c.id = t.contact_id
         WHERE t.status_kind = 'open' AND t.in_working_set = 1
         ORDER BY t.updated_at DESC, t.id DESC",
    )
    .fetch_all(cache.pool())
    .await?;
    let mut tags: HashMap<u64, Vec<u64>> = HashMap::new();
    for (t, g) in sqlx::query_as::<_, (i64, i64)>("SELECT ticket_id, tag_id FROM ticket_tags")
        .fetch_all(cache.pool())
        .await?
    {
        tags.entry(t as u64).or_default().push(g as u64);
    }
    Ok(rows
        .into_iter()
        .map(
            |(id, subject, preview, channel, team, user, status, created, tj, cj, updated)| {
                RuleTicket {
                    id: id as u64,
                    text: fold(&format!(
                        "{}\n{}",
                        subject.unwrap_or_default(),
                        preview.unwrap_or_default()
                    )),
                    channel: channel.map(|x| x as u64),
                    team: team.map(|x| x as u64),
                    user: user.map(|x| x as u64),
                    tags: tags.remove(&(id as u64)).unwrap_or_default(),
                    status,
                    contact_fields: fields_of(cj.as_deref(), true),
                    ticket_fields: fields_of(tj.as_deref(), false),
                    last_inbound: tj
                        .as_deref()
                        .and_then(|j| serde_json::from_str::<Last>(j).ok())
                        .and_then(|l| l.last_message_inbound),
                    created_at: created,
                    updated_at: updated,
                }
            },
        )
        .collect())
}

/// What moves on whenever the cache's tickets, tags or contacts change, from any process (a
/// counter kept by triggers).
pub(crate) async fn stamp(cache: &crate::cache::Cache) -> Result<String> {
    let n: Option<i64> = sqlx::query_scalar("SELECT n FROM cache_gen WHERE id = 1")
        .fetch_optional(cache.pool())
        .await?;
    match n {
        Some(n) => Ok(n.to_string()),
        None => {
            // Never counted yet: start now, and read the tickets this time.
            sqlx::query("INSERT OR IGNORE INTO cache_gen (id, n) VALUES (1, 0)")
                .execute(cache.pool())
                .await?;
            Ok(format!(
                "new {}",
                Utc::now().timestamp_nanos_opt().unwrap_or(0)
            ))
        }
    }
}

/// The tickets that match, and how many a run would change by the cache.
pub(crate) async fn preview(
    cache: &crate::cache::Cache,
    dir: &Directory,
    rule: &Rule,
    tickets: &[RuleTicket],
    sla: &SlaNow,
    now: i64,
) -> Result<RulePreview> {
    let started = std::time::Instant::now();
    let c = rule.compile(dir)?;
    let hits = c.all_matches(tickets, now, sla);
    let ids: Vec<u64> = hits.iter().map(|t| t.id).collect();
    let actions = rule.checked_actions(dir)?;
    // Already so by the same snapshot (what a run's fresh reads then decide).
    let already = hits
        .iter()
        .filter(|t| {
            let s = t.state();
            // A balanced assignment changes every ticket it takes (nobody holds one).
            rule.balance.is_none() && actions.iter().all(|a| s.satisfies(a))
        })
        .count() as u32;
    let matches = ids.len() as u32;
    let mut rows = vec![];
    for id in ids.iter().take(20) {
        if let Some(r) = cache.ticket_row(&id.to_string()).await? {
            rows.push(r);
        }
    }
    Ok(RulePreview {
        rows,
        matches,
        already,
        change: matches - already,
        summary: format!(
            "matches {matches} open {}; {already} already so; {} will change",
            if matches == 1 { "ticket" } else { "tickets" },
            matches - already
        ),
        ids: ids.iter().map(u64::to_string).collect(),
        took_ms: started.elapsed().as_millis() as u32,
    })
}

pub(crate) async fn log(cache: &crate::cache::Cache, rule_id: u32) -> Result<RuleLog> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT outcome, COUNT(*) FROM rule_runs WHERE rule_id = ? GROUP BY outcome",
    )
    .bind(rule_id as i64)
    .fetch_all(cache.pool())
    .await?;
    let mut l = RuleLog::default();
    // The last tickets nobody could take, and why.
    let why: Vec<(i64, String)> = sqlx::query_as(
        "SELECT ticket_id, outcome FROM rule_runs WHERE rule_id = ? AND outcome LIKE 'unassigned%' ORDER BY at DESC, ticket_id DESC LIMIT 5",
    )
    .bind(rule_id as i64)
    .fetch_all(cache.pool())
    .await?;
    l.unassigned_why = why
        .into_iter()
        .map(|(t, o)| format!("#{t} {}", o.trim_start_matches("unassigned: ")))
        .collect();
    for (o, n) in rows {
        let n = n as u32;
        l.matched += n;
        match o.as_str() {
            o if o.starts_with("unassigned") => l.unassigned += n,
            "done" => l.changed += n,
            "skipped" | "conflict" => l.skipped += n,
            "failed" | "cancelled" => l.failed += n,
            _ => l.pending += n,
        }
    }
    Ok(l)
}

/// The enabled rules with when each was switched on.
pub(crate) async fn live(
    cache: &crate::cache::Cache,
    dir: &Directory,
) -> Result<Vec<(StoredRule, i64)>> {
    let on: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, COALESCE(enabled_at, updated_at) FROM rules WHERE enabled = 1")
            .fetch_all(cache.pool())
            .await?;
    let all = list(cache, dir).await?;
    Ok(on
        .into_iter()
        .filter_map(|(id, at)| {
            all.iter()
                .find(|r| r.id as i64 == id)
                .cloned()
                .map(|r| (r, at))
        })
        .collect())
}

/// The tickets a live rule takes on now: open ones made or changed since it was switched on
/// (or, for a rule on the SLA, that turned at risk or breached since), that match, and that this
/// version of it never took before. They are recorded at once (so nothing takes them twice, even
/// across a restart).
pub(crate) async fn take(
    cache: &crate::cache::Cache,
    dir: &Directory,
    rule: &StoredRule,
    since: i64,
    tickets: &[RuleTicket],
    sla: &SlaNow,
    now: i64,
) -> Result<Vec<u64>> {
    let c = rule.rule.compile(dir)?;
    let turned = |t: &RuleTicket| {
        c.uses_sla()
            && sla_of(sla, t.id)
                .iter()
                .any(|s| s.since().is_some_and(|x| x >= since))
    };
    let done: std::collections::HashSet<i64> =
        sqlx::query_scalar("SELECT ticket_id FROM rule_runs WHERE rule_id = ? AND version = ?")
            .bind(rule.id as i64)
            .bind(rule.version as i64)
            .fetch_all(cache.pool())
            .await?
            .into_iter()
            .collect();
    let ids: Vec<u64> = tickets
        .iter()
        .filter(|t| t.created_at.max(t.updated_at).is_some_and(|x| x >= since) || turned(t))
        .filter(|t| !done.contains(&(t.id as i64)))
        .filter(|t| c.matches(t, now, sla_of(sla, t.id)))
        .map(|t| t.id)
        .collect();
    // The claim is the insert: where another process (the app and `watch`) took a ticket between
    // the read above and here, its row is there and this one is ignored, and the ticket is
    // theirs alone.
    let mut tx = cache.pool().begin().await?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in &ids {
        let r = sqlx::query(
            "INSERT OR IGNORE INTO rule_runs (rule_id, version, ticket_id, at) VALUES (?, ?, ?, ?)",
        )
        .bind(rule.id as i64)
        .bind(rule.version as i64)
        .bind(*id as i64)
        .bind(Utc::now().timestamp())
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 1 {
            claimed.push(*id);
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Records the job that applied a live rule to these tickets, and each one's outcome.
pub(crate) async fn record(
    cache: &crate::cache::Cache,
    rule: &StoredRule,
    job: Option<u32>,
    outcomes: &[(u64, String)],
) -> Result<()> {
    let mut tx = cache.pool().begin().await?;
    for (id, o) in outcomes {
        sqlx::query(
            "UPDATE rule_runs SET job_id = ?, outcome = ? WHERE rule_id = ? AND version = ? AND ticket_id = ?",
        )
        .bind(job.map(i64::from))
        .bind(o)
        .bind(rule.id as i64)
        .bind(rule.version as i64)
        .bind(*id as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The demo's two example rules (off), so a new user sees what a rule looks like; a rule of the
/// same name is left as the lead made it.
pub(crate) async fn add_examples(cache: &crate::cache::Cache, sim: &trengo_sim::Sim) -> Result<()> {
    let (tag, team, field) = {
        let w = sim.state().world();
        let tag = |n: &str| {
            w.labels
                .values()
                .find(|l| l.name == n)
                .map(|l| l.id.to_string())
        };
        let team = w
            .teams
            .values()
            .find(|t| t.name == "Billing")
            .map(|t| t.id.to_string());
        let field = |n: &str| {
            w.fields
                .values()
                .find(|f| f.title == n)
                .map(|f| f.id.to_string())
        };
        (
            [tag("refund"), tag("vip")],
            team,
            [field("VIP"), field("Priority")],
        )
    };
    let (Some(refund), Some(vip), Some(billing), Some(vip_field), Some(prio)) = (
        tag[0].clone(),
        tag[1].clone(),
        team,
        field[0].clone(),
        field[1].clone(),
    ) else {
        return Ok(());
    };
    let examples = [
        Rule {
            name: "Refunds to Billing".into(),
            balance: None,
            all: true,
            conditions: vec![
                Condition::TextContains {
                    words: vec!["refund".into(), "terugbetaling".into(), "chargeback".into()],
                },
                Condition::Status {
                    status: "open".into(),
                },
                Condition::Team { team_id: None },
            ],
            actions: vec![
                Action::AddTag { tag_id: refund },
                Action::AssignTeam { team_id: billing },
            ],
        },
        Rule {
            name: "VIPs first".into(),
            balance: None,
            all: true,
            conditions: vec![
                Condition::ContactField {
                    field_id: vip_field,
                    op: FieldOp::Equals,
                    values: vec!["yes".into()],
                },
                Condition::Status {
                    status: "open".into(),
                },
                Condition::LacksTag {
                    tag_id: vip.clone(),
                },
            ],
            actions: vec![
                Action::AddTag { tag_id: vip },
                Action::SetTicketField {
                    field_id: prio,
                    value: "High".into(),
                },
            ],
        },
    ];
    for r in examples {
        sqlx::query(
            "INSERT INTO rules (name, json, enabled, version, updated_at) VALUES (?, ?, 0, 1, ?)
             ON CONFLICT (name COLLATE NOCASE) DO NOTHING",
        )
        .bind(&r.name)
        .bind(serde_json::to_string(&r).unwrap_or_default())
        .bind(Utc::now().timestamp())
        .execute(cache.pool())
        .await?;
    }
    Ok(())
}

/// Every rule, by name.
pub(crate) async fn list(cache: &crate::cache::Cache, dir: &Directory) -> Result<Vec<StoredRule>> {
    let rows: Vec<(i64, String, i64, i64)> =
        sqlx::query_as("SELECT id, json, enabled, version FROM rules ORDER BY name COLLATE NOCASE")
            .fetch_all(cache.pool())
            .await?;
    let mut out = vec![];
    for (id, json, enabled, version) in rows {
        let Ok(rule) = serde_json::from_str::<Rule>(&json) else {
            tracing::warn!(rule = id, "a stored rule could not be read");
            continue;
        };
        out.push(StoredRule {
            id: id as u32,
            summary: summary(&rule, dir),
            rule,
            enabled: enabled != 0,
            version: version as u32,
            log: log(cache, id as u32).await?,
        });
    }
    Ok(out)
}

/// The rule of this name (any case).
pub(crate) async fn find(
    cache: &crate::cache::Cache,
    dir: &Directory,
    name: &str,
) -> Result<StoredRule> {
    let all = list(cache, dir).await?;
    let names: Vec<String> = all.iter().map(|r| r.rule.name.clone()).collect();
    all.into_iter()
        .find(|r| r.rule.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            Error::NotFound(format!(
                "there is no rule {:?} (the rules: {})",
                name.trim(),
                if names.is_empty() {
                    "none yet".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })
}

/// Saves a rule, checked first; one of the same name is replaced (its version goes up, so a live
/// rule applies anew).
pub(crate) async fn save(
    cache: &crate::cache::Cache,
    dir: &Directory,
    rule: &Rule,
) -> Result<StoredRule> {
    rule.compile(dir)?;
    let mut r = rule.clone();
    r.name = r.name.trim().to_string();
    r.actions = r.checked_actions(dir)?;
    sqlx::query(
        "INSERT INTO rules (name, json, enabled, version, updated_at) VALUES (?, ?, 0, 1, ?)
         ON CONFLICT (name COLLATE NOCASE) DO UPDATE SET json = excluded.json, version = rules.version + 1,
           updated_at = excluded.updated_at,
           enabled_at = CASE WHEN rules.enabled = 1 THEN excluded.updated_at ELSE rules.enabled_at END",
    )
    .bind(&r.name)
    .bind(serde_json::to_string(&r).unwrap_or_default())
    .bind(Utc::now().timestamp())
    .execute(cache.pool())
    .await?;
    find(cache, dir, &r.name).await
}

pub(crate) async fn set_enabled(
    cache: &crate::cache::Cache,
    dir: &Directory,
    name: &str,
    on: bool,
) -> Result<StoredRule> {
    let r = find(cache, dir, name).await?;
    let now = Utc::now().timestamp();
    sqlx::query(
        "UPDATE rules SET enabled = ?, updated_at = ?, enabled_at = CASE WHEN ? THEN ? ELSE enabled_at END WHERE id = ?",
    )
    .bind(on as i64)
    .bind(now)
    .bind(on && !r.enabled)
    .bind(now)
    .bind(r.id as i64)
        .execute(cache.pool())
        .await?;
    find(cache, dir, name).await
}

pub(crate) async fn remove(cache: &crate::cache::Cache, dir: &Directory, name: &str) -> Result<()> {
    let r = find(cache, dir, name).await?;
    sqlx::query("DELETE FROM rules WHERE id = ?")
        .bind(r.id as i64)
        .execute(cache.pool())
        .await?;
    Ok(())
}
