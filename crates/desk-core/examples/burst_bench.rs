//! Our bulk job against the script a lead would otherwise write, at Trengo's rate of 120 a minute
//! (in shorter windows, to keep it short: Laravel's fixed windows, limit and window shrunk
//! together).
//!
//! cargo run --release -p desk-core --example burst_bench -- [LIMIT WINDOW_SECS LATENCY_MS]
//! (default: 30 15 50, i.e. 120 a minute counted in 15 s windows, 50 ms per answer)
//!
//! The job: tag every unassigned ticket carrying tag A with tag B; 30% already have B.
//! - ours: `Desk` with a synced cache; a filter selection (read fresh from Trengo's list pages),
//!   already-so tickets skipped, the budget bursting within the window;
//! - the loop: a plain sequential script (no project code): page Trengo's list with the same
//!   filter and attach B to each ticket, sleeping `Retry-After` on a 429 and trying again.
//!
//! Both run at the same time on two simulators with the same seed, for a small job (N = 0.4 L)
//! and a large one (N = 3 L). Then the large job again with a click every 2 s (the waits of the
//! clicks), and with the clicks made by a second process on the same token (sharing the window
//! through the budget file).

mod common;
use common::{open, pct};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_core::jobs::{Action, Selection};
use desk_core::view::TicketFilter;
use desk_core::Desk;
use serde_json::Value;
use trengo_sim::world::Status;
use trengo_sim::{Faults, Sim, SimConfig, Size};
use trengo_unified::api::{BudgetConfig, Client, ClientConfig, Lane, Token};

const A: u64 = 1050;
const B: u64 = 1051;

struct Setup {
    limit: u32,
    window: Duration,
    latency: u64,
}

/// A simulator where exactly `n` unassigned tickets carry tag A, 30% of them B already.
async fn world(n: usize) -> anyhow::Result<(Sim, Vec<u64>)> {
    let sim = Sim::start(SimConfig {
        size: Size::Demo,
        rate_limit: 1_000_000,
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
            .filter(|t| t.status == Status::Open)
            .map(|t| t.id)
            .take(n)
            .collect();
        anyhow::ensure!(ids.len() == n, "only {} unassigned tickets", ids.len());
        for (i, id) in ids.iter().enumerate() {
            let t = w.tickets.get_mut(id).unwrap();
            t.label_ids.push(A);
            if i % 10 < 3 {
                t.label_ids.push(B);
            }
        }
        ids
    };
    Ok((sim, ids))
}

/// A Desk with a synced cache (not measured), then the limit and the latency set.
async fn desk_on(sim: &Sim, dir: &std::path::Path, s: &Setup) -> anyhow::Result<Desk> {
    common::prepare(sim, dir, |_| async { Ok(()) }).await?;
    sim.state().set_rate_limit(s.limit, s.window);
    sim.state().set_faults(Faults {
        latency_ms: s.latency,
        ..Faults::default()
    });
    open(
        sim,
        dir,
        BudgetConfig {
            limit: s.limit,
            window: s.window,
            ..BudgetConfig::default()
        },
    )
    .await
}

struct Outcome {
    wall: f64,
    requests: u64,
    throttled: u64,
}

async fn ours(desk: &Desk, sim: &Sim) -> anyhow::Result<Outcome> {
    let sel = Selection::Filter {
        filter: TicketFilter {
            status: Some(desk_core::view::StatusFilter::Unassigned),
            tag_id: Some(A.to_string()),
            ..TicketFilter::default()
        },
    };
    let actions = [Action::AddTag {
        tag_id: B.to_string(),
    }];
    let before = sim.state().stats();
    let t = Instant::now();
    let job = desk.jobs().create(&sel, &actions).await?;
    let end = desk.jobs().run(job.id, &|_| {}).await?;
    let wall = t.elapsed().as_secs_f64();
    anyhow::ensure!(end.failed == 0 && end.pending == 0, "{end:?}");
    let after = sim.state().stats();
    Ok(Outcome {
        wall,
        requests: after.requests - before.requests,
        throttled: after.rate_limited - before.rate_limited,
    })
}

/// The script: page the list, attach B to each ticket, sleep Retry-After on a 429.
async fn plain_loop(sim: &Sim) -> anyhow::Result<Outcome> {
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let before = sim.state().stats();
    let t = Instant::now();
    let send = |rb: reqwest::RequestBuilder| async move {
        loop {
            let r = rb
                .try_clone()
                .unwrap()
                .bearer_auth("demo-token")
                .send()
                .await?;
            if r.status() == 429 {
                let secs: u64 = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1);
                tokio::time::sleep(Duration::from_secs(secs)).await;
                continue;
            }
            return Ok::<Value, anyhow::Error>(r.json().await.unwrap_or(Value::Null));
        }
    };
    let mut page = 1;
    loop {
        let v = send(http.get(format!("{base}/tickets")).query(&[
            ("status", "OPEN".to_string()),
            ("labels[]", A.to_string()),
            ("page", page.to_string()),
        ]))
        .await?;
        for t in v["data"].as_array().cloned().unwrap_or_default() {
            let id = t["id"].as_u64().unwrap_or(0);
            send(
                http.post(format!("{base}/tickets/{id}/labels"))
                    .json(&serde_json::json!({ "label_id": B })),
            )
            .await?;
        }
        if v["links"]["next"].is_null() {
            break;
        }
        page += 1;
    }
    let wall = t.elapsed().as_secs_f64();
    let after = sim.state().stats();
    Ok(Outcome {
        wall,
        requests: after.requests - before.requests,
        throttled: after.rate_limited - before.rate_limited,
    })
}

