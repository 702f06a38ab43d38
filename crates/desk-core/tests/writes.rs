//! The lead's own writes against the simulator over HTTP: notes in bulk (each once under faults,
//! taken back by undo), ticket and contact fields (typed, checked before anything is sent,
//! undone unless changed since).

mod common;

use std::collections::HashMap;

use desk_core::jobs::{Action, ItemState, Selection};
use trengo_sim::world::{MessageKind, Status};
use trengo_sim::{Faults, Size};
use trengo_unified::EntityType;

fn ids_text(ids: &[u64]) -> Selection {
    Selection::Pasted {
        text: ids
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn open_tickets(sim: &trengo_sim::Sim, n: usize) -> Vec<u64> {
    let w = sim.state().world();
    w.tickets
        .values()
        .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
        .map(|t| t.id)
        .take(n)
        .collect()
}

/// How many internal notes with exactly `text` each ticket has.
fn notes_with(sim: &trengo_sim::Sim, ids: &[u64], text: &str) -> HashMap<u64, usize> {
    let w = sim.state().world();
    ids.iter()
        .map(|id| {
            let n = w.tickets[id]
                .messages
                .iter()
                .filter(|m| m.kind == MessageKind::Note && m.body == text)
                .count();
            (*id, n)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_on_300_tickets_lands_once_on_each_under_faults_and_undo_deletes_them() {
    let (sim, _dir, desk) = common::synced(Size::Demo).await;
    let ids = open_tickets(&sim, 300);
    assert_eq!(ids.len(), 300);
    let text = "Known outage in the payment provider; reply with macro 14.";
    let note = Action::AddNote {
        text: text.into(),
        note_id: None,
    };
    let sel = ids_text(&ids);
    let plan = desk
        .jobs()
        .plan(&sel, std::slice::from_ref(&note))
        .await
        .unwrap();
    assert_eq!(plan.tickets, 300);
    assert_eq!(plan.reads, 0, "a note needs no read first: {plan:?}");
    assert!(
        plan.undo_notice
            .as_deref()
            .is_some_and(|n| n.contains("deletes the notes")),
        "the confirmation says what undo does: {plan:?}"
    );

    sim.state().set_faults(Faults {
        error_rate: 0.03,
        drop_after_rate: 0.02,
        seed: 11,
        ..Faults::default()
    });
    let job = desk.jobs().create(&sel, &[note]).await.unwrap();
    let mut end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    // A lost answer whose read-back failed too stops the job for a resume: resume as a lead would.
    for _ in 0..5 {
        if end.state.as_str() == "done" {
            break;
        }
        end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    }
    sim.state().set_faults(Faults::default());
    assert_eq!(end.state.as_str(), "done", "{end:?}");
    assert_eq!(end.failed, 0);
    assert_eq!(end.done, 300);
    let dropped = sim
        .state()
        .mutations()
        .iter()
        .filter(|m| m.fault.as_deref() == Some("drop_after") && m.path.ends_with("/messages"))
        .count();
    assert!(dropped > 0, "some notes landed with their answer lost");
    let counts = notes_with(&sim, &ids, text);
    for id in &ids {
        assert_eq!(counts[id], 1, "ticket {id} has the note once");
    }

    // Undo deletes each note this job posted, and nothing else.
    let others_before: usize = {
        let w = sim.state().world();
        w.tickets.values().map(|t| t.messages.len()).sum::<usize>() - 300
    };
    let undo = desk.jobs().undo(job.id).await.unwrap();
    let undone = desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!(undone.state.as_str(), "done", "{undone:?}");
    assert_eq!(undone.done, 300);
    let counts = notes_with(&sim, &ids, text);
    assert!(counts.values().all(|n| *n == 0), "every note is gone");
    let others_after: usize = {
        let w = sim.state().world();
        w.tickets.values().map(|t| t.messages.len()).sum()
    };
    assert_eq!(others_after, others_before, "no other message was deleted");
}

#[tokio::test]
async fn undoing_a_bulk_ticket_field_restores_each_value_unless_a_colleague_changed_it() {
    let (sim, _dir, desk, colleague) = common::with_colleague(Size::Small).await;
    let ids = open_tickets(&sim, 6);
    let prio: u64 = {
        let mut w = sim.state().world();
        let f = w
            .fields
            .values()
            .find(|f| f.title == "Priority")
            .unwrap()
            .id;
        // Two had a priority already, one had it High (already so).
        w.tickets
            .get_mut(&ids[0])
            .unwrap()
            .fields
            .insert(f, "Low".into());
        w.tickets
            .get_mut(&ids[1])
            .unwrap()
            .fields
            .insert(f, "High".into());
        for id in &ids[2..] {
            w.tickets.get_mut(id).unwrap().fields.remove(&f);
        }
        f
    };
    let set = desk
        .tickets()
        .field_change("priority", "high", EntityType::Ticket)
        .await
        .unwrap();
    assert_eq!(
        set,
        Action::SetTicketField {
            field_id: prio.to_string(),
            value: "High".into()
        },
        "a dropdown value is written as its option"
    );
    // The confirmation counts from the cache: the one already High is counted as such.
    common::sync(&desk).await;
    let plan = desk
        .jobs()
        .plan(&ids_text(&ids), std::slice::from_ref(&set))
        .await
        .unwrap();
    assert_eq!(
        (plan.changes[0].change, plan.changes[0].already),
        (5, 1),
        "{plan:?}"
    );
    let job = desk.jobs().create(&ids_text(&ids), &[set]).await.unwrap();
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!((end.done, end.skipped), (5, 1), "{end:?}");
    {
        let w = sim.state().world();
        for id in &ids {
            assert_eq!(
                w.tickets[id].fields.get(&prio).map(String::as_str),
                Some("High")
            );
        }
    }
    // The panel shows it without a sync.
    let ctx = desk.tickets().context(&ids[2].to_string()).await.unwrap();
    let line = ctx.fields.iter().find(|f| f.label == "Priority").unwrap();
    assert_eq!(line.value.as_deref(), Some("High"));
    assert_eq!(line.options, ["Low", "Normal", "High", "Urgent"]);

    // A colleague sets ticket 2 to Urgent; the undo leaves it.
    colleague
        .set_ticket_custom_field(ids[2], prio, "Urgent")
        .await
        .unwrap();
    let undo = desk.jobs().undo(job.id).await.unwrap();
    let undone = desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!(undone.conflicts, 1, "{undone:?}");
    let conflicts = desk
        .jobs()
        .items(undo.id, Some(ItemState::Conflict))
        .await
        .unwrap();
    assert!(
        conflicts[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("Urgent"),
        "{conflicts:?}"
    );
    let w = sim.state().world();
    assert_eq!(
        w.tickets[&ids[0]].fields.get(&prio).map(String::as_str),
        Some("Low")
    );
    assert_eq!(
        w.tickets[&ids[1]].fields.get(&prio).map(String::as_str),
        Some("High")
    );
    assert_eq!(
        w.tickets[&ids[2]].fields.get(&prio).map(String::as_str),
        Some("Urgent")
    );
    for id in &ids[3..] {
        assert_eq!(
            w.tickets[id].fields.get(&prio),
            None,
            "ticket {id} is clear again"
        );
    }
}

#[tokio::test]
async fn a_value_that_does_not_fit_its_field_is_refused_before_any_request() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let ids = open_tickets(&sim, 2);
    let writes = || sim.state().mutations().len();
    let before = writes();
    let cases = [
        (
            "Priority",
            "Super",
            EntityType::Ticket,
            "not one of the options",
        ),
        ("MRR", "1,5", EntityType::Contact, "comma"),
        (
            "Signup date",
            "yesterday",
            EntityType::Contact,
            "not a date",
        ),
        ("VIP", "maybe", EntityType::Contact, "not yes or no"),
        ("Plan", "x", EntityType::Ticket, "no ticket field"),
    ];
    for (field, value, entity, why) in cases {
        let e = desk
            .tickets()
            .field_change(field, value, entity)
            .await
            .unwrap_err();
        assert!(e.to_string().contains(why), "{field}={value}: {e}");
    }
    // Through the job and the single action too.
    let prio = {
        let w = sim.state().world();
        w.fields
            .values()
            .find(|f| f.title == "Priority")
            .unwrap()
            .id
    };
    let bad = Action::SetTicketField {
        field_id: prio.to_string(),
        value: "Super".into(),
    };
    let e = desk
        .jobs()
        .plan(&ids_text(&ids), std::slice::from_ref(&bad))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Priority"), "{e}");
    let e = desk
        .tickets()
        .act(&ids[0].to_string(), bad)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Super"), "{e}");
    let e = desk
        .tickets()
        .set_contact_field("1", "MRR", "lots")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("MRR"), "{e}");
    assert_eq!(writes(), before, "nothing was sent");
}

#[tokio::test]
async fn a_contact_field_set_from_the_panel_is_read_first_and_undoable() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let (contact, vip) = {
        let w = sim.state().world();
        let vip = w.fields.values().find(|f| f.title == "VIP").unwrap().id;
        let c = w
            .contacts
            .values()
            .find(|c| !c.fields.contains_key(&vip))
            .unwrap()
            .id;
        (c, vip)
    };
    let done = desk
        .tickets()
        .set_contact_field(&contact.to_string(), "vip", "yes")
        .await
        .unwrap();
    assert!(done.changed);
    assert_eq!(
        sim.state().world().contacts[&contact]
            .fields
            .get(&vip)
            .map(String::as_str),
        Some("1")
    );
    let again = desk
        .tickets()
        .set_contact_field(&contact.to_string(), "VIP", "true")
        .await
        .unwrap();
    assert!(!again.changed, "already so: nothing sent");
    let undo = desk.jobs().undo(done.job.id).await.unwrap();
    desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!(
        sim.state().world().contacts[&contact].fields.get(&vip),
        None
    );
}

fn new_ticket(subject: &str) -> desk_core::jobs::NewTicket {
    desk_core::jobs::NewTicket {
        channel: "support email".into(),
        contact: "new.customer@example.com".into(),
        subject: subject.into(),
        message: Some("Called about invoice 2291; please follow up today.".into()),
        team: Some("201".into()),
        user: None,
        tags: vec!["1001".into(), "1003".into()],
        fields: vec![desk_core::jobs::FieldInput {
            field: "Priority".into(),
            value: "high".into(),
        }],
    }
}

/// The simulator's tickets with this subject.
fn made(sim: &trengo_sim::Sim, subject: &str) -> Vec<u64> {
    let w = sim.state().world();
    w.tickets
        .values()
        .filter(|t| t.subject.as_deref() == Some(subject))
        .map(|t| t.id)
        .collect()
}

#[tokio::test]
async fn a_new_ticket_is_made_once_with_its_team_tags_fields_and_note_and_undo_deletes_it() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let subject = "Invoice 2291 follow-up";
    let r = desk
        .tickets()
        .create_ticket(&new_ticket(subject))
        .await
        .unwrap();
    let ids = made(&sim, subject);
    assert_eq!(ids.len(), 1);
    assert_eq!(r.ticket_id, ids[0].to_string());
    {
        let w = sim.state().world();
        let t = &w.tickets[&ids[0]];
        assert_eq!(
            w.contacts[&t.contact_id].identifier,
            "new.customer@example.com"
        );
        assert_eq!(w.channels[&t.channel_id].title, "Support email");
        assert_eq!(t.team_id, Some(201));
        let mut tags = t.label_ids.clone();
        tags.sort_unstable();
        assert_eq!(tags, [1001, 1003]);
        let prio = w
            .fields
            .values()
            .find(|f| f.title == "Priority")
            .unwrap()
            .id;
        assert_eq!(t.fields.get(&prio).map(String::as_str), Some("High"));
        assert!(t
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Note && m.body.contains("invoice 2291")));
    }
    // The list has it at once.
    let row = r.row.expect("the cache has the new ticket");
    assert_eq!(row.team.unwrap().name, "Billing");
    assert_eq!(r.job.kind.as_str(), "create");

    let undo = desk.jobs().undo(r.job.id).await.unwrap();
    let end = desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!(end.done, 1, "{end:?}");
    assert!(made(&sim, subject).is_empty(), "undo deleted the ticket");
    assert!(desk.tickets().row(&r.ticket_id).await.unwrap().is_none());
}

#[tokio::test]
async fn a_new_ticket_whose_every_answer_is_lost_is_still_made_once() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let subject = "Lost answers";
    sim.state().set_faults(Faults {
        drop_after_rate: 1.0,
        writes_only: true,
        seed: 3,
        ..Faults::default()
    });
    let r = desk.tickets().create_ticket(&new_ticket(subject)).await;
    sim.state().set_faults(Faults::default());
    let r = r.unwrap();
    assert_eq!(made(&sim, subject).len(), 1, "one ticket");
    // Each step applied once, though no answer came back.
    let applied: Vec<String> = sim
        .state()
        .mutations()
        .iter()
        .filter(|m| m.applied)
        .map(|m| format!("{} {}", m.method, m.path))
        .collect();
    let t = &r.ticket_id;
    for (what, n) in [
        ("POST /tickets".to_string(), 1),
        (format!("POST /tickets/{t}/assign"), 1),
        (format!("POST /tickets/{t}/labels"), 2),
        (format!("POST /tickets/{t}/custom_fields"), 1),
        (format!("POST /tickets/{t}/messages"), 1),
    ] {
        let got = applied
            .iter()
            .filter(|p| p.ends_with(&what) || **p == what)
            .count();
        assert_eq!(got, n, "{what} in {applied:?}");
    }
    let w = sim.state().world();
    let notes = w.tickets[&t.parse::<u64>().unwrap()]
        .messages
        .iter()
        .filter(|m| m.kind == MessageKind::Note)
        .count();
    assert_eq!(notes, 1);
}

