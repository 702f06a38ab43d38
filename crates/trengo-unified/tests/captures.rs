//! Every real Trengo answer in `../shared/trengo-captured/` decoded through the client's model and
//! the unified mapping, its values intact: times as true instants (zone-less resource times are
//! Amsterdam wall clock, ISO times as given), fields by id, nothing invented.
//!
//! The captures are read from `../shared/trengo-captured/` beside the checkout where it is there
//! (and the copy in `tests/captured/` must then equal it), else from that copy.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use trengo_api::model as api;
use trengo_unified::mapping::{self, Directory};
use trengo_unified::model::FieldValue;

fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/trengo-captured")
}

fn vendored_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/captured")
}

fn captures() -> BTreeMap<String, Value> {
    let dir = if shared_dir().is_dir() {
        shared_dir()
    } else {
        vendored_dir()
    };
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            let v =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
            out.insert(name, v);
        }
    }
    assert!(out.len() >= 13, "the captures are at {}", dir.display());
    out
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn dir_with(fields: Value) -> Directory {
    let fields: Vec<api::CustomField> = serde_json::from_value(fields).unwrap();
    Directory::from_api(&[], &[], &[], &[], &fields)
}

#[test]
fn the_vendored_copy_is_the_shared_one() {
    if !shared_dir().is_dir() {
        return;
    }
    for e in std::fs::read_dir(shared_dir()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_owned();
        let mine = vendored_dir().join(&name);
        assert_eq!(
            std::fs::read(&p).unwrap(),
            std::fs::read(&mine).unwrap_or_default(),
            "tests/captured/{} differs from ../shared/trengo-captured: copy it again",
            name.to_string_lossy()
        );
    }
}

#[test]
fn every_capture_decodes() {
    for (name, v) in captures() {
        let kind = name.split(".20").next().unwrap();
        let ok = match kind {
            "tickets.list" => serde_json::from_value::<api::ListPage<api::Ticket>>(v)
                .map(|p| assert!(!p.data.is_empty()))
                .is_ok(),
            "tickets.show" | "tickets.create" => serde_json::from_value::<api::Ticket>(v).is_ok(),
            "tickets.messages.show" => serde_json::from_value::<api::Message>(v).is_ok(),
            "contacts.list" | "contacts.list-term" => {
                serde_json::from_value::<api::ListPage<api::Contact>>(v)
                    .map(|p| assert!(!p.data.is_empty()))
                    .is_ok()
            }
            "contacts.show" | "contacts.create" | "contacts.update" => {
                serde_json::from_value::<api::Contact>(v).is_ok()
            }
            "contacts.notes.create" => {
                serde_json::from_value::<api::Contact>(v["contact"].clone()).is_ok()
                    && serde_json::from_value::<api::User>(v["user"].clone()).is_ok()
            }
            "custom_fields.item" => serde_json::from_value::<api::CustomField>(v).is_ok(),
            "labels.item" => serde_json::from_value::<api::Label>(v).is_ok(),
            other => panic!("{name}: no decoder for {other}: add one here"),
        };
        assert!(ok, "{name} does not decode");
    }
}

