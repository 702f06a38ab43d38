//! Creating a tag from the app or the CLI: Trengo's list decides whether the name exists (a
//! colleague may have made it since the last sync), bad names and colours are refused before
//! anything is sent, and the new tag is in the cache at once.

mod common;

use desk_core::Desk;
use trengo_sim::{Sim, Size};
use trengo_unified::api::Client;

async fn setup() -> (Sim, tempfile::TempDir, Desk, Client) {
    common::with_colleague(Size::Small).await
}

/// Label creations the simulator applied, by token.
fn creates(sim: &Sim, token: &str) -> usize {
    sim.state()
        .mutations()
        .iter()
        .filter(|m| m.method == "POST" && m.path == "/labels" && m.token == token)
        .count()
}

#[tokio::test]
async fn a_new_tag_is_made_in_trengo_and_is_in_the_cache_at_once() {
    let (sim, _dir, desk, _colleague) = setup().await;
    let r = desk
        .directory()
        .create_tag("  Escalated to finance ", Some("#5D9CEC"))
        .await
        .unwrap();
    assert!(r.created);
    assert_eq!(r.tag.name, "Escalated to finance");
    let id: u64 = r.tag.id.parse().unwrap();
    {
        let w = sim.state().world();
        let l = &w.labels[&id];
        assert_eq!(l.name, "Escalated to finance");
        assert_eq!(l.color, "#5d9cec");
    }
    // The pickers find it without a sync, and a ticket can carry it.
    let found = desk
        .directory()
        .find_tag("escalated to finance")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, r.tag.id);
    let dir = desk.directory().lists().await.unwrap();
    assert!(dir.tags.iter().any(|t| t.id == r.tag.id && t.active));
    // Asked again (any case): Trengo has it, nothing more is made.
    let again = desk
        .directory()
        .create_tag("ESCALATED TO FINANCE", None)
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.tag.id, r.tag.id);
    assert_eq!(creates(&sim, "demo-token"), 1);
}

#[tokio::test]
async fn a_tag_a_colleague_made_since_the_sync_is_used_not_doubled() {
    let (sim, _dir, desk, colleague) = setup().await;
    let theirs = colleague
        .create_label("Refund pending", Some("#ed5565"))
        .await
        .unwrap();
    // Our cache has never seen it; Trengo's list decides.
    assert!(desk
        .directory()
        .find_tag("Refund pending")
        .await
        .unwrap()
        .is_none());
    let r = desk
        .directory()
        .create_tag("refund PENDING", None)
        .await
        .unwrap();
    assert!(!r.created, "Trengo already had it");
    assert_eq!(r.tag.id, theirs.id.to_string());
    assert_eq!(r.tag.name, "Refund pending");
    assert_eq!(creates(&sim, "demo-token"), 0);
    let w = sim.state().world();
    let same = w
        .labels
        .values()
        .filter(|l| l.name.eq_ignore_ascii_case("refund pending"))
        .count();
    assert_eq!(same, 1);
}

#[tokio::test]
async fn bad_names_and_colours_are_refused_before_anything_is_sent() {
    let (sim, _dir, desk, _colleague) = setup().await;
    let before = sim.state().mutations().len();
    for (name, color, says) in [
        ("   ", None, "needs a name"),
        ("two\nlines", None, "line break"),
        (&*"x".repeat(51), None, "longer than 50"),
        ("Fine name", Some("red"), "#rrggbb"),
        ("Fine name", Some("#12345g"), "#rrggbb"),
    ] {
        let e = desk
            .directory()
            .create_tag(name, color)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{name:?} {color:?}: {e}");
    }
    assert_eq!(sim.state().mutations().len(), before, "nothing was written");
}
