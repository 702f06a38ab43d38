//! A bulk job at the rate limit, with a colleague changing some of its tickets meanwhile: what it
//! costs to read every ticket fresh before changing it.
//!
//! cargo run --release -p desk-core --example bulk_bench -- [N LIMIT WINDOW_SECS LATENCY_MS ALREADY COLLEAGUE PROBE_SECS]
//! (default: 1000 200 10 50 0.3 0.05 2, i.e. L = 1,200 a minute in 10 s windows so that N >= 3 L,
//! 30% already tagged, a colleague changing 5% of the tickets during the job, a click every 2 s)
//!
//! The same job runs twice, on two simulators with the same seed: once on a filter selection
//! (the job reads its tickets from Trengo's list pages, 25 a request) and once on the same
//! tickets as pasted ids (read one by one). For each it prints the requests per effective change
//! (reads included), the wall time against the bound (requests ÷ L), 429s, and the waits of the
//! clicks made during the job.

mod common;
use common::{open, pct};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_core::jobs::{Action, Selection};
use desk_core::view::TicketFilter;
use trengo_sim::world::Status;
use trengo_sim::{Faults, Sim, SimConfig, Size};
use trengo_unified::api::{BudgetConfig, Client, ClientConfig, Lane, Token};

const A: u64 = 1050;
const B: u64 = 1051;
const COLLEAGUE: &str = "colleague-token";

struct Args {
    n: usize,
    limit: u32,
    window: Duration,
    latency: u64,
    already: f64,
    colleague: f64,
    probe_every: f64,
}

/// A simulator where `n` open tickets carry tag A, a share of them B already.
async fn world(a: &Args) -> anyhow::Result<(Sim, Vec<u64>)> {
    let sim = Sim::start(SimConfig {
        size: Size::Demo,
        rate_limit: 1_000_000,
        tokens: vec!["demo-token".into(), COLLEAGUE.into()],
        ..SimConfig::default()
    })
    .await?;
    let ids = {
        let mut w = sim.state().world();
        for t in w.tickets.values_mut() {
            t.label_ids.retain(|l| *l != A && *l != B);
        }
        let ids: Vec<u64> = w
            .tickets
            .values()
            .rev()
            .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
            .map(|t| t.id)
            .take(a.n)
            .collect();
        anyhow::ensure!(ids.len() == a.n, "only {} open tickets", ids.len());
        for (i, id) in ids.iter().enumerate() {
            let t = w.tickets.get_mut(id).unwrap();
            t.label_ids.push(A);
            if (i as f64) < a.already * a.n as f64 {
                t.label_ids.push(B);
            }
        }
        ids
    };
    Ok((sim, ids))
}

