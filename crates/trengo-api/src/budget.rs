//! The request budget: one per token, shared by every clone of every client that uses it, and by
//! every process on this machine that names the same shared file.
//!
//! Trengo allows `limit` requests per `window` per token (120 a minute), counted by Laravel in
//! fixed windows that start at the window's first request: within a window any `limit` requests
//! are fine, at any speed. So the budget follows the server's window instead of pacing:
//!
//! - a window opens with one request (the probe); its answer says how much of the window is used
//!   (`X-RateLimit-Remaining`, which counts requests from elsewhere too) and bounds when the
//!   server's window ends (no later than the answer's arrival + `window` + a margin);
//! - then requests go as fast as the server answers, until the window's allowance is used, keeping
//!   a reserve for interactive calls sized by how many the user made lately; toward the end of
//!   the window the unused reserve goes to the background too;
//! - a full window waits for its end. A 429 stops every lane until `Retry-After`.
//!
//! Since every request counted in a server window was counted by us in ours (we open ours only
//! after the server's must have ended), a steady load never provokes a 429.
//!
//! Lanes are served in strict priority: Interactive > Watcher > Bulk > Sync, FIFO within a lane.
//! Across processes (the app and a CLI on one token) the window lives in a small file, locked
//! while it is read and written; each process keeps its own queues.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Who is asking, in priority order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lane {
    /// What the user is looking at or just clicked.
    Interactive = 0,
    /// The assignment watcher.
    Watcher = 1,
    /// Bulk jobs and enrichment.
    Bulk = 2,
    /// Background sync.
    Sync = 3,
}

impl Lane {
    pub const ALL: [Lane; 4] = [Lane::Interactive, Lane::Watcher, Lane::Bulk, Lane::Sync];

    /// Whether it may use the reserve kept for the user.
    fn foreground(self) -> bool {
        matches!(self, Lane::Interactive | Lane::Watcher)
    }
}

#[derive(Debug, Clone)]
pub struct BudgetConfig {
    /// Requests per window (Trengo: 120). An `X-RateLimit-Limit` header overrides it.
    pub limit: u32,
    /// The server's window (Trengo: one minute).
    pub window: Duration,
    /// Slots of a window kept for interactive calls, released to the background as the window
    /// runs out (kept in proportion to the time left); `None`: a quarter of the limit (a click
    /// every two seconds at Trengo's 120 a minute). More is kept when the user made more lately.
    pub reserve: Option<u32>,
    /// Added to the end of the server's window as the budget bounds it; `None`: 1/60 of the
    /// window (1 s at Trengo's minute: Laravel counts whole seconds), at least 10 ms.
    pub margin: Option<Duration>,
    /// A file through which processes on this machine share the token's window; `None`: this
    /// process alone.
    pub shared: Option<PathBuf>,
    /// The share of each window the background sync (the `Sync` lane) may use, in percent of the
    /// limit, never more whatever the workspace's size (at least one request a window); 100: no
    /// cap. Changed at run time with [`RequestBudget::set_sync_share`].
    pub sync_share_percent: u32,
}

/// The background sync's share when nobody chose one: a quarter (30 of Trengo's 120 a minute).
pub const DEFAULT_SYNC_SHARE_PERCENT: u32 = 25;

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            limit: 120,
            window: Duration::from_secs(60),
            reserve: None,
            margin: None,
            shared: None,
            sync_share_percent: DEFAULT_SYNC_SHARE_PERCENT,
        }
    }
}

/// What the budget is doing, for the status bar.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BudgetState {
    pub limit: u32,
    pub window_ms: u64,
    /// Requests counted in the current window (including those seen from elsewhere).
    pub used_in_window: u32,
    /// Waiting requests per lane (this process).
    pub queued_interactive: u32,
    pub queued_watcher: u32,
    pub queued_bulk: u32,
    pub queued_sync: u32,
    /// How long until the next background request may go (0 when one may go now).
    pub next_slot_ms: u64,
    /// Set while a 429 holds every lane.
    pub blocked_ms: Option<u64>,
    /// What Trengo last said was left in its window.
    pub remaining_reported: Option<u32>,
    pub granted_total: u64,
    /// Of them, granted to the background sync's lane (this process).
    pub granted_sync: u64,
    /// Background sync requests counted in the current window (every process on the token).
    pub sync_used_in_window: u32,
    pub throttled_total: u64,
}