#[test]
fn zone_less_resource_times_are_amsterdam_and_iso_times_as_given() {
    let c = captures();
    let dir = Directory::default();

    // A list item, in winter (+1 h): its latest message is the message shown on its own.
    let page: api::ListPage<api::Ticket> =
        serde_json::from_value(c["tickets.list.2021-12.with-zoey.json"].clone()).unwrap();
    let t = mapping::ticket(&page.data[0], &dir, "https://app.trengo.com", false);
    assert_eq!(t.created_at, Some(at("2021-12-06T11:09:14Z")));
    assert_eq!(t.updated_at, Some(at("2021-12-06T11:09:45Z")));
    assert_eq!(t.assigned_at, Some(at("2021-12-06T11:09:26Z")));
    assert_eq!(t.last_message_at, Some(at("2021-12-06T11:09:45Z")));
    assert_eq!(t.last_message_inbound, Some(true));
    let m: api::Message =
        serde_json::from_value(c["tickets.messages.show.2021-12.with-zoey.json"].clone()).unwrap();
    assert_eq!(m.id, 1074356288);
    assert_eq!(m.created_at, t.last_message_at, "one message, one instant");

    // The shown ticket, logged by its client at 15:01:28Z: `updated_at` "16:01:25" is 3 s before.
    let shown: api::Ticket =
        serde_json::from_value(c["tickets.show.2024-02.node-log.json"].clone()).unwrap();
    let logged = at("2024-02-19T15:01:28Z");
    let updated = shown.updated_at.unwrap();
    assert!(
        updated <= logged && logged - updated < chrono::Duration::seconds(10),
        "updated_at {updated} is read in Amsterdam's zone (logged at {logged})"
    );
    let u = mapping::ticket(&shown, &dir, "https://app.trengo.com", false);
    assert_eq!(u.last_message_at, None, "a show has no latest message");
    assert_eq!(u.tags.len(), 1);
    assert_eq!(u.tags[0].name, "LeaseDecision");

    // A write's model answer: ISO-Z times, as given.
    let created: api::Ticket =
        serde_json::from_value(c["tickets.create.2024-01.csharp.json"].clone()).unwrap();
    assert_eq!(created.created_at, Some(at("2024-01-02T10:24:40Z")));
    let u = mapping::ticket(&created, &dir, "https://app.trengo.com", false);
    assert_eq!(u.last_message_at, Some(at("2024-01-02T10:24:40Z")));

    // The same user, in two answers and two clocks: created "2023-10-13 15:32:42" (Amsterdam,
    // summer) in the contact note's user, "2023-10-13T13:32:42Z" as the ticket's agent.
    let note = &c["contacts.notes.create.2024-01.csharp.json"];
    let user: api::User = serde_json::from_value(note["user"].clone()).unwrap();
    let agent: api::User = serde_json::from_value(created.extra["agent"].clone()).unwrap();
    assert_eq!(user.id, agent.id);
    assert_eq!(user.created_at, Some(at("2023-10-13T13:32:42Z")));
    assert_eq!(user.created_at, agent.created_at);
}

#[test]
fn contact_fields_map_by_id_even_when_renamed_or_repeated() {
    let c = captures();
    let note = &c["contacts.notes.create.2024-01.csharp.json"];
    let contact: api::Contact = serde_json::from_value(note["contact"].clone()).unwrap();
    // "Customer number" was renamed "Client number" since; a ticket field shares the title
    // "phone"; "contact email" is a CONTACT field whose title is repeated by a second one.
    let dir = dir_with(json!([
        {"id": 609825, "title": "Client number", "type": "CONTACT", "field_type": "TEXT", "items": null},
        {"id": 609835, "title": "phone", "type": "CONTACT", "field_type": "TEXT", "items": null},
        {"id": 700001, "title": "phone", "type": "TICKET", "field_type": "TEXT", "items": null},
        {"id": 614854, "title": "contact email", "type": "CONTACT", "field_type": "EMAIL", "items": null},
        {"id": 614855, "title": "contact email", "type": "CONTACT", "field_type": "EMAIL", "items": null},
    ]));
    let u = mapping::contact(&contact, &dir, false);
    let text = |k: &str| match u.custom_fields.get(k) {
        Some(FieldValue::Text(s)) => Some(s.as_str()),
        _ => None,
    };
    assert_eq!(
        text("client_number"),
        Some("032828162"),
        "by id, under its new name"
    );
    assert!(
        !u.custom_fields.contains_key("customer_number"),
        "{:?}",
        u.custom_fields
    );
    assert_eq!(text("phone"), Some("972500000000"));
    assert_eq!(text("contact_email"), Some("redacted@example.invalid"));
    assert!(
        u.custom_fields.keys().all(|k| !k.starts_with("field_")),
        "no invented keys: {:?}",
        u.custom_fields
    );
    // By id for a job's fresh read too: the renamed field's id, not its old title.
    assert_eq!(contact.custom_value(609825).as_deref(), Some("032828162"));
    assert_eq!(
        contact.custom_value(614854).as_deref(),
        Some("redacted@example.invalid")
    );
    assert_eq!(contact.custom_value(614855), None);

    // An older contact with values only in the title-keyed maps still maps through the titles.
    let shown: api::Ticket =
        serde_json::from_value(c["tickets.show.2024-02.node-log.json"].clone()).unwrap();
    let mut old = shown.contact.unwrap();
    assert!(
        old.custom_field_values.is_empty(),
        "collapsed entries are left out"
    );
    old.formatted_custom_field_data
        .insert("Customer number".into(), json!("C-77"));
    let dir = dir_with(json!([
        {"id": 9, "title": "Customer number", "type": "CONTACT", "field_type": "TEXT", "items": null},
    ]));
    let u = mapping::contact(&old, &dir, false);
    assert_eq!(
        u.custom_fields.get("customer_number"),
        Some(&FieldValue::Text("C-77".into()))
    );
}

