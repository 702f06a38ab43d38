//! The unified layer against the simulator over HTTP.

use std::collections::BTreeMap;

use trengo_api::{BudgetConfig, Client, ClientConfig, Token};
use trengo_sim::{Sim, SimConfig, Size};
use trengo_unified::*;

async fn setup() -> (Sim, Unified) {
    let sim = Sim::start(SimConfig {
        size: Size::Small,
        rate_limit: 1_000_000,
        anchor: Some(1_764_000_000),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut cfg = ClientConfig::new(sim.base_url(), Token::new("demo-token"));
    cfg.budget = BudgetConfig {
        limit: 1_000_000,
        ..BudgetConfig::default()
    };
    let u = Unified::new(Client::new(cfg).unwrap());
    (sim, u)
}

fn p(limit: u32) -> ListParams {
    ListParams {
        limit: Some(limit),
        ..Default::default()
    }
}

#[tokio::test]
async fn limits_above_and_below_a_trengo_page_and_cursors() {
    let (_sim, u) = setup().await;
    let fifty = u.list_tickets(&p(50)).await.unwrap();
    assert_eq!(fifty.result.len(), 50, "two Trengo pages for one call");
    let mut walked = vec![];
    let mut params = p(10);
    for _ in 0..5 {
        let page = u.list_tickets(&params).await.unwrap();
        assert_eq!(page.result.len(), 10);
        walked.extend(page.result.iter().map(|t| t.id.clone()));
        params.cursor = page.next_cursor.clone();
    }
    assert_eq!(
        walked,
        fifty
            .result
            .iter()
            .map(|t| t.id.clone())
            .collect::<Vec<_>>(),
        "the rest of a page stays reachable"
    );
    // Walk to the end: 150 in all, and the end says so.
    let mut all = 0;
    let mut params = p(40);
    loop {
        let page = u.list_tickets(&params).await.unwrap();
        all += page.result.len();
        match page.next_cursor {
            Some(c) => params.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(all, 150);
}

#[tokio::test]
async fn a_cursor_from_another_query_is_refused() {
    let (_sim, u) = setup().await;
    let page = u
        .list_tickets(&ListParams {
            status: Some("closed".into()),
            ..p(5)
        })
        .await
        .unwrap();
    let cursor = page.next_cursor.unwrap();
    let err = u
        .list_tickets(&ListParams {
            status: Some("spam".into()),
            cursor: Some(cursor.clone()),
            ..p(5)
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadCursor);
    assert!(err.message.contains("other filters"), "{}", err.message);
    assert!(!err.is_remote);
    let err = u
        .list_contacts(&ListParams {
            cursor: Some(cursor),
            ..p(5)
        })
        .await
        .unwrap_err();
    assert!(err.message.contains("list of tickets"));
    let err = u
        .list_tickets(&ListParams {
            cursor: Some("nonsense".into()),
            ..p(5)
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadCursor);
}

#[tokio::test]
async fn tickets_have_names_on_their_refs() {
    let (sim, u) = setup().await;
    let page = u
        .list_tickets(&ListParams {
            status: Some("open".into()),
            ..p(100)
        })
        .await
        .unwrap();
    assert!(!page.result.is_empty());
    assert!(page
        .result
        .iter()
        .all(|t| t.status.kind == StatusKind::Open));
    let assigned = page
        .result
        .iter()
        .find(|t| !t.assignees.is_empty())
        .unwrap();
    assert!(
        assigned.assignees[0].name.is_some(),
        "names from the directory"
    );
    let with_team = page.result.iter().find(|t| t.team.is_some()).unwrap();
    assert!(with_team.team.as_ref().unwrap().name.is_some());
    assert!(page.result.iter().all(|t| t.remote_data.is_some()));
    let id = assigned.id.clone();
    let t = u.get_ticket(&id).await.unwrap();
    assert!(t.ticket_url.unwrap().ends_with(&format!("/tickets/{id}")));
    assert_eq!(
        t.remote_data.unwrap()["id"].as_u64().unwrap().to_string(),
        id
    );
    let lean = u
        .list_tickets(&ListParams {
            without_remote_data: true,
            ..p(3)
        })
        .await
        .unwrap();
    assert!(lean.result.iter().all(|t| t.remote_data.is_none()));
    let mine = u
        .list_tickets(&ListParams {
            assignee_id: Some("3601".into()),
            ..p(100)
        })
        .await
        .unwrap();
    assert!(mine.result.iter().all(|t| t.assignees[0].id == "3601"));
    let n = sim
        .state()
        .world()
        .tickets
        .values()
        .filter(|t| t.user_id == Some(3601))
        .count();
    assert_eq!(mine.result.len(), n);
}

#[tokio::test]
async fn every_resource_lists_and_reads() {
    let (sim, u) = setup().await;
    for r in Resource::ALL {
        let mut params = p(5);
        if matches!(r, Resource::Comments | Resource::Attachments) {
            let with_att = sim
                .state()
                .world()
                .tickets
                .values()
                .find(|t| t.messages.iter().any(|m| !m.attachments.is_empty()))
                .map(|t| t.id);
            params.ticket_id = Some(with_att.unwrap_or(318_550_001).to_string());
        }
        let page = u
            .list_json(r, &params)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", r.name()));
        assert!(!page.result.is_empty(), "{} lists something", r.name());
        let first = &page.result[0];
        let id = first["id"].as_str().unwrap().to_string();
        if !matches!(r, Resource::Comments | Resource::Attachments) {
            let one = u
                .get_json(r, &id)
                .await
                .unwrap_or_else(|e| panic!("{} {id}: {e}", r.name()));
            assert_eq!(one["id"], first["id"]);
        }
    }
    let users = u.list_users(&p(25)).await.unwrap();
    let lead = users.result.iter().find(|x| x.id == "3601").unwrap();
    assert_eq!(lead.roles[0].id, "supervisor");
    assert_eq!(lead.team_ids.len(), 2);
    let fields = u
        .list_fields(&ListParams {
            entity_type: Some("contact".into()),
            ..p(50)
        })
        .await
        .unwrap();
    assert!(fields
        .result
        .iter()
        .all(|f| f.entity_type == EntityType::Contact));
    let plan = fields.result.iter().find(|f| f.label == "Plan").unwrap();
    assert_eq!(
        (plan.name.as_str(), &plan.field_type),
        ("plan", &FieldKind::Dropdown)
    );
    let err = u.list_json(Resource::Comments, &p(5)).await.unwrap_err();
    assert!(err.message.contains("ticket_id"));
    assert_eq!(
        u.get_json(Resource::Roles, "owner").await.unwrap()["label"],
        "Owner"
    );
    let err = u.get_json(Resource::Tickets, "12").await.unwrap_err();
    assert_eq!(
        (err.kind, err.status, err.is_remote),
        (ErrorKind::NotFound, Some(404), true)
    );
}

#[tokio::test]
async fn writes_return_the_record_as_it_now_stands() {
    let (sim, u) = setup().await;
    let id = sim
        .state()
        .world()
        .tickets
        .values()
        .find(|t| t.user_id.is_none())
        .unwrap()
        .id
        .to_string();
    let t = u
        .update_ticket(
            &id,
            &TicketUpdate {
                team_id: Some("202".into()),
                assignee_id: Some("3602".into()),
                status: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            t.team.unwrap().id.as_str(),
            t.assignees[0].id.as_str(),
            t.status.raw.as_str()
        ),
        ("202", "3602", "ASSIGNED")
    );
    let t = u
        .update_ticket(
            &id,
            &TicketUpdate {
                status: Some("closed".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(t.status.kind, StatusKind::Closed);
    assert!(t.completed_at.is_some());
    let t = u
        .update_ticket(
            &id,
            &TicketUpdate {
                status: Some("open".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(t.status.kind, StatusKind::Open);
    let t = u
        .add_tags(&id, &["1005".into(), "1006".into()])
        .await
        .unwrap();
    assert!(t.tags.iter().any(|x| x.id == "1005") && t.tags.iter().any(|x| x.id == "1006"));
    let t = u.remove_tags(&id, &["1005".into()]).await.unwrap();
    assert!(!t.tags.iter().any(|x| x.id == "1005"));
    let c = u
        .create_comment(&id, "Spoke to the customer", true)
        .await
        .unwrap();
    assert!(c.is_internal);
    assert!(matches!(c.author, ActorRef::User(ref x) if x.id == "3601"));
    let comments = u
        .list_comments(&ListParams {
            ticket_id: Some(id.clone()),
            ..p(50)
        })
        .await
        .unwrap();
    assert!(comments.result.iter().any(|x| x.id == c.id));

    let contact = t.contact.unwrap().id;
    let mut vals = BTreeMap::new();
    vals.insert("Plan".to_string(), "Pro".to_string());
    vals.insert("mrr".to_string(), "240".to_string());
    let after = u.set_contact_fields(&contact, &vals).await.unwrap();
    assert_eq!(after.custom_fields["plan"], FieldValue::Text("Pro".into()));
    assert_eq!(after.custom_fields["mrr"], FieldValue::Number(240.0));
    vals.insert("Plan".into(), "Legacy".into());
    let err = u.set_contact_fields(&contact, &vals).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Validation);
    let err = u
        .set_contact_fields(
            &contact,
            &BTreeMap::from([("Shoe size".to_string(), "44".to_string())]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);

    let created = u
        .create_ticket("801", "new.customer@example.com", Some("Hello"))
        .await
        .unwrap();
    assert_eq!(created.name.as_deref(), Some("Hello"));
    let raw = u
        .proxy(
            http::Method::GET,
            &format!("/tickets/{}", created.id),
            vec![],
            None,
        )
        .await
        .unwrap();
    assert_eq!(raw.status, 200);
    assert_eq!(raw.body["subject"], "Hello");
}
