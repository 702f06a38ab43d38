//! The SLA radar, measured.
//!
//! cargo run --release -p desk-core --example sla_bench -- [ROUNDS]
//!
//! The `large` workspace: 100,000 tickets in a cache file, 25,000 of them open, under three
//! policies (a tag's around the clock, a team's in office hours across a weekend and holidays,
//! everyone else's). Prints p50/p95 of:
//! - the standings of every open ticket after a refresh (goal p95 ≤ 50 ms);
//! - sorting the 100,000 cached tickets by next breach, the sort alone and the whole first page
//!   of the list (goal p95 ≤ 10 ms);
//! - the At risk view's first page, the sidebar's counts, a warnings pass, a draft's replay;
//!
//! and the requests the radar itself sent (goal 0).

mod common;

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use desk_core::cache::Cache;
use desk_core::sla::{AtRisk, BusinessHours, DayHours, SlaPolicy, SlaScope};
use desk_core::view::{SlaFilter, StatusFilter, TicketFilter, TicketSort};
use desk_core::workload::WorkloadKind;
use trengo_sim::{Sim, SimConfig, Size};
use trengo_unified::api::BudgetConfig;

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

/// The trends' history: a look's snapshot beside the radar's read (goal ≤ 10 ms, no request), the
/// bytes a year of looks takes, and a year's report (what the Trends view draws first).
async fn trends(
    desk: &desk_core::Desk,
    cache: &Cache,
    radar: &mut desk_core::sla::Radar,
    rounds: usize,
    now: i64,
) -> anyhow::Result<()> {
    use desk_core::services::trends::TrendQuery;
    use desk_core::trends::{self as tr, TrendDim};
    let facts = desk_core::sla::store::facts(cache, radar, None).await?;
    let standings: std::collections::HashMap<i64, desk_core::sla::Standing> = facts
        .iter()
        .filter_map(|f| radar.standing(f, now).map(|s| (f.id, s)))
        .collect();
    let (p50, p95, snap) = timed(rounds, || async {
        Ok(desk
            .trends()
            .snapshot_from(&facts, &standings, now, &chrono::Utc)
            .await?)
    })
    .await?;
    println!(
        "trends: a look's snapshot ({} open; {} teams, tags, channels and agents), beside the radar's read of the clocks: p50 {p50:.1} ms, p95 {p95:.1} ms (goal ≤ 10 ms, 0 requests)",
        snap.open, snap.keys
    );
    // Every fifth minute a look also counts the day's flow again (created, closed, reply times).
    let k = std::sync::atomic::AtomicI64::new(1);
    let (p50, p95, snap) = timed(rounds, || async {
        let later = now + 301 * k.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(desk
            .trends()
            .snapshot_from(&facts, &standings, later, &chrono::Utc)
            .await?)
    })
    .await?;
    println!(
        "trends: a look that also counts the day's flow ({} created, {} closed today; every 5 min): p50 {p50:.1} ms, p95 {p95:.1} ms",
        snap.created_today, snap.closed_today
    );
    let used = |c: &Cache| {
        let pool = c.pool().clone();
        async move {
            let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                .fetch_one(&pool)
                .await?;
            let free: i64 = sqlx::query_scalar("PRAGMA freelist_count")
                .fetch_one(&pool)
                .await?;
            let size: i64 = sqlx::query_scalar("PRAGMA page_size")
                .fetch_one(&pool)
                .await?;
            anyhow::Ok((pages - free) * size)
        }
    };
    sqlx::query("DELETE FROM trend_levels")
        .execute(cache.pool())
        .await?;
    sqlx::query("DELETE FROM trend_flow")
        .execute(cache.pool())
        .await?;
    sqlx::query("VACUUM").execute(cache.pool()).await?;
    let before = used(cache).await?;
    // A year of looks as the app keeps them: the last look of each hour stands for it, so one
    // write an hour leaves exactly what a look every 15 s would. The levels wander by the hour.
    let seen: Vec<tr::Seen> = facts
        .iter()
        .map(|f| tr::Seen {
            id: f.id,
            team: f.team,
            channel: f.channel,
            user: f.user,
            waiting: f.waiting_since.is_some(),
            at_risk: standings
                .get(&f.id)
                .is_some_and(|s| s.state == desk_core::sla::SlaState::AtRisk),
        })
        .collect();
    let tags = tr::store::open_tags(cache).await?;
    let base = tr::levels(&seen, &tags);
    let start = tr::hour_start(now) - 365 * 86_400;
    let began = Instant::now();
    for h in 0..365 * 24 {
        let at = start + h * 3600;
        let levels: tr::Levels = base
            .iter()
            .map(|(k, v)| (*k, v.map(|x| x + (h as u32 * 7 + x) % 5)))
            .collect();
        tr::store::put_levels(cache, &levels, at, tr::day_start(at, &chrono::Utc), at).await?;
        if h % 24 == 23 {
            let flow: std::collections::HashMap<(TrendDim, i64), tr::FlowCounts> = base
                .keys()
                .map(|k| {
                    (
                        *k,
                        tr::FlowCounts {
                            created: 12,
                            closed: 11,
                            reply_secs: 3600,
                            replies: 10,
                            resolve_secs: 86_400,
                            resolved: 11,
                        },
                    )
                })
                .collect();
            tr::store::put_flow(cache, tr::day_start(at, &chrono::Utc), &flow, at).await?;
        }
    }
    let wrote = began.elapsed();
    sqlx::query("VACUUM").execute(cache.pool()).await?;
    let bytes = used(cache).await? - before;
    println!(
        "trends: a year of history for {} keys (hours kept {} days, days for good): {:.1} MB in the cache file ({} bytes; written in {:.0} s)",
        base.len(),
        tr::store::KEEP_HOURS_SECS / 86_400,
        bytes as f64 / 1e6,
        bytes,
        wrote.as_secs_f64()
    );
    let q = TrendQuery {
        days: 365,
        dim: TrendDim::All,
        key: None,
    };
    let (p50, p95, r) = timed(rounds, || async {
        Ok(desk.trends().report(&q, now).await?)
    })
    .await?;
    println!(
        "trends: a year's report ({} series of {} days): p50 {p50:.1} ms, p95 {p95:.1} ms",
        r.series.len(),
        r.series[0].points.len()
    );
    let team = desk.directory().lists().await?.teams[0].id.to_string();
    let q = TrendQuery {
        days: 30,
        dim: TrendDim::Team,
        key: Some(team),
    };
    let (p50, p95, _) = timed(rounds, || async {
        Ok(desk.trends().report(&q, now).await?)
    })
    .await?;
    println!("trends: a team's 30 days: p50 {p50:.1} ms, p95 {p95:.1} ms");
    Ok(())
}

