//! The action engine against the simulator, with a colleague working on the same tickets through
//! Trengo's API meanwhile: before-states are read fresh, undo reverts only what still stands as
//! the job left it, single actions are undoable jobs, and a runner that lost its job sends nothing.

mod common;

use std::sync::Arc;
use std::time::Duration;

use desk_core::jobs::{Action, ItemState, JobKind, JobState, Selection};
use desk_core::view::TicketFilter;
use desk_core::Desk;
use trengo_sim::world::Status;
use trengo_sim::{Sim, Size};
use trengo_unified::api::{Assignee, Client};

async fn setup() -> (Sim, tempfile::TempDir, Desk, Client) {
    setup_of(Size::Small).await
}

async fn setup_of(size: Size) -> (Sim, tempfile::TempDir, Desk, Client) {
    common::with_colleague(size).await
}

fn ids(v: &[u64]) -> Selection {
    Selection::Ids {
        ids: v.iter().map(u64::to_string).collect(),
    }
}

fn team(id: u64) -> Action {
    Action::AssignTeam {
        team_id: id.to_string(),
    }
}

fn tag(id: u64) -> Action {
    Action::AddTag {
        tag_id: id.to_string(),
    }
}

/// Open tickets in `team` (or in none) and without `label`, as the simulator has them.
fn open_in(sim: &Sim, team: Option<u64>, label: u64, n: usize) -> Vec<u64> {
    let w = sim.state().world();
    let v: Vec<u64> = w
        .tickets
        .values()
        .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
        .filter(|t| t.team_id == team && !t.label_ids.contains(&label))
        .map(|t| t.id)
        .take(n)
        .collect();
    assert_eq!(v.len(), n, "the seed has {} such tickets", v.len());
    v
}

fn open_without(sim: &Sim, label: u64, n: usize) -> Vec<u64> {
    open_in(sim, None, label, n)
}

async fn run(desk: &Desk, sel: Selection, actions: &[Action]) -> desk_core::jobs::JobView {
    let job = desk.jobs().create(&sel, actions).await.unwrap();
    desk.jobs().run(job.id, &|_| {}).await.unwrap()
}

async fn undo(desk: &Desk, id: u32) -> desk_core::jobs::JobView {
    let u = desk.jobs().undo(id).await.unwrap();
    assert_eq!(u.kind, JobKind::Undo);
    desk.jobs().run(u.id, &|_| {}).await.unwrap()
}

#[tokio::test]
async fn undo_never_destroys_a_colleagues_move_or_tag() {
    let (sim, _dir, desk, colleague) = setup().await;
    let (billing, support, vip) = (201u64, 202u64, 1003u64);
    let picked = open_without(&sim, vip, 2);
    let (t, u) = (picked[0], picked[1]);
    // After our sync, in Trengo: the colleague moves T to Billing and tags U vip.
    colleague
        .assign_ticket(t, Assignee::Team(billing), None)
        .await
        .unwrap();
    colleague.attach_label(u, vip).await.unwrap();

    let moved = run(&desk, ids(&[t]), &[team(support)]).await;
    assert_eq!((moved.state, moved.done), (JobState::Done, 1));
    let tagged = run(&desk, ids(&[u]), &[tag(vip)]).await;
    assert_eq!(
        (tagged.done, tagged.skipped),
        (0, 1),
        "the fresh read shows U already tagged"
    );

    let back = undo(&desk, moved.id).await;
    assert_eq!((back.state, back.done), (JobState::Done, 1));
    assert_eq!(
        sim.state().world().tickets[&t].team_id,
        Some(billing),
        "T goes back to the colleague's team, not to 'no team'"
    );
    let err = desk.jobs().undo(tagged.id).await.unwrap_err();
    assert!(err.to_string().contains("nothing to undo"), "{err}");
    assert!(
        sim.state().world().tickets[&u].label_ids.contains(&vip),
        "the colleague's tag stays"
    );
    // And the cache shows Trengo's state.
    let row = desk.tickets().row(&t.to_string()).await.unwrap().unwrap();
    assert_eq!(row.team.unwrap().id, billing.to_string());
}

