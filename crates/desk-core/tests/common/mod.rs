//! What the integration tests share: a simulator, and a Desk on it with a fresh cache file.

#![allow(dead_code)]

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use desk_core::{Desk, DeskConfig, MemoryStore, Token};
use trengo_sim::{Sim, SimConfig, Size};
use trengo_unified::api::BudgetConfig;

/// A simulator of `size` whose rate limit never binds.
pub async fn sim(size: Size) -> Sim {
    Sim::start(SimConfig {
        size,
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// A Desk on the simulator as the demo lead, its cache in `dir`, secrets in memory.
pub async fn open(sim: &Sim, dir: &std::path::Path) -> Desk {
    open_with(
        sim,
        dir,
        BudgetConfig {
            limit: 1_000_000,
            ..BudgetConfig::default()
        },
    )
    .await
}

/// The same, with its own request budget (the token's budget is shared in a process: open this
/// one when no other Desk of the token is alive).
pub async fn open_with(sim: &Sim, dir: &std::path::Path, budget: BudgetConfig) -> Desk {
    Desk::open(DeskConfig {
        base_url: sim.base_url(),
        workspace: None,
        data_dir: Some(dir.to_path_buf()),
        token: Some(Token::new("demo-token")),
        secrets: Arc::new(MemoryStore::default()),
        budget: Some(budget),
        read_only: false,
    })
    .await
    .unwrap()
}

/// Opening the workspace on `dir` as the app would (`token` given, or none: the stored one), for
/// a test that expects it to fail.
pub async fn try_open(
    sim: &Sim,
    dir: &std::path::Path,
    token: Option<&str>,
) -> desk_core::Result<Desk> {
    Desk::open(DeskConfig {
        base_url: sim.base_url(),
        workspace: None,
        data_dir: Some(dir.to_path_buf()),
        token: token.map(Token::new),
        secrets: Arc::new(MemoryStore::default()),
        budget: None,
        read_only: false,
    })
    .await
}

pub async fn sync(desk: &Desk) -> desk_core::SyncReport {
    desk.sync()
        .run(&|_| {}, &AtomicBool::new(false))
        .await
        .unwrap()
}

/// A simulator and a Desk on it whose cache has been synced once.
pub async fn synced(size: Size) -> (Sim, tempfile::TempDir, Desk) {
    let sim = sim(size).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = open(&sim, dir.path()).await;
    sync(&desk).await;
    (sim, dir, desk)
}

/// The Desk's cache file, opened on its own (a test looks into the real SQLite file).
pub async fn db(desk: &Desk) -> sqlx::SqlitePool {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(desk.session().cache_path())
        .busy_timeout(std::time::Duration::from_secs(10));
    sqlx::SqlitePool::connect_with(opts).await.unwrap()
}

/// The simulator's admin call `path` (`assign`, `inbound` …), as a colleague's or a customer's
/// action from outside.
pub async fn admin(sim: &Sim, path: &str, body: serde_json::Value) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{}/__sim/{path}", sim.root_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Another agent of the workspace: their own token on the same simulator.
pub const COLLEAGUE: &str = "colleague-token";

/// A simulator of `size` that also knows a colleague's token, a synced Desk on it as the lead, and
/// the colleague's own client (who changes Trengo behind our cache's back).
pub async fn with_colleague(
    size: Size,
) -> (Sim, tempfile::TempDir, Desk, trengo_unified::api::Client) {
    let sim = Sim::start(SimConfig {
        size,
        rate_limit: 1_000_000,
        tokens: vec!["demo-token".into(), COLLEAGUE.into()],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let desk = open(&sim, dir.path()).await;
    sync(&desk).await;
    let colleague = trengo_unified::api::Client::new(trengo_unified::api::ClientConfig::new(
        sim.base_url(),
        trengo_unified::api::Token::new(COLLEAGUE),
    ))
    .unwrap();
    (sim, dir, desk, colleague)
}

/// Runs Trengo's clock a second behind the desktop's: what the test sets up from now on is
/// stamped before the second in which the desktop switches a rule on (by its own clock), without
/// waiting for a second to turn. [`trengo_in_step`] puts it back once the rule is on.
#[allow(dead_code)]
pub fn trengo_behind(sim: &Sim) {
    sim.state().advance_clock(-1);
}

/// Puts Trengo's clock back in step after [`trengo_behind`]: what happens from now on is stamped
/// in or after the second the rule was switched on.
#[allow(dead_code)]
pub fn trengo_in_step(sim: &Sim) {
    sim.state().advance_clock(1);
}

/// Moves Trengo's clock on by a second: its times and the cache's marks are whole seconds, so
/// "changed after" what was read needs a later second (injected, not waited for).
#[allow(dead_code)]
pub fn next_second(sim: &Sim) {
    sim.state().advance_clock(1);
}