/// The large seed has 60 agents; the board is measured at `n`: agents are added to the cache
/// (spread over the teams, half of them online) and the open tickets' assignees spread over
/// all of them, as in a bigger support floor.
async fn grow_to_agents(cache: &Cache, n: i64, now: i64) -> anyhow::Result<()> {
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE is_active = 1")
        .fetch_one(cache.pool())
        .await?;
    let teams: Vec<i64> = sqlx::query_scalar("SELECT id FROM teams ORDER BY id")
        .fetch_all(cache.pool())
        .await?;
    let mut tx = cache.pool().begin().await?;
    for k in 0..(n - have).max(0) {
        let id = 9_000_000 + k;
        sqlx::query(
            "INSERT OR IGNORE INTO users (id, name, email, role, is_active, is_online, json, synced_at) VALUES (?, ?, ?, NULL, 1, ?, '{}', ?)",
        )
        .bind(id)
        .bind(format!("Agent {k:03}"))
        .bind(format!("agent{k}@example.com"))
        .bind(k % 2)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for t in teams.iter().skip(k as usize % teams.len()).take(2) {
            sqlx::query("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES (?, ?)")
                .bind(t)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM users WHERE is_active = 1 ORDER BY id")
        .fetch_all(cache.pool())
        .await?;
    let mut tx = cache.pool().begin().await?;
    let open: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM tickets WHERE status_kind = 'open' AND user_id IS NOT NULL",
    )
    .fetch_all(&mut *tx)
    .await?;
    for t in open {
        sqlx::query("UPDATE tickets SET user_id = ? WHERE id = ?")
            .bind(ids[(t as usize * 31) % ids.len()])
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn policies(team: &str) -> Vec<SlaPolicy> {
    let base = SlaPolicy {
        name: String::new(),
        enabled: true,
        first_reply: Some(60),
        next_reply: Some(240),
        resolution: Some(3 * 24 * 60),
        at_risk: AtRisk::Minutes(15),
        scope: SlaScope::default(),
        hours: None,
    };
    vec![
        SlaPolicy {
            name: "VIP".into(),
            first_reply: Some(15),
            scope: SlaScope {
                tag: Some("vip".into()),
                ..Default::default()
            },
            ..base.clone()
        },
        SlaPolicy {
            name: "Office hours".into(),
            at_risk: AtRisk::Percent(75),
            scope: SlaScope {
                team: Some(team.into()),
                ..Default::default()
            },
            hours: Some(BusinessHours {
                time_zone: "Europe/Amsterdam".into(),
                days: ["mon", "tue", "wed", "thu", "fri"]
                    .iter()
                    .map(|d| DayHours {
                        day: d.to_string(),
                        from: "09:00".into(),
                        to: "17:30".into(),
                    })
                    .collect(),
                holidays: vec!["2026-12-25".into(), "2026-12-26".into()],
            }),
            ..base.clone()
        },
        SlaPolicy {
            name: "Everyone".into(),
            ..base
        },
    ]
}

async fn timed<F, Fut, T>(rounds: usize, mut f: F) -> anyhow::Result<(f64, f64, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut v = vec![];
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        last = Some(f().await?);
        v.push(t.elapsed());
    }
    Ok((pct(&mut v, 0.5), pct(&mut v, 0.95), last.unwrap()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir()?;
    let dir = match std::env::var("BENCH_KEEP_DIR") {
        Ok(d) => {
            std::fs::create_dir_all(&d)?;
            tempfile::TempDir::with_prefix_in("sla", d)?
        }
        Err(_) => dir,
    };
    let sim = Sim::start(SimConfig {
        size: Size::Large,
        rate_limit: u32::MAX,
        ..SimConfig::default()
    })
    .await?;
    let desk = common::open(
        &sim,
        dir.path(),
        BudgetConfig {
            limit: 1_000_000_000,
            ..BudgetConfig::default()
        },
    )
    .await?;
    desk.sync().run(&|_| {}, &AtomicBool::new(false)).await?;
    let cache = Cache::open(desk.session().cache_path()).await?;
    common::fill(&sim, &cache, false).await?;
    sqlx::query("PRAGMA optimize=0x10002")
        .execute(cache.pool())
        .await?;
    let fresh = desk.directory().freshness().await?;
    let team = desk.directory().lists().await?.teams[1].name.clone();
    for p in policies(&team) {
        desk.sla().save(&p, false).await?;
    }
    println!(
        "sla: {} tickets cached, {} open; policies VIP (tag), Office hours ({team}, Mon-Fri 09:00-17:30 Amsterdam), Everyone",
        fresh.tickets_cached, fresh.working_set
    );
    let now = chrono::Utc::now().timestamp();
    // The simulator's tickets are days old, so every clock would read "breached". Spread the
    // waits of the open tickets over the last five hours, and the tickets' ages over the last
    // four days, so the radar judges a mix of on track, at risk and breached, as on a real day.
    sqlx::query(
        "UPDATE tickets SET waiting_since = ?1 - (id * 7919) % 18000,
                created_at = ?1 - (id * 104729) % 345600
          WHERE status_kind = 'open' AND waiting_since IS NOT NULL",
    )
    .bind(now)
    .execute(cache.pool())
    .await?;
    let requests_before = sim.state().stats().requests;

    let (p50, p95, board) = timed(rounds, || async { Ok(desk.sla().board(now).await?) }).await?;
    let (mut on, mut risk, mut late) = (0, 0, 0);
    for s in board.standings.values() {
        match s.state {
            desk_core::sla::SlaState::OnTrack => on += 1,
            desk_core::sla::SlaState::AtRisk => risk += 1,
            desk_core::sla::SlaState::Breached => late += 1,
        }
    }
    println!(
        "sla: standings of every open ticket after a refresh: p50 {p50:.1} ms, p95 {p95:.1} ms (goal p95 ≤ 50 ms); {} covered: {on} on track, {risk} at risk, {late} breached",
        board.standings.len()
    );

    let (radar, _) = desk_core::sla::store::radar(&cache).await?;
    let (p50, p95, facts) = timed(rounds, || async {
        Ok(desk_core::sla::store::facts(&cache, &radar, None).await?)
    })
    .await?;
    println!(
        "sla: of which reading the clocks of {} open tickets from the cache: p50 {p50:.1} ms, p95 {p95:.1} ms",
        facts.len()
    );
    let mut radar = radar;
    let (p50, p95, _) = timed(rounds, || {
        let n = facts.iter().filter_map(|f| radar.standing(f, now)).count();
        async move { Ok(n) }
    })
    .await?;
    println!("sla: and judging them: p50 {p50:.1} ms, p95 {p95:.1} ms");

    lists(&desk, &cache, &board, rounds).await?;
    let (p50, p95, c) = timed(rounds, || async { Ok(desk.sla().counts().await?) }).await?;
    println!(
        "sla: the sidebar's counts ({} at risk, {} breached): p50 {p50:.1} ms, p95 {p95:.1} ms",
        c.at_risk, c.breached
    );
    let (p50, p95, _) = timed(rounds, || async { Ok(desk.sla().warnings_at(now).await?) }).await?;
    println!("sla: a warnings pass (each at-risk ticket recorded once): p50 {p50:.1} ms, p95 {p95:.1} ms");
    let draft = policies(&team).remove(2);
    let (p50, p95, r) = timed(rounds, || async {
        Ok(desk.sla().replay(&draft, now).await?)
    })
    .await?;
    println!(
        "sla: replaying a draft policy over the {} cached tickets ({}): p50 {p50:.1} ms, p95 {p95:.1} ms",
        r.tickets_cached, r.summary
    );
    trends(&desk, &cache, &mut radar, rounds, now).await?;
    grow_to_agents(&cache, 200, now).await?;
    // Once before timing: the reassignment above rewrote most of the cache's pages.
    desk.workload().board(now).await?;
    let (p50, p95, w) = timed(rounds, || async { Ok(desk.workload().board(now).await?) }).await?;
    let kinds = |k| w.rows.iter().filter(|r| r.kind == k).count();
    println!(
        "workload: the board ({} teams, {} agents, over the same open tickets and standings): p50 {p50:.1} ms, p95 {p95:.1} ms (goal p95 ≤ 50 ms)",
        kinds(WorkloadKind::Team),
        kinds(WorkloadKind::Agent)
    );
    let sent = sim.state().stats().requests - requests_before;
    println!(
        "sla: requests the radar and the board sent over {} passes: {sent} (goal 0: they read the cache only)",
        rounds * 8
    );
    if std::env::var("BENCH_KEEP_DIR").is_ok() {
        println!("sla: the cache stays in {}", dir.keep().display());
    }
    Ok(())
}

/// The next-breach order and the SLA lists: the sort alone, the ids in the list's order, the
/// first pages.
async fn lists(
    desk: &desk_core::Desk,
    cache: &Cache,
    board: &desk_core::services::sla::Board,
    rounds: usize,
) -> anyhow::Result<()> {
    // The sort alone: 100,000 ids (the cache's order) by next breach, standings known.
    let all: Vec<i64> = cache
        .search_id_list(&TicketFilter {
            status: Some(StatusFilter::Any),
            ..Default::default()
        })
        .await?;
    let (p50, p95, _) = timed(rounds, || async {
        Ok(board.order(all.clone(), None, true).len())
    })
    .await?;
    println!(
        "sla: sorting {} cached tickets by next breach, the sort alone: p50 {p50:.2} ms, p95 {p95:.2} ms (goal p95 ≤ 10 ms)",
        all.len()
    );
    let (p50, p95, _) = timed(rounds, || async {
        Ok(cache
            .search_id_list(&TicketFilter {
                status: Some(StatusFilter::Any),
                ..Default::default()
            })
            .await?
            .len())
    })
    .await?;
    println!(
        "sla: reading those 100,000 ids in the list's order: p50 {p50:.1} ms, p95 {p95:.1} ms"
    );
    let page = |sla: Option<SlaFilter>, status: StatusFilter| TicketFilter {
        status: Some(status),
        sla,
        sort: Some(TicketSort::NextBreach),
        limit: 50,
        ..Default::default()
    };
    for (what, f) in [
        (
            "the list's first page, any status, by next breach",
            page(None, StatusFilter::Any),
        ),
        (
            "the At risk view's first page",
            page(Some(SlaFilter::AtRisk), StatusFilter::Open),
        ),
    ] {
        let (p50, p95, r) =
            timed(rounds, || async { Ok(desk.tickets().search(&f).await?) }).await?;
        println!(
            "sla: {what} ({} of {}): p50 {p50:.1} ms, p95 {p95:.1} ms",
            r.rows.len(),
            r.total
        );
    }
    Ok(())
}
