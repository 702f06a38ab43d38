//! The SLA radar against the simulator over HTTP: customers write in and agents answer as they
//! would in Trengo (`/__sim/inbound`, `/__sim/message`), the app syncs, and the radar tells who
//! waits, what is at risk and what breached, and warns once.

mod common;

use common::admin;
use desk_core::sla::{AtRisk, SlaPolicy, SlaScope, SlaState, SlaTarget};
use desk_core::view::{SlaFilter, TicketFilter, TicketSort};
use desk_core::Desk;
use serde_json::json;
use trengo_sim::Size;

fn ts(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

/// A customer writes in, `ago` seconds ago; the new ticket's id.
async fn writes_in(sim: &trengo_sim::Sim, ago: i64) -> String {
    let t = admin(
        sim,
        "inbound",
        json!({"message": "Where is my order?", "subject": "Order", "ago_secs": ago}),
    )
    .await;
    t["id"].as_u64().unwrap().to_string()
}

async fn message(sim: &trengo_sim::Sim, ticket: &str, from: &str) {
    let r = admin(
        sim,
        "message",
        json!({"ticket_id": ticket.parse::<u64>().unwrap(), "from": from, "message": "…"}),
    )
    .await;
    assert!(r["id"].is_u64(), "{r}");
}

/// A policy for tickets tagged `tag` (so the seeded tickets stay out of it).
fn policy(name: &str, tag: &str, first: u32, next: u32, at_risk: u32) -> SlaPolicy {
    SlaPolicy {
        name: name.into(),
        enabled: true,
        first_reply: Some(first),
        next_reply: Some(next),
        resolution: None,
        at_risk: AtRisk::Minutes(at_risk),
        scope: SlaScope {
            tag: Some(tag.into()),
            ..Default::default()
        },
        hours: None,
    }
}

async fn tag(desk: &Desk, name: &str, tickets: &[&str]) {
    let t = desk.directory().create_tag(name, None).await.unwrap().tag;
    for id in tickets {
        desk.tickets().add_tag(id, &t.id).await.unwrap();
    }
}

#[tokio::test]
async fn the_waiting_clock_follows_the_customer_and_pauses_on_our_reply() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let id = writes_in(&sim, 10 * 60).await;
    common::sync(&desk).await;
    tag(&desk, "radar", &[&id]).await;
    desk.sla()
        .save(&policy("Radar", "radar", 30, 60, 15), false)
        .await
        .unwrap();

    let row = desk.tickets().row(&id).await.unwrap().unwrap();
    let since = ts(row.waiting_since.as_deref().expect("the customer waits"));
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now - 10 * 60 - since).abs() <= 2,
        "waiting since the message"
    );
    let sla = row.sla.expect("the policy covers it");
    assert_eq!(
        (sla.target, sla.state),
        (SlaTarget::FirstReply, SlaState::OnTrack)
    );
    assert_eq!(ts(&sla.due_at), since + 30 * 60);

    // Our reply: nobody waits, nothing is due.
    message(&sim, &id, "agent").await;
    common::sync(&desk).await;
    let row = desk.tickets().row(&id).await.unwrap().unwrap();
    assert_eq!(
        (row.waiting_since.as_deref(), row.sla.as_ref()),
        (None, None)
    );

    // An internal note after it does not start the clock again.
    message(&sim, &id, "note").await;
    common::sync(&desk).await;
    assert_eq!(
        desk.tickets()
            .row(&id)
            .await
            .unwrap()
            .unwrap()
            .waiting_since,
        None
    );

    // The customer writes again: the next reply is due an hour after that message.
    common::next_second(&sim);
    message(&sim, &id, "customer").await;
    let wrote = chrono::Utc::now().timestamp();
    common::sync(&desk).await;
    let row = desk.tickets().row(&id).await.unwrap().unwrap();
    let since = ts(row.waiting_since.as_deref().unwrap());
    assert!((wrote - since).abs() <= 1);
    let sla = row.sla.unwrap();
    assert_eq!(
        (sla.target, ts(&sla.due_at)),
        (SlaTarget::NextReply, since + 3600)
    );

    // The whole thread, read when the lead opens the ticket, says the same.
    desk.tickets().refresh(&id).await.unwrap();
    let row = desk.tickets().row(&id).await.unwrap().unwrap();
    assert_eq!(ts(row.waiting_since.as_deref().unwrap()), since);
    assert_eq!(row.sla.unwrap().target, SlaTarget::NextReply);
}

