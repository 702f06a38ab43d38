//! The worker: takes a job, reads each ticket fresh, sends what the fresh read shows is needed
//! through the budget, and records each outcome.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use trengo_unified::api::{self, Client, SendGate};
use trengo_unified::mapping::{self, Directory};

use super::model::{Action, ErrorCode, ItemState, JobState, StepOutcome, TicketState};
use super::pages::PagePlan;
use super::{decode, json, JobStore, JobView, FRESH_SECS};
use crate::actions;
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
    pub state: JobState,
    pub total: u32,
    pub done: u32,
    pub skipped: u32,
    pub failed: u32,
    /// Finished items (done, skipped, failed, cancelled or in conflict).
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

/// Whether a runner still holds its job: it said so within the lease, and its process lives. A
/// paused (stopped) process that outlives its lease loses the job. A heartbeat from the future
/// (the clock was set back since) vouches for nothing: it is bounded on read, not trusted for as
/// long as the clock was wrong.
pub(crate) fn runner_alive(pid: Option<i64>, heartbeat_ms: Option<i64>) -> bool {
    fresh_at(now_ms(), heartbeat_ms) && pid.and_then(pid_alive).unwrap_or(true)
}

/// Whether a heartbeat at `heartbeat_ms` is within the lease at `now`, on either side.
fn fresh_at(now: i64, heartbeat_ms: Option<i64>) -> bool {
    heartbeat_ms.is_some_and(|h| (now - h).abs() < LEASE_MS)
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The runner's claim, proved again at the moment each request leaves: a compare-and-set on the
/// job's run token, which also renews the lease.
struct Lease {
    pool: sqlx::SqlitePool,
    job: i64,
    token: String,
    lost: Arc<AtomicBool>,
}

impl SendGate for Lease {
    fn check(&self) -> futures::future::BoxFuture<'_, std::result::Result<(), String>> {
        Box::pin(async move {
            if self.lost.load(Ordering::Relaxed) {
                return Err(format!("job {} belongs to another process now", self.job));
            }
            let r =
                sqlx::query("UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND runner_token = ?")
                    .bind(now_ms())
                    .bind(self.job)
                    .bind(&self.token)
                    .execute(&self.pool)
                    .await;
            match r {
                Ok(r) if r.rows_affected() == 1 => Ok(()),
                Ok(_) => {
                    self.lost.store(true, Ordering::Relaxed);
                    Err(format!("job {} belongs to another process now", self.job))
                }
                Err(e) => Err(format!(
                    "job {}'s claim could not be checked: {e}",
                    self.job
                )),
            }
        })
    }
}

struct Item {
    seq: i64,
    /// The ticket, or the contact (enrichment).
    target: u64,
    plan: Vec<Action>,
    before: Option<TicketState>,
    /// Undo: the state the undone job left; a step is sent only while its part still shows it.
    expect: Option<TicketState>,
    step: usize,
    in_flight: bool,
    outcomes: Vec<StepOutcome>,
    conflicts: Vec<String>,
    requests: u32,
}

impl Item {
    fn on_contact(&self) -> bool {
        self.plan.iter().any(Action::on_contact)
    }

    /// Whether a list page's state may stand in for reading it alone.
    fn page_eligible(&self) -> bool {
        self.step == 0
            && !self.in_flight
            && self.expect.is_none()
            && !self.on_contact()
            && !self.messages_only()
    }

    /// Whether all that is left posts or deletes notes: nothing to read first, since a note is
    /// never "already so" until this item sent it.
    fn messages_only(&self) -> bool {
        !self.in_flight
            && self.plan[self.step.min(self.plan.len())..]
                .iter()
                .all(Action::is_message)
    }

    /// The first step that changes an existing ticket (after a new-ticket step, if any): the
    /// ticket is read and its state kept as `before` there.
    fn first_step(&self) -> usize {
        self.plan
            .iter()
            .take_while(|a| matches!(a, Action::CreateTicket { .. }))
            .count()
    }

    /// The new-ticket step's recorded ids, when it is the current step.
    fn creating(&self) -> Option<Creating> {
        match self.plan.get(self.step) {
            Some(Action::CreateTicket {
                channel_id,
                contact,
                subject,
                contact_id,
                ticket_id,
            }) => Some(Creating {
                channel: channel_id.parse().unwrap_or(0),
                contact: contact.clone(),
                subject: subject.clone(),
                contact_id: contact_id.as_deref().and_then(|c| c.parse().ok()),
                ticket_id: ticket_id.as_deref().and_then(|t| t.parse().ok()),
            }),
            _ => None,
        }
    }

    fn record_created(&mut self, contact: Option<u64>, ticket: Option<u64>) {
        if let Some(Action::CreateTicket {
            contact_id,
            ticket_id,
            ..
        }) = self.plan.get_mut(self.step)
        {
            if let Some(c) = contact {
                *contact_id = Some(c.to_string());
            }
            if let Some(t) = ticket {
                *ticket_id = Some(t.to_string());
            }
        }
    }

