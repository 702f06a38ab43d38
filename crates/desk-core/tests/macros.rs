//! Macros, spam and merge against the simulator over HTTP: a macro over three tickets is one job
//! (reads and writes counted) whose one undo takes every part back except where a colleague
//! changed it since; placeholders are filled per ticket and a blank is asked; spam and its undo.

mod common;

use desk_core::jobs::{Action, ItemState, JobState, Selection};
use desk_core::macros::{Macro, MacroStep};
use trengo_sim::Size;
use trengo_unified::api::Assignee;

/// Open tickets that have a team, no tag `tag`, and a contact with a name: `n` of them.
fn open_tickets(sim: &trengo_sim::Sim, tag: u64, n: usize) -> Vec<u64> {
    let w = sim.state().world();
    w.tickets
        .values()
        .rev()
        .filter(|t| t.status == trengo_sim::world::Status::Open)
        .filter(|t| t.team_id.is_some() && !t.label_ids.contains(&tag))
        .filter(|t| {
            w.contacts
                .get(&t.contact_id)
                .is_some_and(|c| !c.name.is_empty())
        })
        .take(n)
        .map(|t| t.id)
        .collect()
}

fn step(action: Action) -> MacroStep {
    MacroStep { action, ask: false }
}

#[tokio::test]
async fn a_macro_is_one_job_and_one_undo_that_leaves_a_colleagues_change() {
    let (sim, _dir, desk, colleague) = common::with_colleague(Size::Small).await;
    let (tag, field, teams) = {
        let w = sim.state().world();
        let tag = *w.labels.keys().next().unwrap();
        let field = w
            .fields
            .values()
            .find(|f| f.entity == "TICKET" && f.field_type == "TEXT")
            .expect("a text ticket field")
            .id;
        (tag, field, w.teams.keys().copied().collect::<Vec<_>>())
    };
    let ids = open_tickets(&sim, tag, 3);
    assert_eq!(ids.len(), 3);
    let before: Vec<trengo_sim::world::Ticket> = {
        let w = sim.state().world();
        ids.iter().map(|i| w.tickets[i].clone()).collect()
    };
    let target_team = *teams
        .iter()
        .find(|t| before.iter().all(|b| b.team_id != Some(**t)))
        .expect("a team none of them is in");

    let m = Macro {
        name: "Refund handled".into(),
        steps: vec![
            step(Action::AddTag {
                tag_id: tag.to_string(),
            }),
            step(Action::AssignTeam {
                team_id: target_team.to_string(),
            }),
            MacroStep {
                action: Action::SetTicketField {
                    field_id: field.to_string(),
                    value: String::new(),
                },
                ask: true,
            },
            step(Action::AddNote {
                text: "Handled for {contact.name} on #{ticket.id}".into(),
                note_id: None,
            }),
            step(Action::Close),
        ],
        then_next: true,
    };
    let saved = desk.macros().save(&m).await.unwrap();
    assert_eq!(saved.key, Some(1), "the first macro sits on key 1");
    assert_eq!(
        saved.asks.len(),
        1,
        "the blank field is asked: {:?}",
        saved.asks
    );

    // Exported and imported as JSON: the same macro comes back; a file with a bad step saves
    // nothing and names the macro and the step.
    let json = desk.macros().export().await.unwrap();
    desk.macros().remove("Refund handled").await.unwrap();
    assert!(desk.macros().list().await.unwrap().is_empty());
    let back = desk.macros().import(&json).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].def, saved.def, "the same macro after a round trip");
    let broken = json.replace(&format!("\"{tag}\""), "\"424242\"");
    let e = desk.macros().import(&broken).await.unwrap_err().to_string();
    assert!(e.contains("macro \"Refund handled\", step 1"), "{e}");

    // A macro that names what the workspace lacks is refused, naming the macro and the step.
    let mut bad = m.clone();
    bad.name = "Broken".into();
    bad.steps[0] = step(Action::AddTag {
        tag_id: "999999".into(),
    });
    let e = desk.macros().save(&bad).await.unwrap_err().to_string();
    assert!(e.contains("macro \"Broken\", step 1"), "{e}");

    let sel = Selection::Ids {
        ids: ids.iter().map(|i| i.to_string()).collect(),
    };
    let e = desk
        .macros()
        .plan("refund handled", &sel, &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("asks 1 value"), "a blank is asked: {e}");
    let answers = vec!["R-2041".to_string()];
    let plan = desk
        .macros()
        .plan("Refund handled", &sel, &answers)
        .await
        .unwrap();
    assert_eq!(plan.job.tickets, 3);
    let first_contact = {
        let w = sim.state().world();
        let t = ids.iter().min().unwrap();
        w.contacts[&w.tickets[t].contact_id].name.clone()
    };
    assert_eq!(
        plan.example_note.as_deref(),
        Some(
            format!(
                "Handled for {first_contact} on #{}",
                ids.iter().min().unwrap()
            )
            .as_str()
        )
    );

    let job = desk
        .macros()
        .create("Refund handled", &sel, &answers)
        .await
        .unwrap();
    assert!(
        job.title.starts_with("Macro Refund handled:"),
        "{}",
        job.title
    );
    let done = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.done, 3, "{done:?}");
    // At most N reads and N × k writes.
    assert!(
        done.requests <= 3 + 3 * 5,
        "{} requests for 3 tickets and 5 steps",
        done.requests
    );
    let macro_jobs = desk
        .jobs()
        .list(20)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.title.starts_with("Macro "))
        .count();
    assert_eq!(macro_jobs, 1, "one job for the whole macro");
    {
        let w = sim.state().world();
        for id in &ids {
            let t = &w.tickets[id];
            let name = &w.contacts[&t.contact_id].name;
            assert!(t.label_ids.contains(&tag));
            assert_eq!(t.team_id, Some(target_team));
            assert_eq!(t.fields.get(&field).map(String::as_str), Some("R-2041"));
            assert_eq!(t.status, trengo_sim::world::Status::Closed);
            let note = t
                .messages
                .iter()
                .rev()
                .find(|m| m.kind == trengo_sim::world::MessageKind::Note);
            assert_eq!(
                note.map(|n| n.body.clone()),
                Some(format!("Handled for {name} on #{id}")),
                "each ticket's own note"
            );
        }
    }

    // A colleague moves the second ticket to another team after the macro.
    let elsewhere = *teams
        .iter()
        .find(|t| **t != target_team && Some(**t) != before[1].team_id)
        .unwrap();
    common::next_second(&sim);
    colleague
        .assign_ticket(ids[1], Assignee::Team(elsewhere), None)
        .await
        .unwrap();

    let undo = desk.jobs().undo(job.id).await.unwrap();
    let undone = desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!(undone.state, JobState::Done);
    for (i, id) in ids.iter().enumerate() {
        let w = sim.state().world();
        let t = &w.tickets[id];
        let b = &before[i];
        assert!(!t.label_ids.contains(&tag), "#{id}: the tag is off again");
        assert_eq!(
            t.fields.get(&field),
            b.fields.get(&field),
            "#{id}: field back"
        );
        assert_eq!(t.status, b.status, "#{id}: open again");
        assert!(
            !t.messages.iter().any(|m| m.body.starts_with("Handled for")),
            "#{id}: the note is deleted"
        );
        if i == 1 {
            assert_eq!(t.team_id, Some(elsewhere), "the colleague's team stays");
        } else {
            assert_eq!(t.team_id, b.team_id, "#{id}: team back");
        }
    }
    let items = desk.jobs().items(undo.id, None).await.unwrap();
    let conflict = items
        .iter()
        .find(|it| it.ticket_id == ids[1].to_string())
        .unwrap();
    assert_eq!(conflict.state, ItemState::Conflict, "{conflict:?}");
}