#[tokio::test]
async fn undo_leaves_a_new_ticket_someone_wrote_on() {
    let (sim, _dir, desk, colleague) = common::with_colleague(Size::Small).await;
    let subject = "Touched since";
    let r = desk
        .tickets()
        .create_ticket(&new_ticket(subject))
        .await
        .unwrap();
    let id: u64 = r.ticket_id.parse().unwrap();
    colleague
        .post_message(id, "I'm on it", true, &[])
        .await
        .unwrap();
    let undo = desk.jobs().undo(r.job.id).await.unwrap();
    let end = desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!(end.conflicts, 1, "{end:?}");
    let items = desk
        .jobs()
        .items(undo.id, Some(ItemState::Conflict))
        .await
        .unwrap();
    assert!(
        items[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("2 messages now"),
        "{items:?}"
    );
    assert_eq!(made(&sim, subject), [id], "the ticket stays");
}

#[tokio::test]
async fn a_new_ticket_with_bad_input_is_refused_before_any_request() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let before = sim.state().mutations().len();
    let cases: Vec<(desk_core::jobs::NewTicket, &str)> = vec![
        (
            desk_core::jobs::NewTicket {
                channel: "Fax".into(),
                ..new_ticket("x")
            },
            "no channel \"Fax\"",
        ),
        (
            desk_core::jobs::NewTicket {
                contact: "not a contact".into(),
                ..new_ticket("x")
            },
            "contact:",
        ),
        (
            desk_core::jobs::NewTicket {
                subject: "  ".into(),
                ..new_ticket("x")
            },
            "subject:",
        ),
        (
            desk_core::jobs::NewTicket {
                fields: vec![desk_core::jobs::FieldInput {
                    field: "Priority".into(),
                    value: "Whenever".into(),
                }],
                ..new_ticket("x")
            },
            "Priority",
        ),
        (
            desk_core::jobs::NewTicket {
                team: Some("999".into()),
                ..new_ticket("x")
            },
            "no team with id 999",
        ),
    ];
    for (req, why) in cases {
        let e = desk.tickets().create_ticket(&req).await.unwrap_err();
        assert!(e.to_string().contains(why), "{why}: {e}");
    }
    assert_eq!(sim.state().mutations().len(), before, "nothing was sent");
}

