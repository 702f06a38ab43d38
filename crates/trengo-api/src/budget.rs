//! The request budget: one per token, shared by every clone of every client that uses it.
//!
//! Trengo allows `limit` requests per `window` per token (120 per minute), counted by Laravel in
//! fixed windows that start at a window's first request. The budget keeps a log of the requests it
//! let through and lets a new one go only while fewer than `cap` of them lie within the last
//! `window + margin`. Every fixed window of the server is an interval of that length, so a steady
//! load never provokes a 429; the margin absorbs the spread of network latency between our clock
//! and the server's.
//!
//! Lanes are served in strict priority: Interactive > Watcher > Bulk > Sync. Background lanes are
//! spaced evenly (window ÷ (limit − reserve)), every call the user makes pushes them back one slot,
//! and they may fill the window only up to `limit − reserve`; so a call the user is waiting on finds
//! a free slot at once, or at the next slot, even behind a thousand queued bulk requests. Answers re-sync the budget (`X-RateLimit-Limit`, `X-RateLimit-Remaining`: requests
//! from elsewhere on the same token are counted) and a 429 stops every lane until `Retry-After`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use serde::Serialize;
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
}

#[derive(Debug, Clone)]
pub struct BudgetConfig {
    /// Requests per window (Trengo: 120). An `X-RateLimit-Limit` header overrides it.
    pub limit: u32,
    /// The server's window (Trengo: one minute).
    pub window: Duration,
    /// Slots per window that only interactive calls may use; `None`: 1 per 100 of the limit, at least 1.
    pub reserve: Option<u32>,
    /// The least added to the window for latency spread; more is added when answers vary more.
    pub margin: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            limit: 120,
            window: Duration::from_secs(60),
            reserve: None,
            margin: Duration::from_millis(50),
        }
    }
}

/// What the budget is doing, for the status bar.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BudgetState {
    pub limit: u32,
    pub window_ms: u64,
    /// Requests let through within the last window (including those seen from elsewhere).
    pub used_in_window: u32,
    /// Waiting requests per lane.
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
    pub throttled_total: u64,
}

impl BudgetState {
    pub fn queued(&self) -> u32 {
        self.queued_interactive + self.queued_watcher + self.queued_bulk + self.queued_sync
    }
}

/// Proof that a request may go now.
#[derive(Debug)]
pub struct Permit {
    pub lane: Lane,
    /// How long the request waited for its slot.
    pub waited: Duration,
}

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
}