#[tokio::test]
async fn spam_in_bulk_and_its_undo() {
    let (sim, _dir, desk, _colleague) = common::with_colleague(Size::Small).await;
    let ids = open_tickets(&sim, 0, 3);
    let sel = Selection::Ids {
        ids: ids[..2].iter().map(|i| i.to_string()).collect(),
    };
    let job = desk.jobs().create(&sel, &[Action::MarkSpam]).await.unwrap();
    desk.jobs().run(job.id, &|_| {}).await.unwrap();
    {
        let w = sim.state().world();
        for id in &ids[..2] {
            assert_eq!(w.tickets[id].status, trengo_sim::world::Status::Invalid);
        }
    }
    let undo = desk.jobs().undo(job.id).await.unwrap();
    desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    {
        let w = sim.state().world();
        for id in &ids[..2] {
            assert_eq!(
                w.tickets[id].status,
                trengo_sim::world::Status::Open,
                "#{id}"
            );
        }
    }
    // One ticket, from the panel or the CLI; marking it again sends nothing.
    let one = ids[2].to_string();
    desk.tickets().spam(&one).await.unwrap();
    let writes = || {
        sim.state()
            .mutations()
            .into_iter()
            .filter(|m| m.path == format!("/tickets/{one}/spam"))
            .count()
    };
    assert_eq!(writes(), 1);
    desk.tickets().spam(&one).await.unwrap();
    assert_eq!(writes(), 1, "already spam: nothing sent");
    desk.tickets().unspam(&one).await.unwrap();
    assert_eq!(
        sim.state().world().tickets[&ids[2]].status,
        trengo_sim::world::Status::Open
    );
}