impl BudgetState {
    pub fn queued(&self) -> u32 {
        self.queued_interactive + self.queued_watcher + self.queued_bulk + self.queued_sync
    }
}

/// Proof that a request may go now. Report its answer with [`RequestBudget::observe`]; dropped
/// without an answer, a window's first request lets the next one try.
#[derive(Debug)]
pub struct Permit {
    pub lane: Lane,
    /// How long the request waited for its slot.
    pub waited: Duration,
    /// The window it was counted in.
    generation: u64,
    probe: bool,
    budget: Weak<Inner>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.probe {
            return;
        }
        if let Some(inner) = self.budget.upgrade() {
            let b = RequestBudget { inner };
            let generation = self.generation;
            b.with_window(|w, _| {
                if w.generation == generation && w.ends.is_none() {
                    w.probe = None;
                }
            });
            b.inner.wake.notify_waiters();
        }
    }
}

/// The token's window as this machine knows it (the shared file's contents). Times are unix ms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Window {
    limit: u32,
    generation: u64,
    /// Requests counted in this window: granted here, or seen in an answer's `Remaining`.
    used: u32,
    /// Of them, interactive and watcher requests.
    fg_used: u32,
    /// Of them, background sync requests (held to the sync share).
    #[serde(default)]
    sync_used: u32,
    /// Interactive and watcher requests a window lately (a running average that falls by half a
    /// window when the user stops, and rises at once when they click more); `None` before the
    /// first window ended. The reserve follows it.
    fg_rate: Option<f64>,
    /// The server's window ends no later than this; `None` until the window's first answer.
    ends: Option<i64>,
    /// When the window's first request was granted, while its answer is awaited.
    probe: Option<i64>,
    blocked_until: Option<i64>,
    remaining_reported: Option<u32>,
}

/// A probe with no answer for this long is given up (its process may have died).
const PROBE_TIMEOUT_MS: i64 = 30_000;
/// While another process's probe is out, this process looks again this often.
const PROBE_POLL: Duration = Duration::from_millis(20);

#[derive(Clone)]
pub struct RequestBudget {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RequestBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBudget")
            .field("state", &self.state())
            .finish()
    }
}

struct Inner {
    cfg: BudgetConfig,
    state: Mutex<State>,
    wake: Notify,
    /// The clock: unix ms at creation, advanced by tokio's (pausable) monotonic time, and moved
    /// on (never back) by `jumped_ms` when the wall clock runs ahead of it by more than
    /// [`SUSPEND_JUMP_MS`]: the monotonic clock stands still while a laptop sleeps.
    epoch_ms: i64,
    epoch: Instant,
    jumped_ms: std::sync::atomic::AtomicI64,
    /// The wall clock, unix ms (a test sets another).
    wall_ms: fn() -> i64,
    /// The sync lane's share of a window, in percent (the config's, until set).
    sync_share: std::sync::atomic::AtomicU32,
}

struct State {
    /// This process's view of the window (the shared file's, when there is one).
    window: Window,
    queues: [VecDeque<u64>; 4],
    next_ticket: u64,
    latencies: VecDeque<Duration>,
    granted: u64,
    granted_sync: u64,
    throttled: u64,
    /// Recent waits for a slot, per lane (the last 1,024).
    waits: [VecDeque<Duration>; 4],
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, PartialEq, Eq)]
enum Turn {
    Go {
        generation: u64,
        probe: bool,
    },
    WaitUntil(i64),
    /// The window's first answer is awaited (here, or in another process).
    WaitForProbe,
    WaitForOthers,
}

/// Takes the shared file's lock, waiting a moment at most: a process paused (SIGSTOP) while it held
/// the lock must not stall every other one.
fn lock_file(f: &std::fs::File) -> bool {
    for _ in 0..50 {
        match f.try_lock() {
            Ok(()) => return true,
            Err(std::fs::TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(1)),
            Err(_) => return false,
        }
    }
    false
}

/// The budgets alive in this process, by base URL and token, so two clients of one token share one.
fn registry() -> &'static Mutex<HashMap<u64, Weak<Inner>>> {
    static R: OnceLock<Mutex<HashMap<u64, Weak<Inner>>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

fn key(base_url: &str, token: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    base_url.trim_end_matches('/').hash(&mut h);
    token.hash(&mut h);
    h.finish()
}