#[tokio::test]
async fn at_risk_breached_and_next_breach_lists() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let late = writes_in(&sim, 25 * 60).await; // first reply (20 min) breached 5 min ago
    let close = writes_in(&sim, 12 * 60).await; // due in 8 min: at risk (10 min before)
    let fresh = writes_in(&sim, 60).await; // due in 19 min: on track
    common::sync(&desk).await;
    tag(&desk, "radar", &[&late, &close, &fresh]).await;
    desk.sla()
        .save(&policy("Radar", "radar", 20, 60, 10), false)
        .await
        .unwrap();
    let ids = |f: TicketFilter| {
        let desk = &desk;
        async move {
            desk.tickets()
                .search(&f)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    let at_risk = ids(TicketFilter {
        sla: Some(SlaFilter::AtRisk),
        ..Default::default()
    })
    .await;
    assert_eq!(at_risk, vec![close.clone()]);
    let breached = ids(TicketFilter {
        sla: Some(SlaFilter::Breached),
        ..Default::default()
    })
    .await;
    assert_eq!(breached, vec![late.clone()]);
    let order = ids(TicketFilter {
        sort: Some(TicketSort::NextBreach),
        limit: 3,
        ..Default::default()
    })
    .await;
    assert_eq!(order, vec![late, close, fresh]);
    let c = desk.sla().counts().await.unwrap();
    assert_eq!((c.at_risk, c.breached, c.policies), (1, 1, 1));

    // A saved view of the breached ones counts what its list shows.
    let v = desk
        .views()
        .save(
            "Late",
            &TicketFilter {
                sla: Some(SlaFilter::Breached),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.count, 1);
    let listed = desk.views().list().await.unwrap();
    assert_eq!(listed.iter().find(|v| v.name == "Late").unwrap().count, 1);
}

#[tokio::test]
async fn a_warning_comes_once_per_ticket_also_after_a_restart() {
    let (sim, dir, desk) = common::synced(Size::Small).await;
    let a = writes_in(&sim, 12 * 60).await;
    let b = writes_in(&sim, 13 * 60).await;
    let ok = writes_in(&sim, 60).await;
    common::sync(&desk).await;
    tag(&desk, "radar", &[&a, &b, &ok]).await;
    desk.sla()
        .save(&policy("Radar", "radar", 20, 60, 10), false)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    let notes = desk.sla().warnings_at(now).await.unwrap();
    assert_eq!(notes.len(), 1, "one group: {notes:?}");
    assert!(
        notes[0].summary.starts_with("2 tickets in ")
            && notes[0].summary.contains("breach within 8 min"),
        "{}",
        notes[0].summary
    );
    assert!(notes[0].body.contains(&format!("#{b}")) && notes[0].body.contains(&format!("#{a}")));
    assert!(desk.sla().warnings_at(now + 30).await.unwrap().is_empty());

    // The app restarts: nothing is said twice.
    desk.shut().await;
    drop(desk);
    let desk = common::open(&sim, dir.path()).await;
    assert!(desk.sla().warnings_at(now + 60).await.unwrap().is_empty());
    // Ten minutes on, the third ticket's turn comes: it alone is warned of.
    let later = desk.sla().warnings_at(now + 10 * 60).await.unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].ticket_id.as_deref(), Some(ok.as_str()));
}

#[tokio::test]
async fn policies_round_trip_as_json_and_a_bad_file_saves_none() {
    let (_sim, _dir, desk) = common::synced(Size::Small).await;
    let mut p = policy("Gold", "vip", 30, 60, 10);
    p.scope.tag = None;
    desk.sla().save(&p, false).await.unwrap();
    let err = desk.sla().save(&p, false).await.unwrap_err().to_string();
    assert!(err.contains("\"Gold\" exists already"), "{err}");
    let json = desk.sla().export().await.unwrap();
    desk.sla().remove("gold").await.unwrap();
    assert_eq!(desk.sla().import(&json, false).await.unwrap(), 1);
    assert_eq!(desk.sla().list().await.unwrap(), vec![p]);

    let bad = r#"[{"name": "Silver", "first_reply": 60},
                  {"name": "Bronze", "first_reply": 60, "scope": {"team": "Nobody"}}]"#;
    let err = desk.sla().import(bad, false).await.unwrap_err().to_string();
    assert!(
        err.contains("SLA policy \"Bronze\": team: \"Nobody\""),
        "{err}"
    );
    assert_eq!(
        desk.sla().list().await.unwrap().len(),
        1,
        "Silver was not saved either"
    );
}

