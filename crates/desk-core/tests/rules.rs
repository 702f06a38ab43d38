//! Auto-tagging rules against the simulator over HTTP: a preview on the cache, a run that tags
//! exactly the matching tickets once (and leaves one a colleague changed since), undo, and rules
//! files checked before they are saved.

mod common;

use desk_core::jobs::{Action, ItemState};
use desk_core::rules::{Condition, FieldOp, Rule};
use trengo_sim::world::Status;
use trengo_sim::Size;

/// Three open tickets about a refund from VIP contacts, two from others, one VIP without the word.
fn seed(sim: &trengo_sim::Sim) -> (Vec<u64>, Vec<u64>, u64) {
    let mut w = sim.state().world();
    let vip = w.fields.values().find(|f| f.title == "VIP").unwrap().id;
    let open: Vec<u64> = w
        .tickets
        .values()
        .filter(|t| matches!(t.status, Status::Open | Status::Assigned) && t.team_id.is_none())
        .map(|t| t.id)
        .take(40)
        .collect();
    // Contacts of their own, so no other ticket shares them.
    let mut seen = std::collections::HashSet::new();
    let open: Vec<u64> = open
        .into_iter()
        .filter(|id| seen.insert(w.tickets[id].contact_id))
        .take(6)
        .collect();
    assert_eq!(
        open.len(),
        6,
        "the seed has six unrouted tickets of six contacts"
    );
    for (i, id) in open.iter().enumerate() {
        let t = w.tickets.get_mut(id).unwrap();
        t.subject = Some(match i {
            0 => "Refund for order 1".into(),
            1 => "Vraag over terugbetåling".into(),
            2 => "CHARGEBACK on my card".into(),
            3 | 4 => "Refund please".into(),
            _ => "Login problem".into(),
        });
        t.label_ids.retain(|l| *l != 1002);
        let contact = t.contact_id;
        let c = w.contacts.get_mut(&contact).unwrap();
        if i < 3 || i == 5 {
            c.fields.insert(vip, "1".into());
        } else {
            c.fields.remove(&vip);
        }
    }
    (open[..3].to_vec(), open[3..].to_vec(), vip)
}

fn refund_rule(vip: u64) -> Rule {
    Rule {
        name: "Refund VIP".into(),
        balance: None,
        all: true,
        conditions: vec![
            Condition::TextContains {
                words: vec!["refund".into(), "terugbetaling".into(), "chargeback".into()],
            },
            Condition::ContactField {
                field_id: vip.to_string(),
                op: FieldOp::Equals,
                values: vec!["yes".into()],
            },
            Condition::Team { team_id: None },
            Condition::Status {
                status: "open".into(),
            },
        ],
        actions: vec![
            Action::AddTag {
                tag_id: "1002".into(),
            },
            Action::AssignTeam {
                team_id: "201".into(),
            },
        ],
    }
}

