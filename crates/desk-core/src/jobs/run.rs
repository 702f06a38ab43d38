//! The worker: runs a job's pending items through the `Bulk` lane and records each outcome.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use trengo_unified::api::{self, Assignee, Client};
use trengo_unified::mapping::Directory;

use super::model::{Action, StepOutcome, TicketState};
use super::{JobStore, JobView};
use crate::cache::Cache;
use crate::error::{Error, Result};

/// A runner that has not said it is alive for this long is taken to be dead.
const LEASE_MS: i64 = 20_000;
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Tries of one action whose outcome stayed unknown and which the ticket does not show.
const MAX_TRIES: u32 = 4;

/// Asks a running job to pause (finish what is in flight, keep the rest pending) or to cancel
/// (the same, and the rest is recorded as cancelled).
#[derive(Default)]
pub struct JobControl {
    pub pause: AtomicBool,
    pub cancel: AtomicBool,
}

/// Where a running job is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobProgress {
    pub job_id: u32,
    pub state: String,
    pub total: u32,
    pub done: u32,
    pub skipped: u32,
    pub failed: u32,
    /// Finished items (done, skipped, failed or cancelled).
    pub finished: u32,
    pub requests: u32,
    /// Until the last item, at the request budget.
    pub eta_secs: u32,
    pub elapsed_secs: u32,
}

pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Whether the process `pid` exists (Linux reads /proc; elsewhere unknown).
fn pid_alive(pid: i64) -> Option<bool> {
    if cfg!(target_os = "linux") {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // A zombie has died; only its exit status is left.
            Ok(s) => Some(
                s.rsplit_once(')')
                    .map(|(_, rest)| !matches!(rest.trim_start().chars().next(), Some('Z' | 'X')))
                    .unwrap_or(true),
            ),
            Err(_) => Some(false),
        }
    } else {
        None
    }
}

pub(crate) fn runner_alive(pid: Option<i64>, heartbeat_ms: Option<i64>) -> bool {
    let fresh = heartbeat_ms.is_some_and(|h| now_ms() - h < LEASE_MS);
    fresh && pid.and_then(pid_alive).unwrap_or(true)
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Item {
    seq: i64,
    ticket: u64,
    plan: Vec<Action>,
    before: Option<TicketState>,
    before_at: Option<i64>,
    step: usize,
    in_flight: bool,
    outcomes: Vec<StepOutcome>,
    requests: u32,
}

/// Why an item stopped before its end.
enum Flow {
    /// Trengo said no for good: the item failed (the reason is recorded with it).
    Failed,
    /// Not applied, try later (a 429 that outlasted the client's retries).
    Requeue,
    /// The whole job must stop (offline, token refused); the item stays pending.
    Stop(String),
}

enum Class {
    Definite(String),
    Unknown(String),
    Requeue,
    Stop(String),
}

fn classify(e: &api::Error) -> Class {
    use api::Error as E;
    match e {
        E::Unauthorized { .. } => Class::Stop(e.to_string()),
        E::Network { .. } => {
            Class::Stop(format!("{e}; the job continues when Trengo is reachable"))
        }
        E::RateLimited { .. } => Class::Requeue,
        E::Forbidden { .. } | E::NotFound { .. } | E::Validation { .. } | E::Invalid(_) => {
            Class::Definite(e.to_string())
        }
        E::Http { status, .. } if (400..500).contains(status) => Class::Definite(e.to_string()),
        _ => Class::Unknown(e.to_string()),
    }
}

/// Turns an `Enrich` action into the `SetField`s it needs, given the contact as it is now; an
/// error fails the item with its reason.
pub trait Expand: Send + Sync {
    fn expand<'a>(
        &'a self,
        action: &'a Action,
        current: &'a TicketState,
    ) -> futures::future::BoxFuture<'a, std::result::Result<Vec<Action>, String>>;
}

pub(crate) struct Runner<'a> {
    pub store: &'a JobStore,
    pub cache: &'a Cache,
    pub client: Client,
    pub dir: Directory,
    pub concurrency: usize,
    pub before_max_age: i64,
    /// For enrichment jobs.
    pub expand: Option<std::sync::Arc<dyn Expand>>,
    /// This run's claim on the job; every record it writes checks it is still the job's runner.
    pub token: String,
}

