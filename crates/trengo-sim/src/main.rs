//! `trengo-sim`: serve a local Trengo on the demo workspace (or another size) until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use trengo_sim::{Faults, Sim, SimConfig, Size};

#[derive(Parser, Debug)]
#[command(
    name = "trengo-sim",
    about = "A local Trengo REST API v2 for Trengo Desk: seeded, rate-limited, with fault injection"
)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8088)]
    port: u16,
    /// Address to bind; keep it on loopback.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// small, demo or large.
    #[arg(long, default_value = "demo")]
    size: Size,
    /// An accepted token; repeat for more (the n-th belongs to the n-th seeded user).
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// Requests per token per window.
    #[arg(long, default_value_t = 120)]
    rate_limit: u32,
    /// The rate-limit window in seconds (Trengo: 60).
    #[arg(long, default_value_t = 60.0)]
    window_secs: f64,
    /// Added latency per request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Share of requests answered 500/502/503.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// The key the lookup service expects in X-Api-Key ("" for none).
    #[arg(long, default_value = trengo_sim::DEFAULT_LOOKUP_KEY)]
    lookup_key: String,
    /// Every this many seconds a new ticket is routed to the first user or their team (0: never).
    #[arg(long, default_value_t = 0.0)]
    auto_assign_secs: f64,
    /// Honour `GET /tickets?updated_at_gt=…` (the API notes' guess) instead of ignoring it.
    #[arg(long)]
    honour_updated_since: bool,
    /// The zone of the workspace's zone-less times (a tz database name); Trengo's is Amsterdam.
    #[arg(long, default_value = "Europe/Amsterdam")]
    zone: chrono_tz::Tz,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let a = Args::parse();
    let tokens = if a.tokens.is_empty() {
        vec![trengo_sim::DEFAULT_TOKEN.to_string()]
    } else {
        a.tokens
    };
    let started = std::time::Instant::now();
    let config = SimConfig {
        addr: SocketAddr::new(a.host, a.port),
        seed: a.seed,
        size: a.size,
        anchor: None,
        tokens: tokens.clone(),
        rate_limit: a.rate_limit,
        window: Duration::from_secs_f64(a.window_secs),
        faults: Faults {
            latency_ms: a.latency_ms,
            jitter_ms: a.jitter_ms,
            error_rate: a.fail_rate,
            honours_updated_since: a.honour_updated_since,
            ..Faults::default()
        },
        lookup_key: (!a.lookup_key.is_empty()).then_some(a.lookup_key),
        auto_assign_every: (a.auto_assign_secs > 0.0)
            .then(|| Duration::from_secs_f64(a.auto_assign_secs)),
        zone: a.zone,
        ..SimConfig::default()
    };
    let sim = Sim::start(config).await?;
    let (tickets, contacts) = {
        let w = sim.state().world();
        (w.tickets.len(), w.contacts.len())
    };
    println!("trengo-sim: {:?} workspace (seed {}), {tickets} tickets, {contacts} contacts, seeded in {:.2?}", a.size, a.seed, started.elapsed());
    println!(
        "  API        {}   (token: {})",
        sim.base_url(),
        tokens.join(", ")
    );
    println!(
        "  rate limit {} per {} s per token",
        a.rate_limit, a.window_secs
    );
    println!("  lookup     {}", sim.lookup_template());
    println!(
        "  admin      {}/__sim/{{mutations,faults,stats,assign,inbound,reset}}",
        sim.root_url()
    );
    println!(
        "try: curl -H 'Authorization: Bearer {}' '{}/tickets?page=1'",
        tokens[0],
        sim.base_url()
    );
    tokio::signal::ctrl_c().await?;
    sim.stop();
    Ok(())
}
