#![allow(dead_code)]

use std::time::Duration;

use trengo_api::{BudgetConfig, Client, ClientConfig, Token};
use trengo_sim::{Sim, SimConfig, Size};

pub const ANCHOR: i64 = 1_764_000_000;

pub async fn sim_with(cfg: SimConfig) -> Sim {
    Sim::start(SimConfig {
        anchor: Some(ANCHOR),
        ..cfg
    })
    .await
    .expect("simulator starts")
}

/// A small workspace with a limit high enough not to matter.
pub async fn fast_sim() -> Sim {
    sim_with(SimConfig {
        size: Size::Small,
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await
}

pub fn client_for(sim: &Sim, token: &str, limit: u32, window: Duration) -> Client {
    let mut cfg = ClientConfig::new(sim.base_url(), Token::new(token));
    cfg.budget = BudgetConfig {
        limit,
        window,
        ..BudgetConfig::default()
    };
    cfg.timeout = Duration::from_secs(5);
    Client::new(cfg).expect("client")
}

pub fn fast_client(sim: &Sim) -> Client {
    client_for(sim, "demo-token", 1_000_000, Duration::from_secs(60))
}
