//! The steady refresh against the simulator over HTTP, in both readings of Trengo's list: one
//! that honours `updated_at_gt` (incremental) and the documented one that ignores it (rotation).

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

use common::*;
use desk_core::{SyncMode, SyncProgress};
use trengo_sim::{Faults, Sim, Size};
use trengo_unified::api::model::TicketStatus;
use trengo_unified::api::{Assignee, TicketQuery};

fn requests(sim: &Sim) -> u64 {
    sim.state()
        .stats()
        .by_token
        .get("demo-token")
        .map_or(0, |s| s.requests)
}

fn honour_updated_since(sim: &Sim, on: bool) {
    sim.state().set_faults(Faults {
        honours_updated_since: on,
        ..Faults::default()
    });
}

async fn refresh(desk: &desk_core::Desk, slice: Duration) -> desk_core::RefreshReport {
    desk.sync()
        .refresh(slice, &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap()
}

/// The cached team of each ticket.
async fn cached_teams(desk: &desk_core::Desk, ids: &[u64]) -> Vec<Option<i64>> {
    let db = db(desk).await;
    let mut out = vec![];
    for id in ids {
        let t: Option<i64> = sqlx::query_scalar("SELECT team_id FROM tickets WHERE id = ?")
            .bind(*id as i64)
            .fetch_one(&db)
            .await
            .unwrap();
        out.push(t);
    }
    out
}

/// Fifty open tickets a colleague moves to a team none of them is in.
async fn colleague_moves_fifty(
    sim: &Sim,
    colleague: &trengo_unified::api::Client,
) -> (Vec<u64>, u64) {
    let mut ids = vec![];
    for status in [TicketStatus::Open, TicketStatus::Assigned] {
        let q = TicketQuery {
            status: Some(status),
            ..Default::default()
        };
        let mut page = 1;
        while ids.len() < 50 {
            let pg = colleague.tickets(&q, page).await.unwrap();
            ids.extend(pg.data.iter().map(|t| t.id));
            match pg.next_page(page) {
                Some(n) => page = n,
                None => break,
            }
        }
    }
    ids.truncate(50);
    assert_eq!(ids.len(), 50, "the seed has 50 open tickets");
    let team = {
        let w = sim.state().world();
        *w.teams.keys().last().unwrap()
    };
    for id in &ids {
        colleague
            .assign_ticket(*id, Assignee::Team(team), None)
            .await
            .unwrap();
    }
    (ids, team)
}

#[tokio::test]
async fn where_trengo_lists_changes_a_refresh_with_nothing_changed_costs_at_most_two_requests() {
    let (sim, _dir, desk, colleague) = with_colleague(Size::Demo).await;
    honour_updated_since(&sim, true);

    // The first refresh probes the filter (a time in the future lists nothing) and records it.
    let r = refresh(&desk, Duration::ZERO).await;
    assert_eq!(r.mode, Some(SyncMode::Incremental));
    let f = desk.sync().freshness().await.unwrap();
    assert_eq!(f.mode, Some(SyncMode::Incremental));
    assert_eq!(f.share_percent, 25);

    // Nothing changed: one look at the changes.
    for _ in 0..3 {
        let before = requests(&sim);
        let r = refresh(&desk, Duration::ZERO).await;
        let spent = requests(&sim) - before;
        assert!(
            spent <= 2,
            "a refresh with nothing changed made {spent} requests"
        );
        assert!(!r.whole_read);
    }

    // A colleague moves 50 tickets: every change is in the cache after one refresh.
    let (ids, team) = colleague_moves_fifty(&sim, &colleague).await;
    assert!(cached_teams(&desk, &ids)
        .await
        .iter()
        .any(|t| *t != Some(team as i64)));
    let before = requests(&sim);
    refresh(&desk, Duration::ZERO).await;
    let spent = requests(&sim) - before;
    assert!(spent <= 4, "50 changes took {spent} requests (25 a page)");
    assert_eq!(
        cached_teams(&desk, &ids).await,
        vec![Some(team as i64); 50],
        "every change is in the cache after one refresh"
    );
    // And the open tickets' ages say the cache is fresh as of that look.
    let ages = desk.sync().open_ticket_ages().await.unwrap();
    assert!(!ages.is_empty());
    assert!(
        ages[ages.len() * 95 / 100] <= 5,
        "p95 age {:?}",
        ages.last()
    );
}

#[tokio::test]
async fn where_trengo_ignores_the_filter_the_views_come_first_and_the_rest_in_rotation() {
    let (sim, _dir, desk, colleague) = with_colleague(Size::Demo).await;
    // The documented reading: the parameter is ignored, a future time lists everything.
    let events = Mutex::new(vec![]);
    let progress = |p: SyncProgress| {
        if p.phase == desk_core::sync::SyncPhase::Tickets {
            let mut e = events.lock().unwrap();
            if e.last() != Some(&p.resource) {
                e.push(p.resource.clone());
            }
        }
    };
    // The sync just read it whole: a pass now, not five minutes after that one.
    let req = desk_core::RefreshRequest {
        slice: Duration::from_secs(60),
        min_pass_gap: Duration::ZERO,
        ..Default::default()
    };
    let r = desk
        .sync()
        .refresh_with(req, &progress, &AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(r.mode, Some(SyncMode::Rotation));
    // The views' first pages, then the rotation, which goes through the whole working set.
    assert_eq!(
        events.lock().unwrap().as_slice(),
        ["tickets (views)", "tickets (rotation)"]
    );
    assert!(r.whole_read, "{r:?}");
    let f = desk.sync().freshness().await.unwrap();
    assert_eq!(f.mode, Some(SyncMode::Rotation));
    assert!(f.whole_read_secs.is_some() && f.views_age_secs.is_some());

    // A colleague's change on the first page of the open view is in the cache after a refresh
    // that reads nothing but the views (no time for the rotation).
    let first = colleague
        .tickets(
            &TicketQuery {
                status: Some(TicketStatus::Open),
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap()
        .data[0]
        .id;
    let team = {
        let w = sim.state().world();
        *w.teams.keys().last().unwrap()
    };
    colleague
        .assign_ticket(first, Assignee::Team(team), None)
        .await
        .unwrap();
    let before = requests(&sim);
    let lanes = desk.session().budget_state().unwrap();
    let r = refresh(&desk, Duration::ZERO).await;
    assert_eq!(r.rotation_pages, 0);
    assert!(requests(&sim) - before <= 5, "the views are a few pages");
    // All of it in the sync lane, held to its share: only an empty cache reads its first pages
    // ahead of it.
    let now = desk.session().budget_state().unwrap();
    assert_eq!(
        now.granted_total - lanes.granted_total,
        now.granted_sync - lanes.granted_sync,
        "every request of a refresh is the background's"
    );
    assert_eq!(
        (now.granted_sync - lanes.granted_sync) as u32,
        r.requests,
        "{r:?}"
    );
    assert_eq!(cached_teams(&desk, &[first]).await, vec![Some(team as i64)]);

    // A ticket deep in the list that a colleague closes leaves the working set when a whole
    // pass has gone by without seeing it among the open ones.
    let deep = {
        let w = sim.state().world();
        w.tickets
            .values()
            .filter(|t| t.status == trengo_sim::world::Status::Open)
            .nth(5)
            .unwrap()
            .id
    };
    colleague.close_ticket(deep, None).await.unwrap();
    let db = db(&desk).await;
    let status = || async {
        sqlx::query_scalar::<_, String>("SELECT status FROM tickets WHERE id = ?")
            .bind(deep as i64)
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(status().await, "OPEN", "the cache has not seen it yet");
    let mut passes = 0;
    while status().await == "OPEN" && passes < 3 {
        // Passes one after another (the app waits five minutes between passes of a small inbox).
        let req = desk_core::RefreshRequest {
            slice: Duration::from_secs(60),
            min_pass_gap: Duration::ZERO,
            ..Default::default()
        };
        let r = desk
            .sync()
            .refresh_with(req, &|_| {}, &AtomicBool::new(false))
            .await
            .unwrap();
        passes += u32::from(r.whole_read);
    }
    assert_eq!(status().await, "CLOSED", "after {passes} whole passes");
}

/// The background sync's share is a setting: checked, and handed to the budget.
#[tokio::test]
async fn the_sync_share_is_a_setting() {
    let (_sim, _dir, desk) = synced(Size::Small).await;
    let mut s = desk.session().settings().await.unwrap();
    s.sync_share_percent = Some(2);
    let e = desk
        .session()
        .save_settings(&s)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("from 5 to 100 percent, not 2"), "{e}");
    s.sync_share_percent = Some(40);
    desk.session().save_settings(&s).await.unwrap();
    assert_eq!(desk.session().sync_share().await.unwrap(), 40);
    assert_eq!(desk.sync().freshness().await.unwrap().share_percent, 40);
}

/// The contact index shares the refresh: it waits until the working set has been read whole
/// (what the lead sees comes first), then takes the rest of the slice, and is complete.
#[tokio::test]
async fn the_contact_index_follows_the_working_set_in_the_same_refresh() {
    let sim = sim(Size::Small).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = open(&sim, dir.path()).await;
    let phases = Mutex::new(vec![]);
    let progress = |p: SyncProgress| {
        let mut e = phases.lock().unwrap();
        let key = if p.phase == desk_core::sync::SyncPhase::Contacts {
            "contacts".to_string()
        } else {
            p.resource.clone()
        };
        if p.phase != desk_core::sync::SyncPhase::Done && e.last() != Some(&key) {
            e.push(key);
        }
    };
    let r = desk
        .sync()
        .refresh(Duration::from_secs(60), &progress, &AtomicBool::new(false))
        .await
        .unwrap();
    assert!(r.whole_read, "{r:?}");
    assert!(r.contact_pages >= 4, "80 contacts are 4 pages: {r:?}");
    let p = phases.lock().unwrap().clone();
    let first_contacts = p.iter().position(|x| x == "contacts").unwrap();
    let last_rotation = p.iter().rposition(|x| x == "tickets (rotation)").unwrap();
    assert!(
        last_rotation < first_contacts,
        "contacts only after the whole working set: {p:?}"
    );
    let ix = desk.sync().contact_index().await.unwrap();
    assert!(ix.complete && ix.indexed >= 80, "{ix:?}");
    // Complete and not due: the next refresh reads no contacts.
    let r = refresh(&desk, Duration::from_secs(5)).await;
    assert_eq!(r.contact_pages, 0, "{r:?}");
}

/// A saved view the list can ask for (here: open tickets tagged vip) is read with the views:
/// a ticket a colleague tags deep in the open list is in that view after one refresh with no
/// time for the rotation.
#[tokio::test]
async fn a_saved_views_first_page_is_read_with_the_views() {
    let (_sim, _dir, desk, colleague) = with_colleague(Size::Demo).await;
    let vip = 1003u64;
    desk.views()
        .save(
            "VIPs",
            &desk_core::view::TicketFilter {
                status: Some(desk_core::view::StatusFilter::Unassigned),
                tag_id: Some(vip.to_string()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // An open ticket on the second page of the open list (which the views do not read), without
    // the tag: tagged, it is among the newest of the view.
    let open = TicketQuery {
        status: Some(TicketStatus::Open),
        ..Default::default()
    };
    let deep = colleague.tickets(&open, 2).await.unwrap().data;
    let deep = deep
        .iter()
        .find(|t| !t.labels.iter().any(|l| l.id == vip))
        .unwrap()
        .id;
    colleague.attach_label(deep, vip).await.unwrap();
    let r = refresh(&desk, Duration::ZERO).await;
    assert_eq!(r.rotation_pages, 0);
    let db = db(&desk).await;
    let tagged: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ticket_tags WHERE ticket_id = ? AND tag_id = ?")
            .bind(deep as i64)
            .bind(vip as i64)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        tagged, 1,
        "the saved view's page brought the colleague's tag"
    );
}

/// A small inbox is not read over and over: after a whole pass, the next begins five minutes
/// after it began; meanwhile a refresh reads the views alone.
#[tokio::test]
async fn a_small_inbox_is_read_whole_at_most_every_five_minutes() {
    let (_sim, _dir, desk) = synced(Size::Small).await;
    let db = db(&desk).await;
    let generation = || async {
        sqlx::query_scalar::<_, i64>("SELECT n FROM cache_gen WHERE id = 1")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    // The sync just read it whole: the refreshes read the views (4 requests) and nothing more.
    let r = refresh(&desk, Duration::from_secs(5)).await;
    assert_eq!(r.rotation_pages, 0, "{r:?}");
    let before = generation().await;
    for _ in 0..3 {
        let r = refresh(&desk, Duration::from_secs(5)).await;
        assert_eq!(r.mode, Some(SyncMode::Rotation));
        assert_eq!(r.rotation_pages, 0, "{r:?}");
        assert!(r.requests - r.contact_pages <= 6, "{r:?}");
    }
    // Tickets read again unchanged are not a change: lists and rule previews stay as they are.
    assert_eq!(generation().await, before, "the change counter stood still");
}

/// Only an empty list reads its first pages ahead of the share: once the cache holds tickets, a
/// refresh is the background's even while the first pass is under way.
#[tokio::test]
async fn after_the_first_pages_every_refresh_is_within_the_share() {
    let sim = sim(Size::Demo).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = open(&sim, dir.path()).await;
    let first = refresh(&desk, Duration::ZERO).await;
    let b = desk.session().budget_state().unwrap();
    assert!(
        b.granted_total > b.granted_sync,
        "the empty list's first pages go ahead: {first:?} {b:?}"
    );
    assert!(
        !desk
            .directory()
            .freshness()
            .await
            .unwrap()
            .working_set_complete
    );
    let r = refresh(&desk, Duration::ZERO).await;
    let now = desk.session().budget_state().unwrap();
    assert_eq!(
        now.granted_total - b.granted_total,
        now.granted_sync - b.granted_sync,
        "the second refresh is all the sync lane's: {r:?}"
    );
}
