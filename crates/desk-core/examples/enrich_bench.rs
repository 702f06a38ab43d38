//! Enrichment at the rate limit: pasted ids (most matching a contact of the complete contact
//! index), lookups with latency and a concurrency of 8 (the preview), then the contact-field
//! writes of exactly that preview (each contact read fresh before it is written).
//!
//! cargo run --release -p desk-core --example enrich_bench -- [IDS MATCHED LIMIT WINDOW_SECS LOOKUP_MS]
//! (default: 1000 800 200 10 50: L = 1,200 a minute with a 10 s window)
//!
//! Prints the preview's time (the lookups), the apply's time against the rate-limit bound (its
//! requests ÷ L, in windows), and Trengo requests per write.

mod common;
use common::open;

use std::time::{Duration, Instant};

use desk_core::enrich::{demo_source, SourceKind};
use trengo_sim::{Faults, LookupFaults, Sim, SimConfig, Size};
use trengo_unified::api::BudgetConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: f64| -> anyhow::Result<f64> {
        Ok(a.get(i).map(|s| s.parse()).transpose()?.unwrap_or(d))
    };
    let n_ids = arg(0, 1000.0)? as usize;
    let matched = arg(1, 800.0)? as usize;
    let limit = arg(2, 200.0)? as u32;
    let window = Duration::from_secs_f64(arg(3, 10.0)?);
    let lookup_ms = arg(4, 50.0)? as u64;

    // The large workspace: its working set caches well over 800 contacts with a Customer ID.
    let sim = Sim::start(SimConfig {
        size: Size::Large,
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    common::prepare(&sim, dir.path(), |setup| async move {
        // The contact index is complete (not measured: contacts_bench measures it).
        setup.sync().finish_contact_index(&|_| {}).await?;
        Ok(())
    })
    .await?;
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
    // Customer ids of cached contacts (each held by one contact), and ids no contact has.
    let cached: Vec<i64> = sqlx::query_scalar("SELECT id FROM contacts")
        .fetch_all(
            desk_core::cache::Cache::open(desk.session().cache_path())
                .await?
                .pool(),
        )
        .await?;
    let mut ids: Vec<String> = {
        let w = sim.state().world();
        let mut count = std::collections::HashMap::new();
        for c in w.contacts.values() {
            if let Some(v) = c.fields.get(&501) {
                *count.entry(v.clone()).or_insert(0) += 1;
            }
        }
        cached
            .iter()
            .filter_map(|c| w.contacts.get(&(*c as u64)))
            .filter_map(|c| c.fields.get(&501).cloned())
            .filter(|v| count[v] == 1)
            .take(matched)
            .collect()
    };
    let real_matched = ids.len();
    for k in 0..n_ids.saturating_sub(real_matched) {
        ids.push(format!("C-{}", 90_000_000 + k));
    }
    desk.enrich().allow_host(&sim.root_url()).await?;
    let mut src = demo_source(&sim.root_url());
    src.mappings
        .retain(|m| ["502", "503", "504"].contains(&m.field_id.as_str()));
    if let SourceKind::Http { concurrency, .. } = &mut src.kind {
        *concurrency = 8;
    }
    desk.enrich()
        .save_source(
            &src,
            &[("X-Api-Key".into(), trengo_sim::DEFAULT_LOOKUP_KEY.into())],
        )
        .await?;
    sim.state().set_rate_limit(limit, window);
    sim.state().set_faults(Faults {
        latency_ms: 50,
        ..Faults::default()
    });
    sim.state().set_lookup_faults(LookupFaults {
        latency_ms: lookup_ms,
        ..LookupFaults::default()
    });
    let before = sim.state().stats();
    let text = ids.join("\n");

    let started = Instant::now();
    let p = desk.enrich().preview(&src.name, &text).await?;
    let preview_secs = started.elapsed().as_secs_f64();
    let t = Instant::now();
    let job = desk.enrich().apply(&p).await?;
    let end = desk.jobs().run(job.id, &|_| {}).await?;
    let apply_secs = t.elapsed().as_secs_f64();
    let wall = started.elapsed().as_secs_f64();
    let after = sim.state().stats();
    let writes = sim
        .state()
        .mutations()
        .iter()
        .filter(|m| m.applied && m.path.ends_with("/custom_fields"))
        .count() as f64;
    let trengo_requests = (after.requests - before.requests) as f64;
    let windows = ((trengo_requests / limit as f64).ceil() - 1.0).max(0.0);
    let bound = windows * window.as_secs_f64();
    let again = desk.enrich().preview(&src.name, &text).await?;

    println!(
        "enrichment: {n_ids} pasted ids, {real_matched} matching a cached contact, lookups {lookup_ms} ms at concurrency 8, L = {limit} per {:.0} s ({:.0}/min), Trengo latency 50 ms",
        window.as_secs_f64(),
        limit as f64 * 60.0 / window.as_secs_f64()
    );
    println!(
        "  preview: {} contacts to change, {} field changes, {} issues, in {preview_secs:.2} s (the lookups)",
        p.contacts,
        p.changes,
        p.issues.len()
    );
    println!(
        "  apply: {} contacts changed, {} already as the lookup says, {} failed; writes equal the preview's changes: {}",
        end.done,
        end.skipped,
        end.failed,
        writes as u32 == p.changes
    );
    println!(
        "  {writes:.0} field writes, {trengo_requests:.0} Trengo requests ({:.3} per write), {} 429s",
        trengo_requests / writes.max(1.0),
        after.rate_limited - before.rate_limited
    );
    println!(
        "  apply {apply_secs:.2} s against the bound {bound:.2} s ({windows:.0} windows after the first for its {trengo_requests:.0} requests): ratio {:.3}; preview and apply {wall:.2} s",
        apply_secs / bound.max(1.0)
    );
    println!("  a second preview finds {} changes left", again.changes);
    Ok(())
}
