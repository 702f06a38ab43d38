//! The simulator's shared state: the workspace, the limiter, faults, and what it has seen.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::faults::LookupFaults;
use crate::faults::{Faults, Mutation, Stats, Window};
use crate::rng::Rng;
use crate::seed::{self, CustomerSeed};
use crate::world::{Ts, World};
use crate::SimConfig;

pub struct SimState {
    pub(crate) config: SimConfig,
    anchor: Ts,
    pub(crate) world: Mutex<World>,
    pub(crate) customers: Mutex<(HashMap<String, CustomerSeed>, u64)>,
    /// token → user id
    pub(crate) tokens: HashMap<String, u64>,
    pub(crate) limiter: Mutex<Limiter>,
    pub(crate) faults: Mutex<FaultState>,
    pub(crate) lookup_faults: Mutex<LookupFaults>,
    pub(crate) mutations: Mutex<Vec<Mutation>>,
    pub(crate) stats: Mutex<Stats>,
    /// Raw request paths the lookup service received.
    pub(crate) lookups: Mutex<Vec<String>>,
    /// Counts the requests answered (and the workspace's own changes), so a test can wait for
    /// what it expects instead of for a time.
    changes: tokio::sync::watch::Sender<u64>,
    /// Seconds Trengo's clock was moved on by `advance_clock`.
    advanced: std::sync::atomic::AtomicI64,
}

pub(crate) struct Limiter {
    pub limit: u32,
    pub window: std::time::Duration,
    pub windows: HashMap<String, Window>,
    /// How far the limiter's clock is ahead of the real one (see `advance_rate_windows`).
    pub skew: std::time::Duration,
}

pub(crate) struct FaultState {
    pub cfg: Faults,
    pub rng: Rng,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The seeded workspace of `config`; its people keep its zone.
fn seeded(config: &SimConfig, anchor: Ts) -> seed::Seeded {
    let mut seeded = seed::seed(config.seed, config.size, anchor);
    for u in seeded.world.users.values_mut() {
        u.timezone = config.zone.name().to_string();
    }
    seeded
}

impl SimState {
    pub(crate) fn new(config: SimConfig) -> SimState {
        let anchor = config
            .anchor
            .unwrap_or_else(|| chrono::Utc::now().timestamp() + config.clock_offset_secs);
        let seeded = seeded(&config, anchor);
        let user_ids: Vec<u64> = seeded.world.users.keys().copied().collect();
        let tokens = config
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), user_ids[i % user_ids.len()]))
            .collect();
        SimState {
            anchor,
            world: Mutex::new(seeded.world),
            customers: Mutex::new((seeded.customers, seeded.max_customer_no)),
            tokens,
            limiter: Mutex::new(Limiter {
                limit: config.rate_limit,
                window: config.window,
                windows: HashMap::new(),
                skew: std::time::Duration::ZERO,
            }),
            faults: Mutex::new(FaultState {
                rng: Rng::new(config.faults.seed),
                cfg: config.faults.clone(),
            }),
            lookup_faults: Mutex::new(config.lookup.clone()),
            mutations: Mutex::new(vec![]),
            stats: Mutex::new(Stats::default()),
            lookups: Mutex::new(vec![]),
            changes: tokio::sync::watch::channel(0).0,
            advanced: std::sync::atomic::AtomicI64::new(0),
            config,
        }
    }

    /// Says that a request was answered or the workspace changed: wakes whoever waits in
    /// [`SimState::until`].
    pub(crate) fn touch(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    /// Waits until `cond` holds, checking it again after each request the simulator answers
    /// (and each change it makes on its own); false if it still does not hold `within`.
    pub async fn until(
        &self,
        within: std::time::Duration,
        cond: impl Fn(&SimState) -> bool,
    ) -> bool {
        let mut changes = self.changes.subscribe();
        tokio::time::timeout(within, async {
            while !cond(self) {
                // The sender lives as long as `self`.
                let _ = changes.changed().await;
            }
        })
        .await
        .is_ok()
    }

    /// The workspace, locked. Keep the guard short: every request waits on it.
    pub fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.world)
    }

    pub fn now(&self) -> Ts {
        (chrono::Utc::now().timestamp() + self.config.clock_offset_secs).max(self.anchor)
            + self.advanced.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Moves Trengo's clock (its times and its `Date`) on by `secs` seconds: a test that needs
    /// "changed after" to be a later second than what it read takes one, instead of waiting.
    pub fn advance_clock(&self, secs: i64) {
        self.advanced
            .fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }

    /// The user a token belongs to.
    pub fn user_of_token(&self, token: &str) -> Option<u64> {
        self.tokens.get(token).copied()
    }

    pub fn mutations(&self) -> Vec<Mutation> {
        lock(&self.mutations).clone()
    }

    pub fn stats(&self) -> Stats {
        lock(&self.stats).clone()
    }

    pub fn faults(&self) -> Faults {
        lock(&self.faults).cfg.clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        let mut f = lock(&self.faults);
        f.rng = Rng::new(faults.seed);
        f.cfg = faults;
    }

    pub fn lookup_faults(&self) -> LookupFaults {
        lock(&self.lookup_faults).clone()
    }

    pub fn set_lookup_faults(&self, faults: LookupFaults) {
        *lock(&self.lookup_faults) = faults;
    }

    /// Changes the rate limit at runtime; current windows start over.
    pub fn set_rate_limit(&self, limit: u32, window: std::time::Duration) {
        let mut l = lock(&self.limiter);
        l.limit = limit;
        l.window = window;
        l.windows.clear();
    }

    /// Moves the rate limiter's clock on by `by`, as if that much time had passed: a test of
    /// windows turning needs no wait.
    pub fn advance_rate_windows(&self, by: std::time::Duration) {
        lock(&self.limiter).skew += by;
    }

    pub fn rate_limit(&self) -> (u32, std::time::Duration) {
        let l = lock(&self.limiter);
        (l.limit, l.window)
    }

    pub fn lookups(&self) -> Vec<String> {
        lock(&self.lookups).clone()
    }

    /// Back to the seeded workspace, with empty logs, stats and rate windows; faults off.
    pub fn reset(&self) {
        let seeded = seeded(&self.config, self.anchor);
        *lock(&self.world) = seeded.world;
        *lock(&self.customers) = (seeded.customers, seeded.max_customer_no);
        lock(&self.mutations).clear();
        *lock(&self.stats) = Stats::default();
        lock(&self.lookups).clear();
        {
            let mut l = lock(&self.limiter);
            l.limit = self.config.rate_limit;
            l.window = self.config.window;
            l.windows.clear();
            l.skew = std::time::Duration::ZERO;
        }
        self.set_faults(Faults::default());
        self.set_lookup_faults(LookupFaults::default());
    }

    pub(crate) fn lock_limiter(&self) -> MutexGuard<'_, Limiter> {
        lock(&self.limiter)
    }
    pub(crate) fn lock_faults(&self) -> MutexGuard<'_, FaultState> {
        lock(&self.faults)
    }
    pub(crate) fn lock_stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.stats)
    }
    pub(crate) fn lock_mutations(&self) -> MutexGuard<'_, Vec<Mutation>> {
        lock(&self.mutations)
    }
    pub(crate) fn lock_lookups(&self) -> MutexGuard<'_, Vec<String>> {
        lock(&self.lookups)
    }
    pub(crate) fn lock_customers(&self) -> MutexGuard<'_, (HashMap<String, CustomerSeed>, u64)> {
        lock(&self.customers)
    }
}
