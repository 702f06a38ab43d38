//! Auto-tagging rules, measured.
//!
//! cargo run --release -p desk-core --example rules_bench -- [preview|live|all] [INTERVAL_SECS]
//!
//! - preview: 100,000 open tickets in a cache file (the `large` workspace, every ticket open),
//!   20 rules of every kind of condition; the first preview reads the cache, later ones only match
//!   (the goal: p95 ≤ 100 ms a rule).
//! - live: a rule switched on, a watcher pass every INTERVAL_SECS (default 2), ten tickets written
//!   in by customers (`/__sim/inbound`) at random moments; the time from each to its tag landing
//!   in Trengo (the goal: ≤ the interval + 1 s).

mod common;
use common::{open, pct};

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use desk_core::cache::Cache;
use desk_core::jobs::Action;
use desk_core::rules::{Condition, FieldOp, Rule};
use trengo_sim::world::Status;
use trengo_sim::{Sim, SimConfig, Size};
use trengo_unified::api::BudgetConfig;

fn budget() -> BudgetConfig {
    BudgetConfig {
        limit: 1_000_000_000,
        ..BudgetConfig::default()
    }
}

fn rules(tags: &[String], team: &str, vip: &str, prio: &str) -> Vec<Rule> {
    let words = [
        "refund",
        "invoice",
        "order",
        "login",
        "password",
        "shipping",
        "chargeback",
        "cancel",
        "upgrade",
        "export",
    ];
    let mut out = vec![];
    for i in 0..20 {
        let tag = tags[i % tags.len()].clone();
        let conditions = match i % 5 {
            0 => vec![Condition::TextContains {
                words: vec![words[i % words.len()].into(), "terugbetaling".into()],
            }],
            1 => vec![
                Condition::HasTag {
                    tag_id: tag.clone(),
                },
                Condition::Team {
                    team_id: Some(team.into()),
                },
            ],
            2 => vec![
                Condition::ContactField {
                    field_id: vip.into(),
                    op: FieldOp::Equals,
                    values: vec!["yes".into()],
                },
                Condition::Status {
                    status: "unassigned".into(),
                },
            ],
            3 => vec![Condition::TextMatches {
                pattern: format!(r"{}\s+\d+", words[i % words.len()]),
            }],
            _ => vec![
                Condition::TicketField {
                    field_id: prio.into(),
                    op: FieldOp::IsEmpty,
                    values: vec![],
                },
                Condition::OlderThan { hours: 48 },
                Condition::LacksTag {
                    tag_id: tag.clone(),
                },
            ],
        };
        out.push(Rule {
            name: format!("rule {i}"),
            balance: None,
            all: i % 7 != 6,
            conditions,
            actions: vec![Action::AddTag { tag_id: tag }],
        });
    }
    out
}

async fn preview_bench() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = Sim::start(SimConfig {
        size: Size::Large,
        rate_limit: u32::MAX,
        ..SimConfig::default()
    })
    .await?;
    {
        let mut w = sim.state().world();
        for t in w.tickets.values_mut() {
            if !matches!(t.status, Status::Open | Status::Assigned) {
                t.status = Status::Open;
            }
        }
    }
    let desk = open(&sim, dir.path(), budget()).await?;
    desk.sync().directory().await?;
    // Every ticket straight from the simulator's records (Trengo's JSON, decoded and mapped as a
    // sync does), so the cache holds all 100,000 without 4,000 page requests.
    let cache = Cache::open(desk.session().cache_path()).await?;
    common::fill(&sim, &cache, true).await?;
    let dl = desk.directory().lists().await?;
    let tags: Vec<String> = dl.tags.iter().take(10).map(|t| t.id.to_string()).collect();
    let field = |label: &str| {
        dl.fields
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.id.clone())
            .unwrap()
    };
    let rules = rules(&tags, &dl.teams[0].id, &field("VIP"), &field("Priority"));
    let t = Instant::now();
    let first = desk.rules().preview(&rules[0]).await?;
    let cold = t.elapsed();
    let mut times = vec![];
    let mut matched = vec![];
    for _round in 0..5 {
        for r in &rules {
            let t = Instant::now();
            let p = desk.rules().preview(r).await?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            matched.push(p.matches);
        }
    }
    let total = desk.directory().freshness().await?.working_set;
    println!(
        "preview: {total} open tickets cached, 20 rules (text, regex, tags and team, contact and ticket fields, status, age)"
    );
    println!(
        "  first preview (reads the cache into memory): {:.0} ms ({})",
        cold.as_secs_f64() * 1e3,
        first.summary
    );
    println!(
        "  then a rule: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms over {} previews (goal p95 ≤ 100 ms); matches from {} to {}",
        pct(&mut times.clone(), 0.5),
        pct(&mut times.clone(), 0.95),
        pct(&mut times, 1.0),
        matched.len(),
        matched.iter().min().unwrap_or(&0),
        matched.iter().max().unwrap_or(&0)
    );
    Ok(())
}

