//! Every endpoint against the simulator over HTTP.

mod common;

use common::*;
use futures::TryStreamExt;
use trengo_api::model::{FieldEntity, MessageType, TicketStatus};
use trengo_api::{Assignee, Error, NewTicketContact, TicketQuery, TicketSort};
use trengo_sim::{SimConfig, Size};

#[tokio::test]
async fn directory() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    let me = c.me().await.unwrap();
    // The role is `role.name`; `authorization` marks only the account's owner (as captured).
    assert_eq!(
        (
            me.id,
            me.first_name.as_str(),
            me.authorization.as_deref(),
            me.role.as_ref().map(|r| r.name.as_str())
        ),
        (3601, "Robin", None, Some("supervisor"))
    );
    assert_eq!(me.display_name(), "Robin Jansen");
    let users: Vec<_> = c.all_users().try_collect().await.unwrap();
    assert_eq!(users.len(), 8);
    assert_eq!(c.user(3602).await.unwrap().id, 3602);
    let teams: Vec<_> = c.all_teams().try_collect().await.unwrap();
    assert_eq!(teams.len(), 3);
    assert!(teams[0].member_ids().contains(&3601));
    assert_eq!(c.team(teams[1].id).await.unwrap().name, teams[1].name);
    let labels: Vec<_> = c.all_labels().try_collect().await.unwrap();
    assert_eq!(labels.len(), 12);
    assert!(labels
        .iter()
        .all(|l| l.color.as_deref().is_some_and(|c| c.starts_with('#'))));
    assert!(labels.last().unwrap().archived);
    let fields: Vec<_> = c.all_custom_fields().try_collect().await.unwrap();
    let plan = fields.iter().find(|f| f.title == "Plan").unwrap();
    assert_eq!(plan.entity, FieldEntity::Contact);
    assert_eq!(
        plan.items
            .iter()
            .map(|i| i.value.as_str())
            .collect::<Vec<_>>(),
        ["Free", "Starter", "Pro", "Enterprise"]
    );
    let channels: Vec<_> = c.all_channels().try_collect().await.unwrap();
    assert!(channels
        .iter()
        .any(|ch| ch.kind.as_deref() == Some("WA_BUSINESS")));
    assert_eq!(c.ticket_results(1).await.unwrap().data.len(), 4);
    let err = c.user(1).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn labels_crud() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    let l = c
        .create_label("migrated-2026", Some("#123456"))
        .await
        .unwrap();
    assert_eq!(
        (l.name.as_str(), l.color.as_deref()),
        ("migrated-2026", Some("#123456"))
    );
    let dup = c.create_label("migrated-2026", None).await.unwrap_err();
    match &dup {
        Error::Validation { fields, .. } => {
            assert_eq!(fields["name"], ["The name has already been taken."])
        }
        other => panic!("{other:?}"),
    }
    let u = c
        .update_label(l.id, Some("migrated-done"), None, Some(true))
        .await
        .unwrap()
        .unwrap();
    assert!(u.archived);
    assert_eq!(c.label(l.id).await.unwrap().name, "migrated-done");
    c.delete_label(l.id).await.unwrap();
    assert!(matches!(c.label(l.id).await, Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn pagination_keeps_filters_across_many_pages() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    let q = TicketQuery {
        status: Some(TicketStatus::Closed),
        ..Default::default()
    };
    let closed: Vec<_> = c.all_tickets(&q).try_collect().await.unwrap();
    let expected = sim
        .state()
        .world()
        .tickets
        .values()
        .filter(|t| t.status == trengo_sim::world::Status::Closed)
        .count();
    assert!(expected > 50, "several pages: {expected}");
    assert_eq!(closed.len(), expected);
    assert!(
        closed.iter().all(|t| t.status == TicketStatus::Closed),
        "page 2+ kept the filter"
    );
    let all: Vec<_> = c
        .all_tickets(&TicketQuery::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 150);
    let mut ids: Vec<_> = all.iter().map(|t| t.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 150);
    let first = c.tickets(&TicketQuery::default(), 1).await.unwrap();
    assert!(first.meta.total.is_none(), "the simple envelope");
    assert_eq!(first.next_page(1), Some(2));
}

#[tokio::test]
async fn ticket_filters_and_shapes() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    let page = c.tickets(&TicketQuery::default(), 1).await.unwrap();
    let t = &page.data[0];
    assert!(t.created_at.is_some() && t.updated_at.is_some());
    let contact = t.contact.as_ref().unwrap();
    assert!(contact
        .formatted_custom_field_data
        .contains_key("Customer ID"));
    assert_eq!(t.contact_ref(), Some(contact.id));
    let user = page.data.iter().find_map(|t| t.user_id).unwrap();
    let mine: Vec<_> = c
        .all_tickets(&TicketQuery {
            users: vec![user],
            status: Some(TicketStatus::Assigned),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(
        !mine.is_empty()
            && mine
                .iter()
                .all(|t| t.user_id == Some(user) && t.status == TicketStatus::Assigned)
    );
    let label = page.data.iter().find_map(|t| t.labels.first()).unwrap().id;
    let tagged: Vec<_> = c
        .all_tickets(&TicketQuery {
            labels: vec![label],
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(tagged.iter().all(|t| t.label_ids().contains(&label)));
    let by_contact = c
        .tickets(
            &TicketQuery {
                contact_id: Some(contact.id),
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap();
    assert!(by_contact
        .data
        .iter()
        .all(|t| t.contact_ref() == Some(contact.id)));
    let term = contact.name.clone().unwrap();
    let found = c
        .tickets(
            &TicketQuery {
                term: Some(term),
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap();
    assert!(found.data.iter().any(|x| x.id == t.id));
    let oldest = c
        .tickets(
            &TicketQuery {
                sort: Some(TicketSort::OldestFirst),
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap();
    // `sort=date` orders by the last message's time, oldest first (not by the ticket's making).
    let last = |t: &trengo_api::model::Ticket| {
        t.latest_message
            .as_ref()
            .and_then(|m| m.at())
            .or(t.created_at)
    };
    assert!(oldest.data.windows(2).all(|w| last(&w[0]) <= last(&w[1])));
    let inbound = c
        .tickets(
            &TicketQuery {
                last_message_type: Some(MessageType::Inbound),
                channels: vec![801, 802],
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap();
    assert!(inbound
        .data
        .iter()
        .all(|t| t.channel_id.is_some_and(|ch| ch == 801 || ch == 802)));
}

#[tokio::test]
async fn ticket_writes() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    let id = sim
        .state()
        .world()
        .tickets
        .values()
        .rev()
        .find(|t| t.user_id.is_none())
        .unwrap()
        .id;

    let t = c
        .assign_ticket(id, Assignee::User(3603), None)
        .await
        .unwrap()
        .expect("assign answers the ticket");
    assert_eq!(
        (t.status.clone(), t.user_id),
        (TicketStatus::Assigned, Some(3603))
    );
    c.assign_ticket(id, Assignee::Team(202), Some("Billing, please"))
        .await
        .unwrap();
    let t = c.ticket(id).await.unwrap();
    assert_eq!((t.team_id, t.user_id), (Some(202), Some(3603)));

    c.attach_label(id, 1002).await.unwrap();
    c.attach_label(id, 1002).await.unwrap();
    assert_eq!(
        c.ticket(id)
            .await
            .unwrap()
            .label_ids()
            .iter()
            .filter(|l| **l == 1002)
            .count(),
        1
    );
    c.detach_label(id, 1002).await.unwrap();
    assert!(!c.ticket(id).await.unwrap().label_ids().contains(&1002));

    assert_eq!(
        c.close_ticket(id, Some(61))
            .await
            .unwrap()
            .map(|t| t.status),
        Some(TicketStatus::Closed),
        "Trengo answers with the ticket"
    );
    let t = c.ticket(id).await.unwrap();
    assert_eq!(t.status, TicketStatus::Closed);
    assert!(t.closed_at.is_some());
    c.reopen_ticket(id).await.unwrap();
    assert_eq!(c.ticket(id).await.unwrap().status, TicketStatus::Assigned);
    c.mark_spam(id).await.unwrap();
    assert_eq!(c.ticket(id).await.unwrap().status, TicketStatus::Invalid);
    c.unmark_spam(id).await.unwrap();

    let note = c
        .post_message(id, "Checked with finance", true, &[])
        .await
        .unwrap();
    assert!(note.is_internal());
    let msgs: Vec<_> = c.all_messages(id).try_collect().await.unwrap();
    assert!(msgs
        .iter()
        .any(|m| m.id == note.id && m.kind == MessageType::Note));
    assert!(
        msgs.iter()
            .any(|m| m.message.as_deref() == Some("Billing, please")),
        "assign's note"
    );
    let reply = c.post_message(id, "Thanks!", false, &[]).await.unwrap();
    assert_eq!(reply.kind, MessageType::Outbound);
    assert_eq!(reply.agent.as_ref().map(|a| a.id), Some(3601));

    let prio = sim
        .state()
        .world()
        .fields
        .values()
        .find(|f| f.title == "Priority")
        .unwrap()
        .id;
    c.set_ticket_custom_field(id, prio, "High").await.unwrap();
    assert_eq!(sim.state().world().tickets[&id].fields[&prio], "High");
    let bad = c
        .set_ticket_custom_field(id, prio, "Whenever")
        .await
        .unwrap_err();
    assert!(matches!(bad, Error::Validation { .. }), "{bad:?}");

    let created = c
        .create_ticket(
            801,
            NewTicketContact::Identifier("someone@example.org".into()),
            Some("From the desk"),
        )
        .await
        .unwrap();
    assert_eq!(created.status, TicketStatus::Assigned);
    assert!(
        created
            .latest_message
            .as_ref()
            .and_then(|l| l.at())
            .is_some(),
        "a timestamp string"
    );
    let other = c
        .create_ticket(
            801,
            NewTicketContact::Id(created.contact_ref().unwrap()),
            None,
        )
        .await
        .unwrap();
    // Merging deletes the source ticket (Trengo's `TICKET_MERGED` webhook:
    // `merged_and_deleted_ticket_id`).
    c.merge_tickets(created.id, other.id).await.unwrap();
    assert!(matches!(
        c.ticket(other.id).await,
        Err(Error::NotFound { .. })
    ));
    c.delete_ticket(created.id).await.unwrap();
    assert!(matches!(
        c.ticket(created.id).await,
        Err(Error::NotFound { .. })
    ));

    let err = c.attach_label(id, 999_999).await.unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    let err = c
        .assign_ticket(123, Assignee::User(3601), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
}

#[tokio::test]
async fn contacts() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    let all: Vec<_> = c.all_contacts(None).try_collect().await.unwrap();
    assert_eq!(all.len(), 80);
    let with_note = sim
        .state()
        .world()
        .contacts
        .values()
        .find(|c| !c.notes.is_empty())
        .map(|c| c.id);
    if let Some(id) = with_note {
        // A show carries the notes whether asked for or not (as captured).
        assert!(!c.contact(id, true).await.unwrap().notes.is_empty());
        assert!(!c.contact(id, false).await.unwrap().notes.is_empty());
    }
    let created = c
        .create_contact(801, "fresh@example.com", Some("Fresh Person"))
        .await
        .unwrap();
    let again = c
        .create_contact(801, "fresh@example.com", None)
        .await
        .unwrap();
    assert_eq!(created.id, again.id);
    let found = c.contacts(Some("fresh@"), 1).await.unwrap();
    assert_eq!(found.data[0].id, created.id);
    let renamed = c
        .update_contact(created.id, "Fresh P.", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Fresh P."));
    let fields: Vec<_> = c.all_custom_fields().try_collect().await.unwrap();
    let plan = fields.iter().find(|f| f.title == "Plan").unwrap().id;
    c.set_contact_custom_field(created.id, plan, "Enterprise")
        .await
        .unwrap();
    let back = c.contact(created.id, false).await.unwrap();
    assert_eq!(back.custom_value(plan).as_deref(), Some("Enterprise"));
    assert_eq!(back.formatted_custom_field_data["Plan"], "Enterprise");
    c.set_contact_custom_field(created.id, plan, "")
        .await
        .unwrap();
    assert_eq!(
        c.contact(created.id, false)
            .await
            .unwrap()
            .custom_value(plan),
        None,
        "an empty value clears"
    );
}

#[tokio::test]
async fn proxy() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    let r = c
        .raw(
            http::Method::GET,
            "/tickets",
            vec![("status".into(), "OPEN".into())],
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] == "OPEN"));
    assert!(r.headers.iter().any(|(k, _)| k == "x-ratelimit-remaining"));
    let r = c
        .raw(http::Method::GET, "tickets/1", vec![], None)
        .await
        .unwrap();
    assert_eq!(
        r.status, 404,
        "Trengo's answer is data, whatever its status"
    );
    let id = *sim.state().world().tickets.keys().next().unwrap();
    let r = c
        .raw(
            http::Method::POST,
            &format!("/tickets/{id}/labels"),
            vec![],
            Some(serde_json::json!({"label_id": 1003})),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(sim.state().world().tickets[&id].label_ids.contains(&1003));
    let err = c
        .raw(http::Method::GET, "//evil.example/steal", vec![], None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)));
    let m = sim.state().mutations();
    assert_eq!(m.len(), 1, "the proxy's write went through once");
}

/// Label attach and detach, close and reopen: Trengo answers them with JSON (PyTrengo parses it);
/// an empty 200 is the other reading of the API page. The client takes either.
#[tokio::test]
async fn writes_take_a_json_answer_or_an_empty_one() {
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    let id = *sim.state().world().tickets.keys().next().unwrap();
    for empty in [false, true] {
        sim.state().set_faults(trengo_sim::Faults {
            empty_write_answers: empty,
            ..Default::default()
        });
        c.attach_label(id, 1002).await.unwrap();
        assert!(sim.state().world().tickets[&id].label_ids.contains(&1002));
        c.detach_label(id, 1002).await.unwrap();
        assert!(!sim.state().world().tickets[&id].label_ids.contains(&1002));
        let closed = c.close_ticket(id, None).await.unwrap();
        assert_eq!(
            closed.map(|t| t.status),
            (!empty).then_some(TicketStatus::Closed),
            "the ticket when Trengo sends it (empty: {empty})"
        );
        let reopened = c.reopen_ticket(id).await.unwrap();
        assert_eq!(reopened.is_some(), !empty);
        assert_ne!(
            sim.state().world().tickets[&id].status,
            trengo_sim::world::Status::Closed
        );
    }
}

/// The zone of zone-less times is learned from Trengo's clock: after a write to a ticket, the
/// next read of it puts its `updated_at` beside the answer's `Date` header.
#[tokio::test]
async fn the_workspace_zone_is_learned_from_a_write_and_the_next_read() {
    use chrono::TimeZone;
    // Amsterdam, as real answers show: assumed first, then confirmed.
    let sim = fast_sim().await;
    let c = fast_client(&sim);
    assert_eq!(c.zone().name, "Europe/Amsterdam");
    assert_eq!(c.zone().learned_at, None);
    let id = c.tickets(&TicketQuery::default(), 1).await.unwrap().data[0].id;
    c.close_ticket(id, None).await.unwrap();
    let t = c.ticket(id).await.unwrap();
    let z = c.zone();
    assert_eq!(z.name, "Europe/Amsterdam");
    assert!(z.learned_at.is_some(), "Trengo's clock confirmed it");
    let truth = sim.state().world().tickets[&id].updated_at;
    assert_eq!(t.updated_at.unwrap().timestamp(), truth);

    // A workspace whose times are Jerusalem's: read as Amsterdam's until the clock shows it, an
    // hour off; then as Jerusalem's (the user's own zone preferred among zones that fit), and
    // `updated_at_gt` is written in it too.
    let sim = sim_with(SimConfig {
        size: Size::Small,
        rate_limit: 1_000_000,
        zone: chrono_tz::Asia::Jerusalem,
        ..SimConfig::default()
    })
    .await;
    let c = fast_client(&sim);
    c.set_zone_hint("Asia/Jerusalem");
    let page = c.tickets(&TicketQuery::default(), 1).await.unwrap();
    let (id, other) = (page.data[0].id, page.data[1].id);
    let updated = |c: &trengo_api::Client, id: u64| {
        let c = c.clone();
        async move { c.ticket(id).await.unwrap().updated_at.unwrap().timestamp() }
    };
    let before = updated(&c, other).await;
    let other_truth = sim.state().world().tickets[&other].updated_at;
    let at = chrono::DateTime::from_timestamp(other_truth, 0)
        .unwrap()
        .naive_utc();
    let jerusalem = chrono_tz::Asia::Jerusalem.offset_from_utc_datetime(&at);
    let amsterdam = chrono_tz::Europe::Amsterdam.offset_from_utc_datetime(&at);
    use chrono::Offset;
    let skew = (jerusalem.fix().local_minus_utc() - amsterdam.fix().local_minus_utc()) as i64;
    assert_eq!(
        before - other_truth,
        skew,
        "assumed Amsterdam: off by the zones' difference"
    );
    // Another zone than the one in use is taken once two readings agree: a close and a reopen,
    // each read back.
    c.close_ticket(id, None).await.unwrap();
    c.ticket(id).await.unwrap();
    assert_eq!(c.zone().name, "Europe/Amsterdam", "seen once");
    c.reopen_ticket(id).await.unwrap();
    c.ticket(id).await.unwrap();
    let z = c.zone();
    assert_eq!(z.name, "Asia/Jerusalem");
    assert_eq!(
        z.offset_minutes,
        Some(jerusalem.fix().local_minus_utc() / 60)
    );
    let after = updated(&c, other).await;
    assert_eq!(
        after, other_truth,
        "read in the learned zone: the true instant"
    );
    // A zone learned before is where a new client starts.
    let fresh = fast_client(&sim);
    fresh.set_zone(z.clone());
    assert_eq!(
        fresh
            .ticket(other)
            .await
            .unwrap()
            .updated_at
            .unwrap()
            .timestamp(),
        other_truth
    );
    let q = TicketQuery {
        updated_after: Some(other_truth),
        ..Default::default()
    };
    let pairs = q.pairs(z.tz());
    let sent = &pairs.iter().find(|(k, _)| k == "updated_at_gt").unwrap().1;
    let wall = chrono::DateTime::from_timestamp(other_truth, 0)
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Jerusalem)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    assert_eq!(sent, &wall);
}

/// An address that redirects every request (as a moved or proxied base URL would), counting what
/// reaches it.
async fn redirecting_server(
    to: String,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            h.fetch_add(1, Ordering::SeqCst);
            let to = to.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = s.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}/api/v2"), hits)
}

/// A redirect is never followed: a redirected write would reach nothing (or become a read that
/// answers 200, reported as success); the error names the redirect and where it leads.
#[tokio::test]
async fn a_redirecting_base_url_is_said_and_nothing_follows_it() {
    let sim = fast_sim().await;
    let target = format!("{}/tickets/1/close", sim.base_url());
    let (base, hits) = redirecting_server(target).await;
    let mut cfg = trengo_api::ClientConfig::new(base, trengo_api::Token::new("demo-token"));
    cfg.timeout = std::time::Duration::from_secs(5);
    let c = trengo_api::Client::new(cfg).unwrap();
    let id = sim.state().world().tickets.keys().next().copied().unwrap();
    let e = c.close_ticket(id, None).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("redirects (307 to http://127.0.0.1"),
        "{text}"
    );
    assert!(text.contains("no redirect is followed"), "{text}");
    let e = c.me().await.unwrap_err();
    assert!(e.to_string().contains("redirects"), "{e}");
    assert!(
        sim.state().mutations().is_empty(),
        "nothing reached the simulator"
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
}
