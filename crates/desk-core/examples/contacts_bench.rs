//! The contact index on the large workspace (50,000 contacts): one pass over Trengo's contact
//! list at a rate limit, then lookups by a field value.
//!
//! cargo run --release -p desk-core --example contacts_bench -- [LIMIT WINDOW_SECS LATENCY_MS]
//! (default: 200 10 20, i.e. 1,200 a minute in 10 s windows, 20 ms per answer)
//!
//! Prints the pass's requests ÷ pages (goal 1.00) and its time, and the p50/p95 of finding the
//! contacts that hold a Customer ID among the 50,000 (goal p95 ≤ 5 ms).

mod common;
use common::{open, pct};

use std::time::{Duration, Instant};

use trengo_sim::{Faults, Sim, SimConfig, Size};
use trengo_unified::api::{BudgetConfig, Lane};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: f64| -> anyhow::Result<f64> {
        Ok(a.get(i).map(|s| s.parse()).transpose()?.unwrap_or(d))
    };
    let limit = arg(0, 200.0)? as u32;
    let window = Duration::from_secs_f64(arg(1, 10.0)?);
    let latency = arg(2, 20.0)? as u64;
    let sim = Sim::start(SimConfig {
        size: Size::Large,
        rate_limit: limit,
        window,
        faults: Faults {
            latency_ms: latency,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await?;
    let contacts = sim.state().world().contacts.len();
    let dir = tempfile::tempdir()?;
    let desk = open(
        &sim,
        dir.path(),
        BudgetConfig {
            limit,
            window,
            ..BudgetConfig::default()
        },
    )
    .await?;
    desk.sync().directory().await?;
    println!(
        "contact index: {contacts} contacts, L = {limit} per {:.0} s ({:.0}/min), {latency} ms per answer",
        window.as_secs_f64(),
        limit as f64 * 60.0 / window.as_secs_f64()
    );
    let before = sim.state().stats().requests;
    let t = Instant::now();
    let mut pages = 0u32;
    loop {
        pages += desk.sync().index_contacts(50, Lane::Sync, &|_| {}).await?;
        if desk.sync().contact_index().await?.complete {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let requests = sim.state().stats().requests - before;
    let ix = desk.sync().contact_index().await?;
    let bound = ((requests as f64 / limit as f64).ceil() - 1.0).max(0.0) * window.as_secs_f64();
    println!(
        "  pass: {} contacts indexed, {pages} pages, {requests} requests: requests ÷ pages {:.3} (goal 1.00)",
        ix.indexed,
        requests as f64 / pages as f64
    );
    println!(
        "  time {secs:.1} s against the rate-limit bound {bound:.1} s ({:.0} windows after the first): ratio {:.3}",
        bound / window.as_secs_f64(),
        secs / bound.max(1.0)
    );
    // Lookups by a field value, as enrichment makes them.
    let ids: Vec<String> = sim
        .state()
        .world()
        .contacts
        .values()
        .filter_map(|c| c.fields.get(&501).cloned())
        .step_by(37)
        .take(2_000)
        .collect();
    let cache = desk_core::cache::Cache::open(desk.session().cache_path()).await?;
    let name = desk
        .directory()
        .lists()
        .await?
        .fields
        .into_iter()
        .find(|f| f.id == "501")
        .map(|f| f.name)
        .unwrap_or_default();
    let mut ms = vec![];
    let mut found = 0;
    for id in &ids {
        let t = Instant::now();
        let hits = cache.contacts_by_field(&name, id).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        found += usize::from(!hits.is_empty());
    }
    println!(
        "  find by Customer ID among {} contacts: {} lookups, {found} found, p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms (goal p95 ≤ 5 ms)",
        ix.indexed,
        ids.len(),
        pct(&mut ms, 0.5),
        pct(&mut ms, 0.95),
        pct(&mut ms, 1.0)
    );
    Ok(())
}
