//! Saved views: named filters with live counts from the cache, in the lead's order, kept across
//! restarts (also of the demo, whose cache starts afresh).

mod common;

use std::sync::atomic::AtomicBool;

use desk_core::view::StatusFilter;
use desk_core::view::TicketFilter;
use desk_core::{DemoOptions, Desk};
use trengo_sim::Size;

fn billing_unassigned(team: &str) -> TicketFilter {
    TicketFilter {
        status: Some(StatusFilter::Unassigned),
        team_id: Some(team.into()),
        offset: 40,
        limit: 10,
        ..TicketFilter::default()
    }
}

#[tokio::test]
async fn a_saved_view_counts_what_the_list_shows_and_keeps_its_place() {
    let sim = common::sim(Size::Small).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = common::open(&sim, dir.path()).await;
    desk.sync()
        .run(&|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    let billing = desk
        .directory()
        .find_team("Billing")
        .await
        .unwrap()
        .unwrap()
        .id;

    let v = desk
        .views()
        .save("  Billing, unassigned ", &billing_unassigned(&billing))
        .await
        .unwrap();
    assert_eq!(v.name, "Billing, unassigned");
    // Paging is not part of a view; the count is the list's total.
    assert_eq!((v.filter.offset, v.filter.limit), (0, 0));
    let total = desk
        .tickets()
        .search(&TicketFilter {
            limit: 1,
            ..v.filter.clone()
        })
        .await
        .unwrap()
        .total;
    assert!(total > 0, "the seed has unassigned Billing tickets");
    assert_eq!(v.count, total);

    // A name taken in any case is refused, saying so; so are empty and multi-line names.
    let e = desk
        .views()
        .save("billing, UNASSIGNED", &TicketFilter::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("exists already"), "{e}");
    for bad in ["", "   ", "a\nb"] {
        assert!(desk
            .views()
            .save(bad, &TicketFilter::default())
            .await
            .is_err());
    }
    // A status word the cache does not know is refused as the filter is read (the window's
    // JSON, the CLI's --status), never saved to fail later in the sidebar.
    let e =
        serde_json::from_str::<TicketFilter>(r#"{"status": "pending", "offset": 0, "limit": 0}"#)
            .unwrap_err()
            .to_string();
    assert!(e.contains("pending"), "{e}");
    assert!(StatusFilter::parse("pending").is_err());

    let all = desk
        .views()
        .save(
            "Everything",
            &TicketFilter {
                status: Some(StatusFilter::Any),
                ..TicketFilter::default()
            },
        )
        .await
        .unwrap();
    let names = |vs: &[desk_core::SavedView]| vs.iter().map(|v| v.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&desk.views().list().await.unwrap()),
        ["Billing, unassigned", "Everything"]
    );
    desk.views().reorder(&[all.id]).await.unwrap();
    desk.views().rename(v.id, "Billing queue").await.unwrap();
    assert_eq!(
        names(&desk.views().list().await.unwrap()),
        ["Everything", "Billing queue"]
    );
    assert!(desk.views().rename(v.id, "everything").await.is_err());
    assert!(desk.views().find("BILLING QUEUE").await.is_ok());
    let e = desk.views().find("Nope").await.unwrap_err().to_string();
    assert!(
        e.contains("Everything") && e.contains("Billing queue"),
        "{e}"
    );

    // The count follows the cache: a ticket closed in Trengo and synced leaves the view.
    let first = desk
        .tickets()
        .search(&TicketFilter {
            limit: 1,
            ..v.filter.clone()
        })
        .await
        .unwrap()
        .rows[0]
        .id
        .clone();
    desk.tickets().close(&first).await.unwrap();
    let now = desk.views().find("Billing queue").await.unwrap();
    assert_eq!(now.count, total - 1);

    // Kept in the workspace's cache file: a restart finds them in the same order.
    drop(desk);
    let desk = common::open(&sim, dir.path()).await;
    assert_eq!(
        names(&desk.views().list().await.unwrap()),
        ["Everything", "Billing queue"]
    );
    desk.views().delete(all.id).await.unwrap();
    assert!(desk.views().delete(all.id).await.is_err());
    assert_eq!(
        names(&desk.views().list().await.unwrap()),
        ["Billing queue"]
    );
}

#[tokio::test]
async fn the_demo_starts_afresh_but_keeps_the_saved_views() {
    let dir = tempfile::tempdir().unwrap();
    let opts = || DemoOptions {
        rate_limit: 1_000_000,
        fresh: true,
        ..DemoOptions::default()
    };
    let desk = Desk::open_demo(Some(dir.path().to_path_buf()), opts())
        .await
        .unwrap();
    desk.sync()
        .run(&|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    let sales = desk
        .directory()
        .find_team("Sales")
        .await
        .unwrap()
        .unwrap()
        .id;
    let filter = TicketFilter {
        team_id: Some(sales),
        ..TicketFilter::default()
    };
    let saved = desk.views().save("Sales queue", &filter).await.unwrap();
    assert!(saved.count > 0);
    // A recorded action (a job with its items) must not stop the next demo from starting.
    let ticket = desk
        .tickets()
        .search(&filter)
        .await
        .unwrap()
        .rows
        .remove(0)
        .id;
    let tag = desk
        .directory()
        .find_tag("urgent")
        .await
        .unwrap()
        .unwrap()
        .id;
    let first = desk.tickets().add_tag(&ticket, &tag).await.unwrap().job.id;
    drop(desk);

    let desk = Desk::open_demo(Some(dir.path().to_path_buf()), opts())
        .await
        .unwrap();
    let views = desk.views().list().await.unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].name, "Sales queue");
    // The cache is empty again until the first sync; then the same view counts the same.
    assert_eq!(views[0].count, 0);
    desk.sync()
        .run(&|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(
        desk.views().find("sales queue").await.unwrap().count,
        saved.count
    );
    // Jobs count from the start again, as in a new workspace.
    let ticket = desk
        .tickets()
        .search(&filter)
        .await
        .unwrap()
        .rows
        .remove(0)
        .id;
    assert_eq!(
        desk.tickets().add_tag(&ticket, &tag).await.unwrap().job.id,
        first
    );
}
