//! Bulk jobs against the simulator over HTTP, with faults: the final state, the mutation log
//! (each change applied once), resume after an unknown outcome, cancel, retry, undo.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use desk_core::jobs::{Action, Selection};
use desk_core::Desk;
use trengo_sim::world::Status;
use trengo_sim::Faults;
use trengo_sim::{Sim, Size};

async fn synced(size: Size) -> (Sim, tempfile::TempDir, Desk) {
    common::synced(size).await
}

fn tag(id: u64) -> Action {
    Action::AddTag {
        tag_id: id.to_string(),
    }
}

fn team(id: u64) -> Action {
    Action::AssignTeam {
        team_id: id.to_string(),
    }
}

/// Applied label attaches and team assignments per ticket, from the simulator's mutation log.
fn applied(sim: &Sim, label: u64, team: u64) -> (HashMap<u64, u32>, HashMap<u64, u32>) {
    let (mut attaches, mut moves) = (HashMap::new(), HashMap::new());
    for m in sim.state().mutations().iter().filter(|m| m.applied) {
        let parts: Vec<&str> = m.path.trim_matches('/').split('/').collect();
        let Some(t) = parts.get(1).and_then(|t| t.parse::<u64>().ok()) else {
            continue;
        };
        match (m.method.as_str(), parts.get(2).copied()) {
            ("POST", Some("labels")) if m.body["label_id"] == label => {
                *attaches.entry(t).or_insert(0) += 1
            }
            ("POST", Some("assign")) if m.body["team_id"] == team => {
                *moves.entry(t).or_insert(0) += 1
            }
            _ => {}
        }
    }
    (attaches, moves)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tickets_with_faults_end_right_and_each_change_lands_once() {
    let (sim, _dir, desk) = synced(Size::Demo).await;
    let (label, to_team) = (1003u64, 202u64);
    // 1,000 tickets: open ones from the cache and closed ones it never saw; 30% already tagged.
    let ids: Vec<u64> = {
        let mut w = sim.state().world();
        let open: Vec<u64> = w
            .tickets
            .values()
            .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
            .map(|t| t.id)
            .take(800)
            .collect();
        let closed: Vec<u64> = w
            .tickets
            .values()
            .filter(|t| t.status == Status::Closed)
            .map(|t| t.id)
            .take(200)
            .collect();
        let ids: Vec<u64> = open.into_iter().chain(closed).collect();
        for (i, id) in ids.iter().enumerate() {
            if i % 10 < 3 {
                w.tickets
                    .get_mut(id)
                    .unwrap()
                    .label_ids
                    .retain(|l| *l != label);
                w.tickets.get_mut(id).unwrap().label_ids.push(label);
            } else {
                w.tickets
                    .get_mut(id)
                    .unwrap()
                    .label_ids
                    .retain(|l| *l != label);
            }
        }
        ids
    };
    assert_eq!(ids.len(), 1000);
    // The cache learns the 30% (and the rest) as they are now.
    desk.sync()
        .run(&|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    let before_team: BTreeMap<u64, Option<u64>> = {
        let w = sim.state().world();
        ids.iter().map(|i| (*i, w.tickets[i].team_id)).collect()
    };

    let text = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            if i % 2 == 0 {
                format!("#{id}")
            } else {
                id.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let sel = Selection::Pasted { text };
    let plan = desk
        .jobs()
        .plan(&sel, &[tag(label), team(to_team)])
        .await
        .unwrap();
    assert_eq!(plan.tickets, 1000);
    assert!(
        plan.unknown >= 200,
        "closed tickets are read first: {plan:?}"
    );
    assert!(plan.problems.is_empty());

    sim.state().set_faults(Faults {
        error_rate: 0.05,
        drop_after_rate: 0.02,
        burst_429: 3,
        seed: 7,
        ..Faults::default()
    });
    let job = desk
        .jobs()
        .create(&sel, &[tag(label), team(to_team)])
        .await
        .unwrap();
    assert_eq!(job.state.as_str(), "pending");
    let seen = std::sync::Mutex::new(vec![]);
    let end = desk
        .jobs()
        .run(job.id, &|p| seen.lock().unwrap().push(p))
        .await
        .unwrap();
    assert_eq!(end.state.as_str(), "done", "{end:?}");
    assert_eq!(
        end.failed,
        0,
        "{:?}",
        desk.jobs()
            .items(job.id, Some(desk_core::jobs::ItemState::Failed))
            .await
    );
    assert_eq!(end.done + end.skipped, 1000);
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 2 && seen.last().unwrap().finished == 1000);

    // Every ticket is as intended, and each change was applied exactly once.
    let stats = sim.state().stats();
    {
        let w = sim.state().world();
        for id in &ids {
            let t = &w.tickets[id];
            assert!(t.label_ids.contains(&label), "ticket {id} has the tag");
            assert_eq!(t.team_id, Some(to_team), "ticket {id} is in the team");
        }
    }
    let (attaches, moves) = applied(&sim, label, to_team);
    for (i, id) in ids.iter().enumerate() {
        let want_attach = u32::from(i % 10 >= 3);
        assert_eq!(
            attaches.get(id).copied().unwrap_or(0),
            want_attach,
            "attaches of {id}"
        );
        let want_move = u32::from(before_team[id] != Some(to_team));
        assert_eq!(
            moves.get(id).copied().unwrap_or(0),
            want_move,
            "moves of {id}"
        );
    }
    let dropped = sim
        .state()
        .mutations()
        .iter()
        .filter(|m| m.fault.as_deref() == Some("drop_after"))
        .count();
    assert!(
        dropped > 0,
        "connections were dropped after applying: {stats:?}"
    );
    // The cache shows the change without a sync.
    let cached = desk.tickets().context(&ids[5].to_string()).await.unwrap();
    assert!(cached.ticket.tags.iter().any(|t| t.id == label.to_string()));
}

#[tokio::test]
async fn an_item_whose_answer_was_lost_is_checked_before_it_is_sent_again() {
    let (sim, _dir, desk) = synced(Size::Small).await;
    let label = 1005u64;
    let ids: Vec<u64> = {
        let mut w = sim.state().world();
        let ids: Vec<u64> = w
            .tickets
            .values()
            .filter(|t| t.status == Status::Open)
            .map(|t| t.id)
            .take(3)
            .collect();
        for id in &ids {
            w.tickets
                .get_mut(id)
                .unwrap()
                .label_ids
                .retain(|l| *l != label);
        }
        ids
    };
    desk.sync()
        .run(&|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    let sel = Selection::Ids {
        ids: ids.iter().map(|i| i.to_string()).collect(),
    };
    let job = desk.jobs().create(&sel, &[tag(label)]).await.unwrap();
    // As if a process sent the first item's attach, Trengo applied it, and the process died
    // before it recorded the answer.
    sim.state()
        .world()
        .tickets
        .get_mut(&ids[0])
        .unwrap()
        .label_ids
        .push(label);
    sqlx::query("UPDATE jobs SET state = 'running', runner_pid = 999999999, runner_token = 'dead', heartbeat_at = 0 WHERE id = ?")
        .bind(job.id as i64)
        .execute(&common::db(&desk).await)
        .await
        .unwrap();
    sqlx::query("UPDATE job_items SET in_flight = 1, requests = 1 WHERE job_id = ? AND seq = 0")
        .bind(job.id as i64)
        .execute(&common::db(&desk).await)
        .await
        .unwrap();
    assert_eq!(desk.jobs().resumable().await.unwrap(), vec![job.id]);
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!((end.state.as_str(), end.done), ("done", 3));
    let (attaches, _) = applied(&sim, label, 0);
    assert_eq!(
        attaches.get(&ids[0]),
        None,
        "the lost one was not sent again"
    );
    assert_eq!(
        (attaches.get(&ids[1]), attaches.get(&ids[2])),
        (Some(&1), Some(&1))
    );
    let items = desk.jobs().items(job.id, None).await.unwrap();
    assert_eq!(
        items[0].steps,
        vec![format!(
            "Add tag {}: done",
            items_tag_name(&desk, label).await
        )]
    );
}

async fn items_tag_name(desk: &Desk, id: u64) -> String {
    desk.directory()
        .lists()
        .await
        .unwrap()
        .tags
        .into_iter()
        .find(|t| t.id == id.to_string())
        .unwrap()
        .name
}

#[tokio::test]
async fn undo_restores_the_before_state_and_leaves_skipped_tickets_alone() {
    let (sim, _dir, desk) = synced(Size::Small).await;
    let (label, to_team) = (1002u64, 203u64);
    let snapshot = |sim: &Sim, ids: &[u64]| {
        let w = sim.state().world();
        ids.iter()
            .map(|i| {
                let t = &w.tickets[i];
                let mut l = t.label_ids.clone();
                l.sort();
                (*i, (l, t.team_id, t.user_id, t.status))
            })
            .collect::<BTreeMap<_, _>>()
    };
    let ids: Vec<u64> = {
        let mut w = sim.state().world();
        let ids: Vec<u64> = w
            .tickets
            .values()
            .filter(|t| t.status != Status::Invalid && t.team_id.is_some())
            .map(|t| t.id)
            .take(30)
            .collect();
        // A third already has the tag and is in the team: skipped.
        for id in ids.iter().take(10) {
            let t = w.tickets.get_mut(id).unwrap();
            if !t.label_ids.contains(&label) {
                t.label_ids.push(label);
            }
            t.team_id = Some(to_team);
        }
        for id in ids.iter().skip(10) {
            let t = w.tickets.get_mut(id).unwrap();
            t.label_ids.retain(|l| *l != label);
            if t.team_id == Some(to_team) {
                t.team_id = Some(201);
            }
        }
        ids
    };
    // Closed tickets are not in the working set: the job reads them first.
    desk.sync()
        .run(&|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    let before = snapshot(&sim, &ids);
    let sel = Selection::Ids {
        ids: ids.iter().map(|i| i.to_string()).collect(),
    };
    let job = desk
        .jobs()
        .create(&sel, &[tag(label), team(to_team), Action::Close])
        .await
        .unwrap();
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!(end.failed, 0);
    let after = snapshot(&sim, &ids);
    assert!(after
        .values()
        .all(|(l, g, _, s)| l.contains(&label) && *g == Some(to_team) && *s == Status::Closed));
    let touched_before_undo = sim.state().mutations().len();

    let undo = desk.jobs().undo(job.id).await.unwrap();
    assert_eq!(undo.kind.as_str(), "undo");
    assert_eq!(undo.undo_of, Some(job.id));
    assert!(
        desk.jobs().undo(job.id).await.is_err(),
        "a job is undone once"
    );
    let undone = desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!(
        (undone.state.as_str(), undone.failed),
        ("done", 0),
        "{undone:?}"
    );
    assert_eq!(snapshot(&sim, &ids), before, "every ticket is as it was");
    // Tickets the job skipped entirely were not written to by the undo.
    let fully_skipped: Vec<u64> = desk
        .jobs()
        .items(job.id, Some(desk_core::jobs::ItemState::Skipped))
        .await
        .unwrap()
        .iter()
        .map(|i| i.ticket_id.parse().unwrap())
        .collect();
    for m in &sim.state().mutations()[touched_before_undo..] {
        for t in &fully_skipped {
            assert!(
                !m.path.contains(&t.to_string()),
                "skipped ticket {t} was touched: {m:?}"
            );
        }
    }
}

#[tokio::test]
async fn failures_are_recorded_with_reasons_and_can_be_retried_and_cancel_keeps_a_record() {
    let (sim, _dir, desk) = synced(Size::Small).await;
    let open: Vec<u64> = sim
        .state()
        .world()
        .tickets
        .values()
        .filter(|t| t.status == Status::Open)
        .map(|t| t.id)
        .take(5)
        .collect();
    let text = format!(
        "{}\n999999999\nnonsense\n{}",
        open[0],
        open[1..]
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let sel = Selection::Pasted { text };
    let plan = desk.jobs().plan(&sel, &[tag(1004)]).await.unwrap();
    assert_eq!(plan.tickets, 6);
    assert_eq!(plan.problems.len(), 1);
    assert_eq!(plan.problems[0].line, 3);
    let job = desk.jobs().create(&sel, &[tag(1004)]).await.unwrap();
    assert_eq!(job.problems.len(), 1, "the junk line is kept with the job");
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!(end.failed, 1);
    let failed = desk
        .jobs()
        .items(job.id, Some(desk_core::jobs::ItemState::Failed))
        .await
        .unwrap();
    assert_eq!(failed[0].ticket_id, "999999999");
    assert!(
        failed[0].reason.as_deref().unwrap().contains("404"),
        "{failed:?}"
    );
    assert_eq!(desk.jobs().retry_failed(job.id).await.unwrap(), 1);
    let again = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!(
        (
            again.state.as_str(),
            again.failed,
            again.done + again.skipped
        ),
        ("done", 1, 5)
    );

    // Unknown ids in actions are refused before anything is written.
    let err = desk.jobs().plan(&sel, &[tag(424242)]).await.unwrap_err();
    assert!(err.to_string().contains("no tag with id 424242"), "{err}");

    // Cancel: what is in flight finishes, the rest is recorded as cancelled and left alone.
    sim.state().set_faults(Faults {
        latency_ms: 200,
        ..Faults::default()
    });
    let desk = Arc::new(desk);
    let all: Vec<String> = sim
        .state()
        .world()
        .tickets
        .values()
        .filter(|t| t.status != Status::Invalid)
        .map(|t| t.id.to_string())
        .take(100)
        .collect();
    let job = desk
        .jobs()
        .create(&Selection::Ids { ids: all }, &[Action::Reopen, tag(1006)])
        .await
        .unwrap();
    let d = desk.clone();
    let id = job.id;
    // Cancelled once some items are done: the job says so in its progress.
    let (tx, mut rx) = tokio::sync::watch::channel(0u32);
    let run = tokio::spawn(async move {
        d.jobs()
            .run(id, &move |p: desk_core::jobs::JobProgress| {
                let _ = tx.send(p.finished);
            })
            .await
    });
    rx.wait_for(|n| *n > 0).await.unwrap();
    desk.jobs().cancel(id).await.unwrap();
    let end = run.await.unwrap().unwrap();
    assert_eq!(end.state.as_str(), "cancelled");
    assert!(end.cancelled > 0 && end.done + end.skipped > 0, "{end:?}");
    assert_eq!(
        end.done + end.skipped + end.cancelled + end.failed,
        end.total
    );
    assert_eq!(end.pending, 0);
    // A cancelled job can be undone (what it did); a paused one cannot until it ends.
    let u = desk.jobs().undo(id).await.unwrap();
    assert_eq!(u.undo_of, Some(id));
    let again = desk
        .jobs()
        .create(
            &Selection::Ids {
                ids: vec![open[0].to_string()],
            },
            &[tag(1007)],
        )
        .await
        .unwrap();
    let paused = desk.jobs().pause(again.id).await.unwrap();
    assert_eq!(paused.state.as_str(), "paused");
    let err = desk.jobs().undo(again.id).await.unwrap_err();
    assert!(err.to_string().contains("has not finished"), "{err}");
    assert!(
        desk.jobs()
            .resumable()
            .await
            .unwrap()
            .iter()
            .all(|j| *j != again.id),
        "a paused job waits for the user"
    );
}
