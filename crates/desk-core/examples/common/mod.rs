//! What the benchmarks share: a Desk on a simulator with a given request budget.

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use desk_core::{Desk, DeskConfig, MemoryStore, Token};
use trengo_sim::Sim;
use trengo_unified::api::BudgetConfig;

/// A Desk on the simulator as the demo lead, its cache in `dir`, secrets in memory.
pub async fn open(sim: &Sim, dir: &std::path::Path, budget: BudgetConfig) -> anyhow::Result<Desk> {
    Ok(Desk::open(DeskConfig {
        base_url: sim.base_url(),
        workspace: None,
        data_dir: Some(dir.to_path_buf()),
        token: Some(Token::new("demo-token")),
        secrets: Arc::new(MemoryStore::default()),
        budget: Some(budget),
        read_only: false,
    })
    .await?)
}

/// The `p` quantile (0..=1) of `v`, sorting it; 0 for no samples.
#[allow(dead_code)] // not every benchmark reports quantiles
pub fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// A cache in `dir` synced from `sim` with no limit (the set-up, not measured); `more` does the
/// rest of the set-up on that Desk. The budget file it leaves is removed, so the Desk that is
/// measured starts a window of its own.
#[allow(dead_code)] // not every benchmark prepares a cache
pub async fn prepare<F, Fut>(sim: &Sim, dir: &std::path::Path, more: F) -> anyhow::Result<()>
where
    F: FnOnce(Desk) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let setup = open(
        sim,
        dir,
        BudgetConfig {
            limit: 1_000_000,
            ..BudgetConfig::default()
        },
    )
    .await?;
    setup.sync().run(&|_| {}, &AtomicBool::new(false)).await?;
    more(setup).await?;
    for f in std::fs::read_dir(dir.join("workspaces"))? {
        let p = f?.path();
        if p.extension().is_some_and(|e| e == "budget") {
            std::fs::remove_file(p)?;
        }
    }
    Ok(())
}

/// Every ticket of `sim` straight into the cache (Trengo's JSON, decoded and mapped as a sync
/// does), so a cache holds 100,000 without 4,000 page requests; `all_open` puts them all in the
/// working set.
#[allow(dead_code)] // not every benchmark fills a cache
pub async fn fill(
    sim: &Sim,
    cache: &desk_core::cache::Cache,
    all_open: bool,
) -> anyhow::Result<()> {
    use trengo_unified::api::model as api;
    use trengo_unified::mapping;
    let d = cache.directory().await?;
    let tickets: Vec<api::Ticket> = {
        let w = sim.state().world();
        w.tickets
            .values()
            .map(|t| {
                serde_json::from_value(
                    serde_json::to_value(trengo_sim::json::ticket(
                        &w,
                        t,
                        trengo_sim::json::TsStyle::List,
                        false,
                    ))
                    .unwrap(),
                )
                .unwrap()
            })
            .collect()
    };
    let now = chrono::Utc::now().timestamp();
    for chunk in tickets.chunks(2_000) {
        let mut tx = cache.pool().begin().await?;
        for t in chunk {
            if let Some(c) = &t.contact {
                desk_core::cache::Cache::put_contact(&mut tx, &mapping::contact(c, &d, false), now)
                    .await?;
            }
            let open = all_open
                || matches!(
                    t.status,
                    api::TicketStatus::Open | api::TicketStatus::Assigned
                );
            desk_core::cache::Cache::put_ticket(
                &mut tx,
                &mapping::ticket(t, &d, &sim.base_url(), false),
                open,
                now,
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
