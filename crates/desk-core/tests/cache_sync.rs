//! The cache and sync against the simulator over HTTP, in a real SQLite file.

mod common;

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use desk_core::view::TicketFilter;
use desk_core::view::{StatusFilter, StatusKind, TicketStatus};
use desk_core::{Desk, DeskConfig, MemoryStore, Token};
use trengo_sim::world::{AssignTo, Status};
use trengo_sim::{Sim, SimConfig, Size};
use trengo_unified::api::BudgetConfig;

async fn setup(size: Size) -> (Sim, Desk, tempfile::TempDir) {
    let sim = Sim::start(SimConfig {
        size,
        rate_limit: 1_000_000,
        anchor: Some(1_764_000_000),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let desk = common::open(&sim, dir.path()).await;
    (sim, desk, dir)
}

use common::sync;

fn all(status: &str) -> TicketFilter {
    TicketFilter {
        status: Some(StatusFilter::parse(status).unwrap()),
        limit: 500,
        ..Default::default()
    }
}

#[tokio::test]
async fn after_a_full_sync_the_cache_equals_the_simulator() {
    let (sim, desk, _dir) = setup(Size::Small).await;
    let report = sync(&desk).await;
    assert_eq!(
        report.requests, report.pages,
        "one request per page, no retries"
    );

    let (open_ids, users, teams, labels) = {
        let w = sim.state().world();
        let open: HashSet<String> = w
            .tickets
            .values()
            .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
            .map(|t| t.id.to_string())
            .collect();
        (open, w.users.len(), w.teams.len(), w.labels.len())
    };
    let cached = desk.tickets().search(&all("open")).await.unwrap();
    assert_eq!(cached.total as usize, open_ids.len());
    let cached_ids: HashSet<String> = cached.rows.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(cached_ids, open_ids);

    let d = desk.directory().lists().await.unwrap();
    assert_eq!(
        (d.users.len(), d.teams.len(), d.tags.len()),
        (users, teams, labels)
    );
    assert!(d
        .fields
        .iter()
        .any(|f| f.label == "Customer ID" && f.entity_type == "contact"));

    {
        // Every cached ticket as Trengo has it: status, team, assignee, tags, contact.
        let w = sim.state().world();
        for row in &cached.rows {
            let t = &w.tickets[&row.id.parse::<u64>().unwrap()];
            assert_eq!(row.status.as_str(), t.status.as_str());
            assert_eq!(
                row.team.as_ref().map(|x| x.id.clone()),
                t.team_id.map(|x| x.to_string())
            );
            assert_eq!(
                row.assignee.as_ref().map(|x| x.id.clone()),
                t.user_id.map(|x| x.to_string())
            );
            let mut tags: Vec<String> = row.tags.iter().map(|g| g.id.to_string()).collect();
            let mut want: Vec<String> = t.label_ids.iter().map(u64::to_string).collect();
            tags.sort();
            want.sort();
            assert_eq!(tags, want, "tags of {}", row.id);
            assert_eq!(
                row.contact.as_ref().map(|c| c.name.clone()),
                Some(w.contacts[&t.contact_id].name.clone())
            );
            if let Some(team) = &row.team {
                assert_eq!(
                    team.name,
                    w.teams[&t.team_id.unwrap()].name,
                    "names, not only ids"
                );
            }
        }
    }
    let fresh = desk.directory().freshness().await.unwrap();
    assert!(fresh.working_set_complete && fresh.last_sync_at.is_some());
}

#[tokio::test]
async fn an_incremental_sync_brings_changes_made_in_trengo() {
    let (sim, desk, _dir) = setup(Size::Small).await;
    sync(&desk).await;
    let now = 1_764_000_000 + 60;
    let (new_id, relabelled, reassigned, closed, label) = {
        let mut w = sim.state().world();
        // Older open tickets: outside the recent pages, so they stay in the working set only while open.
        let open: Vec<u64> = w
            .tickets
            .values()
            .filter(|t| t.status == Status::Assigned)
            .map(|t| t.id)
            .take(3)
            .collect();
        let label = *w.labels.keys().last().unwrap();
        w.attach_label(open[0], label, now).unwrap();
        w.assign(open[1], AssignTo::User(3605), now).unwrap();
        w.close(open[2], None, now).unwrap();
        let contact = *w.contacts.keys().next().unwrap();
        let id = w
            .create_ticket(801, contact, Some("Brand new".into()), None, now)
            .unwrap();
        (id, open[0], open[1], open[2], label)
    };
    let r = sync(&desk).await;
    assert!(
        r.left_working_set >= 1,
        "the closed ticket left the working set"
    );

    let row = |id: u64| {
        let desk = &desk;
        async move { desk.tickets().row(&id.to_string()).await.unwrap().unwrap() }
    };
    assert_eq!(row(new_id).await.subject.as_deref(), Some("Brand new"));
    assert!(row(relabelled)
        .await
        .tags
        .iter()
        .any(|g| g.id == label.to_string()));
    assert_eq!(row(reassigned).await.assignee.unwrap().id, "3605");
    let c = row(closed).await;
    assert_eq!(
        (c.status.as_str(), c.in_working_set),
        ("CLOSED", false),
        "marked, not lost"
    );
    let open = desk.tickets().search(&all("open")).await.unwrap();
    assert!(!open.rows.iter().any(|r| r.id == closed.to_string()));
    assert!(desk
        .tickets()
        .search(&all("closed"))
        .await
        .unwrap()
        .rows
        .iter()
        .any(|r| r.id == closed.to_string()));
}

#[tokio::test]
async fn tickets_that_left_are_all_rechecked_over_later_syncs() {
    let (sim, desk, _dir) = setup(Size::Demo).await;
    sync(&desk).await;
    // Close 70 older open tickets in Trengo: more than one sync re-reads (50).
    let closed: Vec<u64> = {
        let mut w = sim.state().world();
        let ids: Vec<u64> = w
            .tickets
            .values()
            .filter(|t| t.status == Status::Assigned)
            .map(|t| t.id)
            .take(70)
            .collect();
        for id in &ids {
            w.close(*id, None, 1_764_000_100).unwrap();
        }
        ids
    };
    let r = sync(&desk).await;
    assert!(r.left_working_set >= 70);
    let status = |id: u64| {
        let desk = &desk;
        async move { desk.tickets().row(&id.to_string()).await.unwrap().unwrap() }
    };
    let mut known = 0;
    for id in &closed {
        let row = status(*id).await;
        assert!(!row.in_working_set, "out of the open views at once");
        known += (row.status == TicketStatus::Closed) as usize;
    }
    assert_eq!(known, 50, "one sync re-reads 50");
    sync(&desk).await;
    for id in &closed {
        assert_eq!(
            status(*id).await.status,
            TicketStatus::Closed,
            "the rest on the next sync"
        );
    }
}

#[tokio::test]
async fn reading_works_with_trengo_gone_and_writes_say_offline() {
    let (sim, desk, _dir) = setup(Size::Small).await;
    sync(&desk).await;
    let first = desk.tickets().search(&all("open")).await.unwrap().rows[0]
        .id
        .clone();
    desk.tickets().refresh(&first).await.unwrap();
    sim.stopped().await;
    let rows = desk
        .tickets()
        .search(&TicketFilter {
            text: Some("order".into()),
            status: Some(StatusFilter::Any),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(rows.total > 0);
    let ctx = desk.tickets().context(&first).await.unwrap();
    assert!(!ctx.messages.is_empty());
    let err = desk.tickets().add_tag(&first, "1001").await.unwrap_err();
    assert_eq!(err.code().as_str(), "offline");
    assert!(
        err.to_string()
            .contains("Reading still works from the cache"),
        "{err}"
    );
    assert!(!desk.session().is_online());
}

#[tokio::test]
async fn searches_run_while_a_sync_writes() {
    let (_sim, desk, _dir) = setup(Size::Demo).await;
    let desk = Arc::new(desk);
    let syncing = {
        let d = desk.clone();
        tokio::spawn(async move { d.sync().run(&|_| {}, &AtomicBool::new(false)).await })
    };
    let mut searches = 0;
    while !syncing.is_finished() {
        desk.tickets()
            .search(&TicketFilter {
                text: Some("refund".into()),
                status: Some(StatusFilter::Any),
                limit: 20,
                ..Default::default()
            })
            .await
            .unwrap();
        desk.tickets().search(&all("open")).await.unwrap();
        searches += 2;
        tokio::task::yield_now().await;
    }
    syncing.await.unwrap().unwrap();
    assert!(searches > 2, "searched during the sync");
    assert!(desk.tickets().search(&all("open")).await.unwrap().total > 1_000);
}

#[tokio::test]
async fn a_ticket_context_has_the_contact_thread_and_names() {
    let (sim, desk, _dir) = setup(Size::Small).await;
    sync(&desk).await;
    let id = {
        let w = sim.state().world();
        w.tickets
            .values()
            .rev()
            .find(|t| {
                matches!(t.status, Status::Assigned)
                    && t.messages.len() >= 3
                    && t.messages
                        .iter()
                        .any(|m| m.kind == trengo_sim::world::MessageKind::Note)
            })
            .map(|t| t.id)
    };
    let Some(id) = id else {
        panic!("the seed has a ticket with a note")
    };
    let ctx = desk.tickets().refresh(&id.to_string()).await.unwrap();
    {
        let w = sim.state().world();
        let t = &w.tickets[&id];
        assert_eq!(ctx.messages.len(), t.messages.len());
        assert!(ctx.messages.iter().any(|m| m.kind.as_str() == "note"));
        assert!(
            ctx.messages
                .windows(2)
                .all(|p| p[0].created_at <= p[1].created_at),
            "oldest first"
        );
        let card = ctx.contact.unwrap();
        assert_eq!(card.name, w.contacts[&t.contact_id].name);
        let contact_fields = w.fields.values().filter(|f| f.entity == "CONTACT").count();
        assert_eq!(
            card.fields.len(),
            contact_fields,
            "every contact field, set or not"
        );
        assert!(ctx.ticket_url.unwrap().ends_with(&format!("/tickets/{id}")));
    }
    // Cached now: opening it again needs no Trengo.
    let again = desk.tickets().context(&id.to_string()).await.unwrap();
    assert_eq!(again.messages.len(), ctx.messages.len());
}

#[tokio::test]
async fn single_ticket_actions_change_trengo_and_the_cache() {
    let (sim, desk, _dir) = setup(Size::Small).await;
    sync(&desk).await;
    let id = desk
        .tickets()
        .search(&all("unassigned"))
        .await
        .unwrap()
        .rows[0]
        .id
        .clone();
    let tid: u64 = id.parse().unwrap();
    let row = |d: desk_core::jobs::ActionDone| d.row.expect("the cache holds the ticket");
    let r = row(desk.tickets().add_tag(&id, "1003").await.unwrap());
    assert!(r.tags.iter().any(|g| g.id == "1003" && g.color.is_some()));
    assert!(sim.state().world().tickets[&tid].label_ids.contains(&1003));
    let r = row(desk.tickets().remove_tag(&id, "1003").await.unwrap());
    assert!(!r.tags.iter().any(|g| g.id == "1003"));
    let r = row(desk.tickets().assign_team(&id, "202").await.unwrap());
    assert_eq!(r.team.unwrap().id, "202");
    let r = row(desk.tickets().assign_user(&id, "3604").await.unwrap());
    assert_eq!(
        (r.assignee.unwrap().id.as_str(), r.status.as_str()),
        ("3604", "ASSIGNED")
    );
    let r = row(desk.tickets().close(&id).await.unwrap());
    assert_eq!(r.status_kind, StatusKind::Closed);
    assert_eq!(sim.state().world().tickets[&tid].status, Status::Closed);
    let r = row(desk.tickets().reopen(&id).await.unwrap());
    assert_eq!(r.status, TicketStatus::Assigned);
    let note = desk
        .tickets()
        .add_note(&id, "Called the customer")
        .await
        .unwrap();
    assert_eq!(
        (note.message.kind.as_str(), note.message.body.as_str()),
        ("note", "Called the customer")
    );
    let ctx = desk.tickets().context(&id).await.unwrap();
    assert!(ctx
        .messages
        .iter()
        .any(|m| m.body == "Called the customer" && m.id == note.message.id));
    // A note is a job like any action: undo deletes it in Trengo.
    let undo = desk.jobs().undo(note.job.id).await.unwrap();
    assert_eq!(desk.jobs().run(undo.id, &|_| {}).await.unwrap().done, 1);
    assert!(!sim.state().world().tickets[&tid]
        .messages
        .iter()
        .any(|m| m.body == "Called the customer"));
    let err = desk.tickets().add_tag(&id, "999999").await.unwrap_err();
    assert_eq!(err.code().as_str(), "not_found");
}

#[tokio::test]
async fn the_token_is_nowhere_in_the_database_file() {
    const SECRET: &str = "tok-0123456789-very-secret";
    let sim = Sim::start(SimConfig {
        size: Size::Small,
        tokens: vec![SECRET.into()],
        rate_limit: 1_000_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::default());
    let cfg = || DeskConfig {
        base_url: sim.base_url(),
        workspace: None,
        data_dir: Some(dir.path().to_path_buf()),
        token: None,
        secrets: secrets.clone(),
        budget: Some(BudgetConfig {
            limit: 1_000_000,
            ..BudgetConfig::default()
        }),
        read_only: false,
    };
    // Nothing connected yet: connect first.
    let none = Desk::open(cfg()).await.err().unwrap();
    assert_eq!(none.code().as_str(), "needs_login");
    let bad = Desk::sign_in(cfg(), Token::new("wrong"))
        .await
        .err()
        .unwrap();
    assert_eq!(bad.code().as_str(), "unauthorized");
    let (desk, me) = Desk::sign_in(cfg(), Token::new(SECRET)).await.unwrap();
    assert_eq!(me.name, "Robin Jansen");
    sync(&desk).await;
    let first = desk.tickets().search(&all("open")).await.unwrap().rows[0]
        .id
        .clone();
    desk.tickets().refresh(&first).await.unwrap();
    desk.shut().await;
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir.path().join("workspaces")).unwrap() {
        // A WAL file may vanish between listing and reading, when the pool's close checkpoints it.
        let Ok(bytes) = std::fs::read(entry.unwrap().path()) else {
            continue;
        };
        scanned += bytes.len();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "the token is in the cache files"
        );
    }
    assert!(scanned > 100_000, "the cache was written: {scanned} bytes");
    use desk_core::SecretStore;
    assert_eq!(
        secrets
            .get(desk.session().workspace())
            .unwrap()
            .unwrap()
            .expose(),
        SECRET,
        "the token went to the secret store"
    );
}

#[tokio::test]
async fn the_schema_is_created_in_an_empty_file_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.sqlite3");
    std::fs::write(&path, b"").unwrap();
    let c = desk_core::cache::Cache::open(&path).await.unwrap();
    assert_eq!(c.freshness().await.unwrap().tickets_cached, 0);
    c.close().await;
    let c = desk_core::cache::Cache::open(&path).await.unwrap();
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(c.pool())
        .await
        .unwrap();
    assert!(n.0 >= 1);
}
