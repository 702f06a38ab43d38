//! The assignment watcher's detection latency: a colleague assigns a ticket to me at a random
//! moment; how long until a poll reports it. Also its cost in requests.
//!
//! cargo run --release -p desk-core --example watch_bench -- [INTERVAL_SECS SAMPLES]

mod common;
use common::open;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use trengo_sim::world::{AssignTo, Status};
use trengo_sim::{Sim, SimConfig, Size};
use trengo_unified::api::BudgetConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let interval =
        Duration::from_secs_f64(args.first().map(|s| s.parse()).transpose()?.unwrap_or(5.0));
    let samples: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(12);
    let sim = Sim::start(SimConfig {
        size: Size::Demo,
        ..SimConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    let desk = Arc::new(open(&sim, dir.path(), BudgetConfig::default()).await?);
    desk.sync().run(&|_| {}, &AtomicBool::new(false)).await?;
    desk.watcher().poll().await?;
    let before = sim.state().stats().requests;
    let started = Instant::now();
    let mut polls = 0u32;
    let mut latencies = vec![];
    let candidates: Vec<u64> = sim
        .state()
        .world()
        .tickets
        .values()
        .filter(|t| t.status == Status::Open && t.user_id.is_none())
        .map(|t| t.id)
        .take(samples)
        .collect();
    for (k, id) in candidates.iter().enumerate() {
        // Assign at a moment spread over the poll cycle.
        let offset = interval.mul_f64((k as f64 + 0.5) / samples as f64);
        let sim_state = sim.state().clone();
        let id = *id;
        let assigned = tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let now = chrono::Utc::now().timestamp();
            sim_state
                .world()
                .assign(id, AssignTo::User(3601), now)
                .unwrap();
            Instant::now()
        });
        loop {
            let found = desk.watcher().poll().await?;
            polls += 1;
            if found.iter().any(|a| a.ticket_id == id.to_string()) {
                let at = assigned.await?;
                latencies.push(at.elapsed());
                break;
            }
            tokio::time::sleep(interval).await;
        }
    }
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize].as_secs_f64();
    let requests = sim.state().stats().requests - before;
    let per_poll = requests as f64 / polls as f64;
    println!(
        "watcher: poll every {:.0} s, {} assignments: detection p50 {:.2} s, p95 {:.2} s, max {:.2} s (goal p95 ≤ interval + 1 s = {:.0} s)",
        interval.as_secs_f64(),
        latencies.len(),
        p(0.5),
        p(0.95),
        p(1.0),
        interval.as_secs_f64() + 1.0
    );
    println!(
        "watcher: {per_poll:.2} requests per poll ({polls} polls in {:.0} s): {:.0} requests an hour at the default 20 s, {:.1}% of Trengo's 7,200",
        started.elapsed().as_secs_f64(),
        per_poll * 180.0,
        per_poll * 180.0 / 72.0
    );
    Ok(())
}