fn on_contact(plan: &[Action]) -> bool {
    plan.iter()
        .any(|a| matches!(a, Action::SetField { .. } | Action::Enrich { .. }))
}

struct Shared<'a> {
    r: &'a Runner<'a>,
    job: i64,
    queue: Mutex<VecDeque<Item>>,
    control: &'a JobControl,
    stop: Mutex<Option<String>>,
    done: AtomicU32,
    skipped: AtomicU32,
    failed: AtomicU32,
    cancelled: AtomicU32,
    requests: AtomicU32,
    /// Requests the pending items are expected to need.
    to_go: AtomicU32,
    total: u32,
    started: Instant,
    last_emit: Mutex<Instant>,
    progress: &'a (dyn Fn(JobProgress) + Send + Sync),
    lost: &'a AtomicBool,
}

impl Shared<'_> {
    fn snapshot(&self, state: &str) -> JobProgress {
        let done = self.done.load(Ordering::Relaxed);
        let skipped = self.skipped.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        let cancelled = self.cancelled.load(Ordering::Relaxed);
        let to_go = self.to_go.load(Ordering::Relaxed);
        JobProgress {
            job_id: self.job as u32,
            state: state.into(),
            total: self.total,
            done,
            skipped,
            failed,
            finished: done + skipped + failed + cancelled,
            requests: self.requests.load(Ordering::Relaxed),
            eta_secs: if to_go == 0 {
                0
            } else {
                self.r.client.budget().eta(to_go).as_secs_f64().ceil() as u32
            },
            elapsed_secs: self.started.elapsed().as_secs() as u32,
        }
    }

    fn tick(&self) {
        let mut last = self.last_emit.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() >= Duration::from_millis(200) {
            *last = Instant::now();
            drop(last);
            (self.progress)(self.snapshot("running"));
        }
    }

    fn halted(&self) -> bool {
        self.control.pause.load(Ordering::Relaxed)
            || self.control.cancel.load(Ordering::Relaxed)
            || self.lost.load(Ordering::Relaxed)
            || self.stop.lock().map(|s| s.is_some()).unwrap_or(true)
    }
}

fn expected_requests(it: &Item) -> u32 {
    let Some(b) = &it.before else {
        return 1 + (it.plan.len() - it.step.min(it.plan.len())) as u32;
    };
    let mut s = b.clone();
    let mut n = 0;
    for (k, a) in it.plan.iter().enumerate() {
        if k >= it.step && !s.satisfies(a) {
            n += 1;
        }
        s.apply(a);
    }
    n + u32::from(it.in_flight)
}

