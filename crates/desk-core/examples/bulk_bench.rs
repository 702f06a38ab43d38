//! A bulk job at the rate limit: N tickets, a share already in the target state, answers with
//! latency, and an interactive call every 2 s during the job.
//!
//! cargo run --release -p desk-core --example bulk_bench -- [N LIMIT WINDOW_SECS LATENCY_MS ALREADY PROBE_SECS]
//! (default: 1000 200 10 50 0.3 2, i.e. L = 1,200 a minute with a 10 s window so that N >= 3 L,
//! and an interactive call every 2 s; PROBE_SECS 0 makes none)
//!
//! Prints wall time ÷ the bound (effective requests ÷ L), also counting the interactive calls
//! that shared the limit, requests per effective change, and the budget waits of the interactive
//! calls.

mod common;
use common::open;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_core::jobs::{Action, Selection};
use trengo_sim::world::Status;
use trengo_sim::{Faults, Sim, SimConfig, Size};
use trengo_unified::api::{BudgetConfig, Lane};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: f64| -> anyhow::Result<f64> {
        Ok(a.get(i).map(|s| s.parse()).transpose()?.unwrap_or(d))
    };
    let n = arg(0, 1000.0)? as usize;
    let limit = arg(1, 200.0)? as u32;
    let window = Duration::from_secs_f64(arg(2, 10.0)?);
    let latency = arg(3, 50.0)? as u64;
    let already = arg(4, 0.3)?;
    let probe_every = arg(5, 2.0)?;

    let sim = Sim::start(SimConfig {
        size: Size::Demo,
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await?;
    let label = 1007u64;
    let ids: Vec<u64> = {
        let mut w = sim.state().world();
        let ids: Vec<u64> = w
            .tickets
            .values()
            .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
            .map(|t| t.id)
            .take(n)
            .collect();
        anyhow::ensure!(
            ids.len() == n,
            "the demo has only {} open tickets",
            ids.len()
        );
        for (i, id) in ids.iter().enumerate() {
            let t = w.tickets.get_mut(id).unwrap();
            t.label_ids.retain(|l| *l != label);
            if (i as f64) < already * n as f64 {
                t.label_ids.push(label);
            }
        }
        ids
    };
    // The cache is synced first (not measured), so the job knows which tickets are already so.
    let dir = tempfile::tempdir()?;
    {
        let setup = open(
            &sim,
            dir.path(),
            BudgetConfig {
                limit: 1_000_000,
                ..BudgetConfig::default()
            },
        )
        .await?;
        setup.sync(&|_| {}, &AtomicBool::new(false)).await?;
    }
    sim.state().set_rate_limit(limit, window);
    sim.state().set_faults(Faults {
        latency_ms: latency,
        ..Faults::default()
    });
    let desk = Arc::new(
        open(
            &sim,
            dir.path(),
            BudgetConfig {
                limit,
                window,
                ..BudgetConfig::default()
            },
        )
        .await?,
    );
    let sel = Selection::Ids {
        ids: ids.iter().map(|i| i.to_string()).collect(),
    };
    let actions = [Action::AddTag {
        tag_id: label.to_string(),
    }];
    let plan = desk.plan_job(&sel, &actions).await?;
    let job = desk.create_job(&sel, &actions).await?;
    let before = sim.state().stats();

    // An interactive call every 2 s while the job runs.
    // A client of the same token shares the Desk's budget (one per token in a process).
    let client = trengo_unified::api::Client::new(trengo_unified::api::ClientConfig::new(
        sim.base_url(),
        trengo_unified::api::Token::new("demo-token"),
    ))?;
    let probe_id = ids[0];
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let probe = tokio::spawn(async move {
        let mut calls = 0;
        while probe_every > 0.0 && !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_secs_f64(probe_every)).await;
            let _ = client.ticket(probe_id).await;
            calls += 1;
        }
        calls
    });

    let started = Instant::now();
    let end = desk.run_job(job.id, &|_| {}).await?;
    let wall = started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let calls = probe.await?;
    let after = sim.state().stats();
    let mut waits: Vec<f64> =
        trengo_unified::api::Client::new(trengo_unified::api::ClientConfig::new(
            sim.base_url(),
            trengo_unified::api::Token::new("demo-token"),
        ))?
        .budget()
        .recent_waits(Lane::Interactive)
        .iter()
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();

    let changes = end.done as f64;
    let job_requests = end.requests as f64;
    let server_requests = (after.requests - before.requests) as f64 - calls as f64;
    let l_per_sec = limit as f64 / window.as_secs_f64();
    let bound = job_requests / l_per_sec;
    let slot_ms = window.as_secs_f64() * 1000.0 / limit as f64;
    println!(
        "bulk job: N = {n}, {:.0}% already tagged, L = {limit} per {:.0} s ({:.0}/min), latency {latency} ms",
        already * 100.0,
        window.as_secs_f64(),
        l_per_sec * 60.0
    );
    println!(
        "  plan: {} to change, {} already so, {} requests, ETA {} s",
        plan.changes[0].change, plan.changes[0].already, plan.requests, plan.eta_secs
    );
    println!(
        "  result: {} done, {} skipped, {} failed, state {}",
        end.done, end.skipped, end.failed, end.state
    );
    println!(
        "  wall {wall:.2} s, bound {bound:.2} s (effective requests {job_requests:.0} ÷ L): ratio {:.3} (goal ≤ 1.03)",
        wall / bound
    );
    let bound_all = (job_requests + calls as f64) / l_per_sec;
    println!(
        "  counting the {calls} interactive calls that shared the limit: bound {bound_all:.2} s, ratio {:.3}",
        wall / bound_all
    );
    println!(
        "  requests per effective change: {:.3} (job's own count), {:.3} (server's count) (goal 1.00)",
        job_requests / changes,
        server_requests / changes
    );
    println!(
        "  429s answered: {}",
        after.rate_limited - before.rate_limited
    );
    println!(
        "  interactive calls during the job: {calls}, budget wait p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (one slot = {slot_ms:.1} ms)",
        pct(&mut waits, 0.5),
        pct(&mut waits, 0.95),
        pct(&mut waits, 1.0)
    );
    Ok(())
}
