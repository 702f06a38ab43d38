//! What the benchmarks share: a Desk on a simulator with a given request budget.

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