/// A live rule on "SLA breached (first reply)" tags a ticket when its clock runs out after the
/// rule was switched on (time moved on, not waited for), once, as an undoable job; a ticket
/// that breached before the rule was on is left to a run of the rule by hand.
#[tokio::test]
async fn a_live_rule_tags_a_ticket_when_its_first_reply_breaches() {
    use desk_core::actions::Action;
    use desk_core::rules::{Condition, Rule};
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    common::trengo_behind(&sim);
    let soon = writes_in(&sim, 10 * 60).await; // first reply (30 min) due in 20 min
    let long_ago = writes_in(&sim, 2 * 3600).await; // breached 90 min ago
    common::sync(&desk).await;
    tag(&desk, "radar", &[&soon, &long_ago]).await;
    let breach = desk
        .directory()
        .create_tag("sla-breach", None)
        .await
        .unwrap()
        .tag;
    desk.sla()
        .save(&policy("Radar", "radar", 30, 60, 10), false)
        .await
        .unwrap();
    let rule = Rule {
        name: "Breaches".into(),
        balance: None,
        all: true,
        conditions: vec![Condition::Sla {
            state: SlaFilter::Breached,
            target: Some(SlaTarget::FirstReply),
        }],
        actions: vec![Action::AddTag {
            tag_id: breach.id.clone(),
        }],
    };
    desk.rules().save(&rule).await.unwrap();
    let summary = desk.rules().find("Breaches").await.unwrap().summary;
    assert!(summary.contains("SLA breached (first reply)"), "{summary}");
    // The preview counts what is breached now: the old one only.
    let p = desk.rules().preview(&rule).await.unwrap();
    assert_eq!(p.ids, vec![long_ago.clone()]);

    desk.rules().enable("Breaches", true).await.unwrap();
    common::trengo_in_step(&sim);
    let now = chrono::Utc::now().timestamp();
    assert!(
        desk.rules().apply_live_at(now).await.unwrap().is_empty(),
        "nothing breached since the rule was switched on"
    );

    // 25 minutes on, the first reply of `soon` is 5 minutes late.
    let runs = desk.rules().apply_live_at(now + 25 * 60).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!((runs[0].matched, runs[0].changed), (1, 1));
    let tagged = |id: &str| {
        sim.state().world().tickets[&id.parse::<u64>().unwrap()]
            .label_ids
            .contains(&breach.id.parse::<u64>().unwrap())
    };
    assert!(tagged(&soon));
    assert!(!tagged(&long_ago), "breached before the rule was on");
    assert!(
        desk.rules()
            .apply_live_at(now + 30 * 60)
            .await
            .unwrap()
            .is_empty(),
        "once per ticket"
    );

    // The rule's job is undoable like any other.
    let job = desk.jobs().get(runs[0].job).await.unwrap();
    assert!(job.can_undo, "{job:?}");
}