impl Runner<'_> {
    /// Takes the job (unless a live process holds it), runs its pending items, and records where
    /// it ended: `done`, `paused`, `cancelled`, or `interrupted` with the reason.
    pub async fn run(
        &self,
        job: i64,
        control: &JobControl,
        progress: &(dyn Fn(JobProgress) + Send + Sync),
    ) -> Result<JobView> {
        let token = self.token.clone();
        self.claim(job, &token).await?;
        let pool = self.store.pool.clone();
        let hb_token = token.clone();
        let lost = std::sync::Arc::new(AtomicBool::new(false));
        let lost2 = lost.clone();
        // Stopped however this run ends, a dropped future included: a dead run must not look alive.
        let heartbeat = AbortOnDrop(tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                let r = sqlx::query(
                    "UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND runner_token = ?",
                )
                .bind(now_ms())
                .bind(job)
                .bind(&hb_token)
                .execute(&pool)
                .await;
                if matches!(r, Ok(r) if r.rows_affected() == 0) {
                    // Another process took the job over: stop taking items.
                    lost2.store(true, Ordering::Relaxed);
                }
            }
        }));
        let result = self.run_claimed(job, control, progress, &lost).await;
        drop(heartbeat);
        let (state, reason) = match &result {
            Ok(s) => s.clone(),
            Err(e) => ("interrupted".to_string(), Some(e.to_string())),
        };
        let finished = (state == "done" || state == "cancelled").then(|| Utc::now().timestamp());
        sqlx::query(
            "UPDATE jobs SET state = ?, reason = ?, finished_at = ?, runner_pid = NULL, runner_token = NULL, heartbeat_at = NULL WHERE id = ? AND runner_token = ?",
        )
        .bind(&state)
        .bind(&reason)
        .bind(finished)
        .bind(job)
        .bind(&token)
        .execute(&self.store.pool)
        .await?;
        result?;
        self.store.view(job).await
    }

    async fn claim(&self, job: i64, token: &str) -> Result<()> {
        let row: Option<super::RunnerRow<String>> = sqlx::query_as(
            "SELECT state, runner_pid, runner_token, heartbeat_at FROM jobs WHERE id = ?",
        )
        .bind(job)
        .fetch_optional(&self.store.pool)
        .await?;
        let Some((state, pid, old, hb)) = row else {
            return Err(Error::NotFound(format!("there is no job {job}")));
        };
        if old.is_some() && runner_alive(pid, hb) {
            return Err(Error::Invalid(format!(
                "job {job} is being run by another process (pid {}); wait for it or stop that process",
                pid.unwrap_or(0)
            )));
        }
        if state == "done" {
            return Err(Error::Invalid(format!(
                "job {job} is finished; retry its failed items or undo it instead"
            )));
        }
        let undone: Option<i64> = sqlx::query_scalar("SELECT undone_by FROM jobs WHERE id = ?")
            .bind(job)
            .fetch_one(&self.store.pool)
            .await?;
        if let Some(u) = undone {
            return Err(Error::Invalid(format!(
                "job {job} was undone by job {u}; it does not run again"
            )));
        }
        let r = sqlx::query(
            "UPDATE jobs SET state = 'running', reason = NULL, finished_at = NULL, runner_pid = ?, runner_token = ?, heartbeat_at = ?,
             started_at = COALESCE(started_at, ?) WHERE id = ? AND runner_token IS ?",
        )
        .bind(std::process::id() as i64)
        .bind(token)
        .bind(now_ms())
        .bind(Utc::now().timestamp())
        .bind(job)
        .bind(old)
        .execute(&self.store.pool)
        .await?;
        if r.rows_affected() != 1 {
            return Err(Error::Invalid(format!(
                "job {job} was taken by another process just now"
            )));
        }
        if state == "cancelled" {
            // Resuming a cancelled job: what was cancelled is pending again.
            sqlx::query("UPDATE job_items SET state = 'pending', reason = NULL WHERE job_id = ? AND state = 'cancelled'")
                .bind(job)
                .execute(&self.store.pool)
                .await?;
        }
        Ok(())
    }

    async fn load_pending(&self, job: i64) -> Result<Vec<Item>> {
        type Row = (
            i64,
            i64,
            String,
            Option<String>,
            Option<i64>,
            i64,
            i64,
            String,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, ticket_id, plan, before, before_at, step, in_flight, outcomes, requests FROM job_items WHERE job_id = ? AND state = 'pending' ORDER BY seq",
        )
        .bind(job)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(seq, t, plan, before, before_at, step, in_flight, outcomes, requests)| Item {
                    seq,
                    ticket: t as u64,
                    plan: serde_json::from_str(&plan).unwrap_or_default(),
                    before: before.and_then(|b| serde_json::from_str(&b).ok()),
                    before_at,
                    step: step as usize,
                    in_flight: in_flight != 0,
                    outcomes: serde_json::from_str(&outcomes).unwrap_or_default(),
                    requests: requests as u32,
                },
            )
            .collect())
    }

    async fn run_claimed(
        &self,
        job: i64,
        control: &JobControl,
        progress: &(dyn Fn(JobProgress) + Send + Sync),
        lost: &AtomicBool,
    ) -> Result<(String, Option<String>)> {
        let items = self.load_pending(job).await?;
        let view = self.store.view(job).await?;
        let to_go: u32 = items.iter().map(expected_requests).sum();
        let sh = Shared {
            r: self,
            job,
            queue: Mutex::new(items.into()),
            control,
            stop: Mutex::new(None),
            done: AtomicU32::new(view.done),
            skipped: AtomicU32::new(view.skipped),
            failed: AtomicU32::new(view.failed),
            cancelled: AtomicU32::new(0),
            requests: AtomicU32::new(view.requests),
            to_go: AtomicU32::new(to_go),
            total: view.total,
            started: Instant::now(),
            last_emit: Mutex::new(Instant::now() - Duration::from_secs(1)),
            progress,
            lost,
        };
        (progress)(sh.snapshot("running"));
        let workers = (0..self.concurrency.max(1)).map(|_| self.worker(&sh));
        let results = futures::future::join_all(workers).await;
        for r in results {
            r?;
        }
        let stop = sh.stop.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state = 'pending'",
        )
        .bind(job)
        .fetch_one(&self.store.pool)
        .await?;
        let outcome = if lost.load(Ordering::Relaxed) {
            return Err(Error::Invalid(format!(
                "job {job} was taken over by another process"
            )));
        } else if let Some(reason) = stop {
            ("interrupted".to_string(), Some(reason))
        } else if left == 0 {
            ("done".to_string(), None)
        } else if control.cancel.load(Ordering::Relaxed) {
            // An item whose write may have landed is not cancelled: it is checked when the job
            // resumes.
            let r = sqlx::query(
                "UPDATE job_items SET state = 'cancelled', reason = 'cancelled before it was tried', updated_at = ? WHERE job_id = ? AND state = 'pending' AND in_flight = 0",
            )
            .bind(Utc::now().timestamp())
            .bind(job)
            .execute(&self.store.pool)
            .await?;
            sh.cancelled
                .fetch_add(r.rows_affected() as u32, Ordering::Relaxed);
            if left > r.rows_affected() as i64 {
                (
                    "interrupted".to_string(),
                    Some("an item's outcome is unknown; resume to check it, then cancel".into()),
                )
            } else {
                ("cancelled".to_string(), None)
            }
        } else if control.pause.load(Ordering::Relaxed) {
            ("paused".to_string(), None)
        } else {
            ("done".to_string(), None)
        };
        sh.to_go.store(0, Ordering::Relaxed);
        (progress)(sh.snapshot(&outcome.0));
        Ok(outcome)
    }

    async fn worker(&self, sh: &Shared<'_>) -> Result<()> {
        loop {
            if sh.halted() {
                return Ok(());
            }
            let next = sh
                .queue
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front();
            let Some(mut it) = next else {
                return Ok(());
            };
            let expected = expected_requests(&it);
            let before_requests = it.requests;
            let flow = self.run_item(sh, &mut it).await;
            sh.requests
                .fetch_add(it.requests - before_requests, Ordering::Relaxed);
            match flow {
                Ok(Some(Flow::Requeue)) => {
                    sh.queue
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push_back(it);
                    continue;
                }
                Ok(Some(Flow::Stop(reason))) => {
                    *sh.stop.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason);
                }
                Ok(Some(Flow::Failed)) => {
                    sh.failed.fetch_add(1, Ordering::Relaxed);
                }
                Ok(None) => {
                    if it.outcomes.contains(&StepOutcome::Done) {
                        sh.done.fetch_add(1, Ordering::Relaxed);
                    } else {
                        sh.skipped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(e) => {
                    *sh.stop.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(format!("the job's record could not be written: {e}"));
                    return Err(e);
                }
            }
            let _ = sh
                .to_go
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                    Some(v.saturating_sub(expected))
                });
            sh.tick();
        }
    }

    /// Records the item as it stands (`state` pending until it ends).
    async fn save(&self, job: i64, it: &Item, state: &str, reason: Option<&str>) -> Result<()> {
        sqlx::query(
            "UPDATE job_items SET plan = ?, before = ?, before_at = ?, step = ?, in_flight = ?, outcomes = ?, state = ?, reason = ?, requests = ?, updated_at = ?
             WHERE job_id = ? AND seq = ? AND EXISTS (SELECT 1 FROM jobs WHERE id = ? AND runner_token = ?)",
        )
        .bind(serde_json::to_string(&it.plan).unwrap_or_default())
        .bind(it.before.as_ref().map(|b| serde_json::to_string(b).unwrap_or_default()))
        .bind(it.before_at)
        .bind(it.step as i64)
        .bind(it.in_flight as i64)
        .bind(serde_json::to_string(&it.outcomes).unwrap_or_default())
        .bind(state)
        .bind(reason)
        .bind(it.requests as i64)
        .bind(Utc::now().timestamp())
        .bind(job)
        .bind(it.seq)
        .bind(job)
        .bind(&self.token)
        .execute(&self.store.pool)
        .await
        .and_then(|r| {
            if r.rows_affected() == 1 {
                Ok(())
            } else {
                Err(sqlx::Error::Protocol(format!(
                    "job {job} is no longer this process's to run"
                )))
            }
        })?;
        Ok(())
    }

    async fn read(&self, it: &mut Item) -> std::result::Result<TicketState, Class> {
        it.requests += 1;
        if on_contact(&it.plan) {
            let titles: std::collections::HashMap<String, String> = self
                .dir
                .fields
                .iter()
                .map(|f| (f.label.clone(), f.id.clone()))
                .collect();
            return self
                .client
                .contact(it.ticket, false)
                .await
                .map(|c| TicketState::from_contact(&c, &titles))
                .map_err(|e| classify(&e));
        }
        self.client
            .ticket(it.ticket)
            .await
            .map(|t| TicketState::from_api(&t))
            .map_err(|e| classify(&e))
    }

    async fn send(&self, ticket: u64, a: &Action) -> std::result::Result<(), api::Error> {
        let id = a.id().unwrap_or(0);
        match a {
            Action::AddTag { .. } => self.client.attach_label(ticket, id).await,
            Action::RemoveTag { .. } => self.client.detach_label(ticket, id).await,
            Action::AssignTeam { .. } => self
                .client
                .assign_ticket(ticket, Assignee::Team(id), None)
                .await
                .map(drop),
            Action::AssignUser { .. } => self
                .client
                .assign_ticket(ticket, Assignee::User(id), None)
                .await
                .map(drop),
            Action::Close => self.client.close_ticket(ticket, None).await.map(drop),
            Action::Reopen => self.client.reopen_ticket(ticket).await.map(drop),
            Action::SetField { value, .. } => {
                self.client
                    .set_contact_custom_field(ticket, id, value)
                    .await
            }
            Action::Enrich { .. } => Err(api::Error::Invalid(
                "a lookup is not a Trengo request".into(),
            )),
        }
    }

    /// Runs one item to its end, or to a pause in its flow. `Ok(None)`: it ended done or skipped.
    async fn run_item(&self, sh: &Shared<'_>, it: &mut Item) -> Result<Option<Flow>> {
        let job = sh.job;
        let now = Utc::now().timestamp();
        let stale = it.before_at.is_none_or(|at| now - at > self.before_max_age);
        // The ticket as it is now: read when the outcome of a write is unknown, when the cache did
        // not know it, or when what the cache knew is old; else the before-state replayed.
        let mut cur = if it.in_flight || it.before.is_none() || (stale && it.step == 0) {
            let s = match self.read(it).await {
                Ok(s) => s,
                Err(c) => return self.interrupt(job, it, c).await,
            };
            if it.before.is_none() || it.step == 0 && !it.in_flight {
                it.before = Some(s.clone());
                it.before_at = Some(now);
            }
            if it.in_flight {
                it.in_flight = false;
                if s.satisfies(&it.plan[it.step]) {
                    it.outcomes.push(StepOutcome::Done);
                    it.step += 1;
                }
            }
            self.save(job, it, "pending", None).await?;
            s
        } else {
            let mut s = it.before.clone().unwrap_or_default();
            for a in &it.plan[..it.step] {
                s.apply(a);
            }
            s
        };
        while it.step < it.plan.len() {
            let a = it.plan[it.step].clone();
            if let Action::Enrich { .. } = a {
                let Some(x) = &self.expand else {
                    return self
                        .interrupt(
                            job,
                            it,
                            Class::Definite("no lookup source for this job".into()),
                        )
                        .await;
                };
                match x.expand(&a, &cur).await {
                    Ok(sets) => {
                        it.plan.splice(it.step..=it.step, sets);
                        self.save(job, it, "pending", None).await?;
                        continue;
                    }
                    Err(why) => return self.interrupt(job, it, Class::Definite(why)).await,
                }
            }
            if cur.satisfies(&a) {
                it.outcomes.push(StepOutcome::Already);
                it.step += 1;
                continue;
            }
            let mut tries = 0;
            loop {
                tries += 1;
                it.in_flight = true;
                it.requests += 1;
                self.save(job, it, "pending", None).await?;
                let err = match self.send(it.ticket, &a).await {
                    Ok(()) => None,
                    Err(e) => Some(classify(&e)),
                };
                match err {
                    None => {
                        cur.apply(&a);
                        break;
                    }
                    Some(Class::Unknown(why)) => {
                        // Read the ticket back: applied or not?
                        match self.read(it).await {
                            Ok(s) => {
                                cur = s;
                                if cur.satisfies(&a) {
                                    break;
                                }
                                if tries >= MAX_TRIES {
                                    return self.interrupt(job, it, Class::Definite(why)).await;
                                }
                                let backoff = Duration::from_millis(200 * (1 << tries.min(5)));
                                tokio::time::sleep(backoff).await;
                            }
                            Err(c) => return self.interrupt(job, it, c).await,
                        }
                    }
                    Some(c) => {
                        // Trengo said it did not apply it, or it was never sent.
                        it.in_flight = false;
                        return self.interrupt(job, it, c).await;
                    }
                }
            }
            it.in_flight = false;
            it.outcomes.push(StepOutcome::Done);
            it.step += 1;
        }
        let state = if it.outcomes.contains(&StepOutcome::Done) {
            "done"
        } else {
            "skipped"
        };
        let reason = (state == "skipped").then_some("already so");
        self.save(job, it, state, reason).await?;
        if state == "done" {
            let r = if on_contact(&it.plan) {
                self.update_contact_cache(it.ticket, &it.plan).await
            } else {
                self.update_cache(it.ticket, &cur).await
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, ticket = it.ticket, "the cache could not take the change");
            }
        }
        Ok(None)
    }

    /// Ends an item's turn on an error: failed for good, or left pending (in flight stays as it
    /// is, so an unknown outcome is checked next time).
    async fn interrupt(&self, job: i64, it: &mut Item, c: Class) -> Result<Option<Flow>> {
        match c {
            Class::Definite(why) => {
                it.in_flight = false;
                self.save(job, it, "failed", Some(&why)).await?;
                Ok(Some(Flow::Failed))
            }
            Class::Unknown(why) => {
                // The read-back itself failed in an unknown way: keep it for the next run.
                self.save(job, it, "pending", None).await?;
                Ok(Some(Flow::Stop(format!(
                    "ticket {} could not be checked: {why}",
                    it.ticket
                ))))
            }
            Class::Requeue => {
                self.save(job, it, "pending", None).await?;
                Ok(Some(Flow::Requeue))
            }
            Class::Stop(why) => {
                self.save(job, it, "pending", None).await?;
                Ok(Some(Flow::Stop(why)))
            }
        }
    }

    /// Shows the fields set in the cached contact, if the cache has it.
    async fn update_contact_cache(&self, contact: u64, plan: &[Action]) -> Result<()> {
        let Some(mut c) = self.cache.contact(&contact.to_string()).await? else {
            return Ok(());
        };
        for a in plan {
            if let Action::SetField { field_id, value } = a {
                let Some(f) = self.dir.field_by_id(field_id) else {
                    continue;
                };
                if value.is_empty() {
                    c.custom_fields.remove(&f.name);
                } else {
                    c.custom_fields.insert(
                        f.name.clone(),
                        trengo_unified::mapping::typed_value(&f.field_type, value),
                    );
                }
            }
        }
        let mut tx = self.cache.pool().begin().await?;
        Cache::put_contact(&mut tx, &c, Utc::now().timestamp()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Shows the change in the cached ticket, if the cache has it.
    async fn update_cache(&self, ticket: u64, s: &TicketState) -> Result<()> {
        let d = &self.dir;
        let st: api::model::TicketStatus = s.status.parse().unwrap_or_else(|e| match e {});
        self.cache
            .update_ticket(&ticket.to_string(), |t| {
                t.tags = s
                    .tags
                    .iter()
                    .map(|g| {
                        let (name, color) = d.labels.get(g).cloned().unwrap_or_default();
                        trengo_unified::TagRef {
                            id: g.to_string(),
                            name,
                            color,
                        }
                    })
                    .collect();
                t.team = s.team.map(|g| d.team_ref(g));
                t.assignees = s.user.map(|u| vec![d.user_ref(u)]).unwrap_or_default();
                t.status = trengo_unified::mapping::status(&st);
            })
            .await?;
        Ok(())
    }
}
