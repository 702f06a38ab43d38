//! Tests of the module above.

use super::*;
use serde_json::json;

fn dir() -> Directory {
    let fields: Vec<api::CustomField> = serde_json::from_value(json!([
        {"id": 501, "title": "Customer ID", "type": "CONTACT", "field_type": "TEXT"},
        {"id": 503, "title": "MRR", "type": "CONTACT", "field_type": "NUMBER"},
        {"id": 507, "title": "VIP", "type": "CONTACT", "field_type": "CHECKBOX"},
        {"id": 509, "title": "Priority", "type": "TICKET", "items": [{"id": 1, "value": "High"}]}
    ]))
    .unwrap();
    let users: Vec<api::User> = serde_json::from_value(json!([{"id": 3610, "first_name": "Mara", "last_name": "de Vries", "email": "mara@x.nl", "authorization": "SUPERVISOR", "status": "ACTIVE"}])).unwrap();
    let teams: Vec<api::Team> =
        serde_json::from_value(json!([{"id": 201, "name": "Billing", "users": [3610]}])).unwrap();
    let labels: Vec<api::Label> = serde_json::from_value(
        json!([{"id": 1, "name": "vip", "color": "#ffce54", "archived": 0}]),
    )
    .unwrap();
    Directory::from_api(&users, &teams, &labels, &[], &fields)
}

/// The list item of ../shared/trengo-api.md §5, as Trengo sends it.
#[test]
fn a_captured_ticket() {
    let t: api::Ticket = serde_json::from_value(json!({
        "id": 245404208, "status": "ASSIGNED", "subject": null, "closed_at": null,
        "created_at": "2021-12-06 12:09:14", "updated_at": "2021-12-06 12:09:45", "assigned_at": "2021-12-06 12:09:26",
        "user_id": 3610, "team_id": "201", "contact_id": 163968078,
        "contact": {"id": 163968078, "name": "Mara", "email": "m@x.nl", "custom_field_data": {"501": "C-1", "503": "240"}, "formatted_custom_field_data": []},
        "channel": {"id": 5, "title": "Phone", "type": "VOIP"}, "channelMeta": null,
        "latest_message": {"id": 1074356288, "type": "INBOUND", "message": "Inbound call", "created_at": "2021-12-06 12:09:45", "attachments": []},
        "labels": [{"id": 1, "name": "vip", "color": "#ffce54"}], "custom_data": null, "messages_count": "1",
        "custom_field_data": {"509": "High"}
    }))
    .unwrap();
    let u = ticket(&t, &dir(), "https://app.trengo.com/api/v2", true);
    assert_eq!(u.id, "245404208");
    assert_eq!(
        u.status,
        Status {
            kind: StatusKind::Open,
            raw: "ASSIGNED".into()
        }
    );
    assert_eq!(u.assignees[0].name.as_deref(), Some("Mara de Vries"));
    assert_eq!(u.team.as_ref().unwrap().name.as_deref(), Some("Billing"));
    assert_eq!(u.tags[0].color.as_deref(), Some("#ffce54"));
    assert_eq!(u.description.as_deref(), Some("Inbound call"));
    assert_eq!(u.channel.as_ref().unwrap().name.as_deref(), Some("Phone"));
    assert_eq!(u.custom_fields["priority"], FieldValue::Text("High".into()));
    // "2021-12-06 12:09:14" is Amsterdam's wall clock: 11:09:14 UTC in winter.
    assert_eq!(
        u.created_at.unwrap().to_rfc3339(),
        "2021-12-06T11:09:14+00:00"
    );
    assert_eq!(
        u.ticket_url.as_deref(),
        Some("https://app.trengo.com/tickets/245404208")
    );
    assert_eq!(u.remote_data.as_ref().unwrap()["id"], 245404208);
    assert!(u.name.is_none());
}

#[test]
fn contact_fields_are_typed_by_their_definition() {
    let c: api::Contact = serde_json::from_value(json!({
        "id": "7", "name": "Mara de Vries", "email": "m@x.nl", "phone": null, "identifier": "m@x.nl",
        "custom_field_data": null,
        "formatted_custom_field_data": {"Customer ID": "C-10442", "MRR": "240", "VIP": "1", "Unknown field": "x", "Plan": null},
        "is_phone": 0
    }))
    .unwrap();
    let u = contact(&c, &dir(), false);
    assert_eq!(
        (u.first_name.as_deref(), u.last_name.as_deref()),
        (Some("Mara"), Some("de Vries"))
    );
    assert_eq!(
        u.custom_fields["customer_id"],
        FieldValue::Text("C-10442".into())
    );
    assert_eq!(u.custom_fields["mrr"], FieldValue::Number(240.0));
    assert_eq!(u.custom_fields["vip"], FieldValue::Bool(true));
    assert_eq!(
        u.custom_fields["unknown_field"],
        FieldValue::Text("x".into())
    );
    assert!(!u.custom_fields.contains_key("plan"));
    assert!(u.remote_data.is_none());
}

#[test]
fn unknown_statuses_and_roles_survive() {
    let t: api::Ticket = serde_json::from_value(json!({"id": 1, "status": "SNOOZED"})).unwrap();
    let u = ticket(
        &t,
        &Directory::default(),
        "http://127.0.0.1:1/api/v2",
        false,
    );
    assert_eq!(u.status.kind, StatusKind::Other("snoozed".into()));
    assert_eq!(u.status.raw, "SNOOZED");
    let usr: api::User =
        serde_json::from_value(json!({"id": 2, "first_name": "A", "authorization": "OWNER"}))
            .unwrap();
    assert_eq!(
        user(&usr, &Directory::default(), false).roles[0].name,
        "Owner"
    );
}

#[test]
fn comments_are_plain_text_with_html_kept_aside() {
    let m: api::Message = serde_json::from_value(json!({
        "id": 9, "type": "NOTE", "message": "<p>Refund issued &amp; confirmed</p><p>See <b>Stripe</b></p>", "user_id": 3610,
        "attachments": [{"id": 4, "client_name": "invoice.pdf", "mime_type": "application/pdf", "size": 1200, "full_url": "https://x/invoice.pdf"}]
    }))
    .unwrap();
    let c = comment(&m, 77, &dir(), false);
    assert_eq!(c.body, "Refund issued & confirmed\nSee Stripe");
    assert!(c.html_body.as_deref().unwrap().starts_with("<p>"));
    assert!(c.is_internal && c.is_private);
    assert!(matches!(&c.author, ActorRef::User(u) if u.name.as_deref() == Some("Mara de Vries")));
    assert_eq!(c.attachments[0].file_name.as_deref(), Some("invoice.pdf"));
    assert_eq!(c.attachments[0].ticket_id.as_deref(), Some("77"));
    assert_eq!(plain_text("<img src=x onerror=alert(1)>"), "");
    assert_eq!(plain_text("a < b"), "a < b");
}
