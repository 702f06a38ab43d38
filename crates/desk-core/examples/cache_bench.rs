//! The cache and sync, measured.
//!
//! cargo run --release -p desk-core --example cache_bench -- [search|sync|all]
//!
//! - search: the `large` workspace (100,000 tickets) in a cache file; p50/p95 of typical queries,
//!   and opening a ticket's context (goal p95 ≤ 10 ms, context ≤ 5 ms).
//! - sync: the `demo` workspace at Trengo's real 120 requests a minute; requests ÷ the minimum
//!   number of pages (goal 1.00) and time ÷ the rate-limit bound.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_core::cache::Cache;
use desk_core::view::TicketFilter;
use desk_core::{Desk, DeskConfig, MemoryStore, Token};
use trengo_sim::world::Status;
use trengo_sim::{Sim, SimConfig, Size};
use trengo_unified::api::BudgetConfig;

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

async fn search_bench() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let dir_path = std::env::var("BENCH_KEEP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().to_path_buf());
    let sim = Sim::start(SimConfig {
        size: Size::Large,
        rate_limit: u32::MAX,
        ..SimConfig::default()
    })
    .await?;
    let cfg = DeskConfig {
        base_url: sim.base_url(),
        workspace: None,
        data_dir: Some(dir_path),
        token: Some(Token::new("demo-token")),
        secrets: Arc::new(MemoryStore::default()),
        budget: Some(BudgetConfig {
            limit: 1_000_000_000,
            ..BudgetConfig::default()
        }),
        read_only: false,
    };
    let desk = Desk::open(cfg).await?;
    // The directory and working set through the real sync; then every other ticket straight from
    // the simulator's records (Trengo's JSON, decoded and mapped as a sync does), so the cache
    // holds all 100,000 without 4,000 page requests.
    desk.sync().run(&|_| {}, &AtomicBool::new(false)).await?;
    // The bench writes the rest straight into the same cache file.
    let cache = Cache::open(desk.session().cache_path()).await?;
    let t = Instant::now();
    common::fill(&sim, &cache, false).await?;
    sqlx::query("PRAGMA optimize=0x10002")
        .execute(cache.pool())
        .await?;
    let fresh = desk.directory().freshness().await?;
    println!(
        "cache: {} tickets cached ({} in the working set), written in {:.1} s",
        fresh.tickets_cached,
        fresh.working_set,
        t.elapsed().as_secs_f64()
    );

    let dl = desk.directory().lists().await?;
    let team = dl.teams[1].id.to_string();
    let tag = dl
        .tags
        .iter()
        .find(|t| t.name == "refund")
        .unwrap()
        .id
        .to_string();
    let user = dl.users[5].id.to_string();
    let q = |status: &str| TicketFilter {
        status: Some(desk_core::view::StatusFilter::parse(status).unwrap()),
        limit: 50,
        ..Default::default()
    };
    let queries: Vec<(&str, TicketFilter)> = vec![
        ("all open, newest first", q("open")),
        (
            "a team's open tickets",
            TicketFilter {
                team_id: Some(team.clone()),
                ..q("open")
            },
        ),
        ("unassigned", q("unassigned")),
        (
            "a tag, any status",
            TicketFilter {
                tag_id: Some(tag.clone()),
                ..q("any")
            },
        ),
        (
            "an agent's assigned",
            TicketFilter {
                assignee_id: Some(user.clone()),
                ..q("assigned")
            },
        ),
        (
            "text 'refund', any status",
            TicketFilter {
                text: Some("refund".into()),
                ..q("any")
            },
        ),
        (
            "text 'invoice mara', any",
            TicketFilter {
                text: Some("invoice mara".into()),
                ..q("any")
            },
        ),
        (
            "a contact's email prefix",
            TicketFilter {
                text: Some("sophie.".into()),
                ..q("any")
            },
        ),
        (
            "closed, page 20",
            TicketFilter {
                offset: 950,
                ..q("closed")
            },
        ),
        (
            "team + tag + text",
            TicketFilter {
                team_id: Some(team),
                tag_id: Some(tag),
                text: Some("order".into()),
                ..q("any")
            },
        ),
    ];
    println!(
        "search over {} cached tickets (50 rows + total), 40 runs each after one warm-up:",
        fresh.tickets_cached
    );
    let mut all = vec![];
    for (name, f) in &queries {
        desk.tickets().search(f).await?;
        let mut times = vec![];
        let mut total = 0;
        for _ in 0..40 {
            let t = Instant::now();
            total = desk.tickets().search(f).await?.total;
            times.push(t.elapsed());
        }
        all.extend(times.iter().copied());
        println!(
            "  {name:<28} {total:>6} matching   p50 {:>6.2} ms   p95 {:>6.2} ms",
            pct(&mut times, 0.5),
            pct(&mut times, 0.95)
        );
    }
    println!(
        "  all queries: p50 {:.2} ms, p95 {:.2} ms (goal p95 ≤ 10 ms)",
        pct(&mut all, 0.5),
        pct(&mut all, 0.95)
    );

    context_bench(&desk).await?;
    Ok(())
}

