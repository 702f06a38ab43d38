//! Jobs: every write to Trengo, durable, resumable, undoable.
//!
//! A single action from the ticket panel, a bulk change, an undo and an enrichment are all jobs.
//! A job is written to SQLite before its first request: the job, one item per ticket (or
//! contact) with its actions, and then each fresh before-state and outcome as it lands. Workers
//! run the items through the request budget with a client that never repeats a write blindly:
//!
//! - before an item changes its ticket, the job reads the ticket from Trengo: a filter selection
//!   from the ticket list's pages (25 a request, shortly before their items' writes), anything
//!   else one by one. An action the fresh read shows already so is recorded as "already so" and
//!   costs no request; the cache never decides;
//! - before a write is sent, the item is marked in flight (committed); after the answer, the
//!   outcome is recorded. An item found in flight (a kill, a crash, a lost answer, a 5xx) is read
//!   back from Trengo, and its action is tried again only if the ticket does not show it;
//! - a job belongs to one runner at a time (process id, token and heartbeat), which proves it
//!   still owns the job at the moment each request leaves; a job whose runner died is taken over;
//! - undo is a new job built from the fresh before-states, for the actions that were applied,
//!   and it reverts a part only while it still stands as the job left it (compare-and-set).

pub mod model;
pub(crate) mod outcomes;
pub(crate) mod pages;
pub(crate) mod run;

use std::collections::HashMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

pub use crate::actions::{Action, TicketState};
pub use model::{
    parse_ticket_ids, ErrorCode, ItemState, JobKind, JobState, LineProblem, PastedIds,
    PastedTickets, StepOutcome,
};
pub use outcomes::{ActionDone, FieldInput, NewTicket, NoteAdded, TicketCreated};
pub use run::{JobControl, JobProgress};

use crate::error::{Error, Result};
use crate::view::TicketFilter;
use pages::PagePlan;

/// How many tickets one job may hold.
pub const MAX_ITEMS: usize = 20_000;

/// A before-state read by the job's own list page is used if it is younger than this; older
/// ones are read again, one by one.
pub const FRESH_SECS: u64 = 60;

/// Which tickets a job is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Selection {
    /// Tickets chosen in the list.
    Ids { ids: Vec<String> },
    /// Pasted text: ids, `#123`, Trengo ticket URLs.
    Pasted { text: String },
    /// Every cached ticket that matches, resolved to ids when the job is created; the job reads
    /// them fresh from Trengo's ticket list.
    Filter { filter: TicketFilter },
}

/// What a job would do, shown before it is created.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobPlan {
    pub title: String,
    pub selection: String,
    pub tickets: u32,
    /// Per action: how many tickets it changes and how many already are so, by the cache; each
    /// ticket is read from Trengo right before it is changed, and that read decides.
    pub changes: Vec<PlannedChange>,
    /// Tickets the cache does not hold: counted as changing.
    pub unknown: u32,
    /// When the cache last read these tickets (the oldest), RFC 3339.
    pub cache_read_at: Option<String>,
    /// Requests to read the tickets fresh: list pages, and single reads for the rest.
    pub reads: u32,
    /// Of `reads`, list pages (25 tickets each).
    pub pages: u32,
    /// Requests the job is expected to make, reads included.
    pub requests: u32,
    /// At the request budget, with what is queued now.
    pub eta_secs: u32,
    pub problems: Vec<LineProblem>,
    pub duplicates: u32,
    /// What undo can and cannot take back, when it is not simply everything ("Undo deletes the
    /// notes this job posts").
    pub undo_notice: Option<String>,
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
    pub kind: JobKind,
    pub title: String,
    pub selection: String,
    pub state: JobState,
    pub reason: Option<String>,
    pub total: u32,
    pub done: u32,
    pub skipped: u32,
    pub failed: u32,
    pub cancelled: u32,
    /// Undo: tickets changed since in a part the job touched, left as they are.
    pub conflicts: u32,
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
    /// Whether it can be undone now: it changed something, will change nothing more (finished,
    /// nothing pending, not running) and was not undone yet. An undo can be undone (a redo).
    /// The window and the CLI show Undo by this, and [`crate::services::Jobs::undo`] agrees.
    pub can_undo: bool,
}

impl JobView {
    fn undoable(&self) -> bool {
        self.undone_by.is_none()
            && self.done > 0
            && !self.active
            && self.pending == 0
            && self.state.is_final()
    }

    /// Seconds from its first start to its end (or to now).
    pub fn elapsed_secs(&self) -> u32 {
        let at = |s: &Option<String>| s.as_deref().and_then(crate::cache::parse_unix);
        match at(&self.started_at) {
            Some(a) => {
                let b = at(&self.finished_at).unwrap_or_else(|| Utc::now().timestamp());
                (b - a).max(0) as u32
            }
            None => 0,
        }
    }
}