/// A desktop clock three minutes fast (Trengo's three minutes behind it): a note whose answer is
/// lost is found among the ticket's notes by Trengo's own clock, and a new ticket whose every
/// answer is lost is found among the contact's, so each is made once (before: the "since the job
/// began" window, judged by the desktop's clock, missed them and they were sent again).
#[tokio::test]
async fn a_fast_desktop_clock_makes_no_second_note_or_ticket() {
    let sim = trengo_sim::Sim::start(trengo_sim::SimConfig {
        size: Size::Small,
        rate_limit: 1_000_000,
        clock_offset_secs: -180,
        ..trengo_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let desk = common::open(&sim, dir.path()).await;
    common::sync(&desk).await;
    let ids = open_tickets(&sim, 4);
    let text = "Escalated to the payments team.";
    sim.state().set_faults(Faults {
        drop_after_rate: 1.0,
        writes_only: true,
        seed: 5,
        ..Faults::default()
    });
    let job = desk
        .jobs()
        .create(
            &ids_text(&ids),
            &[Action::AddNote {
                text: text.into(),
                note_id: None,
            }],
        )
        .await
        .unwrap();
    let mut end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    for _ in 0..5 {
        if end.state.as_str() == "done" {
            break;
        }
        end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    }
    let subject = "Fast clock";
    let made_ticket = desk.tickets().create_ticket(&new_ticket(subject)).await;
    sim.state().set_faults(Faults::default());
    assert_eq!(end.state.as_str(), "done", "{end:?}");
    for (id, n) in notes_with(&sim, &ids, text) {
        assert_eq!(n, 1, "ticket {id} has the note once");
    }
    made_ticket.unwrap();
    assert_eq!(made(&sim, subject).len(), 1, "one ticket");
}