struct State {
    limit: u32,
    /// When requests were let through (and phantoms for requests seen from elsewhere); sorted.
    log: VecDeque<Instant>,
    /// The earliest time the next background request may go. Every background grant moves it one
    /// background slot on, and so does every foreground grant beyond the reserve in the last
    /// window: background work makes room for the user's calls, sends stay evenly spread (which
    /// keeps expiries, and so free slots, evenly spread), and a reserve the user does use is not
    /// also given up by the background.
    bg_next: Option<Instant>,
    /// Foreground (interactive and watcher) grants within the last window.
    fg_log: VecDeque<Instant>,
    blocked_until: Option<Instant>,
    queues: [VecDeque<u64>; 4],
    next_ticket: u64,
    latencies: VecDeque<Duration>,
    remaining_reported: Option<u32>,
    granted: u64,
    throttled: u64,
    /// Recent waits for a slot, per lane (the last 1,024).
    waits: [VecDeque<Duration>; 4],
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

enum Turn {
    Go,
    WaitUntil(Instant),
    WaitForOthers,
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

impl RequestBudget {
    /// A budget of its own (tests, benchmarks).
    pub fn new(cfg: BudgetConfig) -> RequestBudget {
        let limit = cfg.limit.max(1);
        RequestBudget {
            inner: Arc::new(Inner {
                cfg,
                state: Mutex::new(State {
                    limit,
                    log: VecDeque::new(),
                    bg_next: None,
                    fg_log: VecDeque::new(),
                    blocked_until: None,
                    queues: Default::default(),
                    next_ticket: 0,
                    latencies: VecDeque::new(),
                    remaining_reported: None,
                    granted: 0,
                    throttled: 0,
                    waits: Default::default(),
                }),
                wake: Notify::new(),
            }),
        }
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
            let turn = {
                let mut st = lock(&self.inner.state);
                let now = Instant::now();
                let turn = self.turn(&mut st, lane, ticket, now);
                if let Turn::Go = turn {
                    st.queues[lane as usize].retain(|t| *t != ticket);
                    st.log.push_back(now);
                    let moves_grid = match lane {
                        Lane::Interactive | Lane::Watcher => {
                            let window = self.inner.cfg.window;
                            while st
                                .fg_log
                                .front()
                                .is_some_and(|t| now.duration_since(*t) >= window)
                            {
                                st.fg_log.pop_front();
                            }
                            st.fg_log.push_back(now);
                            st.fg_log.len() as u32 > self.reserve(st.limit)
                        }
                        Lane::Bulk | Lane::Sync => true,
                    };
                    if moves_grid {
                        let gap = self.background_gap(st.limit);
                        // Stay on the grid when a timer fired a little late, so lateness does not
                        // add up.
                        let base = match st.bg_next {
                            Some(b) if b >= now || now.duration_since(b) < gap => b,
                            _ => now,
                        };
                        st.bg_next = Some(base + gap);
                    }
                    st.granted += 1;
                    let w = &mut st.waits[lane as usize];
                    if w.len() == 1024 {
                        w.pop_front();
                    }
                    w.push_back(now - enqueued);
                }
                turn
            };
            match turn {
                Turn::Go => {
                    place.done = true;
                    // The next in line re-evaluates.
                    self.inner.wake.notify_waiters();
                    return Permit {
                        lane,
                        waited: enqueued.elapsed(),
                    };
                }
                Turn::WaitUntil(t) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(t) => {}
                        _ = &mut notified => {}
                    }
                }
                Turn::WaitForOthers => notified.await,
            }
        }
    }

    fn turn(&self, st: &mut State, lane: Lane, ticket: u64, now: Instant) -> Turn {
        // Strict priority, FIFO within a lane: only the head of the highest waiting lane may go.
        let head_lane = st.queues.iter().position(|q| !q.is_empty());
        if head_lane != Some(lane as usize) || st.queues[lane as usize].front() != Some(&ticket) {
            return Turn::WaitForOthers;
        }
        let at = self.next_slot(st, lane, now);
        if at <= now {
            Turn::Go
        } else {
            Turn::WaitUntil(at)
        }
    }

    fn margin(&self, st: &State) -> Duration {
        let spread = match (st.latencies.iter().min(), st.latencies.iter().max()) {
            (Some(lo), Some(hi)) => *hi - *lo,
            _ => Duration::ZERO,
        };
        spread.clamp(
            self.inner.cfg.margin,
            Duration::from_secs(2).max(self.inner.cfg.margin),
        )
    }

    fn reserve(&self, limit: u32) -> u32 {
        self.inner
            .cfg
            .reserve
            .unwrap_or((limit / 100).max(1))
            .min(limit.saturating_sub(1))
    }

    /// When a request of `lane` may go next.
    fn next_slot(&self, st: &mut State, lane: Lane, now: Instant) -> Instant {
        let window = self.inner.cfg.window;
        let horizon = window + self.margin(st);
        while st
            .log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= horizon)
        {
            st.log.pop_front();
        }
        let cap = if lane == Lane::Interactive {
            st.limit
        } else {
            st.limit - self.reserve(st.limit)
        } as usize;
        let mut at = now;
        if let Some(b) = st.blocked_until {
            if b > now {
                at = at.max(b);
            } else {
                st.blocked_until = None;
            }
        }
        if st.log.len() >= cap {
            at = at.max(st.log[st.log.len() - cap] + horizon);
        }
        // Bulk and sync keep to the grid; the watcher's few requests a poll go as soon as the
        // window allows (they still move the grid, like the user's calls).
        if matches!(lane, Lane::Bulk | Lane::Sync) {
            if let Some(b) = st.bg_next {
                at = at.max(b);
            }
        }
        at
    }

    /// Background requests are spaced so that they, with the user's calls, fill `limit − reserve`.
    fn background_gap(&self, limit: u32) -> Duration {
        self.inner.cfg.window / (limit - self.reserve(limit)).max(1)
    }

    /// Feeds back what an answer said: the limit and what is left in Trengo's window, the time the
    /// request took, and (for a 429) how long to hold every lane.
    pub fn observe(
        &self,
        limit: Option<u32>,
        remaining: Option<u32>,
        latency: Option<Duration>,
        retry_after: Option<Duration>,
    ) {
        let mut st = lock(&self.inner.state);
        let now = Instant::now();
        if let Some(l) = limit.filter(|l| *l > 0) {
            st.limit = l;
        }
        if let Some(d) = latency {
            st.latencies.push_back(d);
            if st.latencies.len() > 64 {
                st.latencies.pop_front();
            }
        }
        // A 429's `remaining: 0` is covered by its Retry-After; only other answers re-sync the count.
        if let Some(r) = remaining.filter(|_| retry_after.is_none()) {
            st.remaining_reported = Some(r);
            // Requests Trengo counted that we did not let through came from elsewhere on this token.
            let window = self.inner.cfg.window;
            let ours = st
                .log
                .iter()
                .filter(|t| now.duration_since(**t) < window)
                .count() as u32;
            let theirs = st.limit.saturating_sub(r);
            for _ in ours..theirs {
                st.log.push_back(now);
            }
        }
        if let Some(ra) = retry_after {
            st.throttled += 1;
            let until = now + ra;
            st.blocked_until = Some(st.blocked_until.map_or(until, |b| b.max(until)));
        }
        drop(st);
        self.inner.wake.notify_waiters();
    }

    pub fn state(&self) -> BudgetState {
        let mut st = lock(&self.inner.state);
        let now = Instant::now();
        let next = self.next_slot(&mut st, Lane::Bulk, now);
        let window = self.inner.cfg.window;
        BudgetState {
            limit: st.limit,
            window_ms: window.as_millis() as u64,
            used_in_window: st
                .log
                .iter()
                .filter(|t| now.duration_since(**t) < window)
                .count() as u32,
            queued_interactive: st.queues[0].len() as u32,
            queued_watcher: st.queues[1].len() as u32,
            queued_bulk: st.queues[2].len() as u32,
            queued_sync: st.queues[3].len() as u32,
            next_slot_ms: next.saturating_duration_since(now).as_millis() as u64,
            blocked_ms: st
                .blocked_until
                .filter(|b| *b > now)
                .map(|b| (b - now).as_millis() as u64),
            remaining_reported: st.remaining_reported,
            granted_total: st.granted,
            throttled_total: st.throttled,
        }
    }

    /// How long the recent requests of `lane` waited for their slot (the last 1,024).
    pub fn recent_waits(&self, lane: Lane) -> Vec<Duration> {
        lock(&self.inner.state).waits[lane as usize]
            .iter()
            .copied()
            .collect()
    }

    /// The time `n` more background requests need at the budget's pace, beyond what is queued.
    pub fn eta(&self, n: u32) -> Duration {
        let st = lock(&self.inner.state);
        let cap = (st.limit - self.reserve(st.limit)).max(1);
        let queued: u32 = st.queues.iter().map(|q| q.len() as u32).sum();
        self.inner
            .cfg
            .window
            .mul_f64((n + queued) as f64 / cap as f64)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(limit: u32, window_s: u64) -> RequestBudget {
        RequestBudget::new(BudgetConfig {
            limit,
            window: Duration::from_secs(window_s),
            reserve: Some(1),
            margin: Duration::from_millis(100),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn background_lanes_are_paced_evenly_and_never_exceed_the_window() {
        let b = budget(10, 10);
        let start = Instant::now();
        let mut at = vec![];
        for _ in 0..30 {
            b.acquire(Lane::Bulk).await;
            at.push(start.elapsed());
        }
        // Spaced at window/limit = 1 s.
        assert!(
            at.windows(2).all(|w| w[1] - w[0] >= Duration::from_secs(1)),
            "{at:?}"
        );
        // In any 10 s interval, at most limit − reserve = 9.
        for (i, t) in at.iter().enumerate() {
            let n = at[i..]
                .iter()
                .take_while(|u| **u - *t < Duration::from_secs(10))
                .count();
            assert!(n <= 9, "{n} within a window from {t:?}");
        }
        // And it keeps to the rate: 30 requests in about 30 × 10/9 s.
        let total = at.last().unwrap().as_secs_f64();
        assert!(total < 35.0, "{total}");
    }

    #[tokio::test(start_paused = true)]
    async fn interactive_goes_first_and_uses_the_reserve() {
        let b = budget(10, 10);
        // Fill the background share.
        for _ in 0..9 {
            b.acquire(Lane::Bulk).await;
        }
        let b2 = b.clone();
        let bulk = tokio::spawn(async move {
            for _ in 0..20 {
                b2.acquire(Lane::Bulk).await;
            }
        });
        tokio::task::yield_now().await;
        let p = b.acquire(Lane::Interactive).await;
        assert_eq!(p.waited, Duration::ZERO, "the reserve slot is free");
        bulk.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn frequent_interactive_calls_among_saturating_bulk_wait_at_most_a_slot() {
        // Trengo's real 120 per minute; a call every 2 s is a quarter of the budget.
        let b = budget(120, 60);
        let bulk = {
            let b = b.clone();
            tokio::spawn(async move {
                loop {
                    b.acquire(Lane::Bulk).await;
                }
            })
        };
        let mut worst = Duration::ZERO;
        for _ in 0..90 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            worst = worst.max(b.acquire(Lane::Interactive).await.waited);
        }
        bulk.abort();
        assert!(
            worst <= Duration::from_millis(500),
            "an interactive call waited {worst:?}"
        );
        assert!(b.state().used_in_window <= 120);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_every_lane() {
        let b = budget(100, 60);
        b.acquire(Lane::Interactive).await;
        b.observe(None, Some(0), None, Some(Duration::from_secs(5)));
        let t = Instant::now();
        b.acquire(Lane::Interactive).await;
        assert!(t.elapsed() >= Duration::from_secs(5));
        assert_eq!(b.state().throttled_total, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_from_elsewhere_slow_us_down() {
        let b = budget(10, 10);
        b.acquire(Lane::Interactive).await;
        // Trengo says only 1 is left: 8 others were used elsewhere.
        b.observe(Some(10), Some(1), None, None);
        assert_eq!(b.state().used_in_window, 9);
        let t = Instant::now();
        b.acquire(Lane::Bulk).await;
        assert!(
            t.elapsed() >= Duration::from_secs(9),
            "waited {:?}",
            t.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_leaves_the_queue() {
        let b = budget(1, 10);
        b.acquire(Lane::Interactive).await;
        let waiting = tokio::time::timeout(Duration::from_millis(10), b.acquire(Lane::Bulk)).await;
        assert!(waiting.is_err());
        assert_eq!(b.state().queued(), 0);
    }

    #[test]
    fn same_token_same_budget() {
        let t = crate::Token::new("tok");
        let a = RequestBudget::for_token("http://x/api/v2", &t, BudgetConfig::default());
        let b = RequestBudget::for_token("http://x/api/v2/", &t, BudgetConfig::default());
        let c = RequestBudget::for_token(
            "http://x/api/v2",
            &crate::Token::new("other"),
            BudgetConfig::default(),
        );
        assert!(Arc::ptr_eq(&a.inner, &b.inner));
        assert!(!Arc::ptr_eq(&a.inner, &c.inner));
    }
}
