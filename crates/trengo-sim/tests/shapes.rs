//! The simulator speaks Trengo's shapes as real answers show them: for every capture in
//! `../shared/trengo-captured/`, the simulator is asked the same endpoint, and every key of the
//! capture (in list items and nested objects too) is in its answer with the same JSON type.
//!
//! Read it as a person comparing two answers side by side would:
//! - a key the capture has is in the simulator's answer, at the same place;
//! - where both are set (not null), they are the same JSON type (a number is a number, `0`/`1`
//!   included; where two captures disagree on a key's type, as `chat_status` is `"1"` in one and
//!   `true` in another, either is accepted);
//! - a capture's null says nothing of the type, so any value is accepted there;
//! - a value the capture has and the simulator leaves null is a mismatch, but for the few keys
//!   whose value depends on the record's state, listed in [`STATEFUL`] with why;
//! - maps keyed by a field's title (`custom_field_data`, …) hold the workspace's own titles: only
//!   that they are maps (or null) is compared, not their keys;
//! - a list is compared element by element against the simulator's first element, and must not
//!   be empty in the simulator where the capture's is not.
//!
//! The captures are read from `../shared/trengo-captured/` where it is beside the checkout, else
//! from the copy in `crates/trengo-unified/tests/captured/` (which a test there keeps equal).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{json, Value};
use trengo_sim::{Sim, SimConfig, Size};

/// Keys whose value is set only in some states of a record: the simulator may leave them null
/// where the record it was asked about is not in that state.
const STATEFUL: &[(&str, &str)] = &[
    ("closed_at", "set only on a closed ticket"),
    ("assigned_at", "set only on an assigned ticket"),
    (
        "user_id",
        "set only on an assigned ticket or an agent's message",
    ),
    ("team_id", "set only on a ticket in a team"),
    ("team", "set only on a ticket in a team"),
    ("subject", "a chat ticket has none"),
    ("email", "a phone contact has none"),
    ("phone", "an email contact or an agent may have none"),
    (
        "authorization",
        "set only on the account's owner (OWNER), else null",
    ),
    (
        "formatted_phone",
        "a contact without a phone number has none",
    ),
    ("avatar", "set only where the contact has a picture"),
    ("profile_image", "set only where a picture was uploaded"),
    (
        "file_name",
        "set only on a message with a file (a call log's recording)",
    ),
    (
        "location_data",
        "set only on a call log or a location message",
    ),
    ("latest_message", "set only once a ticket has a message"),
    (
        "agent",
        "set only on a ticket with an assignee or an agent's message",
    ),
    ("assignee", "set only on an assigned ticket"),
    ("contact", "set only on a customer's message"),
    ("channelMeta", "set only on some channels"),
    ("color", "a channel may have no colour"),
    (
        "notification_email",
        "set only on channels that mail their agents",
    ),
    (
        "business_hour_id",
        "set only on a channel with business hours",
    ),
    ("username", "the channel's own address, where it has one"),
    ("password", "only on channels that log in somewhere"),
    ("sort_order", "a label that was never reordered has null"),
    ("archived", "a label may carry null"),
    ("value", "a field may be unset"),
    ("identifier", "a custom field's own key, where it has one"),
    (
        "placeholder",
        "a custom field's placeholder, where it has one",
    ),
];

/// Maps keyed by the workspace's own field titles (or free keys): compared as maps only.
const FREE_KEYS: &[&str] = &[
    "custom_field_data",
    "formatted_custom_field_data",
    "custom_data",
    "location_data",
];

/// What console.log wrote for a nested value it did not print: nothing of its shape is known.
const COLLAPSED: &str = "[Object] (collapsed by console.log)";

fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/trengo-captured")
}

fn captures() -> BTreeMap<String, Value> {
    let dir = if shared_dir().is_dir() {
        shared_dir()
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../trengo-unified/tests/captured")
    };
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let v = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
            out.insert(name, v);
        }
    }
    assert!(out.len() >= 13, "the captures are at {}", dir.display());
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every JSON type any capture shows for a key of this name (where the captures disagree).
fn types_by_key(all: &BTreeMap<String, Value>) -> BTreeMap<String, BTreeSet<&'static str>> {
    fn walk(v: &Value, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if !x.is_null() && x.as_str() != Some(COLLAPSED) {
                        out.entry(k.clone()).or_default().insert(kind(x));
                    }
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for v in all.values() {
        walk(v, &mut out);
    }
    out
}

struct Compare<'a> {
    types: &'a BTreeMap<String, BTreeSet<&'static str>>,
    out: Vec<String>,
}

impl Compare<'_> {
    fn value(&mut self, path: &str, key: &str, cap: &Value, sim: &Value) {
        if cap.is_null() || cap.as_str() == Some(COLLAPSED) {
            return;
        }
        if sim.is_null() {
            if !STATEFUL.iter().any(|(k, _)| *k == key) {
                self.out.push(format!(
                    "{path}: the capture has {}, the simulator null",
                    kind(cap)
                ));
            }
            return;
        }
        let accepted = self.types.get(key);
        let same = kind(cap) == kind(sim) || accepted.is_some_and(|t| t.contains(kind(sim)));
        if !same {
            self.out.push(format!(
                "{path}: the capture has {}, the simulator {}",
                kind(cap),
                kind(sim)
            ));
            return;
        }
        if FREE_KEYS.contains(&key) {
            return;
        }
        match (cap, sim) {
            (Value::Object(c), Value::Object(s)) => {
                for (k, cv) in c {
                    let p = format!("{path}.{k}");
                    match s.get(k) {
                        None => self.out.push(format!("{p}: missing in the simulator")),
                        Some(sv) => self.value(&p, k, cv, sv),
                    }
                }
            }
            (Value::Array(c), Value::Array(s)) => {
                let known: Vec<&Value> =
                    c.iter().filter(|x| x.as_str() != Some(COLLAPSED)).collect();
                if known.is_empty() {
                    return;
                }
                let Some(first) = s.first() else {
                    self.out.push(format!(
                        "{path}: empty in the simulator, not in the capture"
                    ));
                    return;
                };
                for cv in known {
                    self.value(&format!("{path}[]"), key, cv, first);
                }
            }
            _ => {}
        }
    }
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut rb = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path))
            .bearer_auth(trengo_sim::DEFAULT_TOKEN)
            .header("Accept", "application/json");
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("request");
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        // Some writes answer an empty 200.
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }
}