#[test]
fn ticket_fields_come_from_custom_field_values() {
    let c = captures();
    let mut v = c["tickets.show.2024-02.node-log.json"].clone();
    assert!(
        v.get("custom_field_data").is_none(),
        "no captured ticket has it"
    );
    v["custom_field_values"] =
        json!([{"custom_field_id": 801, "field_name": "Priority", "value": "High"}]);
    let t: api::Ticket = serde_json::from_value(v).unwrap();
    let dir = dir_with(json!([
        {"id": 801, "title": "Urgency", "type": "TICKET", "field_type": "TEXT", "items": null},
    ]));
    let u = mapping::ticket(&t, &dir, "https://app.trengo.com", false);
    assert_eq!(
        u.custom_fields.get("urgency"),
        Some(&FieldValue::Text("High".into()))
    );
}

#[test]
fn definitions_labels_and_roles_as_captured() {
    let c = captures();
    let f: api::CustomField =
        serde_json::from_value(c["custom_fields.item.2024-01.csharp.json"].clone()).unwrap();
    assert_eq!(f.id, 613806);
    assert!(f.items.is_empty(), "items null on a TEXT field");
    assert_eq!(f.entity, api::FieldEntity::Contact);
    // Dropdown options either way: strings or objects.
    for items in [
        json!(["Free", "Pro"]),
        json!([{"id": 1, "value": "Free"}, {"id": 2, "value": "Pro"}]),
    ] {
        let d: api::CustomField = serde_json::from_value(json!({
            "id": 5, "title": "Plan", "type": "CONTACT", "field_type": "DROPDOWN", "items": items
        }))
        .unwrap();
        let u = mapping::field(&d, false);
        let values: Vec<_> = u.options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["Free", "Pro"]);
    }

    let l: api::Label =
        serde_json::from_value(c["labels.item.2024-01.csharp.json"].clone()).unwrap();
    assert_eq!(
        (l.id, l.name.as_str(), l.archived),
        (1701915, "Konimbo", false)
    );

    // `role.name` is the role; `authorization: OWNER` beside it marks the owner.
    let note = &c["contacts.notes.create.2024-01.csharp.json"];
    let mut user: api::User = serde_json::from_value(note["user"].clone()).unwrap();
    assert_eq!(user.role.as_ref().unwrap().name, "administrator");
    let dir = Directory::default();
    assert_eq!(mapping::user(&user, &dir, false).roles[0].id, "owner");
    user.authorization = None;
    assert_eq!(
        mapping::user(&user, &dir, false).roles[0].id,
        "administrator"
    );
}