/// Ticket context: 100 threads read from Trengo into the cache, then opened from the cache.
async fn context_bench(desk: &Desk) -> anyhow::Result<()> {
    let ids: Vec<desk_core::TicketId> = desk
        .tickets()
        .search(&TicketFilter {
            limit: 100,
            status: Some(desk_core::view::StatusFilter::Open),
            ..Default::default()
        })
        .await?
        .rows
        .into_iter()
        .map(|r| r.id)
        .collect();
    for id in &ids {
        desk.tickets().refresh(id).await?;
    }
    let mut times = vec![];
    for _ in 0..5 {
        for id in &ids {
            let t = Instant::now();
            let c = desk.tickets().context(id).await?;
            times.push(t.elapsed());
            assert!(!c.messages.is_empty());
        }
    }
    println!("ticket context from the cache (contact card + thread), {} opens: p50 {:.2} ms, p95 {:.2} ms (goal ≤ 5 ms)", times.len(), pct(&mut times, 0.5), pct(&mut times, 0.95));
    Ok(())
}

async fn sync_bench() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = Sim::start(SimConfig {
        size: Size::Demo,
        ..SimConfig::default()
    })
    .await?;
    let (min_pages, limit) = {
        let w = sim.state().world();
        let pages = |n: usize, per: usize| n.div_ceil(per).max(1);
        let open = w
            .tickets
            .values()
            .filter(|t| t.status == Status::Open)
            .count();
        let assigned = w
            .tickets
            .values()
            .filter(|t| t.status == Status::Assigned)
            .count();
        let directory = pages(w.teams.len(), 25)
            + pages(w.users.len(), 25)
            + pages(w.labels.len(), 25)
            + 1
            + 1
            + 1;
        let tickets = pages(open, 25)
            + pages(assigned, 25)
            + desk_core::SyncOptions::default().recent_pages as usize;
        (directory + tickets, sim.state().rate_limit())
    };
    let desk = Desk::open(DeskConfig {
        base_url: sim.base_url(),
        workspace: None,
        data_dir: Some(dir.path().to_path_buf()),
        token: Some(Token::new("demo-token")),
        secrets: Arc::new(MemoryStore::default()),
        budget: None,
        read_only: false,
    })
    .await?;
    println!(
        "sync of the demo workspace at {} requests per {} s:",
        limit.0,
        limit.1.as_secs()
    );
    let t = Instant::now();
    let r = desk.sync().run(&|_| {}, &AtomicBool::new(false)).await?;
    let wall = t.elapsed().as_secs_f64();
    let bound = r.requests as f64 / limit.0 as f64 * limit.1.as_secs_f64();
    let stats = sim.state().stats();
    println!("  {} tickets, {} requests; the minimum is {} pages: requests ÷ minimum = {:.2} (goal 1.00)", r.tickets, r.requests, min_pages, r.requests as f64 / min_pages as f64);
    println!("  wall time {wall:.1} s; the rate-limit bound {bound:.1} s: time ÷ bound = {:.3}; 429s: {}", wall / bound, stats.rate_limited);
    let first = desk
        .tickets()
        .search(&TicketFilter {
            limit: 50,
            ..Default::default()
        })
        .await?;
    println!("  working set cached: {} open tickets", first.total);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    if what == "search" || what == "all" {
        search_bench().await?;
    }
    if what == "sync" || what == "all" {
        sync_bench().await?;
    }
    Ok(())
}
