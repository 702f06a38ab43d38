//! The workload board against the simulator over HTTP: its counts are the list's for the same
//! filter, waiting counts the tickets whose customer wrote last, availability is Trengo's, and
//! limits are counted over waiting tickets.

mod common;

use desk_core::view::{StatusFilter, TicketFilter};
use desk_core::workload::WorkloadKind;
use trengo_sim::Size;

#[tokio::test]
async fn the_board_counts_what_the_list_shows() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let now = chrono::Utc::now().timestamp();
    let b = desk.workload().board(now).await.unwrap();
    let total = |f: TicketFilter| {
        let desk = &desk;
        async move { desk.tickets().search(&f).await.unwrap().total }
    };
    let teams: Vec<_> = b
        .rows
        .iter()
        .filter(|r| r.kind == WorkloadKind::Team)
        .collect();
    assert!(!teams.is_empty());
    for r in &teams {
        let open = total(TicketFilter {
            team_id: Some(r.id.clone()),
            status: Some(StatusFilter::Open),
            ..Default::default()
        })
        .await;
        assert_eq!(r.open, open, "team {}", r.name);
        let unassigned = total(TicketFilter {
            team_id: Some(r.id.clone()),
            status: Some(StatusFilter::Unassigned),
            ..Default::default()
        })
        .await;
        assert_eq!(r.open - r.assigned, unassigned, "team {}", r.name);
    }
    let agents: Vec<_> = b
        .rows
        .iter()
        .filter(|r| r.kind == WorkloadKind::Agent)
        .collect();
    let mut busy = 0;
    for r in &agents {
        let open = total(TicketFilter {
            assignee_id: Some(r.id.clone()),
            status: Some(StatusFilter::Open),
            ..Default::default()
        })
        .await;
        assert_eq!(r.open, open, "agent {}", r.name);
        busy += u32::from(r.open > 0);
        // Availability is Trengo's own.
        let online = sim.state().world().users[&r.id.parse::<u64>().unwrap()].is_online;
        assert_eq!(r.available, Some(online), "agent {}", r.name);
    }
    assert!(busy > 0, "some agent holds tickets");

    // Waiting: the open tickets whose latest message is the customer's, by the cache's clock.
    let db = common::db(&desk).await;
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets WHERE in_working_set = 1 AND status_kind = 'open' AND waiting_since IS NOT NULL AND team_id = ?",
    )
    .bind(teams[0].id.parse::<i64>().unwrap())
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(teams[0].waiting as i64, waiting);
}

#[tokio::test]
async fn a_limit_counts_the_tickets_that_wait_on_the_agent() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let now = chrono::Utc::now().timestamp();
    let board = desk.workload().board(now).await.unwrap();
    let busiest = board
        .rows
        .iter()
        .filter(|r| r.kind == WorkloadKind::Agent)
        .max_by_key(|r| (r.waiting, r.open))
        .unwrap()
        .clone();
    assert!(busiest.waiting > 0, "{busiest:?}");
    let email = busiest.email.clone().unwrap();
    desk.workload()
        .set_limit("default", Some(50))
        .await
        .unwrap();
    desk.workload()
        .set_limit(&email, Some(busiest.waiting - 1))
        .await
        .unwrap();
    let b = desk.workload().board(now).await.unwrap();
    assert_eq!(b.default_limit, Some(50));
    let row = b.rows.iter().find(|r| r.id == busiest.id).unwrap();
    assert_eq!(
        (row.limit, row.limit_own, row.spare),
        (Some(busiest.waiting - 1), true, Some(-1))
    );
    let other = b
        .rows
        .iter()
        .find(|r| r.kind == WorkloadKind::Agent && r.id != busiest.id)
        .unwrap();
    assert_eq!((other.limit, other.limit_own), (Some(50), false));
    assert_eq!(other.spare, Some(50 - other.waiting as i32));

    // Removed: the default applies again.
    desk.workload().set_limit(&email, None).await.unwrap();
    let b = desk.workload().board(now).await.unwrap();
    let row = b.rows.iter().find(|r| r.id == busiest.id).unwrap();
    assert_eq!(row.limit, Some(50));

    let e = desk
        .workload()
        .set_limit("nobody@nowhere.example", Some(3))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("nobody@nowhere.example"), "{e}");
    let _ = sim;
}
