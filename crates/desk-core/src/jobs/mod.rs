//! Bulk jobs: durable, resumable, undoable.
//!
//! A job is written to SQLite before its first request: the job, one item per ticket with its
//! actions and the ticket's state before the job, and then each outcome as it lands. Workers run
//! the items through the `Bulk` lane with a client that never repeats a write blindly:
//!
//! - an action the ticket already satisfies is recorded as "already so" and costs no request;
//! - before a write is sent, the item is marked in flight (committed); after the answer, the
//!   outcome is recorded. An item found in flight (a kill, a crash, a lost answer, a 5xx) is read
//!   back from Trengo, and its action is tried again only if the ticket does not show it. So a
//!   change is applied once, and nothing is lost;
//! - a job belongs to one runner at a time (process id, token and heartbeat), and a job whose
//!   runner died is taken over by the next process that opens the workspace;
//! - undo is a new job built from the before-states, for the actions that were applied.

pub mod model;
mod ops;
pub(crate) mod run;

use std::collections::HashMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

pub use model::{parse_ticket_ids, Action, LineProblem, PastedIds, StepOutcome, TicketState};
pub use run::{JobControl, JobProgress};

use crate::error::{Error, Result};
use crate::view::TicketFilter;

/// How many tickets one job may hold.
pub const MAX_ITEMS: usize = 20_000;

/// A cached ticket older than this is read from Trengo before the job changes it.
pub const BEFORE_MAX_AGE_SECS: i64 = 10 * 60;

/// Which tickets a job is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Selection {
    /// Tickets chosen in the list.
    Ids { ids: Vec<String> },
    /// Pasted text: ids, `#123`, Trengo ticket URLs.
    Pasted { text: String },
    /// Every cached ticket that matches, resolved to ids when the job is created.
    Filter { filter: TicketFilter },
}

/// What a job would do, shown before it is created.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobPlan {
    pub title: String,
    pub selection: String,
    pub tickets: u32,
    /// Per action: how many tickets it changes and how many already are so.
    pub changes: Vec<PlannedChange>,
    /// Tickets not in the cache (or not recently): read from Trengo before they are changed.
    pub unknown: u32,
    /// Requests the job is expected to make.
    pub requests: u32,
    /// At the request budget, with what is queued now.
    pub eta_secs: u32,
    pub problems: Vec<LineProblem>,
    pub duplicates: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PlannedChange {
    /// "Add tag migrated".
    pub label: String,
    pub change: u32,
    pub already: u32,
}

/// A job as the UI and the CLI show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobView {
    pub id: u32,
    /// `bulk` or `undo`.
    pub kind: String,
    pub title: String,
    pub selection: String,
    /// `pending`, `running`, `paused`, `interrupted`, `cancelled`, `done`.
    pub state: String,
    pub reason: Option<String>,
    pub total: u32,
    pub done: u32,
    pub skipped: u32,
    pub failed: u32,
    pub cancelled: u32,
    pub pending: u32,
    pub requests: u32,
    pub problems: Vec<LineProblem>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub undo_of: Option<u32>,
    pub undone_by: Option<u32>,
    /// Whether a process is running it now.
    pub active: bool,
}

impl JobView {
    pub fn can_undo(&self) -> bool {
        self.undone_by.is_none() && self.done > 0 && !self.active
    }
}

/// One ticket of a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobItemView {
    pub seq: u32,
    pub ticket_id: String,
    pub subject: Option<String>,
    /// `pending`, `done`, `skipped`, `failed`, `cancelled`.
    pub state: String,
    pub reason: Option<String>,
    /// Per action, in order: "Add tag migrated: done" …
    pub steps: Vec<String>,
    pub requests: u32,
}

/// A new item: the ticket, its actions, and its state before (with when that was true) if known.
pub(crate) type ItemSeed = (u64, Vec<Action>, Option<(TicketState, i64)>);

/// A job's id or state, then who runs it: process id, run token, last heartbeat (unix ms).
pub(crate) type RunnerRow<K> = (K, Option<i64>, Option<String>, Option<i64>);