fn tagged_right(sim: &Sim, ids: &[u64]) -> bool {
    let w = sim.state().world();
    ids.iter().all(|i| w.tickets[i].label_ids.contains(&B))
}

async fn side_by_side(name: &str, n: usize, s: &Setup) -> anyhow::Result<()> {
    let (sim_ours, ids) = world(n).await?;
    let (sim_loop, _) = world(n).await?;
    let dir = tempfile::tempdir()?;
    let desk = desk_on(&sim_ours, dir.path(), s).await?;
    sim_loop.state().set_rate_limit(s.limit, s.window);
    sim_loop.state().set_faults(Faults {
        latency_ms: s.latency,
        ..Faults::default()
    });
    let (o, l) = tokio::join!(ours(&desk, &sim_ours), plain_loop(&sim_loop));
    let (o, l) = (o?, l?);
    anyhow::ensure!(tagged_right(&sim_ours, &ids) && tagged_right(&sim_loop, &ids));
    println!(
        "  {name} job, N = {n}: ours {:.2} s, {} requests, {} × 429 · the loop {:.2} s, {} requests, {} × 429 · ours ÷ loop {:.2} (goal ≤ {})",
        o.wall,
        o.requests,
        o.throttled,
        l.wall,
        l.requests,
        l.throttled,
        o.wall / l.wall,
        if name == "small" { "1.0" } else { "0.6" }
    );
    Ok(())
}

/// Interactive calls every 2 s while the large job runs: made here, or by a second process.
async fn with_clicks(n: usize, s: &Setup, other_process: bool) -> anyhow::Result<()> {
    let (sim, ids) = world(n).await?;
    let dir = tempfile::tempdir()?;
    let desk = desk_on(&sim, dir.path(), s).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let clicker = if other_process {
        let child = tokio::process::Command::new(std::env::current_exe()?)
            .arg("clicker")
            .arg(sim.base_url())
            .arg(dir.path())
            .arg(ids[0].to_string())
            .arg(desk.session().workspace())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        Some(child)
    } else {
        None
    };
    let local = if other_process {
        None
    } else {
        let stop = stop.clone();
        let client = Client::new(ClientConfig::new(sim.base_url(), Token::new("demo-token")))?;
        let id = ids[0];
        Some(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let _ = client.ticket(id).await;
            }
            client.budget().recent_waits(Lane::Interactive)
        }))
    };
    let o = ours(&desk, &sim).await?;
    stop.store(true, Ordering::Relaxed);
    let mut waits: Vec<f64> = match (local, clicker) {
        (Some(h), _) => h.await?.iter().map(|d| d.as_secs_f64() * 1000.0).collect(),
        (None, Some(mut c)) => {
            // The clicker stops when the job's requests stop coming (it is told by closing).
            c.start_kill()?;
            let out = c.wait_with_output().await?;
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.trim().parse::<f64>().ok())
                .collect()
        }
        _ => vec![],
    };
    let throttled = sim.state().stats().rate_limited;
    println!(
        "  large job with a click every 2 s ({}): job {:.2} s, {} clicks, budget wait p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms, {} × 429 in all",
        if other_process { "from a second process on the same token" } else { "in the same process" },
        o.wall,
        waits.len(),
        pct(&mut waits, 0.5),
        pct(&mut waits, 0.95),
        pct(&mut waits, 1.0),
        throttled
    );
    Ok(())
}

/// The second process: a click every 2 s on the same token, sharing the window through the
/// workspace's budget file; prints each budget wait (ms) as it goes.
async fn clicker(base_url: &str, data_dir: &str, ticket: u64, ws: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut cfg = ClientConfig::new(base_url, Token::new("demo-token"));
    cfg.budget = BudgetConfig {
        shared: Some(
            std::path::Path::new(data_dir)
                .join("workspaces")
                .join(format!("{ws}.budget")),
        ),
        ..BudgetConfig::default()
    };
    let client = Client::new(cfg)?;
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let t = Instant::now();
        let _ = client.ticket(ticket).await;
        let waited = client
            .budget()
            .recent_waits(Lane::Interactive)
            .last()
            .copied()
            .unwrap_or_else(|| t.elapsed());
        println!("{:.3}", waited.as_secs_f64() * 1000.0);
        std::io::stdout().flush()?;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.first().map(String::as_str) == Some("clicker") {
        return clicker(&a[1], &a[2], a[3].parse()?, &a[4]).await;
    }
    let arg = |i: usize, d: f64| -> anyhow::Result<f64> {
        Ok(a.get(i).map(|s| s.parse()).transpose()?.unwrap_or(d))
    };
    let s = Setup {
        limit: arg(0, 30.0)? as u32,
        window: Duration::from_secs_f64(arg(1, 15.0)?),
        latency: arg(2, 50.0)? as u64,
    };
    let per_min = s.limit as f64 * 60.0 / s.window.as_secs_f64();
    println!(
        "burst: L = {} per {:.0} s ({per_min:.0} a minute), {} ms per answer, 30% already tagged",
        s.limit,
        s.window.as_secs_f64(),
        s.latency
    );
    let small = (s.limit as f64 * 0.4).round() as usize;
    let large = s.limit as usize * 3;
    side_by_side("small", small, &s).await?;
    side_by_side("large", large, &s).await?;
    with_clicks(large, &s, false).await?;
    with_clicks(large, &s, true).await?;
    Ok(())
}