/// One ticket (or contact) of a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobItemView {
    pub seq: u32,
    pub ticket_id: String,
    pub subject: Option<String>,
    pub state: ItemState,
    pub reason: Option<String>,
    pub code: Option<ErrorCode>,
    /// Per action, in order: "Add tag migrated: done" …
    pub steps: Vec<String>,
    pub requests: u32,
}

/// A new item: the ticket (or contact), its actions, and for undo the state the undone job left.
#[derive(Debug, Clone)]
pub(crate) struct ItemSeed {
    pub target: u64,
    pub plan: Vec<Action>,
    pub expect: Option<TicketState>,
}

/// A job's id or state, then who runs it: process id, run token, last heartbeat (unix ms).
pub(crate) type RunnerRow<K> = (K, Option<i64>, Option<String>, Option<i64>);

pub(crate) struct NewJob {
    pub kind: JobKind,
    pub title: String,
    pub actions: Vec<Action>,
    pub selection: String,
    pub problems: Vec<LineProblem>,
    pub undo_of: Option<i64>,
    /// The lookup source of an enrichment job.
    pub source: Option<String>,
    pub page_plan: Option<PagePlan>,
    pub items: Vec<ItemSeed>,
    /// The rule a job was run for (JSON): each ticket must still match it on the fresh read.
    pub guard: Option<String>,
}

/// One finished item, for undo.
pub(crate) struct FinishedItem {
    pub target: u64,
    pub plan: Vec<Action>,
    pub before: Option<TicketState>,
    pub outcomes: Vec<StepOutcome>,
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

/// Reads a JSON column of job `job`; an unreadable one is an error that names the job.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    job: i64,
    what: &str,
    text: &str,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        Error::Invalid(format!(
            "job {job}'s {what} in the local cache cannot be read ({e}); it was left as it is"
        ))
    })
}

impl JobStore {
    /// The cached state of these tickets, with when it was synced: a hint for
    /// the confirmation's counts, never what a job decides by.
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
                            ..TicketState::default()
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
    /// The first item's plan as it now stands (with the ids its steps recorded).
    pub async fn first_plan(&self, job: i64) -> Result<Vec<Action>> {
        let plan: Option<String> =
            sqlx::query_scalar("SELECT plan FROM job_items WHERE job_id = ? ORDER BY seq LIMIT 1")
                .bind(job)
                .fetch_optional(&self.pool)
                .await?;
        Ok(plan
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default())
    }

    /// The rule the job was run for, if any.
    pub async fn guard(&self, job: i64) -> Result<Option<crate::rules::Rule>> {
        let g: Option<String> = sqlx::query_scalar("SELECT guard FROM jobs WHERE id = ?")
            .bind(job)
            .fetch_one(&self.pool)
            .await?;
        Ok(g.and_then(|g| serde_json::from_str(&g).ok()))
    }