/// The simulator's answer to the endpoint each capture came from, on records in the capture's
/// state (an assigned ticket with tags and messages, a contact with field values, …).
async fn answer(api: &Api, capture: &str) -> Value {
    use reqwest::Method;
    let first = api.get("/tickets?status=ASSIGNED").await;
    let ticket = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| !t["labels"].as_array().unwrap().is_empty() && t["latest_message"].is_object())
        .expect("an assigned ticket with tags and messages")
        .clone();
    let tid = ticket["id"].as_u64().unwrap();
    let channel = ticket["channel_id"].as_u64().unwrap();
    // A ticket field set on it, so its `custom_field_values` has an element to compare.
    let fields = api.get("/custom_fields").await;
    let ticket_field = fields["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "TICKET" && f["field_type"] == "TEXT")
        .expect("a ticket text field")["id"]
        .clone();
    api.call(
        Method::POST,
        &format!("/tickets/{tid}/custom_fields"),
        Some(json!({"custom_field_id": ticket_field, "value": "INV-1"})),
    )
    .await;
    let open = api.get("/tickets?status=ASSIGNED").await;
    let contacts = api.get("/contacts").await;
    let contact = contacts["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !c["custom_field_values"].as_array().unwrap().is_empty())
        .expect("a contact with field values")
        .clone();
    let cid = contact["id"].as_u64().unwrap();
    let name = contact["name"].as_str().unwrap().to_string();
    let kind = capture.split(".20").next().unwrap();
    match kind {
        "tickets.list" => open,
        "tickets.show" => api.get(&format!("/tickets/{tid}")).await,
        "tickets.create" => {
            api.call(
                Method::POST,
                "/tickets",
                Some(json!({"channel_id": channel, "contact_id": cid, "subject": "Shape check"})),
            )
            .await
        }
        "tickets.messages.show" => {
            let page = api.get(&format!("/tickets/{tid}/messages")).await;
            let inbound = page["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["type"] == "INBOUND")
                .expect("a customer's message")["id"]
                .as_u64()
                .unwrap();
            api.get(&format!("/tickets/{tid}/messages/{inbound}")).await
        }
        "contacts.list" => contacts,
        "contacts.list-term" => {
            let term: String = name.split_whitespace().next().unwrap().into();
            api.get(&format!("/contacts?term={term}")).await
        }
        "contacts.show" => api.get(&format!("/contacts/{cid}")).await,
        "contacts.create" => {
            api.call(
                Method::POST,
                &format!("/channels/{channel}/contacts"),
                Some(json!({"identifier": "shape-check@example.test", "name": "Shape Check"})),
            )
            .await
        }
        "contacts.update" => {
            api.call(
                Method::PUT,
                &format!("/contacts/{cid}"),
                Some(json!({"name": name})),
            )
            .await
        }
        "contacts.notes.create" => {
            api.call(
                Method::POST,
                &format!("/contacts/{cid}/notes"),
                Some(json!({"note": "Shape check"})),
            )
            .await
        }
        "custom_fields.item" => {
            let page = api.get("/custom_fields").await;
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["field_type"] == "TEXT")
                .expect("a text field")
                .clone()
        }
        "labels.item" => api.get("/labels").await["data"][0].clone(),
        other => panic!("no endpoint known for the capture {capture} ({other}): add it here"),
    }
}

#[tokio::test]
async fn the_simulator_answers_every_captured_endpoint_with_its_keys_and_types() {
    let sim = Sim::start(SimConfig {
        size: Size::Small,
        anchor: Some(1_764_000_000),
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let api = Api {
        http: reqwest::Client::new(),
        base: sim.base_url(),
    };
    let all = captures();
    let types = types_by_key(&all);
    let mut report = Vec::new();
    for (name, cap) in &all {
        let sim_answer = answer(&api, name).await;
        let mut cmp = Compare {
            types: &types,
            out: Vec::new(),
        };
        cmp.value("", "", cap, &sim_answer);
        report.extend(cmp.out.into_iter().map(|m| format!("{name} {m}")));
    }
    assert!(
        report.is_empty(),
        "{} differences from the captures:\n{}",
        report.len(),
        report.join("\n")
    );
}

#[test]
fn the_comparison_finds_a_missing_key_a_wrong_type_and_a_null() {
    let cap = json!({"a": 1, "b": {"c": "x", "d": [{"e": true}]}, "f": "set", "closed_at": "t"});
    let sim = json!({"a": "1", "b": {"d": [{"e": 0}]}, "f": null, "closed_at": null});
    let types = BTreeMap::new();
    let mut cmp = Compare {
        types: &types,
        out: Vec::new(),
    };
    cmp.value("", "", &cap, &sim);
    assert_eq!(
        cmp.out,
        vec![
            ".a: the capture has number, the simulator string",
            ".b.c: missing in the simulator",
            ".b.d[].e: the capture has boolean, the simulator number",
            ".f: the capture has string, the simulator null",
        ]
    );
}