#[tokio::test]
async fn a_rule_run_changes_exactly_its_matches_once_and_undo_restores_them() {
    let (sim, _dir, desk, colleague) = common::with_colleague(Size::Small).await;
    let (hits, misses, vip) = seed(&sim);
    common::sync(&desk).await;

    let saved = desk.rules().save(&refund_rule(vip)).await.unwrap();
    assert!(!saved.enabled, "a new rule starts off");
    assert!(
        saved.summary.contains("text contains refund"),
        "{}",
        saved.summary
    );
    let p = desk.rules().preview(&saved.rule).await.unwrap();
    let mut want: Vec<String> = hits.iter().map(u64::to_string).collect();
    want.sort();
    let mut got = p.ids.clone();
    got.sort();
    assert_eq!(got, want, "{}", p.summary);
    assert_eq!((p.matches, p.already, p.change), (3, 0, 3));
    assert!(
        p.summary.starts_with("matches 3 open tickets"),
        "{}",
        p.summary
    );

    // A colleague routes one of them before the run: the fresh read finds it no longer matches.
    colleague
        .assign_ticket(hits[2], trengo_unified::api::Assignee::Team(203), None)
        .await
        .unwrap();
    let job = desk.rules().create_job("refund vip").await.unwrap();
    assert!(job.title.starts_with("Rule Refund VIP"), "{}", job.title);
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!((end.done, end.skipped), (2, 1), "{end:?}");
    let skipped = desk
        .jobs()
        .items(job.id, Some(ItemState::Skipped))
        .await
        .unwrap();
    assert!(
        skipped[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("no longer matches"),
        "{skipped:?}"
    );
    {
        let w = sim.state().world();
        for id in &hits[..2] {
            assert!(w.tickets[id].label_ids.contains(&1002), "{id} tagged");
            assert_eq!(w.tickets[id].team_id, Some(201));
        }
        assert_eq!(
            w.tickets[&hits[2]].team_id,
            Some(203),
            "the colleague's move stands"
        );
        assert!(!w.tickets[&hits[2]].label_ids.contains(&1002));
        for id in &misses {
            assert!(!w.tickets[id].label_ids.contains(&1002), "{id} untouched");
        }
    }
    let attaches = sim
        .state()
        .mutations()
        .iter()
        .filter(|m| m.applied && m.path.ends_with("/labels") && m.body["label_id"] == 1002)
        .count();
    assert_eq!(attaches, 2, "each tag once");

    // Run again: nothing left to change.
    let again = desk.rules().create_job("Refund VIP").await;
    if let Ok(j) = again {
        let end = desk.jobs().run(j.id, &|_| {}).await.unwrap();
        assert_eq!(end.done, 0, "{end:?}");
    }

    let undo = desk.jobs().undo(job.id).await.unwrap();
    let back = desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!(back.failed, 0, "{back:?}");
    let w = sim.state().world();
    for id in &hits[..2] {
        assert!(
            !w.tickets[id].label_ids.contains(&1002),
            "{id} untagged again"
        );
    }
}

#[tokio::test]
async fn rules_export_and_import_and_a_bad_file_saves_nothing() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let (_, _, vip) = seed(&sim);
    desk.rules().save(&refund_rule(vip)).await.unwrap();
    let on = desk.rules().enable("REFUND vip", true).await.unwrap();
    assert!(on.enabled);
    let json = desk.rules().export().await.unwrap();
    desk.rules().remove("Refund VIP").await.unwrap();
    assert!(desk.rules().list().await.unwrap().is_empty());
    let back = desk.rules().import(&json).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].rule, refund_rule(vip));

    let bad = json
        .replace("\"201\"", "\"999\"")
        .replace("Refund VIP", "Other");
    let e = desk.rules().import(&bad).await.unwrap_err().to_string();
    assert!(e.contains("\"Other\"") && e.contains("999"), "{e}");
    assert_eq!(
        desk.rules().list().await.unwrap().len(),
        1,
        "nothing saved from a bad file"
    );
    let e = desk
        .rules()
        .save(&Rule {
            conditions: vec![Condition::TextMatches {
                pattern: "refund(".into(),
            }],
            ..refund_rule(vip)
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("regex"), "{e}");
}

/// A live rule takes a ticket that arrives after it was switched on, once: not again on the next
/// pass, nor after a restart; one switched off takes nothing.
#[tokio::test]
async fn a_live_rule_tags_a_new_ticket_once_even_across_a_restart() {
    let (sim, dir, desk) = common::synced(Size::Small).await;
    common::trengo_behind(&sim);
    let rule = Rule {
        name: "Chargebacks".into(),
        balance: None,
        all: true,
        conditions: vec![Condition::TextContains {
            words: vec!["chargeback".into()],
        }],
        actions: vec![Action::AddTag {
            tag_id: "1002".into(),
        }],
    };
    desk.rules().save(&rule).await.unwrap();
    // An old ticket about a chargeback, from before the rule was on: not the live rule's.
    let old = {
        let mut w = sim.state().world();
        let id = *w.tickets.keys().next().unwrap();
        let t = w.tickets.get_mut(&id).unwrap();
        t.subject = Some("Old chargeback".into());
        t.status = Status::Open;
        t.label_ids.clear();
        id
    };
    common::sync(&desk).await;
    desk.rules().enable("chargebacks", true).await.unwrap();
    common::trengo_in_step(&sim);
    assert!(
        desk.rules().apply_live().await.unwrap().is_empty(),
        "nothing new yet"
    );

    let t = common::admin(
        &sim,
        "inbound",
        serde_json::json!({"message": "I filed a chargeback with my bank", "subject": "Chargeback", "identifier": "new@example.com"}),
    )
    .await;
    let id = t["id"].as_u64().unwrap();
    let runs = desk.rules().apply_live().await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!((runs[0].matched, runs[0].changed), (1, 1));
    let tagged =
        |sim: &trengo_sim::Sim, id: u64| sim.state().world().tickets[&id].label_ids.contains(&1002);
    assert!(tagged(&sim, id));
    assert!(!tagged(&sim, old), "the old ticket is not the live rule's");
    assert!(desk.rules().apply_live().await.unwrap().is_empty());
    let log = desk.rules().log("Chargebacks").await.unwrap();
    assert_eq!((log.matched, log.changed), (1, 1));

    // A colleague takes the tag off; a restart and a pass later, the rule does not put it back.
    sim.state()
        .world()
        .tickets
        .get_mut(&id)
        .unwrap()
        .label_ids
        .retain(|l| *l != 1002);
    drop(desk);
    let desk = common::open(&sim, dir.path()).await;
    common::sync(&desk).await;
    assert!(desk.rules().apply_live().await.unwrap().is_empty());
    assert!(!tagged(&sim, id), "once per rule version");

    desk.rules().enable("chargebacks", false).await.unwrap();
    common::admin(
        &sim,
        "inbound",
        serde_json::json!({"message": "another chargeback", "identifier": "other@example.com"}),
    )
    .await;
    assert!(
        desk.rules().apply_live().await.unwrap().is_empty(),
        "off: nothing"
    );
}

