//! A macro over many tickets at the rate limit: what it costs against its bound (at most N reads
//! and N × k writes for k steps over N tickets) and how close to the rate limit it runs.
//!
//! cargo run --release -p desk-core --example macro_bench -- [N LIMIT WINDOW_SECS LATENCY_MS]
//! (default: 300 200 10 50: 300 tickets × (1 read + 4 writes) = 1,500 requests ≥ 3 L)
//!
//! The macro: add a tag, move to a team, an internal note with the contact's name, close.

mod common;
use common::open;

use std::time::{Duration, Instant};

use desk_core::jobs::{Action, Selection};
use desk_core::macros::{Macro, MacroStep};
use trengo_sim::world::Status;
use trengo_sim::{Faults, Sim, SimConfig, Size};
use trengo_unified::api::BudgetConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: f64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let n = num(0, 300.0) as usize;
    let limit = num(1, 200.0) as u32;
    let window = Duration::from_secs_f64(num(2, 10.0));
    let latency = num(3, 50.0) as u64;

    let sim = Sim::start(SimConfig {
        size: Size::Demo,
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await?;
    let dir = tempfile::tempdir()?;
    common::prepare(&sim, dir.path(), |_| async { Ok(()) }).await?;
    let (ids, tag, team) = {
        let w = sim.state().world();
        let tag = *w.labels.keys().last().unwrap();
        let team = *w.teams.keys().last().unwrap();
        let ids: Vec<u64> = w
            .tickets
            .values()
            .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
            .filter(|t| !t.label_ids.contains(&tag) && t.team_id != Some(team))
            .map(|t| t.id)
            .take(n)
            .collect();
        (ids, tag, team)
    };
    anyhow::ensure!(
        ids.len() == n,
        "the demo seed has {} such tickets",
        ids.len()
    );
    sim.state().set_rate_limit(limit, window);
    sim.state().set_faults(Faults {
        latency_ms: latency,
        ..Faults::default()
    });
    let desk = open(
        &sim,
        dir.path(),
        BudgetConfig {
            limit,
            window,
            ..BudgetConfig::default()
        },
    )
    .await?;
    let step = |action: Action| MacroStep { action, ask: false };
    let m = Macro {
        name: "Bench".into(),
        steps: vec![
            step(Action::AddTag {
                tag_id: tag.to_string(),
            }),
            step(Action::AssignTeam {
                team_id: team.to_string(),
            }),
            step(Action::AddNote {
                text: "Handled for {contact.name}.".into(),
                note_id: None,
            }),
            step(Action::Close),
        ],
        then_next: false,
    };
    let k = m.steps.len();
    desk.macros().save(&m).await?;
    let sel = Selection::Pasted {
        text: ids
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let j = desk.macros().create("Bench", &sel, &[]).await?;
    let before = sim.state().stats();
    let t = Instant::now();
    let end = desk.jobs().run(j.id, &|_| {}).await?;
    let took = t.elapsed();
    anyhow::ensure!(end.done as usize == n, "{end:?}");
    let after = sim.state().stats();
    let r429 = after.by_status.get(&429).copied().unwrap_or(0)
        - before.by_status.get(&429).copied().unwrap_or(0);
    let bound_requests = n + n * k;
    let per = window.as_secs_f64() / limit as f64;
    let bound = end.requests as f64 * per;
    println!(
        "macro: k = {k} steps over N = {n} tickets, L = {limit} per {:.0} s ({} requests ≥ 3 L = {}), Trengo answers in {latency} ms",
        window.as_secs_f64(),
        end.requests,
        3 * limit
    );
    println!(
        "  requests {} against the bound N + N × k = {bound_requests} ({:.2} per ticket)",
        end.requests,
        end.requests as f64 / n as f64
    );
    println!(
        "  wall {:.1} s against the rate limit's {:.1} s for those requests: ratio {:.3}; 429s: {r429}",
        took.as_secs_f64(),
        bound,
        took.as_secs_f64() / bound
    );
    Ok(())
}
