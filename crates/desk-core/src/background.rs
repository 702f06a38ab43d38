//! The workspace's background work, without a window: a refresh now and every 30 s within the
//! sync's share of the budget (the tickets, then the contact index; see [`crate::refresh`]), the
//! assignment watcher, the status line every second, jobs run in the background (and the ones a
//! previous run left unfinished), each telling a [`EventSink`] what happened. The app forwards
//! these events to its window; a test collects them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::desk::Desk;
pub use crate::error::Problem;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Action, JobProgress, JobView, Selection};
pub use crate::services::session::{BudgetView, StatusView};
pub use crate::services::tickets::{OpenedTicket, THREAD_FRESH_SECS};
use crate::sync::{SyncPhase, SyncProgress, SyncReport};
use crate::watcher::Assignment;

pub use crate::sync::CONTACTS_EVERY;

/// How often the tickets are refreshed in the background (see [`crate::refresh`]): the views
/// first, the rest of the working set in rotation, within the sync's share of the budget.
pub const SYNC_EVERY: Duration = crate::refresh::REFRESH_EVERY;

/// What the desk says without being asked.
#[derive(Debug, Clone)]
pub enum DeskEvent {
    SyncProgress(SyncProgress),
    /// A background sync failed; `unauthorized` means the token was revoked: connect again.
    SyncFailed(Problem),
    /// The cache has new data: lists should re-read.
    CacheChanged {
        reason: String,
    },
    Status(StatusView),
    /// Tickets newly assigned to the user or their teams.
    Assignments(Vec<Assignment>),
    JobProgress(JobProgress),
    /// A job stopped (done, paused, cancelled, interrupted); `note` is the desktop notification
    /// it calls for (a job that ran long enough for the lead to have looked away).
    JobFinished {
        job: JobView,
        note: Option<crate::watcher::Note>,
    },
    /// Tickets that became at risk of breaching their SLA: the warnings to show (each given once).
    SlaWarnings(Vec<crate::watcher::Note>),
}

/// How often the SLA radar looks for tickets that became at risk.
pub const SLA_LOOK_EVERY: Duration = Duration::from_secs(15);
/// How soon the radar looks again while nothing is known yet (before the first sync's tickets).
pub const FIRST_LOOK_RETRY: Duration = Duration::from_secs(2);

/// Where events go.
pub trait EventSink: Send + Sync + 'static {
    fn emit(&self, e: DeskEvent);
}

impl<F: Fn(DeskEvent) + Send + Sync + 'static> EventSink for F {
    fn emit(&self, e: DeskEvent) {
        self(e)
    }
}

/// Aborts its tasks when dropped.
struct Tasks(Mutex<Vec<tokio::task::JoinHandle<()>>>);

impl Tasks {
    fn push(&self, h: tokio::task::JoinHandle<()>) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        t.retain(|h| !h.is_finished());
        t.push(h);
    }

    fn abort_all(&self) {
        for h in self.0.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            h.abort();
        }
    }
}

struct Inner {
    desk: Arc<Desk>,
    sink: Arc<dyn EventSink>,
    tasks: Tasks,
    syncing: AtomicBool,
    /// Stops the background refresh's slice (the lead asked for a refresh now).
    interrupt: tokio::sync::Notify,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// The background work of one open workspace; stopped with [`Background::stop`] (or when the
/// last clone is dropped). Cheap to clone.
#[derive(Clone)]
pub struct Background {
    inner: Arc<Inner>,
}

/// Clears the "syncing" flag however the sync ends (an error, or its task aborted).
struct Syncing<'a>(&'a AtomicBool);

impl Drop for Syncing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