pub(crate) struct NewJob {
    pub kind: &'static str,
    pub title: String,
    pub actions: Vec<Action>,
    pub selection: String,
    pub problems: Vec<LineProblem>,
    pub undo_of: Option<i64>,
    /// The lookup source of an enrichment job.
    pub source: Option<String>,
    /// (ticket, plan, before and when it was true)
    pub items: Vec<ItemSeed>,
}

/// The job tables.
#[derive(Clone)]
pub(crate) struct JobStore {
    pub pool: SqlitePool,
}

fn ts(unix: Option<i64>) -> Option<String> {
    unix.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.to_rfc3339())
}

impl JobStore {
    /// The cached state of these tickets, with when it was synced.
    pub async fn cached_states(&self, ids: &[u64]) -> Result<HashMap<u64, (TicketState, i64)>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            let ph = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT id, status, team_id, user_id, synced_at FROM tickets WHERE id IN ({ph})"
            );
            let mut q = sqlx::query_as::<_, (i64, String, Option<i64>, Option<i64>, i64)>(&sql);
            for i in chunk {
                q = q.bind(*i as i64);
            }
            for (id, status, team, user, synced) in q.fetch_all(&self.pool).await? {
                out.insert(
                    id as u64,
                    (
                        TicketState {
                            tags: vec![],
                            team: team.map(|t| t as u64),
                            user: user.map(|u| u as u64),
                            status,
                            fields: Default::default(),
                        },
                        synced,
                    ),
                );
            }
            let sql = format!(
                "SELECT ticket_id, tag_id FROM ticket_tags WHERE ticket_id IN ({ph}) ORDER BY ticket_id, tag_id"
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
            for i in chunk {
                q = q.bind(*i as i64);
            }
            for (t, g) in q.fetch_all(&self.pool).await? {
                if let Some((s, _)) = out.get_mut(&(t as u64)) {
                    s.tags.push(g as u64);
                }
            }
        }
        Ok(out)
    }

    /// Writes the job and all its items in one transaction.
    pub async fn create(&self, j: NewJob) -> Result<i64> {
        let now = Utc::now().timestamp();
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO jobs (kind, title, actions, selection, problems, state, undo_of, total, created_at, source)
             VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) RETURNING id",
        )
        .bind(j.kind)
        .bind(&j.title)
        .bind(serde_json::to_string(&j.actions).unwrap_or_default())
        .bind(&j.selection)
        .bind(serde_json::to_string(&j.problems).unwrap_or_default())
        .bind(j.undo_of)
        .bind(j.items.len() as i64)
        .bind(now)
        .bind(&j.source)
        .fetch_one(&mut *tx)
        .await?;
        for (seq, (ticket, plan, before)) in j.items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO job_items (job_id, seq, ticket_id, plan, before, before_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(seq as i64)
            .bind(*ticket as i64)
            .bind(serde_json::to_string(plan).unwrap_or_default())
            .bind(before.as_ref().map(|(b, _)| serde_json::to_string(b).unwrap_or_default()))
            .bind(before.as_ref().map(|(_, at)| *at))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(of) = j.undo_of {
            let r = sqlx::query("UPDATE jobs SET undone_by = ? WHERE id = ? AND undone_by IS NULL")
                .bind(id)
                .bind(of)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() != 1 {
                // Another undo got there first; nothing of this one is kept.
                return Err(Error::Invalid(format!("job {of} was already undone")));
            }
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn list(&self, limit: u32) -> Result<Vec<JobView>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM jobs ORDER BY id DESC LIMIT ?")
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        let mut out = vec![];
        for id in ids {
            out.push(self.view(id).await?);
        }
        Ok(out)
    }

    pub async fn view(&self, id: i64) -> Result<JobView> {
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
        );
        let r: Option<Row> = sqlx::query_as(
            "SELECT id, kind, title, selection, problems, state, reason, undo_of, undone_by, total, created_at, started_at, finished_at FROM jobs WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else {
            return Err(Error::NotFound(format!("there is no job {id}")));
        };
        let counts: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*), SUM(requests) FROM job_items WHERE job_id = ? GROUP BY state",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let n = |s: &str| {
            counts
                .iter()
                .find(|c| c.0 == s)
                .map(|c| c.1 as u32)
                .unwrap_or(0)
        };
        let state = r.5.clone();
        Ok(JobView {
            id: r.0 as u32,
            kind: r.1,
            title: r.2,
            selection: r.3,
            problems: serde_json::from_str(&r.4).unwrap_or_default(),
            active: state == "running" && self.runner_alive(id).await?,
            state,
            reason: r.6,
            undo_of: r.7.map(|x| x as u32),
            undone_by: r.8.map(|x| x as u32),
            total: r.9 as u32,
            done: n("done"),
            skipped: n("skipped"),
            failed: n("failed"),
            cancelled: n("cancelled"),
            pending: n("pending"),
            requests: counts.iter().map(|c| c.2 as u32).sum(),
            created_at: ts(Some(r.10)).unwrap_or_default(),
            started_at: ts(r.11),
            finished_at: ts(r.12),
        })
    }

    /// Whether a live process holds the job.
    pub async fn runner_alive(&self, id: i64) -> Result<bool> {
        let r: Option<(Option<i64>, Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT runner_pid, runner_token, heartbeat_at FROM jobs WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match r {
            Some((pid, Some(_), hb)) => run::runner_alive(pid, hb),
            _ => false,
        })
    }

    pub async fn items(&self, id: i64, state: Option<&str>) -> Result<Vec<JobItemView>> {
        let dir_labels = self.label_names().await?;
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            Option<String>,
            i64,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT i.seq, i.ticket_id, i.plan, i.outcomes, i.state, i.reason, i.requests,
                    CASE WHEN i.plan LIKE '%\"set_field\"%' OR i.plan LIKE '%\"enrich\"%'
                         THEN (SELECT c.name FROM contacts c WHERE c.id = i.ticket_id)
                         ELSE (SELECT t.subject FROM tickets t WHERE t.id = i.ticket_id) END
             FROM job_items i
             WHERE i.job_id = ? AND (? IS NULL OR i.state = ?) ORDER BY i.seq",
        )
        .bind(id)
        .bind(state)
        .bind(state)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(seq, ticket, plan, outcomes, state, reason, requests, subject)| {
                    let plan: Vec<Action> = serde_json::from_str(&plan).unwrap_or_default();
                    let outs: Vec<StepOutcome> =
                        serde_json::from_str(&outcomes).unwrap_or_default();
                    let steps = plan
                        .iter()
                        .enumerate()
                        .map(|(k, a)| {
                            let what = describe(a, &dir_labels);
                            match outs.get(k) {
                                Some(StepOutcome::Done) => format!("{what}: done"),
                                Some(StepOutcome::Already) => format!("{what}: already so"),
                                None => format!("{what}: not done"),
                            }
                        })
                        .collect();
                    JobItemView {
                        seq: seq as u32,
                        ticket_id: ticket.to_string(),
                        subject,
                        state,
                        reason,
                        steps,
                        requests: requests as u32,
                    }
                },
            )
            .collect())
    }

    /// Names of tags, teams and users, for describing actions.
    pub async fn label_names(&self) -> Result<Names> {
        let mut n = Names::default();
        for (id, name) in sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM tags")
            .fetch_all(&self.pool)
            .await?
        {
            n.tags.insert(id as u64, name);
        }
        for (id, name) in sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM teams")
            .fetch_all(&self.pool)
            .await?
        {
            n.teams.insert(id as u64, name);
        }
        for (id, name) in sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM users")
            .fetch_all(&self.pool)
            .await?
        {
            n.users.insert(id as u64, name);
        }
        for (id, label) in sqlx::query_as::<_, (i64, String)>("SELECT id, label FROM fields")
            .fetch_all(&self.pool)
            .await?
        {
            n.fields.insert(id as u64, label);
        }
        Ok(n)
    }

    /// Jobs a dead or silent runner left unfinished, and jobs created but never started.
    pub async fn resumable(&self) -> Result<Vec<i64>> {
        let rows: Vec<RunnerRow<i64>> = sqlx::query_as(
            "SELECT id, runner_pid, runner_token, heartbeat_at FROM jobs WHERE state IN ('pending', 'running', 'interrupted') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, pid, tok, hb)| tok.is_none() || !run::runner_alive(*pid, *hb))
            .map(|r| r.0)
            .collect())
    }

    /// Failed items go back to pending, so the next run tries them again.
    pub async fn retry_failed(&self, id: i64) -> Result<u32> {
        let r = sqlx::query(
            "UPDATE job_items SET state = 'pending', reason = NULL WHERE job_id = ? AND state = 'failed'",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        sqlx::query("UPDATE jobs SET state = 'pending', reason = NULL, finished_at = NULL WHERE id = ? AND runner_token IS NULL")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() as u32)
    }

    /// Sets a job's state when no live process runs it (a dead runner's claim is dropped).
    pub async fn force_state(&self, id: i64, state: &str, reason: Option<&str>) -> Result<()> {
        if self.runner_alive(id).await? {
            return Err(Error::Invalid(format!(
                "job {id} is being run by another process; stop it there"
            )));
        }
        let finished = matches!(state, "done" | "cancelled").then(|| Utc::now().timestamp());
        sqlx::query("UPDATE jobs SET state = ?, reason = ?, finished_at = COALESCE(?, finished_at), runner_pid = NULL, runner_token = NULL, heartbeat_at = NULL WHERE id = ?")
            .bind(state)
            .bind(reason)
            .bind(finished)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// For undo: each item with its plan, before-state and outcomes.
    pub async fn finished_items(
        &self,
        id: i64,
    ) -> Result<Vec<(u64, Vec<Action>, Option<TicketState>, Vec<StepOutcome>)>> {
        let rows: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
            "SELECT ticket_id, plan, before, outcomes FROM job_items WHERE job_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(t, p, b, o)| {
                (
                    t as u64,
                    serde_json::from_str(&p).unwrap_or_default(),
                    b.and_then(|b| serde_json::from_str(&b).ok()),
                    serde_json::from_str(&o).unwrap_or_default(),
                )
            })
            .collect())
    }
}

