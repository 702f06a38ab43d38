//! Balanced assignment, rebalance and the away sweep against the simulator over HTTP: the agent
//! with the most room who has the skills takes a new ticket; offline and full agents are skipped;
//! nobody fits → unassigned and logged; a ticket somebody holds (a colleague, Trengo's own
//! balancing) gets nothing; a rebalance does exactly what its preview showed, and its undo leaves
//! a ticket a colleague moved since.

mod common;

use desk_core::rules::{Condition, Rule};
use desk_core::services::workload::RebalanceScope;
use desk_core::workload::balance::{Balance, BalanceMode, Skill};
use trengo_sim::Size;
use trengo_unified::api::Assignee;

/// A team with at least four members, and those members (by id).
fn team_of_four(sim: &trengo_sim::Sim) -> (u64, Vec<u64>) {
    let w = sim.state().world();
    let t = w
        .teams
        .values()
        .filter(|t| t.user_ids.len() >= 4)
        .max_by_key(|t| t.user_ids.len())
        .expect("a team of four");
    (t.id, t.user_ids.clone())
}

async fn set_online(sim: &trengo_sim::Sim, user: u64, online: bool) {
    common::admin(
        sim,
        "online",
        serde_json::json!({"user_id": user, "online": online}),
    )
    .await;
}

fn balance_rule(team: u64, mode: BalanceMode) -> Rule {
    Rule {
        name: "Hand out".into(),
        all: true,
        conditions: vec![Condition::TextContains {
            words: vec!["balance-me".into()],
        }],
        actions: vec![],
        balance: Some(Balance {
            team_id: team.to_string(),
            mode,
        }),
    }
}

/// The lead's writes to one ticket in the simulator's log.
fn writes_to(sim: &trengo_sim::Sim, ticket: u64) -> Vec<String> {
    sim.state()
        .mutations()
        .into_iter()
        .filter(|m| m.token == trengo_sim::DEFAULT_TOKEN)
        .filter(|m| m.path.starts_with(&format!("/tickets/{ticket}")))
        .map(|m| format!("{} {} {}", m.method, m.path, m.body))
        .collect()
}

