//! # trengo-sim: a local Trengo
//!
//! An HTTP server that behaves like Trengo's REST API v2 as ../shared/trengo-api.md describes it:
//! the endpoints Trengo Desk uses (under `/api/v2`), both pagination envelopes, Laravel's error
//! bodies, the per-token rate limit and its headers, plus fault injection, an admin API under
//! `/__sim`, seeded deterministic workspaces and a demo customer-lookup service under `/lookup`.
//!
//! It never imports the client's types: its structs are written from the API page, so a wrong field
//! name in the client fails a test instead of passing twice.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let sim = trengo_sim::Sim::start(trengo_sim::SimConfig::default()).await?;
//! println!("base URL: {}", sim.base_url()); // http://127.0.0.1:PORT/api/v2, token "demo-token"
//! # Ok(()) }
//! ```

mod admin;
mod api;
mod faults;
mod gate;
pub mod json;
mod lookup;
pub mod rng;
pub mod seed;
mod server;
pub mod state;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use faults::LookupFaults;
pub use faults::{Faults, Mutation, Stats};
pub use seed::Size;
pub use state::SimState;
pub use world::World;

/// The token every demo and test uses unless told otherwise.
pub const DEFAULT_TOKEN: &str = "demo-token";
/// The key the demo lookup service expects in `X-Api-Key`.
pub const DEFAULT_LOOKUP_KEY: &str = "demo-lookup-key";

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    pub seed: u64,
    pub size: Size,
    /// Unix seconds the seeded history ends at; `None` means now.
    pub anchor: Option<i64>,
    /// Accepted tokens: the first belongs to the first seeded user (the demo's support lead), the
    /// second to the second user, and so on.
    pub tokens: Vec<String>,
    /// Requests allowed per token per window (Trengo: 120 per minute).
    pub rate_limit: u32,
    pub window: Duration,
    pub faults: Faults,
    pub lookup: LookupFaults,
    /// `None` serves the lookup service without a key.
    pub lookup_key: Option<String>,
    /// Now and then assign an open ticket to the first user, as a colleague would (the demo).
    pub auto_assign_every: Option<Duration>,
    /// The zone of the workspace's zone-less times: Amsterdam, as real answers show; another to
    /// see that a client learns it from Trengo's clock.
    pub zone: chrono_tz::Tz,
    /// Seconds Trengo's clock runs ahead of this machine's (negative: behind, as for a desktop
    /// whose clock is fast); its times and `Date` headers follow it.
    pub clock_offset_secs: i64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 1,
            size: Size::Small,
            anchor: None,
            tokens: vec![DEFAULT_TOKEN.to_string()],
            rate_limit: 120,
            window: Duration::from_secs(60),
            faults: Faults::default(),
            lookup: LookupFaults::default(),
            lookup_key: Some(DEFAULT_LOOKUP_KEY.to_string()),
            auto_assign_every: None,
            zone: json::TRENGO_ZONE,
            clock_offset_secs: 0,
        }
    }
}

/// A running simulator. Dropping it stops the server and closes every open connection.
pub struct Sim {
    addr: SocketAddr,
    state: Arc<SimState>,
    shutdown: tokio::sync::watch::Sender<bool>,
    server: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Sim {
    /// Seeds the workspace, binds, and serves in the background on the current tokio runtime.
    pub async fn start(config: SimConfig) -> std::io::Result<Sim> {
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let auto_assign = config.auto_assign_every;
        let state = Arc::new(SimState::new(config));
        let (shutdown, rx) = tokio::sync::watch::channel(false);
        let app = server::router(state.clone());
        let server = tokio::spawn(server::serve(listener, app, rx.clone()));
        if let Some(every) = auto_assign {
            tokio::spawn(admin::auto_assign_loop(state.clone(), every, rx));
        }
        Ok(Sim {
            addr,
            state,
            shutdown,
            server: std::sync::Mutex::new(Some(server)),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/api/v2`: what a Trengo client takes as its base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v2", self.addr)
    }

    /// `http://127.0.0.1:PORT`: the admin API lives under `/__sim`, the lookup service under `/lookup`.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/lookup/customers/{id}`: the demo lookup service's URL template.
    pub fn lookup_template(&self) -> String {
        format!("http://{}/lookup/customers/{{id}}", self.addr)
    }

    /// Direct access to the simulator's state, for tests that check what Trengo now holds.
    pub fn state(&self) -> &Arc<SimState> {
        &self.state
    }

    /// Stops accepting and closes every open connection.
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Stops, and returns once the port refuses new connections.
    pub async fn stopped(&self) {
        self.stop();
        let server = self.server.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(server) = server {
            let _ = server.await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop();
    }
}