async fn run(a: &Args, pasted: bool) -> anyhow::Result<()> {
    let (sim, ids) = world(a).await?;
    let dir = tempfile::tempdir()?;
    // The cache is synced first (not measured).
    common::prepare(&sim, dir.path(), |_| async { Ok(()) }).await?;
    sim.state().set_rate_limit(a.limit, a.window);
    sim.state().set_faults(Faults {
        latency_ms: a.latency,
        ..Faults::default()
    });
    let desk = open(
        &sim,
        dir.path(),
        BudgetConfig {
            limit: a.limit,
            window: a.window,
            ..BudgetConfig::default()
        },
    )
    .await?;
    let sel = if pasted {
        Selection::Pasted {
            text: ids
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    } else {
        Selection::Filter {
            filter: TicketFilter {
                status: Some(desk_core::view::StatusFilter::Open),
                tag_id: Some(A.to_string()),
                ..TicketFilter::default()
            },
        }
    };
    let actions = [Action::AddTag {
        tag_id: B.to_string(),
    }];
    let plan = desk.jobs().plan(&sel, &actions).await?;
    let job = desk.jobs().create(&sel, &actions).await?;
    let before = sim.state().stats();
    let stop = Arc::new(AtomicBool::new(false));

    // A click every 2 s while the job runs (a client of the same token shares the Desk's budget).
    let clicks = clicks(&sim, stop.clone(), ids[0], a.probe_every)?;
    // A colleague changes a share of the job's tickets while it runs: tags some, untags others.
    let expected =
        Duration::from_secs_f64(plan.requests as f64 / (a.limit as f64 / a.window.as_secs_f64()));
    let colleague = {
        let stop = stop.clone();
        let client = Client::new(ClientConfig::new(sim.base_url(), Token::new(COLLEAGUE)))?;
        let k = (a.colleague * a.n as f64).round() as usize;
        let picks: Vec<(u64, bool)> = (0..k)
            .map(|i| {
                let id = ids[(i * 7919 + 13) % ids.len()];
                (id, i % 2 == 0)
            })
            .collect();
        tokio::spawn(async move {
            let gap = expected / (k as u32 + 1);
            let mut untagged = vec![];
            let mut done = 0u64;
            for (id, add) in picks {
                tokio::time::sleep(gap).await;
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let r = if add {
                    client.attach_label(id, B).await
                } else {
                    untagged.push(id);
                    client.detach_label(id, B).await
                };
                done += u64::from(r.is_ok());
            }
            (done, untagged)
        })
    };

    let started = Instant::now();
    let end = desk.jobs().run(job.id, &|_| {}).await?;
    let wall = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (calls, waits) = clicks.await?;
    let (changed_by_colleague, untagged) = colleague.await?;
    let after = sim.state().stats();
    let ours = |s: &trengo_sim::Stats| {
        s.by_token
            .get("demo-token")
            .map(|t| t.requests)
            .unwrap_or(0)
    };
    let server_requests = (ours(&after) - ours(&before)) as f64 - calls as f64;
    let all = (after.requests - before.requests) as f64;
    let mut waits: Vec<f64> = waits.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    // Every ticket ends tagged, but those the colleague untagged (before or after our write).
    let right = {
        let w = sim.state().world();
        ids.iter()
            .filter(|i| !untagged.contains(i))
            .all(|i| w.tickets[i].label_ids.contains(&B))
    };

    let changes = end.done as f64;
    // No client sends more than L a window: all the token's requests need this many windows
    // after the first.
    let bound = ((all / a.limit as f64).ceil() - 1.0).max(0.0) * a.window.as_secs_f64();
    println!(
        "  {}: {} tickets, plan {} to change, {} reads ({} list pages), {} requests, ETA {} s",
        if pasted {
            "pasted ids"
        } else {
            "filter selection"
        },
        plan.tickets,
        plan.changes[0].change,
        plan.reads,
        plan.pages,
        plan.requests,
        plan.eta_secs
    );
    println!(
        "    result: {} changed, {} already so, {} failed; every ticket tagged (but those the colleague untagged): {right}; the colleague changed {changed_by_colleague} meanwhile",
        end.done, end.skipped, end.failed
    );
    println!(
        "    requests per effective change: {:.3} (job's count {}), {:.3} (server's count {server_requests:.0}) (goal ≤ 1.05 for a filter selection)",
        end.requests as f64 / changes,
        end.requests,
        server_requests / changes
    );
    println!(
        "    wall {wall:.2} s against the bound {bound:.2} s (all {all:.0} requests on the token need {:.0} windows after the first): ratio {:.3}; {} × 429",
        bound / a.window.as_secs_f64(),
        wall / bound,
        after.rate_limited - before.rate_limited
    );
    println!(
        "    {calls} clicks during the job: budget wait p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        pct(&mut waits, 0.5),
        pct(&mut waits, 0.95),
        pct(&mut waits, 1.0)
    );
    Ok(())
}

/// A click every `every` seconds (a client of the same token, sharing the Desk's budget) until
/// `stop`: how many, and how long each waited in the budget.
fn clicks(
    sim: &Sim,
    stop: Arc<AtomicBool>,
    id: u64,
    every: f64,
) -> anyhow::Result<tokio::task::JoinHandle<(u64, Vec<Duration>)>> {
    let client = Client::new(ClientConfig::new(sim.base_url(), Token::new("demo-token")))?;
    Ok(tokio::spawn(async move {
        let mut calls = 0u64;
        while every > 0.0 && !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_secs_f64(every)).await;
            let _ = client.ticket(id).await;
            calls += 1;
        }
        (calls, client.budget().recent_waits(Lane::Interactive))
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let v: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: f64| -> anyhow::Result<f64> {
        Ok(v.get(i).map(|s| s.parse()).transpose()?.unwrap_or(d))
    };
    let a = Args {
        n: arg(0, 1000.0)? as usize,
        limit: arg(1, 200.0)? as u32,
        window: Duration::from_secs_f64(arg(2, 10.0)?),
        latency: arg(3, 50.0)? as u64,
        already: arg(4, 0.3)?,
        colleague: arg(5, 0.05)?,
        probe_every: arg(6, 2.0)?,
    };
    println!(
        "bulk job: N = {}, {:.0}% already tagged, a colleague changing {:.0}% meanwhile, L = {} per {:.0} s ({:.0}/min), latency {} ms, a click every {} s",
        a.n,
        a.already * 100.0,
        a.colleague * 100.0,
        a.limit,
        a.window.as_secs_f64(),
        a.limit as f64 * 60.0 / a.window.as_secs_f64(),
        a.latency,
        a.probe_every
    );
    run(&a, false).await?;
    run(&a, true).await?;
    Ok(())
}