/// Requests a window allows the background sync: `percent` of the limit, at least one.
pub fn sync_cap(limit: u32, percent: u32) -> u32 {
    if percent >= 100 {
        return limit;
    }
    ((limit as u64 * percent as u64 / 100) as u32).max(1)
}

/// How far the wall clock may run ahead of this process's monotonic clock before the process
/// takes it for a suspend (or a clock set forward) and catches up.
const SUSPEND_JUMP_MS: i64 = 30_000;

fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl RequestBudget {
    /// A budget of its own (tests, benchmarks).
    pub fn new(cfg: BudgetConfig) -> RequestBudget {
        let limit = cfg.limit.max(1);
        let sync_share = std::sync::atomic::AtomicU32::new(cfg.sync_share_percent.clamp(1, 100));
        let epoch_ms = system_ms();
        let b = RequestBudget {
            inner: Arc::new(Inner {
                cfg,
                state: Mutex::new(State {
                    window: Window {
                        limit,
                        ..Window::default()
                    },
                    queues: Default::default(),
                    next_ticket: 0,
                    latencies: VecDeque::new(),
                    granted: 0,
                    granted_sync: 0,
                    throttled: 0,
                    waits: Default::default(),
                }),
                wake: Notify::new(),
                epoch_ms,
                epoch: Instant::now(),
                jumped_ms: std::sync::atomic::AtomicI64::new(0),
                wall_ms: system_ms,
                sync_share,
            }),
        };
        if let Some(dir) = b.inner.cfg.shared.as_ref().and_then(|p| p.parent()) {
            let _ = std::fs::create_dir_all(dir);
        }
        b
    }

    /// The budget of this token at this base URL: the same one for every client in the process.
    pub fn for_token(base_url: &str, token: &crate::Token, cfg: BudgetConfig) -> RequestBudget {
        let k = key(base_url, token.expose());
        let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
        reg.retain(|_, w| w.strong_count() > 0);
        if let Some(inner) = reg.get(&k).and_then(Weak::upgrade) {
            return RequestBudget { inner };
        }
        let b = RequestBudget::new(cfg);
        reg.insert(k, Arc::downgrade(&b.inner));
        b
    }

    pub fn config(&self) -> &BudgetConfig {
        &self.inner.cfg
    }

    /// Sets the background sync's share of each window, in percent of the limit (from the next
    /// request on).
    pub fn set_sync_share(&self, percent: u32) {
        self.inner
            .sync_share
            .store(percent.clamp(1, 100), std::sync::atomic::Ordering::Relaxed);
        self.inner.wake.notify_waiters();
    }

    /// The background sync's share of each window, in percent of the limit.
    pub fn sync_share(&self) -> u32 {
        self.inner
            .sync_share
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// This process's clock, unix ms: monotonic, and caught up with the wall clock after a
    /// suspend.
    fn now_ms(&self) -> i64 {
        use std::sync::atomic::Ordering::Relaxed;
        let mono = self.inner.epoch_ms + self.inner.epoch.elapsed().as_millis() as i64;
        let jumped = self.inner.jumped_ms.load(Relaxed);
        let wall = (self.inner.wall_ms)();
        if wall - (mono + jumped) > SUSPEND_JUMP_MS {
            self.inner.jumped_ms.fetch_max(wall - mono, Relaxed);
        }
        mono + self.inner.jumped_ms.load(Relaxed)
    }

    fn instant_at(&self, ms: i64) -> Instant {
        let jumped = self
            .inner
            .jumped_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        self.inner.epoch + Duration::from_millis((ms - jumped - self.inner.epoch_ms).max(0) as u64)
    }

    /// Runs `f` on the window: this process's, or the shared file's under an exclusive lock (read,
    /// changed, written back). A file that cannot be used falls back to this process's window.
    fn with_window<T>(&self, f: impl FnOnce(&mut Window, &mut State) -> T) -> T {
        let mut st = lock(&self.inner.state);
        let Some(path) = &self.inner.cfg.shared else {
            let mut w = std::mem::take(&mut st.window);
            let r = f(&mut w, &mut st);
            st.window = w;
            return r;
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            // The lead's own: no other local user reads it.
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(path);
        let mut file = match file.map(|f| (lock_file(&f), f)) {
            Ok((true, f)) => f,
            _ => {
                tracing::warn!(path = %path.display(), "the shared request budget file cannot be used now; this process counts alone");
                let mut w = std::mem::take(&mut st.window);
                let r = f(&mut w, &mut st);
                st.window = w;
                return r;
            }
        };
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        let mut w: Window = serde_json::from_str(&text).unwrap_or_else(|_| Window {
            limit: st.window.limit,
            ..Window::default()
        });
        if w.limit == 0 {
            w.limit = st.window.limit;
        }
        bound(&mut w, self.now_ms(), &self.inner.cfg);
        let r = f(&mut w, &mut st);
        let out = serde_json::to_string(&w).unwrap_or_default();
        let _ = file
            .set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(out.as_bytes()));
        let _ = file.unlock();
        st.window = w;
        r
    }

    /// Waits for a slot in `lane`. Cancel-safe: a dropped wait gives up its place.
    pub async fn acquire(&self, lane: Lane) -> Permit {
        let enqueued = Instant::now();
        let ticket = {
            let mut st = lock(&self.inner.state);
            st.next_ticket += 1;
            let t = st.next_ticket;
            st.queues[lane as usize].push_back(t);
            t
        };
        let mut place = Place {
            budget: self,
            lane,
            ticket,
            done: false,
        };
        // A newcomer may outrank whoever is at the head now.
        self.inner.wake.notify_waiters();
        loop {
            let notified = self.inner.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let turn = self.turn(lane, ticket, enqueued);
            match turn {
                Turn::Go { generation, probe } => {
                    place.done = true;
                    // The next in line re-evaluates.
                    self.inner.wake.notify_waiters();
                    return Permit {
                        lane,
                        waited: enqueued.elapsed(),
                        generation,
                        probe,
                        budget: Arc::downgrade(&self.inner),
                    };
                }
                Turn::WaitUntil(t) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(self.instant_at(t)) => {}
                        _ = &mut notified => {}
                    }
                }
                Turn::WaitForProbe => {
                    // Another process's probe is not announced here: look again soon.
                    tokio::select! {
                        _ = tokio::time::sleep(PROBE_POLL) => {}
                        _ = &mut notified => {}
                    }
                }
                Turn::WaitForOthers => notified.await,
            }
        }
    }

    fn turn(&self, lane: Lane, ticket: u64, enqueued: Instant) -> Turn {
        {
            // Strict priority, FIFO within a lane: only the head of the highest waiting lane may go.
            let st = lock(&self.inner.state);
            let head_lane = st.queues.iter().position(|q| !q.is_empty());
            if head_lane != Some(lane as usize) || st.queues[lane as usize].front() != Some(&ticket)
            {
                return Turn::WaitForOthers;
            }
        }
        let now = self.now_ms();
        let cfg = &self.inner.cfg;
        let share = self.sync_share();
        self.with_window(|w, st| {
            let t = decide(w, lane, now, cfg, share);
            if let Turn::Go { .. } = t {
                st.queues[lane as usize].retain(|t| *t != ticket);
                st.granted += 1;
                if lane == Lane::Sync {
                    st.granted_sync += 1;
                }
                let waits = &mut st.waits[lane as usize];
                if waits.len() == 1024 {
                    waits.pop_front();
                }
                waits.push_back(enqueued.elapsed());
            }
            t
        })
    }

    /// Feeds back what an answer to `permit`'s request said: the limit and what is left in
    /// Trengo's window, the time the request took, and (for a 429) how long to hold every lane.
    pub fn observe(
        &self,
        permit: &Permit,
        limit: Option<u32>,
        remaining: Option<u32>,
        latency: Option<Duration>,
        retry_after: Option<Duration>,
    ) {
        let now = self.now_ms();
        let cfg = &self.inner.cfg;
        self.with_window(|w, st| {
            if let Some(d) = latency {
                st.latencies.push_back(d);
                if st.latencies.len() > 64 {
                    st.latencies.pop_front();
                }
            }
            if let Some(l) = limit.filter(|l| *l > 0) {
                w.limit = l;
            }
            if let Some(ra) = retry_after {
                st.throttled += 1;
                let until = now + ra.as_millis() as i64;
                w.blocked_until = Some(w.blocked_until.map_or(until, |b| b.max(until)));
                // The server's window is full, and ends then (its own word): a new one opens after.
                w.used = w.used.max(w.limit);
                w.ends = Some(until);
                w.probe = None;
                return;
            }
            if w.generation != permit.generation {
                // An answer from a window that is over says nothing of this one.
                return;
            }
            if w.ends.is_none() {
                // The server's window holds this request, so it ends no later than a window
                // from now.
                w.ends = Some(now + window_ms(cfg) + margin_ms(cfg));
                w.probe = None;
            }
            if let Some(r) = remaining {
                w.remaining_reported = Some(r);
                // Requests Trengo counted that we did not let through came from elsewhere.
                w.used = w.used.max(w.limit.saturating_sub(r));
            }
        });
        self.inner.wake.notify_waiters();
    }

    pub fn state(&self) -> BudgetState {
        let now = self.now_ms();
        let cfg = &self.inner.cfg;
        self.with_window(|w, st| {
            let mut probe = w.clone();
            let next = match decide(&mut probe, Lane::Bulk, now, cfg, 100) {
                Turn::Go { .. } | Turn::WaitForOthers | Turn::WaitForProbe => 0,
                Turn::WaitUntil(t) => (t - now).max(0) as u64,
            };
            BudgetState {
                limit: w.limit,
                window_ms: cfg.window.as_millis() as u64,
                used_in_window: if w.ends.is_some_and(|e| now >= e) {
                    0
                } else {
                    w.used
                },
                queued_interactive: st.queues[0].len() as u32,
                queued_watcher: st.queues[1].len() as u32,
                queued_bulk: st.queues[2].len() as u32,
                queued_sync: st.queues[3].len() as u32,
                next_slot_ms: next,
                blocked_ms: w
                    .blocked_until
                    .filter(|b| *b > now)
                    .map(|b| (b - now) as u64),
                remaining_reported: w.remaining_reported,
                granted_total: st.granted,
                granted_sync: st.granted_sync,
                sync_used_in_window: if w.ends.is_some_and(|e| now >= e) {
                    0
                } else {
                    w.sync_used
                },
                throttled_total: st.throttled,
            }
        })
    }

    /// How long the recent requests of `lane` waited for their slot (the last 1,024).
    pub fn recent_waits(&self, lane: Lane) -> Vec<Duration> {
        lock(&self.inner.state).waits[lane as usize]
            .iter()
            .copied()
            .collect()
    }

    /// The time `n` more background requests need, beyond what is queued: what the current
    /// window still allows goes at the server's pace (`workers` at a time), the rest a window
    /// per allowance.
    pub fn eta(&self, n: u32, workers: u32) -> Duration {
        let now = self.now_ms();
        let cfg = &self.inner.cfg;
        self.with_window(|w, st| {
            let queued: u32 = st.queues.iter().map(|q| q.len() as u32).sum();
            let n = n + queued;
            let mut lat: Vec<Duration> = st.latencies.iter().copied().collect();
            lat.sort();
            let latency = lat
                .get(lat.len() / 2)
                .copied()
                .unwrap_or(Duration::from_millis(150));
            let per_window = w
                .limit
                .saturating_sub(w.fg_rate.unwrap_or(0.0).ceil() as u32)
                .max(1);
            let (now_left, to_end) = match w.ends {
                Some(e) if now < e => (
                    w.limit
                        .saturating_sub(reserve_kept(w, now, cfg))
                        .saturating_sub(w.used),
                    Duration::from_millis((e - now) as u64),
                ),
                // A window opens with the first request and lasts its whole length.
                _ => (per_window, cfg.window),
            };
            let at_pace = |k: u32| latency.mul_f64(k as f64 / workers.max(1) as f64);
            if n <= now_left {
                return at_pace(n);
            }
            let rest = n - now_left;
            let windows = (rest - 1) / per_window;
            to_end + cfg.window * windows + at_pace(rest - windows * per_window)
        })
    }
}

/// A place in a queue; leaving it (a cancelled wait) lets the next one move up.
struct Place<'a> {
    budget: &'a RequestBudget,
    lane: Lane,
    ticket: u64,
    done: bool,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if !self.done {
            lock(&self.budget.inner.state).queues[self.lane as usize].retain(|t| *t != self.ticket);
            self.budget.inner.wake.notify_waiters();
        }
    }
}

mod policy;

use policy::{bound, decide, margin_ms, reserve_kept, window_ms};

#[cfg(test)]
mod tests;