    /// Reading back after an unknown outcome of a note: the notes since the job began are read
    /// too, to find it.
    fn checks_note(&self) -> bool {
        self.in_flight && matches!(self.plan.get(self.step), Some(Action::AddNote { .. }))
    }

    /// Whether the fresh read must count the ticket's messages (`GET /tickets/{id}` says
    /// `messages_count: null`): only to delete a ticket this app made while nobody wrote on it.
    fn counts_messages(&self) -> bool {
        self.plan.iter().any(|a| matches!(a, Action::DeleteTicket))
    }

    /// Records the id of the note this step posted, found by its text among the notes read back.
    fn settle_note(&mut self, cur: &TicketState) {
        if let Some(Action::AddNote { text, note_id }) = self.plan.get_mut(self.step) {
            if note_id.is_none() {
                *note_id = cur
                    .notes
                    .iter()
                    .find(|n| actions::same_note(&n.text, text))
                    .map(|n| n.id.to_string());
            }
        }
    }
}

/// A new-ticket step as recorded so far.
struct Creating {
    channel: u64,
    contact: String,
    subject: String,
    contact_id: Option<u64>,
    ticket_id: Option<u64>,
}

/// Why an item stopped before its end.
enum Flow {
    /// Trengo said no for good: the item failed (the reason is recorded with it).
    Failed,
    /// Not applied, try later (a 429 that outlasted the client's retries).
    Requeue,
    /// The whole job must stop (offline, token refused, the job was taken over); the item stays
    /// pending.
    Stop(String),
}

enum Class {
    Definite(ErrorCode, String),
    Unknown(String),
    Requeue,
    Stop(ErrorCode, String),
    /// The job belongs to another runner now: record nothing more.
    Lost(String),
}

fn classify(e: &api::Error) -> Class {
    use api::Error as E;
    let why = e.to_string();
    match e {
        E::Unauthorized { .. } => Class::Stop(ErrorCode::Unauthorized, why),
        E::Network { .. } => Class::Stop(
            ErrorCode::Offline,
            format!("{e}; the job continues when Trengo is reachable"),
        ),
        E::NotSent { .. } => Class::Lost(why),
        E::RateLimited { .. } => Class::Requeue,
        E::NotFound { .. } => Class::Definite(ErrorCode::NotFound, why),
        E::Forbidden { .. } => Class::Definite(ErrorCode::Forbidden, why),
        E::Validation { .. } => Class::Definite(ErrorCode::Validation, why),
        E::Invalid(_) => Class::Definite(ErrorCode::Invalid, why),
        E::Http { status, .. } if (400..500).contains(status) => {
            Class::Definite(ErrorCode::TrengoError, why)
        }
        _ => Class::Unknown(why),
    }
}

pub(crate) struct Runner<'a> {
    pub store: &'a JobStore,
    pub cache: &'a Cache,
    /// Its lane decides the job's priority; writes are checked (never repeated blindly).
    pub client: Client,
    pub dir: Directory,
    pub concurrency: usize,
    /// This run's claim on the job; every record it writes, and every request it sends, checks it
    /// is still the job's runner.
    pub token: String,
}

/// Which item goes next: ones whose ticket a list page just read (in page order), ones that
/// must be read alone anyway (in flight, part done, undo), and, once the pages are read, the rest.
struct Sched {
    waiting: HashMap<i64, Item>,
    /// Seqs in job order, not yet handed out.
    order: VecDeque<i64>,
    by_target: HashMap<u64, i64>,
    /// From the job's own list pages: seq → the ticket as read, and when.
    ready: VecDeque<(i64, TicketState, Instant)>,
    urgent: VecDeque<i64>,
    requeued: VecDeque<Item>,
    pages_done: bool,
}

enum Next {
    Go(Box<Item>, Option<(TicketState, Instant)>),
    Wait,
    Done,
}

impl Sched {
    fn next(&mut self) -> Next {
        if let Some(it) = self.requeued.pop_front() {
            return Next::Go(Box::new(it), None);
        }
        while let Some(seq) = self.urgent.pop_front() {
            if let Some(it) = self.waiting.remove(&seq) {
                return Next::Go(Box::new(it), None);
            }
        }
        while let Some((seq, s, at)) = self.ready.pop_front() {
            if let Some(it) = self.waiting.remove(&seq) {
                return Next::Go(Box::new(it), Some((s, at)));
            }
        }
        if !self.pages_done {
            return Next::Wait;
        }
        while let Some(seq) = self.order.pop_front() {
            if let Some(it) = self.waiting.remove(&seq) {
                return Next::Go(Box::new(it), None);
            }
        }
        Next::Done
    }
}