/// Two live rules that would undo each other forever each act once on a ticket, then stop.
#[tokio::test]
async fn two_live_rules_that_feed_each_other_do_not_loop() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    common::trengo_behind(&sim);
    let flip = |name: &str, from: &str, to: &str| Rule {
        name: name.into(),
        balance: None,
        all: true,
        conditions: vec![Condition::HasTag {
            tag_id: from.into(),
        }],
        actions: vec![
            Action::RemoveTag {
                tag_id: from.into(),
            },
            Action::AddTag { tag_id: to.into() },
        ],
    };
    desk.rules().save(&flip("A", "1001", "1002")).await.unwrap();
    desk.rules().save(&flip("B", "1002", "1001")).await.unwrap();
    desk.rules().enable("A", true).await.unwrap();
    desk.rules().enable("B", true).await.unwrap();
    common::trengo_in_step(&sim);
    let t = common::admin(
        &sim,
        "inbound",
        serde_json::json!({"message": "hello", "identifier": "loop@example.com"}),
    )
    .await;
    let id = t["id"].as_u64().unwrap();
    sim.state()
        .world()
        .tickets
        .get_mut(&id)
        .unwrap()
        .label_ids
        .push(1001);
    let mut jobs = 0;
    for _ in 0..5 {
        jobs += desk.rules().apply_live().await.unwrap().len();
    }
    assert_eq!(jobs, 2, "each rule once");
    let writes = sim
        .state()
        .mutations()
        .iter()
        .filter(|m| m.applied && m.path.starts_with(&format!("/tickets/{id}/labels")))
        .count();
    assert_eq!(writes, 4, "A: detach and attach; B: the same; then nothing");
}

/// "The last message is the customer's" reads what the list pages said of each ticket's latest
/// message: the preview finds exactly the open tickets waiting on us.
#[tokio::test]
async fn the_last_message_from_the_customer_is_known_from_the_cache() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let want: std::collections::BTreeSet<String> = {
        let w = sim.state().world();
        w.tickets
            .values()
            .filter(|t| matches!(t.status, Status::Open | Status::Assigned))
            .filter(|t| {
                t.messages
                    .last()
                    .is_some_and(|m| m.kind == trengo_sim::world::MessageKind::Inbound)
            })
            .map(|t| t.id.to_string())
            .collect()
    };
    assert!(!want.is_empty());
    let p = desk
        .rules()
        .preview(&Rule {
            name: "Waiting on us".into(),
            balance: None,
            all: true,
            conditions: vec![Condition::LastFromCustomer],
            actions: vec![Action::AddTag {
                tag_id: "1002".into(),
            }],
        })
        .await
        .unwrap();
    let got: std::collections::BTreeSet<String> = p.ids.into_iter().collect();
    assert_eq!(got, want);
}

/// The app and `watch` run the same live rules on one cache at the same moment: each new ticket
/// is one process's alone, so a rule that adds a note adds it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_and_watch_at_once_take_each_ticket_once() {
    let (sim, dir, app) = common::synced(Size::Small).await;
    let watch = common::open(&sim, dir.path()).await;
    let text = "Chargeback: check the bank's letter first.";
    app.rules()
        .save(&Rule {
            name: "Chargebacks".into(),
            balance: None,
            all: true,
            conditions: vec![Condition::TextContains {
                words: vec!["chargeback".into()],
            }],
            actions: vec![Action::AddNote {
                text: text.into(),
                note_id: None,
            }],
        })
        .await
        .unwrap();
    app.rules().enable("chargebacks", true).await.unwrap();
    // Four rounds of five new tickets, both passes at once each time.
    for round in 0..4 {
        let mut ids = vec![];
        for i in 0..5 {
            let t = common::admin(
                &sim,
                "inbound",
                serde_json::json!({"message": "I filed a chargeback", "subject": "Chargeback", "identifier": format!("cb{round}-{i}@example.com")}),
            )
            .await;
            ids.push(t["id"].as_u64().unwrap());
        }
        let (app_rules, watch_rules) = (app.rules(), watch.rules());
        let (a, b) = tokio::join!(app_rules.apply_live(), watch_rules.apply_live());
        let matched: u32 = a
            .unwrap()
            .iter()
            .chain(b.unwrap().iter())
            .map(|r| r.matched)
            .sum();
        assert_eq!(
            matched, 5,
            "round {round}: each ticket taken by one of them"
        );
        let w = sim.state().world();
        for id in ids {
            let notes = w.tickets[&id]
                .messages
                .iter()
                .filter(|m| m.body == text)
                .count();
            assert_eq!(notes, 1, "ticket {id}");
        }
    }
}