/// A draft policy replayed over the cached tickets: a first reply that came late and one still
/// owed past its due time count as breached, one in time does not; a contact field scopes it
/// (and the live radar agrees); the history covers only tickets whose thread was read.
#[tokio::test]
async fn a_draft_policy_replays_over_the_cached_history() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let inbound = |who: &str, ago: i64| {
        let sim = &sim;
        let who = who.to_string();
        async move {
            let t = admin(
                sim,
                "inbound",
                json!({"message": "Help", "subject": "Help", "ago_secs": ago,
                       "identifier": format!("{who}@replay.example")}),
            )
            .await;
            (
                t["id"].as_u64().unwrap().to_string(),
                t["contact"]["id"]
                    .as_u64()
                    .expect("the ticket's contact")
                    .to_string(),
            )
        }
    };
    let (owed, c1) = inbound("owed", 30 * 60).await; // first reply (20 min) owed 10 min late
    let (late, c2) = inbound("late", 40 * 60).await; // answered now: 20 min late
    let (kept, c3) = inbound("kept", 10 * 60).await; // answered now: in time
    let (other, _) = inbound("other", 30 * 60).await; // elsewhere: out of scope
    message(&sim, &late, "agent").await;
    message(&sim, &kept, "agent").await;
    common::sync(&desk).await;
    for c in [&c1, &c2, &c3] {
        desk.tickets()
            .set_contact_field(c, "Country", "Replayland")
            .await
            .unwrap();
    }
    for id in [&owed, &late, &kept, &other] {
        desk.tickets().refresh(id).await.unwrap();
    }
    let draft = SlaPolicy {
        scope: SlaScope {
            field: Some(desk_core::sla::FieldIs {
                name: "Country".into(),
                value: "replayland".into(),
            }),
            ..Default::default()
        },
        resolution: None,
        next_reply: None,
        ..policy("Enterprise", "unused", 20, 60, 5)
    };
    let now = chrono::Utc::now().timestamp();
    let r = desk.sla().replay(&draft, now).await.unwrap();
    assert_eq!(
        (r.in_scope, r.covered, r.breached),
        (3, 3, 2),
        "{}: {r:?}",
        r.summary
    );
    assert_eq!((r.first_reply.covered, r.first_reply.breached), (3, 2));
    assert_eq!(r.by_team.iter().map(|t| t.breached).sum::<u32>(), 2);
    assert!(
        r.summary
            .starts_with("would have breached 2 of 3 tickets (67%)"),
        "{}",
        r.summary
    );
    assert!(
        desk.sla().list().await.unwrap().is_empty(),
        "a replay saves nothing"
    );

    // Saved and on, the radar scopes by the same field.
    desk.sla().save(&draft, false).await.unwrap();
    let state = |id: &str| {
        let desk = &desk;
        let id = id.to_string();
        async move {
            desk.tickets()
                .row(&id)
                .await
                .unwrap()
                .unwrap()
                .sla
                .map(|s| s.state)
        }
    };
    assert_eq!(state(&owed).await, Some(SlaState::Breached));
    assert_eq!(state(&other).await, None, "not in Replayland");
    assert_eq!(state(&kept).await, None, "answered: nothing owed");
}

/// The resolution clock stands still while the last message is ours: two hours between our reply
/// and the customer's next message are added to the due time, whether the cache saw them on the
/// list pages one sync at a time or in the whole thread.
#[tokio::test]
async fn the_resolution_clock_leaves_out_the_time_it_was_our_turn() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let id = writes_in(&sim, 3 * 3600).await;
    common::sync(&desk).await;
    let at = |from: &str, ago: i64| {
        let sim = &sim;
        let body = json!({"ticket_id": id.parse::<u64>().unwrap(), "from": from, "message": "…", "ago_secs": ago});
        async move { assert!(admin(sim, "message", body).await["id"].is_u64()) }
    };
    at("agent", 150 * 60).await;
    common::sync(&desk).await;
    at("customer", 30 * 60).await;
    common::sync(&desk).await;
    tag(&desk, "radar", &[&id]).await;
    desk.sla()
        .save(
            &SlaPolicy {
                first_reply: None,
                next_reply: None,
                resolution: Some(150),
                ..policy("Resolve", "radar", 1, 1, 10)
            },
            false,
        )
        .await
        .unwrap();
    let created = ts(&desk
        .tickets()
        .row(&id)
        .await
        .unwrap()
        .unwrap()
        .created_at
        .unwrap());
    let due = || {
        let (id, desk) = (id.clone(), &desk);
        async move {
            let s = desk.tickets().row(&id).await.unwrap().unwrap().sla.unwrap();
            assert_eq!(
                (s.target, s.state),
                (SlaTarget::Resolution, SlaState::OnTrack)
            );
            ts(&s.due_at)
        }
    };
    // 150 min of running clock from creation, plus the 120 min it stood still.
    let expect = created + 150 * 60 + 120 * 60;
    assert!((due().await - expect).abs() <= 2, "from the list pages");
    desk.tickets().refresh(&id).await.unwrap();
    assert!((due().await - expect).abs() <= 2, "from the thread");
}