struct Shared<'a> {
    r: &'a Runner<'a>,
    job: i64,
    sched: Mutex<Sched>,
    wake: tokio::sync::Notify,
    control: &'a JobControl,
    stop: Mutex<Option<String>>,
    done: AtomicU32,
    skipped: AtomicU32,
    failed: AtomicU32,
    cancelled: AtomicU32,
    conflicts: AtomicU32,
    requests: AtomicU32,
    /// Requests the pending items are expected to need.
    to_go: AtomicU32,
    /// When the job was made, on this machine's clock: a note (or a ticket) found after an
    /// unknown outcome is this job's only if it was made since (judged on Trengo's clock, see
    /// [`since_on_trengos_clock`]).
    created_local: i64,
    /// A rule's job: each ticket must still match it as read fresh.
    guard: Option<crate::rules::Compiled>,
    total: u32,
    started: Instant,
    last_emit: Mutex<Instant>,
    progress: &'a (dyn Fn(JobProgress) + Send + Sync),
    lost: &'a AtomicBool,
}

impl Shared<'_> {
    fn snapshot(&self, state: JobState) -> JobProgress {
        let done = self.done.load(Ordering::Relaxed);
        let skipped = self.skipped.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        let cancelled = self.cancelled.load(Ordering::Relaxed);
        let conflicts = self.conflicts.load(Ordering::Relaxed);
        let to_go = self.to_go.load(Ordering::Relaxed);
        JobProgress {
            job_id: self.job as u32,
            state,
            total: self.total,
            done,
            skipped,
            failed,
            finished: done + skipped + failed + cancelled + conflicts,
            requests: self.requests.load(Ordering::Relaxed),
            eta_secs: if to_go == 0 {
                0
            } else {
                self.r
                    .client
                    .budget()
                    .eta(to_go, self.r.concurrency as u32)
                    .as_secs_f64()
                    .ceil() as u32
            },
            elapsed_secs: self.started.elapsed().as_secs() as u32,
        }
    }

    fn tick(&self) {
        let mut last = self.last_emit.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() >= Duration::from_millis(200) {
            *last = Instant::now();
            drop(last);
            (self.progress)(self.snapshot(JobState::Running));
        }
    }

    fn halted(&self) -> bool {
        self.control.pause.load(Ordering::Relaxed)
            || self.control.cancel.load(Ordering::Relaxed)
            || self.lost.load(Ordering::Relaxed)
            || self.stop.lock().map(|s| s.is_some()).unwrap_or(true)
    }

    fn stop_with(&self, reason: String) {
        let mut s = self.stop.lock().unwrap_or_else(|p| p.into_inner());
        if s.is_none() {
            *s = Some(reason);
        }
        drop(s);
        self.wake.notify_waiters();
    }
}

fn expected_requests(it: &Item) -> u32 {
    let remaining = (it.plan.len() - it.step.min(it.plan.len())) as u32;
    if it.messages_only() {
        return remaining;
    }
    let Some(b) = &it.before else {
        return 1 + remaining;
    };
    let mut s = b.clone();
    let mut n = 1;
    for (k, a) in it.plan.iter().enumerate() {
        if k >= it.step && !s.satisfies(a) {
            n += 1;
        }
        s.apply(a);
    }
    n
}

