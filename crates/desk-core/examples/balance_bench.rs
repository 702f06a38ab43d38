//! Balanced assignment, measured.
//!
//! cargo run --release -p desk-core --example balance_bench -- [TICKETS] [PASSES]
//!
//! 300 new tickets arrive over 10 simulated minutes: 15 before each of 20 live passes (the app
//! runs one every 30 s), in the small workspace's biggest team, every agent of it online under
//! the same limit. A live rule hands each one to the agent with the most room. Prints:
//! - requests per assignment (goal ≤ 2: a fresh read and the assign), and the passes' own reads
//!   (the newest tickets, one page a pass, shared by all the rule's tickets);
//! - the spread of waiting tickets across the team's agents at the end (goal max − min ≤ 1), by
//!   the board (what the balancer sees) and by the simulator (the truth);
//! - how long a pass takes, per ticket.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use desk_core::rules::{Condition, Rule};
use desk_core::workload::balance::{Balance, BalanceMode};
use trengo_sim::{Sim, SimConfig, Size};
use trengo_unified::api::BudgetConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let tickets: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let passes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let sim = Sim::start(SimConfig {
        size: Size::Small,
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await?;
    let (team, members) = {
        let mut w = sim.state().world();
        let t = w
            .teams
            .values()
            .max_by_key(|t| t.user_ids.len())
            .map(|t| (t.id, t.user_ids.clone()))
            .ok_or_else(|| anyhow::anyhow!("the workspace has no team"))?;
        for m in &t.1 {
            if let Some(u) = w.users.get_mut(m) {
                u.is_online = true;
            }
        }
        t
    };
    let dir = tempfile::tempdir()?;
    let desk = common::open(
        &sim,
        dir.path(),
        BudgetConfig {
            limit: 1_000_000,
            ..BudgetConfig::default()
        },
    )
    .await?;
    desk.sync()
        .run(&|_| {}, &std::sync::atomic::AtomicBool::new(false))
        .await?;
    desk.workload().set_limit("default", Some(10_000)).await?;
    desk.rules()
        .save(&Rule {
            name: "Hand out".into(),
            all: true,
            conditions: vec![Condition::TextContains {
                words: vec!["balance-me".into()],
            }],
            actions: vec![],
            balance: Some(Balance {
                team_id: team.to_string(),
                mode: BalanceMode::Balanced,
            }),
        })
        .await?;
    // Switched on in a second of its own: what arrives next is the rule's.
    let on = chrono::Utc::now().timestamp();
    while chrono::Utc::now().timestamp() == on {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    desk.rules().enable("Hand out", true).await?;
    let http = reqwest::Client::new();
    let spread_before = spread_by_board(&desk, &members).await?;

    let requests_before = sim.state().stats().requests;
    let per_pass = tickets.div_ceil(passes);
    let (mut assigned, mut unassigned, mut skipped) = (0u32, 0u32, 0u32);
    let mut pass_ms = vec![];
    let mut made = 0;
    for p in 0..passes {
        for _ in 0..per_pass.min(tickets - made) {
            http.post(format!("{}/__sim/inbound", sim.root_url()))
                .json(&serde_json::json!({
                    "message": "please balance-me",
                    "subject": format!("Arrival {made}"),
                    "identifier": format!("arrival{made}@example.com"),
                }))
                .send()
                .await?
                .error_for_status()?;
            made += 1;
        }
        let started = Instant::now();
        for r in desk.rules().apply_live().await? {
            assigned += r.changed;
            unassigned += r.unassigned;
            skipped += r.skipped;
        }
        pass_ms.push(started.elapsed().as_secs_f64() * 1e3);
        if p + 1 == passes {
            break;
        }
    }
    let requests = sim.state().stats().requests - requests_before;
    let pass_reads = passes as u64;
    println!(
        "balance: {made} tickets arrived over {passes} live passes (10 simulated minutes at one pass per 30 s) in a team of {} agents, all online, one limit",
        members.len()
    );
    println!(
        "balance: {assigned} assigned, {unassigned} left unassigned, {skipped} skipped; {requests} requests: {:.2} per assignment without the passes' newest-page reads (goal ≤ 2: a fresh read and the assign), {:.2} with them ({pass_reads} pages, one a pass)",
        (requests - pass_reads) as f64 / assigned.max(1) as f64,
        requests as f64 / assigned.max(1) as f64
    );
    desk.sync()
        .run(&|_| {}, &std::sync::atomic::AtomicBool::new(false))
        .await?;
    let spread_after = spread_by_board(&desk, &members).await?;
    let truth = spread_by_sim(&sim, &members);
    println!(
        "balance: waiting tickets per agent before: {spread_before}; after: {spread_after} by the board, {truth} by the simulator (goal max − min ≤ 1)"
    );
    let mut ms = pass_ms.clone();
    println!(
        "balance: a live pass of {per_pass} arrivals: p50 {:.0} ms, p95 {:.0} ms (each ticket a one-ticket job: read, assign, recorded)",
        common::pct(&mut ms, 0.5),
        common::pct(&mut ms, 0.95)
    );
    Ok(())
}

/// "min 3, max 4 (spread 1)" of the members' waiting tickets, as the board counts them.
async fn spread_by_board(desk: &desk_core::Desk, members: &[u64]) -> anyhow::Result<String> {
    let b = desk
        .workload()
        .board(chrono::Utc::now().timestamp())
        .await?;
    let w: Vec<u32> = b
        .rows
        .iter()
        .filter(|r| members.iter().any(|m| m.to_string() == r.id))
        .map(|r| r.waiting)
        .collect();
    Ok(spread(&w))
}

/// The same by the simulator: open tickets whose latest message is the customer's.
fn spread_by_sim(sim: &Sim, members: &[u64]) -> String {
    let w = sim.state().world();
    let mut by: BTreeMap<u64, u32> = members.iter().map(|m| (*m, 0)).collect();
    for t in w.tickets.values() {
        let open = matches!(
            t.status,
            trengo_sim::world::Status::Open | trengo_sim::world::Status::Assigned
        );
        let waits = t
            .messages
            .last()
            .is_some_and(|m| matches!(m.kind, trengo_sim::world::MessageKind::Inbound));
        if let (true, true, Some(u)) = (open, waits, t.user_id) {
            if let Some(n) = by.get_mut(&u) {
                *n += 1;
            }
        }
    }
    spread(&by.into_values().collect::<Vec<_>>())
}

fn spread(w: &[u32]) -> String {
    let (min, max) = (
        w.iter().min().copied().unwrap_or(0),
        w.iter().max().copied().unwrap_or(0),
    );
    format!("min {min}, max {max} (spread {})", max - min)
}