async fn arrive(sim: &trengo_sim::Sim, who: &str, extra: serde_json::Value) -> u64 {
    let mut body = serde_json::json!({
        "message": "please balance-me",
        "subject": "Needs an agent",
        "identifier": format!("{who}@example.com"),
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    common::admin(sim, "inbound", body).await["id"]
        .as_u64()
        .unwrap()
}

/// Most room wins; offline and full agents are skipped; a skill sends a ticket only to who has
/// it; when nobody fits, the ticket stays unassigned and the rule's log says why.
#[tokio::test]
async fn a_new_ticket_goes_to_the_agent_with_most_room_who_has_the_skills() {
    let sim = common::sim(Size::Small).await;
    common::trengo_behind(&sim);
    let (team, members) = team_of_four(&sim);
    let (off, full, roomy, skilled) = (members[0], members[1], members[2], members[3]);
    for m in &members {
        set_online(&sim, *m, true).await;
    }
    set_online(&sim, off, false).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = common::open(&sim, dir.path()).await;
    common::sync(&desk).await;
    let w = desk.workload();
    let now = chrono::Utc::now().timestamp();
    let board = w.board(now).await.unwrap();
    let row = |id: u64| {
        board
            .rows
            .iter()
            .find(|r| r.id == id.to_string())
            .unwrap()
            .clone()
    };
    // Full: its limit is what waits on it now. Roomy: far more room than anyone else.
    w.set_limit(&full.to_string(), Some(row(full).waiting))
        .await
        .unwrap();
    w.set_limit(&roomy.to_string(), Some(row(roomy).waiting + 500))
        .await
        .unwrap();
    w.set_limit("default", Some(row(skilled).waiting + 50))
        .await
        .unwrap();
    // Channel B is a skill only `skilled` has.
    let (chan_a, chan_b) = {
        let w = sim.state().world();
        let mut c = w.channels.keys().copied();
        (c.next().unwrap(), c.next().unwrap())
    };
    w.set_skills(
        &skilled.to_string(),
        &[Skill::Channel {
            channel_id: chan_b.to_string(),
        }],
    )
    .await
    .unwrap();

    desk.rules()
        .save(&balance_rule(team, BalanceMode::Balanced))
        .await
        .unwrap();
    desk.rules().enable("Hand out", true).await.unwrap();
    common::trengo_in_step(&sim);

    let first = arrive(&sim, "first", serde_json::json!({"channel_id": chan_a})).await;
    let runs = desk.rules().apply_live().await.unwrap();
    assert_eq!((runs[0].matched, runs[0].changed), (1, 1), "{runs:?}");
    let first_job = runs[0].job;
    assert_eq!(
        sim.state().world().tickets[&first].user_id,
        Some(roomy),
        "the most room wins; the offline and the full agent are skipped"
    );
    let assigns = writes_to(&sim, first);
    assert_eq!(assigns.len(), 1, "one write: the assignment ({assigns:?})");
    assert!(assigns[0].contains("/assign"), "{assigns:?}");

    let second = arrive(&sim, "second", serde_json::json!({"channel_id": chan_b})).await;
    desk.rules().apply_live().await.unwrap();
    assert_eq!(
        sim.state().world().tickets[&second].user_id,
        Some(skilled),
        "channel B needs the skill only one agent has"
    );

    // Everyone with the skill is gone: nobody fits, the ticket stays unassigned and is logged.
    set_online(&sim, skilled, false).await;
    common::sync(&desk).await;
    let third = arrive(&sim, "third", serde_json::json!({"channel_id": chan_b})).await;
    let runs = desk.rules().apply_live().await.unwrap();
    assert_eq!(runs[0].unassigned, 1, "{runs:?}");
    assert_eq!(sim.state().world().tickets[&third].user_id, None);
    assert!(writes_to(&sim, third).is_empty(), "nothing sent");
    let log = desk.rules().log("Hand out").await.unwrap();
    assert_eq!((log.changed, log.unassigned), (2, 1), "{log:?}");
    let why = &log.unassigned_why[0];
    assert!(why.starts_with(&format!("#{third} nobody fits")), "{why}");
    assert!(
        why.contains("2 offline") && why.contains("1 at their limit"),
        "{why}"
    );

    // Each assignment is a job of its own that can be undone.
    let job = desk.jobs().get(first_job).await.unwrap();
    assert_eq!((job.total, job.done), (1, 1));
    assert!(job.can_undo, "{job:?}");
}

/// Round robin gives each available agent a ticket in turn.
#[tokio::test]
async fn round_robin_goes_round_the_available_agents() {
    let sim = common::sim(Size::Small).await;
    common::trengo_behind(&sim);
    let (team, members) = team_of_four(&sim);
    for m in &members {
        set_online(&sim, *m, true).await;
    }
    set_online(&sim, members[1], false).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = common::open(&sim, dir.path()).await;
    common::sync(&desk).await;
    desk.workload()
        .set_limit("default", Some(1_000))
        .await
        .unwrap();
    desk.rules()
        .save(&balance_rule(team, BalanceMode::RoundRobin))
        .await
        .unwrap();
    desk.rules().enable("Hand out", true).await.unwrap();
    common::trengo_in_step(&sim);
    let mut got = vec![];
    for i in 0..members.len() {
        let t = arrive(&sim, &format!("rr{i}"), serde_json::json!({})).await;
        desk.rules().apply_live().await.unwrap();
        got.push(sim.state().world().tickets[&t].user_id.unwrap());
    }
    let mut online: Vec<u64> = members
        .iter()
        .copied()
        .filter(|m| *m != members[1])
        .collect();
    online.sort_unstable();
    let expected: Vec<u64> = online.iter().cycle().take(members.len()).copied().collect();
    assert_eq!(
        got, expected,
        "each online agent in turn, the offline one skipped"
    );
}

/// A ticket somebody holds gets nothing: assigned by Trengo's own balancing on arrival, or by a
/// colleague after our cache last saw it (the job's fresh read finds it).
#[tokio::test]
async fn a_ticket_somebody_holds_is_left_alone() {
    let (sim, _dir, desk, colleague) = common::with_colleague(Size::Small).await;
    common::trengo_behind(&sim);
    let (team, members) = team_of_four(&sim);
    for m in &members {
        set_online(&sim, *m, true).await;
    }
    common::sync(&desk).await;
    desk.workload()
        .set_limit("default", Some(1_000))
        .await
        .unwrap();
    desk.rules()
        .save(&balance_rule(team, BalanceMode::Balanced))
        .await
        .unwrap();
    desk.rules().enable("Hand out", true).await.unwrap();
    common::trengo_in_step(&sim);

    // Trengo assigned it as it arrived.
    let routed = arrive(&sim, "routed", serde_json::json!({"user_id": members[0]})).await;
    // Our cache sees this one unassigned; then it falls off the newest page and a colleague takes
    // it, unseen by the cache.
    let raced = arrive(&sim, "raced", serde_json::json!({})).await;
    common::sync(&desk).await;
    for i in 0..30 {
        common::admin(
            &sim,
            "inbound",
            serde_json::json!({"message": "unrelated", "identifier": format!("n{i}@example.com")}),
        )
        .await;
    }
    colleague
        .assign_ticket(raced, Assignee::User(members[1]), None)
        .await
        .unwrap();

    let runs = desk.rules().apply_live().await.unwrap();
    assert_eq!(
        sim.state().world().tickets[&routed].user_id,
        Some(members[0])
    );
    assert!(
        writes_to(&sim, routed).is_empty(),
        "Trengo's own choice stands"
    );
    assert_eq!(
        sim.state().world().tickets[&raced].user_id,
        Some(members[1]),
        "the colleague's choice stands"
    );
    assert!(writes_to(&sim, raced).is_empty(), "nothing sent: {runs:?}");
    let run = runs.iter().find(|r| r.rule == "Hand out").unwrap();
    assert_eq!((run.changed, run.skipped), (0, 1), "{run:?}");
}

/// A rebalance does exactly what its preview showed, ticket for ticket; its undo gives back each
/// ticket still where the job left it, and leaves one a colleague moved since. An away sweep
/// hands an agent's waiting tickets to the rest of the team.
#[tokio::test]
async fn a_rebalance_does_what_its_preview_showed_and_undo_leaves_a_colleagues_move() {
    let (sim, _dir, desk, colleague) = common::with_colleague(Size::Small).await;
    let (team, members) = team_of_four(&sim);
    for m in &members {
        set_online(&sim, *m, true).await;
    }
    let (a, b) = (members[0], members[1]);
    for i in 0..8 {
        arrive(
            &sim,
            &format!("load{i}"),
            serde_json::json!({"team_id": team, "user_id": a}),
        )
        .await;
    }
    common::sync(&desk).await;
    let w = desk.workload();
    w.set_limit("default", Some(1_000)).await.unwrap();
    let now = chrono::Utc::now().timestamp();
    let scope = RebalanceScope {
        team_id: None,
        agents: vec![a.to_string(), b.to_string()],
    };
    let plan = w.rebalance(&scope, now).await.unwrap();
    assert!(!plan.moves.is_empty(), "{}", plan.summary);
    let load = |id: u64| plan.agents.iter().find(|l| l.id == id.to_string()).unwrap();
    assert!(
        plan.moves
            .iter()
            .all(|m| (m.from_id.as_str(), m.to_id.as_str()) == (&*a.to_string(), &*b.to_string())),
        "the loaded agent gives, the other gets: {plan:?}"
    );
    assert_eq!(load(a).before - load(a).after, plan.moves.len() as u32);
    assert_eq!(load(b).after - load(b).before, plan.moves.len() as u32);
    assert!(
        load(b).after <= load(a).after + 1,
        "no more than evens out: {plan:?}"
    );
    // Oldest waiting first.
    let since: Vec<&Option<String>> = plan.moves.iter().map(|m| &m.waiting_since).collect();
    let mut sorted = since.clone();
    sorted.sort();
    assert_eq!(since, sorted, "oldest waiting first");

    let before = sim.state().mutations().len();
    let job = w.create_rebalance(&plan).await.unwrap();
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!(end.done as usize, plan.moves.len(), "{end:?}");
    let items = desk.jobs().items(job.id, None).await.unwrap();
    let sent: Vec<_> = sim.state().mutations()[before..]
        .iter()
        .filter(|m| m.method == "POST" && m.path.ends_with("/assign"))
        .map(|m| (m.path.clone(), m.body["user_id"].as_u64()))
        .collect();
    assert_eq!(sent.len(), plan.moves.len(), "one write per move");
    for (m, it) in plan.moves.iter().zip(&items) {
        assert_eq!(
            it.ticket_id, m.ticket_id,
            "the job's items are the preview's moves"
        );
        let t = m.ticket_id.parse::<u64>().unwrap();
        assert_eq!(
            sim.state().world().tickets[&t].user_id,
            Some(m.to_id.parse().unwrap())
        );
        assert!(sent.contains(&(format!("/tickets/{t}/assign"), m.to_id.parse().ok())));
    }

    // A colleague moves one of them on; undo gives back the rest and leaves that one.
    let moved: u64 = plan.moves[0].ticket_id.parse().unwrap();
    let third = members[2];
    colleague
        .assign_ticket(moved, Assignee::User(third), None)
        .await
        .unwrap();
    let undo = desk.jobs().undo(job.id).await.unwrap();
    let end = desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!(end.conflicts, 1, "{end:?}");
    assert_eq!(sim.state().world().tickets[&moved].user_id, Some(third));
    for m in &plan.moves[1..] {
        let t = m.ticket_id.parse::<u64>().unwrap();
        assert_eq!(
            sim.state().world().tickets[&t].user_id,
            Some(a),
            "given back"
        );
    }

    // Away: a's waiting tickets go to the others of the team (never to a), or stay with a reason.
    common::sync(&desk).await;
    let now = chrono::Utc::now().timestamp();
    let away = w.away(&a.to_string(), now).await.unwrap();
    assert!(!away.moves.is_empty(), "{}", away.summary);
    for m in &away.moves {
        assert_eq!(m.from_id, a.to_string());
        assert_ne!(m.to_id, a.to_string());
    }
    let job = w.create_rebalance(&away).await.unwrap();
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!(end.done as usize, away.moves.len());
    for m in &away.moves {
        let t = m.ticket_id.parse::<u64>().unwrap();
        assert_ne!(sim.state().world().tickets[&t].user_id, Some(a));
    }
}

/// Who is online is read on its own between the directory's reads, at most every two minutes, a
/// users page in the sync's share; the board and the balancer then see it.
#[tokio::test]
async fn availability_is_read_again_between_directory_reads() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let (_, members) = team_of_four(&sim);
    let agent = members[0];
    set_online(&sim, agent, true).await;
    let w = desk.workload();
    let now = chrono::Utc::now().timestamp();
    assert!(
        !w.read_availability_if_due(now).await.unwrap(),
        "the directory was just read: not due"
    );
    set_online(&sim, agent, false).await;
    let before = sim.state().stats().requests;
    let later = now + desk_core::services::workload::AVAILABILITY_EVERY_SECS + 1;
    assert!(w.read_availability_if_due(later).await.unwrap());
    let pages = sim.state().stats().requests - before;
    assert!((1..=3).contains(&pages), "a page or two of users: {pages}");
    let row = w
        .board(later)
        .await
        .unwrap()
        .rows
        .into_iter()
        .find(|r| r.id == agent.to_string())
        .unwrap();
    assert_eq!(
        row.available,
        Some(false),
        "the board shows what Trengo says now"
    );
    assert!(
        !w.read_availability_if_due(later + 5).await.unwrap(),
        "read once per interval"
    );
}
