//! How many `GET /api/v2/tickets?page=1` the simulator serves per second on this machine, so it is
//! never the bottleneck of a benchmark. The load comes from the same process (16 connections).
//!
//! cargo run --release -p trengo-sim --example throughput -- [SECONDS]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use trengo_sim::{Sim, SimConfig, Size};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secs: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5.0);
    let t = Instant::now();
    let large = Sim::start(SimConfig {
        size: Size::Large,
        ..SimConfig::default()
    })
    .await?;
    println!(
        "sim: `large` workspace (100,000 tickets, 50,000 contacts) generated in {:.2?}",
        t.elapsed()
    );
    drop(large);

    let sim = Sim::start(SimConfig {
        size: Size::Demo,
        rate_limit: u32::MAX,
        ..SimConfig::default()
    })
    .await?;
    let url = format!("{}/tickets?page=1", sim.base_url());
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = vec![];
    for _ in 0..16 {
        let (url, done) = (url.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            while Instant::now() < deadline {
                let r = http
                    .get(&url)
                    .bearer_auth("demo-token")
                    .send()
                    .await
                    .expect("request");
                assert_eq!(r.status(), 200);
                r.bytes().await.expect("body");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let n = done.load(Ordering::Relaxed);
    println!("sim: GET /api/v2/tickets?page=1 on `demo`, faults off: {:.0} requests/s over {secs:.0} s (16 connections, client in the same process)", n as f64 / secs);
    Ok(())
}