impl Background {
    /// Starts the loops: a refresh now and every 30 s, the watcher, the status every second, and
    /// the jobs a previous run left unfinished.
    pub fn start(desk: Arc<Desk>, sink: Arc<dyn EventSink>) -> Background {
        let bg = Background {
            inner: Arc::new(Inner {
                desk,
                sink,
                tasks: Tasks(Mutex::new(vec![])),
                syncing: AtomicBool::new(false),
                interrupt: tokio::sync::Notify::new(),
            }),
        };
        let weak = Arc::downgrade(&bg.inner);
        bg.spawn(async move {
            loop {
                let Some(b) = weak.upgrade().map(|inner| Background { inner }) else {
                    return;
                };
                let began = Instant::now();
                // A slice stopped for the lead's own refresh is dropped where it is: the rotation
                // goes on from its cursor, in the cache, next time.
                let r = tokio::select! {
                    r = b.refresh_now(SYNC_EVERY) => r,
                    _ = b.inner.interrupt.notified() => Ok(Default::default()),
                };
                if let Err(e) = r {
                    if e.code() != ErrorCode::Busy {
                        tracing::warn!(code = %e.code(), error = %e, "background sync failed");
                        b.inner.sink.emit(DeskEvent::SyncFailed(e.into()));
                    }
                }
                drop(b);
                // A rotation uses its whole slice (the budget paces it); a refresh that had
                // little to do waits for the next one.
                let rest = SYNC_EVERY
                    .saturating_sub(began.elapsed())
                    .max(Duration::from_secs(1));
                tokio::time::sleep(rest).await;
            }
        });
        let weak = Arc::downgrade(&bg.inner);
        bg.spawn(async move {
            // The first sync brings the directory (who I am, my teams) before the first look.
            tokio::time::sleep(Duration::from_secs(5)).await;
            loop {
                let Some(inner) = weak.upgrade() else { return };
                match inner.desk.watcher().poll().await {
                    Ok(list) if !list.is_empty() => inner.sink.emit(DeskEvent::Assignments(list)),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(code = %e.code(), "the assignment watcher could not look")
                    }
                }
                // The live rules look right after: what just arrived is theirs within one poll.
                match inner.desk.rules().apply_live().await {
                    Ok(runs) if !runs.is_empty() => {
                        for r in &runs {
                            tracing::info!(rule = %r.rule, job = r.job, changed = r.changed, "a live rule applied");
                            if let Ok(job) = inner.desk.jobs().get(r.job).await {
                                inner.sink.emit(DeskEvent::JobFinished { job, note: None });
                            }
                        }
                        inner.sink.emit(DeskEvent::CacheChanged {
                            reason: "rules".into(),
                        });
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(code = %e.code(), error = %e, "the live rules could not run"),
                }
                let wait = inner.desk.watcher().interval().await;
                drop(inner);
                tokio::time::sleep(wait).await;
            }
        });
        let weak = Arc::downgrade(&bg.inner);
        bg.spawn(async move {
            // The SLA radar: it reads only the cache, so it can look often at no request's cost.
            // The same look is the trends' snapshot of the inbox.
            loop {
                let Some(inner) = weak.upgrade() else { return };
                match inner.desk.sla().look().await {
                    Ok(notes) if !notes.is_empty() => {
                        inner.sink.emit(DeskEvent::SlaWarnings(notes))
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(code = %e.code(), error = %e, "the SLA radar could not look")
                    }
                }
                let begun = inner.desk.trends().begun().await.unwrap_or(true);
                drop(inner);
                tokio::time::sleep(if begun {
                    SLA_LOOK_EVERY
                } else {
                    FIRST_LOOK_RETRY
                })
                .await;
            }
        });
        let weak = Arc::downgrade(&bg.inner);
        bg.spawn(async move {
            loop {
                let Some(inner) = weak.upgrade() else { return };
                if let Ok(s) = inner
                    .desk
                    .session()
                    .status(inner.syncing.load(Ordering::Relaxed))
                    .await
                {
                    inner.sink.emit(DeskEvent::Status(s));
                }
                drop(inner);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let b = bg.clone();
        tokio::spawn(async move { b.resume_unfinished().await });
        bg
    }

    fn spawn(&self, f: impl std::future::Future<Output = ()> + Send + 'static) {
        self.inner.tasks.push(tokio::spawn(f));
    }

    pub fn desk(&self) -> &Arc<Desk> {
        &self.inner.desk
    }

    pub fn is_syncing(&self) -> bool {
        self.inner.syncing.load(Ordering::Relaxed)
    }

    /// Stops every loop and background job (jobs resume on the next start: all they did is
    /// recorded).
    pub fn stop(&self) {
        self.inner.tasks.abort_all();
    }

    /// Syncs now (the whole working set), one sync at a time, telling the sink its progress and
    /// when the cache changed.
    pub async fn sync_now(&self) -> Result<SyncReport> {
        let desk = self.inner.desk.clone();
        self.syncing(move |progress| {
            Box::pin(async move { desk.sync().run(progress, &AtomicBool::new(false)).await })
        })
        .await
    }

    /// What the lead sees, read now (`r`, *Sync now*): the background's slice under way stops,
    /// then the changes (incremental) or the views' first pages (rotation) are read in the
    /// interactive lane. Seconds at most, whatever the inbox's size.
    pub async fn refresh_views_now(&self) -> Result<crate::refresh::RefreshReport> {
        for _ in 0..200 {
            if !self.is_syncing() {
                break;
            }
            self.inner.interrupt.notify_waiters();
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let desk = self.inner.desk.clone();
        self.syncing(move |progress| {
            Box::pin(async move {
                let req = crate::refresh::RefreshRequest {
                    slice: Duration::ZERO,
                    lead_waits: true,
                    ..Default::default()
                };
                desk.sync()
                    .refresh_with(req, progress, &AtomicBool::new(false))
                    .await
            })
        })
        .await
    }

    /// One steady refresh (the views or the changes, then the rotation for `slice`).
    pub async fn refresh_now(&self, slice: Duration) -> Result<crate::refresh::RefreshReport> {
        let desk = self.inner.desk.clone();
        self.syncing(move |progress| {
            Box::pin(async move {
                desk.sync()
                    .refresh(slice, progress, &AtomicBool::new(false))
                    .await
            })
        })
        .await
    }

    /// Runs a sync (`run`, given the progress to report), one at a time, telling the sink its
    /// progress and when the cache changed.
    async fn syncing<T>(
        &self,
        run: impl for<'a> FnOnce(
            crate::sync::Progress<'a>,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T>> + Send + 'a>,
        >,
    ) -> Result<T> {
        let syncing = &self.inner.syncing;
        if syncing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            return Err(Error::Busy(
                "A sync is already running; it shows its progress in the status bar.".into(),
            ));
        }
        let _flag = Syncing(syncing);
        let desk = &self.inner.desk;
        // What the cache holds before: lists re-read only when something a lead sees changed (a
        // refresh mostly reads unchanged tickets again).
        let before = desk.rules().stamp().await.ok();
        let filling = !desk
            .directory()
            .freshness()
            .await
            .map(|f| f.working_set_complete)
            .unwrap_or(false);
        let sink = self.inner.sink.clone();
        let last_page = Mutex::new(Instant::now() - Duration::from_secs(1));
        let last_told = Mutex::new((Instant::now() - Duration::from_secs(1), String::new()));
        let progress = move |p: SyncProgress| {
            // While the inbox first arrives, lists re-read as pages land, a few times a second.
            let page = filling && matches!(p.phase, SyncPhase::Tickets | SyncPhase::Contacts);
            {
                // The window hears at most five a second (pages can land faster than it draws):
                // a new phase and the end always.
                let mut told = last_told.lock().unwrap_or_else(|e| e.into_inner());
                let key = format!("{}/{}", p.phase, p.resource);
                if p.done || told.1 != key || told.0.elapsed() >= Duration::from_millis(200) {
                    *told = (Instant::now(), key);
                    sink.emit(DeskEvent::SyncProgress(p));
                }
            }
            let mut last = last_page.lock().unwrap_or_else(|e| e.into_inner());
            if page && last.elapsed() > Duration::from_millis(400) {
                *last = Instant::now();
                sink.emit(DeskEvent::CacheChanged {
                    reason: "sync".into(),
                });
            }
        };
        let r = run(&progress).await;
        syncing.store(false, Ordering::Relaxed);
        let after = desk.rules().stamp().await.ok();
        if filling || before.is_none() || before != after {
            self.inner.sink.emit(DeskEvent::CacheChanged {
                reason: "sync done".into(),
            });
        }
        r
    }

    /// Records a bulk job and starts it here.
    pub async fn start_job(&self, sel: &Selection, actions: &[Action]) -> Result<JobView> {
        Ok(self.started(self.desk().jobs().create(sel, actions).await?))
    }

    /// Starts a job already recorded (a rule's run, an enrichment); returns it.
    pub fn started(&self, job: JobView) -> JobView {
        self.run_job(job.id);
        job
    }

    /// Runs a paused or interrupted job's pending items.
    pub async fn resume_job(&self, id: u32) -> Result<JobView> {
        Ok(self.started(self.desk().jobs().get(id).await?))
    }

    /// Puts a job's failed items back and runs them again.
    pub async fn retry_failed(&self, id: u32) -> Result<JobView> {
        self.desk().jobs().retry_failed(id).await?;
        self.resume_job(id).await
    }

    /// Records the job that takes a job's changes back, and starts it.
    pub async fn undo_job(&self, id: u32) -> Result<JobView> {
        Ok(self.started(self.desk().jobs().undo(id).await?))
    }

    /// Runs a job in the background of the workspace, telling the sink its progress and its end.
    pub fn run_job(&self, id: u32) {
        let inner = self.inner.clone();
        self.spawn(async move {
            let started = Instant::now();
            let sink = inner.sink.clone();
            let last_refresh = Mutex::new(Instant::now());
            let progress = move |p: JobProgress| {
                sink.emit(DeskEvent::JobProgress(p));
                // Lists show the changes as they land, about once a second.
                let mut last = last_refresh.lock().unwrap_or_else(|e| e.into_inner());
                if last.elapsed() > Duration::from_secs(1) {
                    *last = Instant::now();
                    sink.emit(DeskEvent::CacheChanged {
                        reason: "job".into(),
                    });
                }
            };
            let end = match inner.desk.jobs().run(id, &progress).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(job = id, code = %e.code(), error = %e, "a job could not run");
                    match inner.desk.jobs().get(id).await {
                        Ok(mut v) => {
                            if v.reason.is_none() {
                                v.reason = Some(e.to_string());
                            }
                            v
                        }
                        Err(_) => return,
                    }
                }
            };
            inner.sink.emit(DeskEvent::CacheChanged {
                reason: "job done".into(),
            });
            let note = crate::watcher::job_note(&end, started.elapsed());
            inner.sink.emit(DeskEvent::JobFinished { job: end, note });
        });
    }

    /// Runs the jobs a previous run of the app (or a killed CLI) left unfinished.
    async fn resume_unfinished(&self) {
        if !self.inner.desk.session().has_token() {
            return;
        }
        match self.inner.desk.jobs().resumable().await {
            Ok(ids) => {
                for id in ids {
                    tracing::info!(job = id, "resuming an unfinished job");
                    self.run_job(id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "unfinished jobs could not be listed"),
        }
    }
}
