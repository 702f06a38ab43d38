//! The request budget against the simulator: N label attaches in the Bulk lane while an
//! interactive call arrives every few seconds. Prints the wall time against the least any client
//! needs (no more than L a window: the windows after the first), the 429s provoked and the
//! interactive calls' wait for a slot.
//!
//! cargo run --release -p trengo-api --example budget_bench -- [LIMIT WINDOW_SECS N]
//! Defaults: 200 per 10 s (1,200/min, compressed so N = 3 × L stays short), N = 600.
//! The real pace: `-- 120 60 120` (one minute).

use std::time::{Duration, Instant};

use futures::StreamExt;
use trengo_api::{BudgetConfig, Client, ClientConfig, Lane, Token};
use trengo_sim::{Faults, Sim, SimConfig, Size};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let limit: u32 = args.first().map(|s| s.parse()).transpose()?.unwrap_or(200);
    let window =
        Duration::from_secs_f64(args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(10.0));
    let n: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(600);
    let latency = Duration::from_millis(50);
    let per_min = limit as f64 * 60.0 / window.as_secs_f64();

    let sim = Sim::start(SimConfig {
        size: Size::Demo,
        rate_limit: limit,
        window,
        faults: Faults {
            latency_ms: latency.as_millis() as u64,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await?;
    let mut cfg = ClientConfig::new(sim.base_url(), Token::new("demo-token"));
    cfg.budget = BudgetConfig {
        limit,
        window,
        ..BudgetConfig::default()
    };
    let client = Client::new(cfg)?;
    let bulk = client.lane(Lane::Bulk);
    let ids: Vec<u64> = sim
        .state()
        .world()
        .tickets
        .keys()
        .rev()
        .take(n)
        .copied()
        .collect();
    let label = *sim.state().world().labels.keys().next().unwrap();

    println!(
        "budget bench: L = {limit} per {:.0} s ({per_min:.0}/min), N = {n} label attaches in the Bulk lane, {} ms latency, an interactive call every 2 s",
        window.as_secs_f64(),
        latency.as_millis()
    );
    let started = Instant::now();
    let interactive = {
        let c = client.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                c.me().await.expect("interactive call");
            }
        })
    };
    let results: Vec<_> = futures::stream::iter(ids.iter().copied())
        .map(|id| {
            let b = bulk.clone();
            async move { b.attach_label(id, label).await }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let wall = started.elapsed();
    interactive.abort();
    let failed = results.iter().filter(|r| r.is_err()).count();

    let stats = sim.state().stats();
    let requests = stats
        .by_token
        .get("demo-token")
        .map(|t| t.requests)
        .unwrap_or(0);
    let interactive_n = requests.saturating_sub(n as u64);
    let windows = (requests as f64 / limit as f64).ceil() - 1.0;
    let bound = window.mul_f64(windows.max(0.0));
    let mut waits = client.budget().recent_waits(Lane::Interactive);
    waits.sort();
    let slot = window / limit;
    println!("  requests: {requests} ({n} bulk, {interactive_n} interactive), {failed} failed");
    println!(
        "  wall time: {:.2} s; the rate-limit bound ({windows:.0} windows after the first): {:.2} s; ratio {:.3}",
        wall.as_secs_f64(),
        bound.as_secs_f64(),
        wall.as_secs_f64() / bound.as_secs_f64()
    );
    println!("  429s provoked: {} (goal 0)", stats.rate_limited);
    println!(
        "  interactive wait for a slot: n = {}, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; one slot = {:.1} ms (goal p95 ≤ one slot)",
        waits.len(),
        pct(&waits, 0.5).as_secs_f64() * 1e3,
        pct(&waits, 0.95).as_secs_f64() * 1e3,
        waits.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        slot.as_secs_f64() * 1e3
    );
    Ok(())
}