async fn live_bench(interval: Duration) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = Sim::start(SimConfig {
        size: Size::Small,
        rate_limit: 120,
        ..SimConfig::default()
    })
    .await?;
    let desk = open(
        &sim,
        dir.path(),
        BudgetConfig {
            limit: 120,
            ..BudgetConfig::default()
        },
    )
    .await?;
    desk.sync().run(&|_| {}, &AtomicBool::new(false)).await?;
    let label: u64 = 1002;
    desk.rules()
        .save(&Rule {
            name: "Chargebacks".into(),
            balance: None,
            all: true,
            conditions: vec![Condition::TextContains {
                words: vec!["chargeback".into()],
            }],
            actions: vec![Action::AddTag {
                tag_id: label.to_string(),
            }],
        })
        .await?;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    desk.rules().enable("Chargebacks", true).await?;
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        async move {
            // The app's watcher: a look, then the live rules, every interval.
            let mut passes = vec![];
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                let _ = desk.watcher().poll().await;
                if let Err(e) = desk.rules().apply_live().await {
                    eprintln!("live rules: {e}");
                }
                passes.push(t.elapsed().as_secs_f64());
                tokio::time::sleep(interval).await;
            }
            passes
        }
    };
    let customers = {
        let sim = &sim;
        let stop = stop.clone();
        async move {
            let http = reqwest::Client::new();
            let mut lat = vec![];
            let mut seed = 7u64;
            for i in 0..10 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                let wait = 500 + (seed >> 33) % (interval.as_millis() as u64 * 2);
                tokio::time::sleep(Duration::from_millis(wait)).await;
                let t: serde_json::Value = http
                    .post(format!("{}/__sim/inbound", sim.root_url()))
                    .json(&serde_json::json!({"message": format!("chargeback number {i}"), "identifier": format!("c{i}@example.com")}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let id = t["id"].as_u64().unwrap();
                let at = Instant::now();
                loop {
                    if sim.state().world().tickets[&id].label_ids.contains(&label) {
                        break;
                    }
                    if at.elapsed() > interval * 4 + Duration::from_secs(5) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                lat.push(at.elapsed().as_secs_f64());
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            lat
        }
    };
    let (mut passes, mut lat) = tokio::join!(watcher, customers);
    println!(
        "live: a rule on, a watcher pass every {:.0} s at 120 requests a minute, ten new tickets",
        interval.as_secs_f64()
    );
    println!(
        "  from a customer's message to the tag in Trengo: p50 {:.2} s, max {:.2} s (goal ≤ {:.0} s, the interval + 1 s)",
        pct(&mut lat.clone(), 0.5),
        pct(&mut lat, 1.0),
        interval.as_secs_f64() + 1.0
    );
    println!(
        "  a watcher pass (the assignment look, the newest page, the rule's job): p50 {:.2} s, max {:.2} s over {} passes",
        pct(&mut passes.clone(), 0.5),
        pct(&mut passes, 1.0),
        passes.len()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let interval = Duration::from_secs_f64(
        std::env::args()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(2.0),
    );
    if what == "preview" || what == "all" {
        preview_bench().await?;
    }
    if what == "live" || what == "all" {
        live_bench(interval).await?;
    }
    Ok(())
}
