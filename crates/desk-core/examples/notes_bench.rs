//! Internal notes in bulk at the rate limit: what a note costs and how close to the bound a job
//! of them runs, and a 50-ticket job against a plain script's loop.
//!
//! cargo run --release -p desk-core --example notes_bench -- [N LIMIT WINDOW_SECS LATENCY_MS]
//! (default: 600 200 10 50, i.e. L = 200 a window of 10 s so that N >= 3 L)
//!
//! Part 1: N tickets get one note each as one job; it prints requests per note (a note is posted
//! without a read first), the wall time against the bound (requests ÷ L windows) and 429s.
//! Part 2: 50 notes at Trengo's own 120 a minute, once as a job and once as a plain loop of
//! POSTs one after another (what a script would do): the job's time over the loop's.

mod common;
use common::open;

use std::time::{Duration, Instant};

use desk_core::jobs::{Action, Selection};
use trengo_sim::world::Status;
use trengo_sim::{Faults, Sim, SimConfig, Size};
use trengo_unified::api::{BudgetConfig, Client, ClientConfig, Token};

async fn setup(
    limit: u32,
    window: Duration,
    latency: u64,
) -> anyhow::Result<(Sim, tempfile::TempDir, Vec<u64>)> {
    let sim = Sim::start(SimConfig {
        size: Size::Demo,
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    common::prepare(&sim, dir.path(), |_| async { Ok(()) }).await?;
    sim.state().set_rate_limit(limit, window);
    sim.state().set_faults(Faults {
        latency_ms: latency,
        ..Faults::default()
    });
    let ids = {
        let w = sim.state().world();
        w.tickets
            .values()
            .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
            .map(|t| t.id)
            .collect()
    };
    Ok((sim, dir, ids))
}

async fn job(
    sim: &Sim,
    dir: &std::path::Path,
    ids: &[u64],
    limit: u32,
    window: Duration,
) -> anyhow::Result<(Duration, u32, u64)> {
    let desk = open(
        sim,
        dir,
        BudgetConfig {
            limit,
            window,
            ..BudgetConfig::default()
        },
    )
    .await?;
    let sel = Selection::Pasted {
        text: ids
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let note = [Action::AddNote {
        text: "Known outage at the payment provider; use macro 14.".into(),
        note_id: None,
    }];
    let j = desk.jobs().create(&sel, &note).await?;
    let before = sim.state().stats();
    let t = Instant::now();
    let end = desk.jobs().run(j.id, &|_| {}).await?;
    let took = t.elapsed();
    anyhow::ensure!(
        end.state.as_str() == "done" && end.done as usize == ids.len(),
        "{end:?}"
    );
    let after = sim.state().stats();
    let r429 = after.by_status.get(&429).copied().unwrap_or(0)
        - before.by_status.get(&429).copied().unwrap_or(0);
    Ok((took, end.requests, r429))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: f64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let n = num(0, 600.0) as usize;
    let limit = num(1, 200.0) as u32;
    let window = Duration::from_secs_f64(num(2, 10.0));
    let latency = num(3, 50.0) as u64;

    let (sim, dir, ids) = setup(limit, window, latency).await?;
    anyhow::ensure!(
        ids.len() >= n,
        "the demo seed has {} open tickets",
        ids.len()
    );
    let ids = &ids[..n];
    let (took, requests, r429) = job(&sim, dir.path(), ids, limit, window).await?;
    let per = window.as_secs_f64() / limit as f64;
    let bound = Duration::from_secs_f64(requests as f64 * per);
    println!(
        "notes: N = {n}, L = {limit} per {:.0} s (N/L = {:.1}), Trengo answers in {latency} ms",
        window.as_secs_f64(),
        n as f64 / limit as f64
    );
    println!(
        "  requests per note: {:.3} ({requests} requests for {n} notes)",
        requests as f64 / n as f64
    );
    println!(
        "  wall {:.1} s against the bound {:.1} s: ratio {:.3}; 429s: {r429}",
        took.as_secs_f64(),
        bound.as_secs_f64(),
        took.as_secs_f64() / bound.as_secs_f64()
    );

    // 50 notes at 120 a minute: the job against a plain loop.
    let (sim, dir, ids) = setup(120, Duration::from_secs(60), latency).await?;
    let (took, _, _) = job(&sim, dir.path(), &ids[..50], 120, Duration::from_secs(60)).await?;
    let plain = Client::new(ClientConfig::new(sim.base_url(), Token::new("demo-token")))?;
    let t = Instant::now();
    for id in &ids[50..100] {
        plain
            .post_message(*id, "A plain loop's note.", true, &[])
            .await?;
    }
    let looped = t.elapsed();
    println!("50 notes at 120 a minute, Trengo answers in {latency} ms:");
    println!(
        "  job {:.2} s, a plain loop {:.2} s: job ÷ loop {:.2}",
        took.as_secs_f64(),
        looped.as_secs_f64(),
        took.as_secs_f64() / looped.as_secs_f64()
    );
    Ok(())
}
