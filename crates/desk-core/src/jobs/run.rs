//! The worker: takes a job, reads each ticket fresh, sends what the fresh read shows is needed
//! through the budget, and records each outcome.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use trengo_unified::api::{self, Client};
use trengo_unified::mapping::{self, Directory};

use super::model::{Action, ErrorCode, JobState, StepOutcome, TicketState};
use super::pages::PagePlan;
use super::{JobStore, JobView};
use crate::actions;
use crate::cache::Cache;
use crate::error::{Error, Result};

/// A runner that has not said it is alive for this long is taken to be dead.
const LEASE_MS: i64 = 20_000;

/// The lease in use: [`LEASE_MS`], or `TRENGO_DESK_JOB_LEASE_MS` (at least 1,000) where a test
/// makes a stopped process lose its job in a second instead of twenty.
fn lease_ms() -> i64 {
    static LEASE: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *LEASE.get_or_init(|| {
        std::env::var("TRENGO_DESK_JOB_LEASE_MS")
            .ok()
            .and_then(|v| v.parse::<i64>().ok())
            .map(|v| v.max(1_000))
            .unwrap_or(LEASE_MS)
    })
}

/// How often a runner says it is alive: a tenth of the lease, two seconds at most.
fn heartbeat() -> Duration {
    Duration::from_millis((lease_ms() / 10).min(2_000) as u64)
}
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

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
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
    /// It undoes another job (a part changed since is "not as the job left it", not "not as
    /// the preview showed").
    undo: bool,
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
                tokio::time::sleep(heartbeat()).await;
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
            undo: view.undo_of.is_some(),
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

mod item;
mod lease;

pub(crate) use lease::runner_alive;
use lease::Lease;

pub(crate) use item::contact_id_of;

#[cfg(test)]
mod tests;