impl Runner<'_> {
    /// Takes the job (unless a live process holds it), runs its pending items, and records where
    /// it ended: done, paused, cancelled, or interrupted with the reason.
    pub async fn run(
        &self,
        job: i64,
        control: &JobControl,
        progress: &(dyn Fn(JobProgress) + Send + Sync),
    ) -> Result<JobView> {
        let span = tracing::info_span!("job", job, runner = %self.token);
        self.run_in_span(job, control, progress)
            .instrument(span)
            .await
    }

    async fn run_in_span(
        &self,
        job: i64,
        control: &JobControl,
        progress: &(dyn Fn(JobProgress) + Send + Sync),
    ) -> Result<JobView> {
        let token = self.token.clone();
        self.claim(job, &token).await?;
        let pool = self.store.pool.clone();
        let hb_token = token.clone();
        let lost = Arc::new(AtomicBool::new(false));
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
        let gate = Arc::new(Lease {
            pool: self.store.pool.clone(),
            job,
            token: token.clone(),
            lost: lost.clone(),
        });
        let result = self.run_claimed(job, control, progress, &lost, gate).await;
        drop(heartbeat);
        let (state, reason) = match &result {
            Ok(s) => s.clone(),
            Err(e) => (JobState::Interrupted, Some(e.to_string())),
        };
        tracing::info!(state = %state, reason = reason.as_deref().unwrap_or(""), "job run ended");
        let finished = state.is_final().then(|| Utc::now().timestamp());
        sqlx::query(
            "UPDATE jobs SET state = ?, reason = ?, finished_at = ?, runner_pid = NULL, runner_token = NULL, heartbeat_at = NULL WHERE id = ? AND runner_token = ?",
        )
        .bind(state.as_str())
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
        let state = JobState::parse(&state)?;
        if old.is_some() && runner_alive(pid, hb) {
            return Err(Error::Invalid(format!(
                "job {job} is being run by another process (pid {}); wait for it or stop that process",
                pid.unwrap_or(0)
            )));
        }
        if state == JobState::Done {
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
        if state == JobState::Cancelled {
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
            Option<String>,
            i64,
            i64,
            String,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, ticket_id, plan, before, expect, step, in_flight, outcomes, requests FROM job_items WHERE job_id = ? AND state = 'pending' ORDER BY seq",
        )
        .bind(job)
        .fetch_all(&self.store.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (seq, t, plan, before, expect, step, in_flight, outcomes, requests) in rows {
            let plan: Vec<Action> = decode(job, "plan", &plan)?;
            let step = step as usize;
            if step > plan.len() {
                return Err(Error::Invalid(format!(
                    "job {job}'s item {seq} is at step {step} of a plan of {}; it was left as it is",
                    plan.len()
                )));
            }
            out.push(Item {
                seq,
                target: t as u64,
                plan,
                before: before
                    .map(|b| decode(job, "before-state", &b))
                    .transpose()?,
                expect: expect.map(|e| decode(job, "undo state", &e)).transpose()?,
                step,
                in_flight: in_flight != 0,
                outcomes: decode(job, "outcomes", &outcomes)?,
                conflicts: vec![],
                requests: requests as u32,
            });
        }
        Ok(out)
    }

    async fn run_claimed(
        &self,
        job: i64,
        control: &JobControl,
        progress: &(dyn Fn(JobProgress) + Send + Sync),
        lost: &AtomicBool,
        gate: Arc<Lease>,
    ) -> Result<(JobState, Option<String>)> {
        let items = self.load_pending(job).await?;
        let pages = self.store.page_plan(job).await?;
        let view = self.store.view(job).await?;
        let to_go: u32 = items.iter().map(expected_requests).sum();
        let client = self.client.gated(gate);
        let mut sched = Sched {
            waiting: HashMap::new(),
            order: VecDeque::new(),
            by_target: HashMap::new(),
            ready: VecDeque::new(),
            urgent: VecDeque::new(),
            requeued: VecDeque::new(),
            pages_done: pages.is_none(),
        };
        for it in items {
            sched.order.push_back(it.seq);
            if it.page_eligible() {
                sched.by_target.insert(it.target, it.seq);
            } else {
                sched.urgent.push_back(it.seq);
            }
            sched.waiting.insert(it.seq, it);
        }
        let sh = Shared {
            r: self,
            job,
            sched: Mutex::new(sched),
            wake: tokio::sync::Notify::new(),
            control,
            stop: Mutex::new(None),
            done: AtomicU32::new(view.done),
            skipped: AtomicU32::new(view.skipped),
            failed: AtomicU32::new(view.failed),
            cancelled: AtomicU32::new(0),
            conflicts: AtomicU32::new(view.conflicts),
            requests: AtomicU32::new(view.requests),
            to_go: AtomicU32::new(to_go),
            total: view.total,
            started: Instant::now(),
            last_emit: Mutex::new(Instant::now() - Duration::from_secs(1)),
            progress,
            lost,
            created_local: self.store.created_at(job).await?,
            guard: match self.store.guard(job).await? {
                Some(r) => Some(r.compile(&self.dir)?),
                None => None,
            },
        };
        (progress)(sh.snapshot(JobState::Running));
        let workers = (0..self.concurrency.max(1)).map(|_| self.worker(&sh, &client));
        let reader = async {
            if let Some(p) = &pages {
                self.read_pages(&sh, &client, p).await;
            }
        };
        let (results, ()) = futures::future::join(futures::future::join_all(workers), reader).await;
        for r in results {
            r?;
        }
        let stop = sh.stop.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let left = self.store.pending_count(job).await?;
        let outcome = if lost.load(Ordering::Relaxed) {
            return Err(Error::Invalid(format!(
                "job {job} was taken over by another process"
            )));
        } else if let Some(reason) = stop {
            (JobState::Interrupted, Some(reason))
        } else if left == 0 {
            (JobState::Done, None)
        } else if control.cancel.load(Ordering::Relaxed) {
            // An item whose write may have landed is not cancelled: it is checked when the job
            // resumes.
            let n = self.store.cancel_untried(job).await?;
            sh.cancelled.fetch_add(n as u32, Ordering::Relaxed);
            if left > n as i64 {
                (
                    JobState::Interrupted,
                    Some("an item's outcome is unknown; resume to check it, then cancel".into()),
                )
            } else {
                (JobState::Cancelled, None)
            }
        } else if control.pause.load(Ordering::Relaxed) {
            (JobState::Paused, None)
        } else {
            (JobState::Done, None)
        };
        sh.to_go.store(0, Ordering::Relaxed);
        (progress)(sh.snapshot(outcome.0));
        Ok(outcome)
    }

    /// Reads the job's list pages a little ahead of the workers (at most a page's worth waits),
    /// so each before-state is seconds old when its write goes; the cache learns every ticket read.
    async fn read_pages(&self, sh: &Shared<'_>, client: &Client, plan: &PagePlan) {
        'queries: for q in &plan.queries {
            let query = q.to_api();
            for page in 1..=u64::from(q.pages) {
                loop {
                    let notified = sh.wake.notified();
                    {
                        let s = sh.sched.lock().unwrap_or_else(|p| p.into_inner());
                        if s.ready.len() < super::pages::PER_PAGE || sh.halted() {
                            break;
                        }
                    }
                    notified.await;
                }
                if sh.halted() {
                    break 'queries;
                }
                let read = client.tickets(&query, page).await;
                if !matches!(&read, Err(api::Error::NotSent { .. })) {
                    if let Err(e) = self.store.page_read(sh.job).await {
                        tracing::warn!(error = %e, "a page read could not be counted");
                    }
                }
                let pg = match read {
                    Ok(pg) => pg,
                    Err(e) => {
                        sh.requests.fetch_add(1, Ordering::Relaxed);
                        match classify(&e) {
                            Class::Stop(_, why) | Class::Lost(why) => sh.stop_with(why),
                            // The items of this page are read one by one instead.
                            _ => tracing::warn!(error = %e, page, "a list page could not be read"),
                        }
                        break 'queries;
                    }
                };
                sh.requests.fetch_add(1, Ordering::Relaxed);
                let now = Instant::now();
                if let Err(e) = self
                    .cache
                    .put_api_tickets(&pg.data, &self.dir, client.base_url())
                    .await
                {
                    tracing::warn!(error = %e, "the cache could not take a page the job read");
                }
                {
                    let mut s = sh.sched.lock().unwrap_or_else(|p| p.into_inner());
                    for t in &pg.data {
                        if let Some(seq) = s.by_target.remove(&t.id) {
                            s.ready.push_back((seq, TicketState::from_api(t), now));
                        }
                    }
                }
                sh.wake.notify_waiters();
                if pg.next_page(page).is_none() {
                    break;
                }
            }
        }
        sh.sched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pages_done = true;
        sh.wake.notify_waiters();
    }

    async fn worker(&self, sh: &Shared<'_>, client: &Client) -> Result<()> {
        loop {
            if sh.halted() {
                // The page reader may be waiting for room.
                sh.wake.notify_waiters();
                return Ok(());
            }
            let notified = sh.wake.notified();
            let next = sh.sched.lock().unwrap_or_else(|p| p.into_inner()).next();
            let (mut it, fresh) = match next {
                Next::Go(it, fresh) => {
                    if fresh.is_some() {
                        // Room for the page reader.
                        sh.wake.notify_waiters();
                    }
                    (it, fresh)
                }
                Next::Done => return Ok(()),
                Next::Wait => {
                    notified.await;
                    continue;
                }
            };
            let expected = expected_requests(&it);
            let before_requests = it.requests;
            let span = tracing::info_span!("item", seq = it.seq, target = it.target);
            let flow = self
                .run_item(sh, client, &mut it, fresh)
                .instrument(span)
                .await;
            sh.requests
                .fetch_add(it.requests - before_requests, Ordering::Relaxed);
            match flow {
                Ok(Some(Flow::Requeue)) => {
                    sh.sched
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .requeued
                        .push_back(*it);
                    continue;
                }
                Ok(Some(Flow::Stop(reason))) => sh.stop_with(reason),
                Ok(Some(Flow::Failed)) => {
                    sh.failed.fetch_add(1, Ordering::Relaxed);
                }
                Ok(None) => {
                    let c = if !it.conflicts.is_empty() {
                        &sh.conflicts
                    } else if it.outcomes.contains(&StepOutcome::Done) {
                        &sh.done
                    } else {
                        &sh.skipped
                    };
                    c.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    sh.stop_with(format!("the job's record could not be written: {e}"));
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
    async fn save(
        &self,
        job: i64,
        it: &Item,
        state: ItemState,
        reason: Option<&str>,
        code: Option<ErrorCode>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE job_items SET ticket_id = ?, plan = ?, before = ?, before_at = ?, step = ?, in_flight = ?, outcomes = ?, state = ?, reason = ?, code = ?, requests = ?, updated_at = ?
             WHERE job_id = ? AND seq = ? AND EXISTS (SELECT 1 FROM jobs WHERE id = ? AND runner_token = ?)",
        )
        .bind(it.target as i64)
        .bind(json(&it.plan))
        .bind(it.before.as_ref().map(json))
        .bind(it.before.as_ref().map(|_| Utc::now().timestamp()))
        .bind(it.step as i64)
        .bind(it.in_flight as i64)
        .bind(json(&it.outcomes))
        .bind(state.as_str())
        .bind(reason)
        .bind(code.map(ErrorCode::as_str))
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

    async fn read(
        &self,
        sh: &Shared<'_>,
        client: &Client,
        it: &mut Item,
    ) -> std::result::Result<TicketState, Class> {
        let notes = it
            .checks_note()
            .then(|| since_on_trengos_clock(sh.created_local, client));
        let count = it.counts_messages();
        it.requests += 1 + (notes.is_some() || count) as u32;
        actions::read(client, it.target, it.on_contact(), &self.dir, notes, count)
            .await
            .map_err(|e| classify(&e))
    }

    /// Runs one item to its end, or to a pause in its flow. `Ok(None)`: it ended (done, skipped,
    /// or with conflicts).
    async fn run_item(
        &self,
        sh: &Shared<'_>,
        client: &Client,
        it: &mut Item,
        fresh: Option<(TicketState, Instant)>,
    ) -> Result<Option<Flow>> {
        let job = sh.job;
        if it.creating().is_some() {
            if let Some(flow) = self.create_step(sh, client, it).await? {
                return Ok(Some(flow));
            }
        }
        let page_state = fresh
            .filter(|(_, at)| at.elapsed() < Duration::from_secs(FRESH_SECS))
            .filter(|_| it.page_eligible())
            .map(|(s, _)| s);
        // The record as it is in Trengo now: from this job's own list page moments ago, or read
        // (notes alone need no read: they are posted, never found already so).
        let read = page_state.is_some() || !it.messages_only();
        let mut cur = match page_state {
            Some(s) => s,
            None if !read => TicketState::default(),
            None => match self.read(sh, client, it).await {
                Ok(s) => s,
                Err(c) => return self.interrupt(job, it, c).await,
            },
        };
        if it.step == it.first_step() && !it.in_flight {
            it.before = Some(cur.clone());
            if sh.guard.as_ref().is_some_and(|g| !g.still_matches(&cur)) {
                // A colleague changed it since the preview: the rule does not apply now.
                it.outcomes = vec![StepOutcome::Already; it.plan.len()];
                it.step = it.plan.len();
                self.save(
                    job,
                    it,
                    ItemState::Skipped,
                    Some("no longer matches the rule (changed since the preview)"),
                    None,
                )
                .await?;
                if read {
                    if let Err(e) =
                        actions::show_ticket(self.cache, &self.dir, it.target, &cur).await
                    {
                        tracing::warn!(error = %e, "the cache could not take the ticket");
                    }
                }
                return Ok(None);
            }
        }
        if it.in_flight {
            it.settle_note(&cur);
            it.in_flight = false;
            if cur.satisfies(&it.plan[it.step]) {
                it.outcomes.push(StepOutcome::Done);
                it.step += 1;
            }
        }
        self.save(job, it, ItemState::Pending, None, None).await?;
        while it.step < it.plan.len() {
            let a = it.plan[it.step].clone();
            if cur.satisfies(&a) {
                it.outcomes.push(StepOutcome::Already);
                it.step += 1;
                continue;
            }
            if let Some(exp) = &it.expect {
                if !cur.same_part(exp, &a) {
                    // Changed since by someone: undo leaves it.
                    it.conflicts.push(format!(
                        "{} now (the job left {})",
                        cur.describe_part(&a, &self.dir),
                        exp.describe_part(&a, &self.dir)
                    ));
                    it.outcomes.push(StepOutcome::Conflict);
                    it.step += 1;
                    continue;
                }
            }
            if a.is_assignment() {
                // Not news to the one who made it.
                if let Err(e) = self.cache.suppress_assignment(it.target as i64).await {
                    tracing::warn!(error = %e, "the watcher could not be told of an assignment");
                }
            }
            let mut tries = 0;
            loop {
                tries += 1;
                it.in_flight = true;
                it.requests += 1;
                self.save(job, it, ItemState::Pending, None, None).await?;
                let err = match actions::send(client, it.target, &a).await {
                    Ok(made) => {
                        if let (Some(id), Action::AddNote { text, .. }) = (made, &a) {
                            it.plan[it.step] = Action::AddNote {
                                text: text.clone(),
                                note_id: Some(id.to_string()),
                            };
                        }
                        None
                    }
                    Err(e) => Some(classify(&e)),
                };
                match err {
                    None => {
                        cur.apply(&a);
                        break;
                    }
                    Some(Class::Unknown(why)) => {
                        // Read the record back: applied or not?
                        match self.read(sh, client, it).await {
                            Ok(s) => {
                                let notes = std::mem::take(&mut cur.notes);
                                cur = s;
                                it.settle_note(&cur);
                                let found = cur.satisfies(&it.plan[it.step]);
                                cur.notes = notes;
                                if found {
                                    break;
                                }
                                if tries >= MAX_TRIES {
                                    return self
                                        .interrupt(
                                            job,
                                            it,
                                            Class::Definite(ErrorCode::TrengoError, why),
                                        )
                                        .await;
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
        let (state, reason) = if !it.conflicts.is_empty() {
            (ItemState::Conflict, Some(it.conflicts.join("; ")))
        } else if it.outcomes.contains(&StepOutcome::Done) {
            (ItemState::Done, None)
        } else {
            (ItemState::Skipped, Some("already so".to_string()))
        };
        self.save(job, it, state, reason.as_deref(), None).await?;
        // The cache shows the record as Trengo has it now (as read, with what was applied).
        let made = it.first_step() > 0;
        let deleted = state == ItemState::Done && it.plan.contains(&Action::DeleteTicket);
        let r = if deleted {
            self.cache.delete_ticket(it.target as i64).await
        } else if made {
            // A ticket this job made: the cache takes it whole (the list shows it at once).
            match client.ticket(it.target).await {
                Ok(t) => {
                    self.cache
                        .put_api_tickets(&[t], &self.dir, client.base_url())
                        .await
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the new ticket could not be read back");
                    Ok(())
                }
            }
        } else if it.on_contact() {
            if state == ItemState::Done {
                actions::show_contact(self.cache, &self.dir, it.target, &it.plan).await
            } else {
                Ok(())
            }
        } else if read {
            actions::show_ticket(self.cache, &self.dir, it.target, &cur).await
        } else {
            Ok(())
        };
        if let Err(e) = r {
            tracing::warn!(error = %e, "the cache could not take the change");
        }
        Ok(None)
    }

    /// The new-ticket step: the contact (found or made on the channel), then the ticket. Each id
    /// is recorded as soon as it is known, and a create whose answer was lost is looked for
    /// (the contact's newest tickets, the same subject and channel, made since the job began)
    /// before it is sent again. `Ok(None)`: the ticket exists and the item's target is it.
    async fn create_step(
        &self,
        sh: &Shared<'_>,
        client: &Client,
        it: &mut Item,
    ) -> Result<Option<Flow>> {
        let job = sh.job;
        let Some(Creating {
            channel,
            contact,
            subject,
            contact_id,
            ..
        }) = it.creating()
        else {
            return Ok(None);
        };
        let cid = match contact_id {
            Some(c) => c,
            None => {
                it.requests += 1;
                match find_or_make_contact(client, channel, &contact).await {
                    Ok(c) => {
                        it.record_created(Some(c), None);
                        self.save(job, it, ItemState::Pending, None, None).await?;
                        c
                    }
                    Err(e) => return self.interrupt(job, it, classify(&e)).await,
                }
            }
        };
        let mut tries = 0;
        let tid = loop {
            if let Some(t) = it.creating().and_then(|c| c.ticket_id) {
                break t;
            }
            if it.in_flight {
                it.requests += 1;
                match find_created(
                    client,
                    cid,
                    channel,
                    &subject,
                    since_on_trengos_clock(sh.created_local, client),
                )
                .await
                {
                    Ok(Some(t)) => {
                        it.record_created(None, Some(t));
                        it.in_flight = false;
                        continue;
                    }
                    // Not made: send it again.
                    Ok(None) => it.in_flight = false,
                    Err(e) => return self.interrupt(job, it, classify(&e)).await,
                }
            }
            tries += 1;
            if tries > MAX_TRIES {
                return self
                    .interrupt(
                        job,
                        it,
                        Class::Definite(
                            ErrorCode::TrengoError,
                            "Trengo did not confirm the new ticket after several tries".into(),
                        ),
                    )
                    .await;
            }
            it.in_flight = true;
            it.requests += 1;
            self.save(job, it, ItemState::Pending, None, None).await?;
            let r = client
                .create_ticket(channel, api::NewTicketContact::Id(cid), Some(&subject))
                .await;
            match r {
                Ok(t) => {
                    it.record_created(None, Some(t.id));
                    it.in_flight = false;
                }
                Err(e) => match classify(&e) {
                    // Made or not: looked for before it is sent again.
                    Class::Unknown(_) => {
                        tokio::time::sleep(Duration::from_millis(200 * (1 << tries.min(5)))).await;
                    }
                    c => {
                        it.in_flight = false;
                        return self.interrupt(job, it, c).await;
                    }
                },
            }
        };
        it.target = tid;
        it.outcomes.push(StepOutcome::Done);
        it.step += 1;
        self.save(job, it, ItemState::Pending, None, None).await?;
        Ok(None)
    }

    /// Ends an item's turn on an error: failed for good, or left pending (in flight stays as it
    /// is, so an unknown outcome is checked next time).
    async fn interrupt(&self, job: i64, it: &mut Item, c: Class) -> Result<Option<Flow>> {
        match c {
            Class::Definite(code, why) => {
                it.in_flight = false;
                self.save(job, it, ItemState::Failed, Some(&why), Some(code))
                    .await?;
                Ok(Some(Flow::Failed))
            }
            Class::Unknown(why) => {
                // The read-back itself failed in an unknown way: keep it for the next run.
                self.save(job, it, ItemState::Pending, None, None).await?;
                Ok(Some(Flow::Stop(format!(
                    "#{} could not be checked: {why}",
                    it.target
                ))))
            }
            Class::Requeue => {
                self.save(job, it, ItemState::Pending, None, None).await?;
                Ok(Some(Flow::Requeue))
            }
            Class::Stop(code, why) => {
                self.save(job, it, ItemState::Pending, None, Some(code))
                    .await?;
                Ok(Some(Flow::Stop(why)))
            }
            Class::Lost(why) => Ok(Some(Flow::Stop(why))),
        }
    }
}

/// The contact a new ticket is for: a contact id is checked to exist; an email address or a phone
/// number is found or made on the channel (Trengo's call answers the existing contact, so it is
/// safe to send again).
async fn find_or_make_contact(
    client: &Client,
    channel: u64,
    contact: &str,
) -> std::result::Result<u64, api::Error> {
    let c = contact.trim();
    if let Some(id) = contact_id_of(c) {
        return client.contact(id, false).await.map(|k| k.id);
    }
    let mut tries = 0;
    loop {
        tries += 1;
        match client.create_contact(channel, c, None).await {
            Ok(k) => return Ok(k.id),
            Err(e) if matches!(classify(&e), Class::Unknown(_)) => {
                // Made or found, its answer lost: search for it before asking again.
                let same = |x: &Option<String>| {
                    x.as_deref()
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case(c))
                };
                let found = client.contacts(Some(c), 1).await?;
                if let Some(k) = found
                    .data
                    .iter()
                    .find(|k| same(&k.identifier) || same(&k.email) || same(&k.phone))
                {
                    return Ok(k.id);
                }
                if tries >= MAX_TRIES {
                    return Err(e);
                }
                tokio::time::sleep(Duration::from_millis(200 * (1 << tries))).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A contact id as typed: digits (or `#` and digits) not starting with 0; a phone number starts
/// with `+` or `0`.
pub(crate) fn contact_id_of(s: &str) -> Option<u64> {
    let d = s.trim().trim_start_matches('#');
    (!d.is_empty() && !d.starts_with('0') && d.chars().all(|c| c.is_ascii_digit()))
        .then(|| d.parse().ok())
        .flatten()
}

/// `local` (unix seconds on this machine's clock) on Trengo's clock, less a minute: a desktop
/// clock that runs fast would otherwise put it after the note it looks for, and the note would
/// be posted again. Before Trengo's clock is known (no answer yet in this process), ten minutes.
fn since_on_trengos_clock(local: i64, client: &Client) -> i64 {
    match client.trengo_clock_skew() {
        Some(skew) => local + skew.num_seconds() - 60,
        None => local - 600,
    }
}

/// A ticket a lost create made: the contact's newest tickets, with this subject on this channel,
/// made since `since` (unix seconds).
async fn find_created(
    client: &Client,
    contact: u64,
    channel: u64,
    subject: &str,
    since: i64,
) -> std::result::Result<Option<u64>, api::Error> {
    let q = api::TicketQuery {
        contact_id: Some(contact),
        sort: Some(api::TicketSort::NewestFirst),
        ..api::TicketQuery::default()
    };
    let page = client.tickets(&q, 1).await?;
    Ok(page
        .data
        .iter()
        .filter(|t| t.channel_id.is_none_or(|c| c == channel))
        .filter(|t| t.subject.as_deref().map(str::trim) == Some(subject.trim()))
        .filter(|t| t.created_at.is_none_or(|at| at.timestamp() >= since))
        .map(|t| t.id)
        .max())
}

impl Cache {
    /// Tickets read from a list (a job's pages), with their contacts, in one transaction.
    pub(crate) async fn put_api_tickets(
        &self,
        tickets: &[api::model::Ticket],
        dir: &Directory,
        base_url: &str,
    ) -> Result<()> {
        let now = Utc::now().timestamp();
        let mut tx = self.pool().begin().await?;
        for t in tickets {
            if let Some(c) = &t.contact {
                Cache::put_contact(&mut tx, &mapping::contact(c, dir, false), now).await?;
            }
            let ut = mapping::ticket(t, dir, base_url, false);
            let open = ut.status.kind == trengo_unified::StatusKind::Open;
            Cache::put_ticket(&mut tx, &ut, open, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_counts_within_the_lease_and_not_from_the_future() {
        let now = 1_000_000_000;
        assert!(fresh_at(now, Some(now - 5_000)));
        assert!(!fresh_at(now, Some(now - LEASE_MS - 1)));
        assert!(!fresh_at(now, None));
        // Written before the clock was set back an hour: not fresh for that hour.
        assert!(!fresh_at(now, Some(now + 3_600_000)));
        assert!(fresh_at(now, Some(now + 1_000)));
    }
}
