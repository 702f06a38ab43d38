//! A workspace's zone-less times are read in the zone Trengo's own clock shows: learned after the
//! app's first change to a ticket, kept with the workspace, and used for every time after it.

mod common;

use desk_core::jobs::Action;
use trengo_sim::{Sim, SimConfig, Size};

fn instant(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

#[tokio::test]
async fn a_workspace_in_another_zone_is_learned_kept_and_read_in_true_instants() {
    let sim = Sim::start(SimConfig {
        size: Size::Small,
        rate_limit: 1_000_000,
        zone: chrono_tz::Asia::Jerusalem,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let desk = common::open(&sim, dir.path()).await;
    common::sync(&desk).await;
    let z = desk.session().trengo_zone().await.unwrap();
    assert_eq!(
        (z.name.as_str(), z.learned_at),
        ("Europe/Amsterdam", None),
        "assumed until Trengo's clock shows it"
    );
    let (id, truth) = {
        let w = sim.state().world();
        let t = w
            .tickets
            .values()
            .rev()
            .find(|t| t.status.as_str() == "OPEN")
            .unwrap();
        (t.id, t.created_at)
    };
    // Read as Amsterdam's wall clock, the ticket's making is an hour off (Jerusalem is UTC+2 in
    // winter and +3 in summer, Amsterdam +1 and +2).
    let before = desk.tickets().open(&id.to_string()).await.unwrap();
    let read = instant(before.context.ticket.created_at.as_deref().unwrap());
    assert_eq!(read - truth, 3600, "read in the assumed zone");

    // The app's first changes: closing it and opening it again. Each next read of the ticket
    // shows the zone; another zone than the one in use is taken once two readings agree.
    desk.tickets()
        .act(&id.to_string(), Action::Close)
        .await
        .unwrap();
    desk.tickets().refresh(&id.to_string()).await.unwrap();
    assert_eq!(
        desk.session().trengo_zone().await.unwrap().name,
        "Europe/Amsterdam",
        "seen once"
    );
    desk.tickets()
        .act(&id.to_string(), Action::Reopen)
        .await
        .unwrap();
    let after = desk.tickets().refresh(&id.to_string()).await.unwrap();
    let z = desk.session().trengo_zone().await.unwrap();
    assert_eq!(
        z.name, "Asia/Jerusalem",
        "the users' own zone, among those that fit"
    );
    assert!(z.learned_at.is_some());
    assert_eq!(
        instant(after.ticket.created_at.as_deref().unwrap()),
        truth,
        "read in the learned zone: the true instant"
    );

    // Kept with the workspace (written as soon as it is learned, by a task of its own): a new
    // process starts in it, before any change of its own.
    let db = common::db(&desk).await;
    let mut kept = None;
    for _ in 0..1000 {
        kept =
            sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = 'trengo_zone'")
                .fetch_optional(&db)
                .await
                .unwrap();
        if kept.is_some() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(kept.unwrap().contains("Asia/Jerusalem"));
    drop(desk);
    let desk = common::open(&sim, dir.path()).await;
    assert_eq!(
        desk.session().trengo_zone().await.unwrap().name,
        "Asia/Jerusalem"
    );
    let (other, other_truth) = {
        let w = sim.state().world();
        w.tickets
            .values()
            .rev()
            .filter(|t| t.status.as_str() == "OPEN" && t.id != id)
            .map(|t| (t.id, t.created_at))
            .next()
            .unwrap()
    };
    let t = desk.tickets().refresh(&other.to_string()).await.unwrap();
    assert_eq!(
        instant(t.ticket.created_at.as_deref().unwrap()),
        other_truth
    );
}