#[tokio::test]
async fn undo_of_a_ticket_changed_since_lists_a_conflict_and_overwrites_nothing() {
    let (sim, _dir, desk, colleague) = setup().await;
    let (billing, support, other, urgent) = (201u64, 202u64, 203u64, 1002u64);
    let picked = open_in(&sim, Some(billing), urgent, 3);
    let job = run(&desk, ids(&picked), &[team(support), tag(urgent)]).await;
    assert_eq!(job.done, 3);
    // Meanwhile: ticket 0 moved on to another team, ticket 1 lost the tag by hand.
    colleague
        .assign_ticket(picked[0], Assignee::Team(other), None)
        .await
        .unwrap();
    colleague.detach_label(picked[1], urgent).await.unwrap();

    let back = undo(&desk, job.id).await;
    assert_eq!(back.state, JobState::Done);
    assert_eq!(back.conflicts, 1, "{back:?}");
    let items = desk.jobs().items(back.id, None).await.unwrap();
    let c = items
        .iter()
        .find(|i| i.ticket_id == picked[0].to_string())
        .unwrap();
    assert_eq!(c.state, ItemState::Conflict);
    let reason = c.reason.clone().unwrap();
    assert!(
        reason.contains("team Shipping & Returns now")
            && reason.contains("the job left team Support"),
        "{reason}"
    );
    let w = sim.state().world();
    assert_eq!(
        w.tickets[&picked[0]].team_id,
        Some(other),
        "not overwritten"
    );
    assert!(
        !w.tickets[&picked[0]].label_ids.contains(&urgent),
        "the part that still stood was reverted"
    );
    assert_eq!(w.tickets[&picked[1]].team_id, Some(billing));
    assert_eq!(w.tickets[&picked[2]].team_id, Some(billing));
    assert!(!w.tickets[&picked[1]].label_ids.contains(&urgent));
    assert!(!w.tickets[&picked[2]].label_ids.contains(&urgent));
    // The undo sent no detach for the tag the colleague had already removed.
    let detaches = sim
        .state()
        .mutations()
        .iter()
        .filter(|m| {
            m.method == "DELETE" && m.path == format!("/tickets/{}/labels/{urgent}", picked[1])
        })
        .filter(|m| m.token == "demo-token")
        .count();
    assert_eq!(detaches, 0);
}

#[tokio::test]
async fn a_single_action_is_an_undoable_job_and_reads_trengo_first() {
    let (sim, _dir, desk, colleague) = setup().await;
    let urgent = 1002u64;
    let t = open_without(&sim, urgent, 1)[0];
    let done = desk
        .tickets()
        .add_tag(&t.to_string(), &urgent.to_string())
        .await
        .unwrap();
    assert!(done.changed);
    assert_eq!(done.job.kind, JobKind::Action);
    assert!(done
        .row
        .unwrap()
        .tags
        .iter()
        .any(|g| g.id == urgent.to_string()));
    assert!(desk
        .jobs()
        .list(10)
        .await
        .unwrap()
        .iter()
        .any(|j| j.id == done.job.id));
    let back = undo(&desk, done.job.id).await;
    assert_eq!(back.done, 1);
    assert!(!sim.state().world().tickets[&t].label_ids.contains(&urgent));

    // A colleague tagged it meanwhile: our click finds it so, sends nothing, and has nothing to
    // undo.
    colleague.attach_label(t, urgent).await.unwrap();
    let before = sim.state().mutations().len();
    let again = desk
        .tickets()
        .add_tag(&t.to_string(), &urgent.to_string())
        .await
        .unwrap();
    assert!(!again.changed);
    assert_eq!(sim.state().mutations().len(), before, "nothing was written");
    assert!(desk.jobs().undo(again.job.id).await.is_err());
    assert!(sim.state().world().tickets[&t].label_ids.contains(&urgent));
}