    /// When the job was made (unix seconds).
    pub async fn created_at(&self, job: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT created_at FROM jobs WHERE id = ?")
                .bind(job)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn create(&self, j: NewJob) -> Result<i64> {
        let now = Utc::now().timestamp();
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO jobs (kind, title, actions, selection, problems, state, undo_of, total, created_at, source, page_plan, guard)
             VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(j.kind.as_str())
        .bind(&j.title)
        .bind(json(&j.actions))
        .bind(&j.selection)
        .bind(json(&j.problems))
        .bind(j.undo_of)
        .bind(j.items.len() as i64)
        .bind(now)
        .bind(&j.source)
        .bind(j.page_plan.as_ref().map(json))
        .bind(&j.guard)
        .fetch_one(&mut *tx)
        .await?;
        for (seq, it) in j.items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO job_items (job_id, seq, ticket_id, plan, expect, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(seq as i64)
            .bind(it.target as i64)
            .bind(json(&it.plan))
            .bind(it.expect.as_ref().map(json))
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

    #[tracing::instrument(skip(self))]
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
            i64,
        );
        let r: Option<Row> = sqlx::query_as(
            "SELECT id, kind, title, selection, problems, state, reason, undo_of, undone_by, total, created_at, started_at, finished_at, page_requests FROM jobs WHERE id = ?",
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
        let n = |s: ItemState| {
            counts
                .iter()
                .find(|c| c.0 == s.as_str())
                .map(|c| c.1 as u32)
                .unwrap_or(0)
        };
        let state = JobState::parse(&r.5)?;
        let mut v = JobView {
            id: r.0 as u32,
            kind: JobKind::parse(&r.1)?,
            title: r.2,
            selection: r.3,
            problems: decode(id, "problems", &r.4)?,
            active: state == JobState::Running && self.runner_alive(id).await?,
            state,
            reason: r.6,
            undo_of: r.7.map(|x| x as u32),
            undone_by: r.8.map(|x| x as u32),
            total: r.9 as u32,
            done: n(ItemState::Done),
            skipped: n(ItemState::Skipped),
            failed: n(ItemState::Failed),
            cancelled: n(ItemState::Cancelled),
            conflicts: n(ItemState::Conflict),
            pending: n(ItemState::Pending),
            requests: counts.iter().map(|c| c.2 as u32).sum::<u32>() + r.13 as u32,
            created_at: ts(Some(r.10)).unwrap_or_default(),
            started_at: ts(r.11),
            finished_at: ts(r.12),
            can_undo: false,
        };
        v.can_undo = v.undoable();
        Ok(v)
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

    pub async fn items(
        &self,
        id: i64,
        state: Option<ItemState>,
        dir: &trengo_unified::Directory,
    ) -> Result<Vec<JobItemView>> {
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            i64,
            Option<String>,
        );
        let state = state.map(ItemState::as_str);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT i.seq, i.ticket_id, i.plan, i.outcomes, i.state, i.reason, i.code, i.requests,
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
        let mut out = Vec::with_capacity(rows.len());
        for (seq, ticket, plan, outcomes, state, reason, code, requests, subject) in rows {
            let plan: Vec<Action> = decode(id, "plan", &plan)?;
            let outs: Vec<StepOutcome> = decode(id, "outcomes", &outcomes)?;
            let steps = plan
                .iter()
                .enumerate()
                .map(|(k, a)| {
                    let what = crate::actions::describe(a, dir);
                    match outs.get(k) {
                        Some(StepOutcome::Done) => format!("{what}: done"),
                        Some(StepOutcome::Already) => format!("{what}: already so"),
                        Some(StepOutcome::Conflict) => format!("{what}: changed since, left"),
                        None => format!("{what}: not done"),
                    }
                })
                .collect();
            out.push(JobItemView {
                seq: seq as u32,
                ticket_id: ticket.to_string(),
                subject,
                state: ItemState::parse(&state)?,
                reason,
                code: code.as_deref().map(ErrorCode::parse).transpose()?,
                steps,
                requests: requests as u32,
            });
        }
        Ok(out)
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
            "UPDATE job_items SET state = 'pending', reason = NULL, code = NULL WHERE job_id = ? AND state = 'failed'",
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
    pub async fn force_state(&self, id: i64, state: JobState, reason: Option<&str>) -> Result<()> {
        if self.runner_alive(id).await? {
            return Err(Error::Invalid(format!(
                "job {id} is being run by another process; stop it there"
            )));
        }
        let finished = state.is_final().then(|| Utc::now().timestamp());
        sqlx::query("UPDATE jobs SET state = ?, reason = ?, finished_at = COALESCE(?, finished_at), runner_pid = NULL, runner_token = NULL, heartbeat_at = NULL WHERE id = ?")
            .bind(state.as_str())
            .bind(reason)
            .bind(finished)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Pending items that were never tried (not in flight) are recorded as cancelled.
    pub async fn cancel_untried(&self, id: i64) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE job_items SET state = 'cancelled', reason = 'cancelled before it was tried', updated_at = ? WHERE job_id = ? AND state = 'pending' AND in_flight = 0",
        )
        .bind(Utc::now().timestamp())
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    pub async fn pending_count(&self, id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state = 'pending'",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// For undo: each item with its plan, fresh before-state and outcomes.
    pub async fn finished_items(&self, id: i64) -> Result<Vec<FinishedItem>> {
        let rows: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
            "SELECT ticket_id, plan, before, outcomes FROM job_items WHERE job_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(t, p, b, o)| {
                Ok(FinishedItem {
                    target: t as u64,
                    plan: decode(id, "plan", &p)?,
                    before: b.map(|b| decode(id, "before-state", &b)).transpose()?,
                    outcomes: decode(id, "outcomes", &o)?,
                })
            })
            .collect()
    }

    /// Counts a list page the job read.
    pub async fn page_read(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE jobs SET page_requests = page_requests + 1 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The page plan of a filter job.
    pub async fn page_plan(&self, id: i64) -> Result<Option<PagePlan>> {
        let p: Option<String> = sqlx::query_scalar("SELECT page_plan FROM jobs WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .flatten();
        p.map(|p| decode(id, "page plan", &p)).transpose()
    }
}

/// A value as the JSON text stored in a column (these types always serialize).
pub(crate) fn json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
