//! The assignment watcher against the simulator: assignments injected as a colleague would make
//! them (`/__sim/assign`, `/__sim/inbound`).

mod common;
use common::open;

use desk_core::Desk;
use serde_json::json;
use trengo_sim::world::Status;
use trengo_sim::{Sim, Size};

use common::admin;

/// A small workspace, synced into a fresh cache.
async fn synced() -> (Sim, tempfile::TempDir, Desk) {
    common::synced(Size::Small).await
}

#[tokio::test]
async fn each_assignment_is_reported_once_and_never_after_a_restart() {
    let (sim, dir, desk) = synced().await;
    assert!(
        desk.watcher().poll().await.unwrap().is_empty(),
        "the first poll only learns what is there"
    );
    assert!(desk.watcher().poll().await.unwrap().is_empty());

    // A colleague assigns an older ticket to me.
    let (old, other_team) = {
        let w = sim.state().world();
        let t = w
            .tickets
            .values()
            .find(|t| t.status == Status::Open && t.user_id.is_none())
            .unwrap()
            .id;
        let mine = w.team_ids_of_user(3601);
        (t, *w.teams.keys().find(|g| !mine.contains(g)).unwrap())
    };
    admin(&sim, "assign", json!({"ticket_id": old, "user_id": 3601})).await;
    let got = desk.watcher().poll().await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].ticket_id.to_string(), got[0].kind.as_str()),
        (old.to_string(), "me")
    );
    assert!(got[0].contact.is_some());
    assert!(
        desk.watcher().poll().await.unwrap().is_empty(),
        "reported once"
    );

    // A new conversation routed to one of my teams.
    let my_team = sim.state().world().team_ids_of_user(3601)[0];
    let t = admin(
        &sim,
        "inbound",
        json!({"message": "Where is my refund?", "subject": "Refund", "team_id": my_team}),
    )
    .await;
    let got = desk.watcher().poll().await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].kind.as_str(), "team");
    assert_eq!(got[0].ticket_id, t["id"].to_string());
    assert_eq!(got[0].team.as_ref().unwrap().id, my_team.to_string());
    assert_eq!(got[0].preview.as_deref(), Some("Where is my refund?"));
    // Not one of mine: nothing.
    admin(
        &sim,
        "inbound",
        json!({"message": "hi", "team_id": other_team}),
    )
    .await;
    assert!(desk.watcher().poll().await.unwrap().is_empty());

    // A restart repeats nothing.
    drop(desk);
    let desk = open(&sim, dir.path()).await;
    assert!(
        desk.watcher().poll().await.unwrap().is_empty(),
        "the seen set survives a restart"
    );

    // Reassigned away and back to me later: news again.
    common::next_second(&sim);
    admin(&sim, "assign", json!({"ticket_id": old, "user_id": 3602})).await;
    common::next_second(&sim);
    admin(&sim, "assign", json!({"ticket_id": old, "user_id": 3601})).await;
    let got = desk.watcher().poll().await.unwrap();
    assert_eq!(
        got.iter().map(|a| a.ticket_id.clone()).collect::<Vec<_>>(),
        vec![old.to_string()]
    );

    // What I assign myself from the app is not news.
    let another = sim
        .state()
        .world()
        .tickets
        .values()
        .find(|t| t.status == Status::Open && t.user_id.is_none())
        .unwrap()
        .id;
    desk.tickets()
        .assign_user(&another.to_string(), "3601")
        .await
        .unwrap();
    assert!(
        desk.watcher().poll().await.unwrap().is_empty(),
        "self-assignment is not reported"
    );
}

#[tokio::test]
async fn a_poll_costs_a_page_per_25_of_my_tickets_plus_one() {
    let (sim, _dir, desk) = synced().await;
    desk.watcher().poll().await.unwrap();
    let before = sim.state().stats().requests;
    for _ in 0..5 {
        desk.watcher().poll().await.unwrap();
    }
    let per_poll = (sim.state().stats().requests - before) as f64 / 5.0;
    let mine = sim
        .state()
        .world()
        .tickets
        .values()
        .filter(|t| t.user_id == Some(3601) && t.status == Status::Assigned)
        .count();
    assert_eq!(
        per_poll,
        (mine.div_ceil(25).max(1) + 1) as f64,
        "every page of mine, one of the newest"
    );
}