/// Two more tickets for the contact of an open ticket, arrived now: (target, [sources]).
async fn duplicates_of(sim: &trengo_sim::Sim) -> (u64, Vec<u64>, String) {
    let (identifier, channel) = {
        let w = sim.state().world();
        let t = w
            .tickets
            .values()
            .rev()
            .find(|t| t.status == trengo_sim::world::Status::Open)
            .unwrap();
        let c = &w.contacts[&t.contact_id];
        (c.identifier.clone(), t.channel_id)
    };
    let mut ids = vec![];
    for _ in 0..3 {
        let v = common::admin(
            sim,
            "inbound",
            serde_json::json!({
                "message": "My refund for order 5012 has not arrived",
                "subject": "Refund for order 5012",
                "identifier": identifier,
                "channel_id": channel,
            }),
        )
        .await;
        ids.push(v["id"].as_u64().unwrap());
    }
    (ids[0], ids[1..].to_vec(), identifier)
}

#[tokio::test]
async fn a_merge_reads_both_fresh_refuses_a_changed_one_and_deletes_the_source() {
    let (sim, _dir, desk, colleague) = common::with_colleague(Size::Small).await;
    let (target, sources, _who) = duplicates_of(&sim).await;
    common::sync(&desk).await;
    // The panel's suggestion: the same contact's open tickets with a similar subject.
    let dups = desk
        .tickets()
        .duplicates(&target.to_string())
        .await
        .unwrap();
    let dup_ids: Vec<String> = dups.iter().map(|r| r.id.to_string()).collect();
    for s in &sources {
        assert!(dup_ids.contains(&s.to_string()), "{dup_ids:?}");
    }
    let all: Vec<String> = sources.iter().map(|s| s.to_string()).collect();
    let p = desk
        .tickets()
        .merge_preview(&target.to_string(), &all)
        .await
        .unwrap();
    assert!(p.warning.contains("cannot undo"), "{}", p.warning);
    assert_eq!(p.sources.len(), 2);

    // A colleague tags the second source after the preview: it is not merged.
    let tag = *sim.state().world().labels.keys().next().unwrap();
    common::next_second(&sim);
    colleague.attach_label(sources[1], tag).await.unwrap();
    let job = desk.tickets().merge(&p).await.unwrap();
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!(end.failed, 1, "{end:?}");
    let items = desk.jobs().items(job.id, None).await.unwrap();
    let why = items[0].reason.clone().unwrap_or_default();
    assert!(
        why.contains(&format!("#{} changed since the preview", sources[1])),
        "{why}"
    );
    {
        let w = sim.state().world();
        assert!(
            !w.tickets.contains_key(&sources[0]),
            "the first source is deleted, as Trengo does"
        );
        assert!(w.tickets.contains_key(&sources[1]), "the changed one stays");
        let moved = w.tickets[&target]
            .messages
            .iter()
            .filter(|m| m.body.contains("has not arrived"))
            .count();
        assert_eq!(moved, 2, "the first source's message moved to the target");
    }
    let merges = sim
        .state()
        .mutations()
        .into_iter()
        .filter(|m| m.path.ends_with("/merge"))
        .count();
    assert_eq!(merges, 1, "one merge sent");
    assert!(!end.can_undo, "a merge cannot be undone");

    // A fresh preview of what is left merges it; a target changed since is refused too.
    let p = desk
        .tickets()
        .merge_preview(&target.to_string(), &[sources[1].to_string()])
        .await
        .unwrap();
    common::next_second(&sim);
    colleague.attach_label(target, tag).await.unwrap();
    let job = desk.tickets().merge(&p).await.unwrap();
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!(end.failed, 1, "the target changed: {end:?}");
    assert!(sim.state().world().tickets.contains_key(&sources[1]));
    let p = desk
        .tickets()
        .merge_preview(&target.to_string(), &[sources[1].to_string()])
        .await
        .unwrap();
    let job = desk.tickets().merge(&p).await.unwrap();
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!((end.done, end.failed), (1, 0), "{end:?}");
    assert!(!sim.state().world().tickets.contains_key(&sources[1]));

    // Another contact's ticket is refused before anything is sent.
    let other = {
        let w = sim.state().world();
        let c = w.tickets[&target].contact_id;
        *w.tickets
            .values()
            .find(|t| t.contact_id != c)
            .map(|t| &t.id)
            .unwrap()
    };
    let e = desk
        .tickets()
        .merge_preview(&target.to_string(), &[other.to_string()])
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("another contact's ticket"), "{e}");
}