/// Names of tags, teams and users by id.
#[derive(Default, Clone)]
pub struct Names {
    pub tags: HashMap<u64, String>,
    pub teams: HashMap<u64, String>,
    pub users: HashMap<u64, String>,
    /// Custom fields by id: their labels.
    pub fields: HashMap<u64, String>,
}

/// An action in words: "Add tag migrated", "Move to team Billing".
pub fn describe(a: &Action, n: &Names) -> String {
    let name = |m: &HashMap<u64, String>| {
        a.id()
            .and_then(|i| m.get(&i).cloned())
            .unwrap_or_else(|| format!("#{}", a.id().unwrap_or(0)))
    };
    match a {
        Action::AddTag { .. } => format!("Add tag {}", name(&n.tags)),
        Action::RemoveTag { .. } => format!("Remove tag {}", name(&n.tags)),
        Action::AssignTeam { .. } => format!("Move to team {}", name(&n.teams)),
        Action::AssignUser { .. } => format!("Assign to {}", name(&n.users)),
        Action::Close => "Close".into(),
        Action::Reopen => "Reopen".into(),
        Action::SetField { field_id, value } => {
            let label = a
                .id()
                .and_then(|i| n.fields.get(&i).cloned())
                .unwrap_or_else(|| format!("field {field_id}"));
            if value.is_empty() {
                format!("Clear {label}")
            } else {
                format!("Set {label} to {value}")
            }
        }
        Action::Enrich { customer_id } => format!("Look up {customer_id}"),
    }
}