#[tokio::test]
async fn a_filter_job_reads_its_tickets_from_list_pages_just_before_writing() {
    let (sim, _dir, desk, colleague) = setup_of(Size::Demo).await;
    // Every open ticket tagged billing (a filter Trengo's list has: labels[]): tag them urgent.
    let (billing, label) = (1001u64, 1002u64);
    let filter = TicketFilter {
        status: Some(desk_core::view::StatusFilter::Open),
        tag_id: Some(billing.to_string()),
        ..TicketFilter::default()
    };
    let sel = Selection::Filter { filter };
    let plan = desk.jobs().plan(&sel, &[tag(label)]).await.unwrap();
    assert!(plan.pages > 0, "{plan:?}");
    // A page of 25 per status Trengo lists separately (open, assigned), no single reads.
    assert!(
        plan.reads <= plan.tickets.div_ceil(25) + 1,
        "pages of 25: {plan:?}"
    );
    // After the plan, a colleague tags five of them: the job's own read sees it.
    let five: Vec<u64> = {
        let w = sim.state().world();
        w.tickets
            .values()
            .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
            .filter(|t| t.label_ids.contains(&billing) && !t.label_ids.contains(&label))
            .map(|t| t.id)
            .take(5)
            .collect()
    };
    assert_eq!(five.len(), 5);
    for t in &five {
        colleague.attach_label(*t, label).await.unwrap();
    }
    let before = sim.state().stats().requests;
    let job = desk.jobs().create(&sel, &[tag(label)]).await.unwrap();
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!(end.state, JobState::Done);
    assert_eq!(end.failed, 0);
    let items = desk.jobs().items(job.id, None).await.unwrap();
    for t in &five {
        let it = items.iter().find(|i| i.ticket_id == t.to_string()).unwrap();
        assert_eq!(
            it.state,
            ItemState::Skipped,
            "#{t} was already so by the fresh read"
        );
    }
    let requests = sim.state().stats().requests - before;
    let writes = end.done as u64;
    assert!(
        requests <= writes + plan.reads as u64 + 5,
        "{requests} requests for {writes} writes and {} planned reads",
        plan.reads
    );
    let w = sim.state().world();
    for i in &items {
        let id: u64 = i.ticket_id.parse().unwrap();
        assert!(w.tickets[&id].label_ids.contains(&label), "#{id}");
    }
}

#[tokio::test]
async fn assigning_to_myself_in_bulk_makes_no_notification() {
    let (sim, _dir, desk, _colleague) = setup().await;
    let me: u64 = desk.session().me().await.unwrap().id.parse().unwrap();
    let picked: Vec<u64> = {
        let w = sim.state().world();
        w.tickets
            .values()
            .filter(|t| t.status == Status::Open && t.user_id.is_none())
            .map(|t| t.id)
            .take(4)
            .collect()
    };
    // The watcher has looked once: what was mine before is known.
    desk.watcher().poll().await.unwrap();
    let job = run(
        &desk,
        ids(&picked),
        &[Action::AssignUser {
            user_id: me.to_string(),
        }],
    )
    .await;
    assert_eq!(job.done, 4);
    let news = desk.watcher().poll().await.unwrap();
    assert!(
        news.iter()
            .all(|a| !picked.contains(&a.ticket_id.parse().unwrap())),
        "what I assigned myself is not news: {news:?}"
    );
}

/// Writes waiting for a slot in the request budget when the job changes hands are never sent:
/// the runner proves its claim after the slot is granted, right before the request leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_that_lost_its_job_sends_nothing_more() {
    let (sim, dir, desk, _colleague) = setup_of(Size::Demo).await;
    let label = 1006u64;
    let picked = open_without(&sim, label, 40);
    drop(desk);
    // Trengo's limit binds (10 requests a second): the workers queue for slots. The window the
    // first Desk recorded under the old limit (a minute long) is forgotten.
    sim.state().set_rate_limit(10, Duration::from_secs(1));
    for f in std::fs::read_dir(dir.path().join("workspaces")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "budget") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let desk = Arc::new(
        common::open_with(
            &sim,
            dir.path(),
            trengo_unified::api::BudgetConfig {
                limit: 10,
                window: Duration::from_secs(1),
                reserve: Some(1),
                ..Default::default()
            },
        )
        .await,
    );
    let job = desk
        .jobs()
        .create(&ids(&picked), &[tag(label)])
        .await
        .unwrap();
    let d = desk.clone();
    let run = tokio::spawn(async move { d.jobs().run(job.id, &|_| {}).await });
    let attaches = |sim: &Sim| {
        sim.state()
            .mutations()
            .iter()
            .filter(|m| m.method == "POST" && m.path.ends_with("/labels"))
            .count()
    };
    assert!(
        sim.state()
            .until(Duration::from_secs(30), |_| attaches(&sim) >= 3)
            .await
    );
    // Another process takes the job (as after the lease ran out).
    let db = common::db(&desk).await;
    sqlx::query("UPDATE jobs SET runner_token = 'someone-else', runner_pid = 1 WHERE id = ?")
        .bind(job.id as i64)
        .execute(&db)
        .await
        .unwrap();
    let at_takeover = attaches(&sim);
    let r = run.await.unwrap();
    assert!(r.is_err(), "the run says it lost the job: {r:?}");
    // The run has ended (its workers joined): nothing of it can send any more.
    let after = attaches(&sim);
    // At most a request that had passed the check as the claim changed.
    assert!(
        after <= at_takeover + 1,
        "{} attaches after the takeover",
        after - at_takeover
    );
}
