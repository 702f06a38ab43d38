//! The simulator over real HTTP, as a person following trengo-api.md with curl would see it.

use std::time::Duration;

use serde_json::{json, Value};
use trengo_sim::{Faults, Sim, SimConfig, Size};

const ANCHOR: i64 = 1_764_000_000; // fixed, so seeded data is the same on every run

async fn sim(cfg: SimConfig) -> Sim {
    Sim::start(SimConfig {
        anchor: Some(ANCHOR),
        ..cfg
    })
    .await
    .expect("sim starts")
}

async fn small() -> Sim {
    sim(SimConfig {
        size: Size::Small,
        ..SimConfig::default()
    })
    .await
}

struct Api {
    http: reqwest::Client,
    base: String,
    root: String,
    token: String,
}

impl Api {
    fn new(s: &Sim) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: s.base_url(),
            root: s.root_url(),
            token: "demo-token".into(),
        }
    }
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut rb = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .header("Accept", "application/json");
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        let (s, _, v) = self.call(reqwest::Method::GET, path, None).await;
        (s, v)
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, _, v) = self.call(reqwest::Method::POST, path, Some(body)).await;
        (s, v)
    }
    async fn delete(&self, path: &str) -> (u16, Value) {
        let (s, _, v) = self.call(reqwest::Method::DELETE, path, None).await;
        (s, v)
    }
    async fn admin(&self, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/__sim{}", self.root, path);
        let r = match body {
            Some(b) => self.http.post(url).json(&b).send().await,
            None => self.http.get(url).send().await,
        };
        r.expect("admin").json().await.expect("admin json")
    }
}

#[tokio::test]
async fn simple_envelope_ends_only_with_next_null() {
    let s = small().await;
    let api = Api::new(&s);
    let total = s.state().world().tickets.len();
    let mut page = 1;
    let mut seen = vec![];
    loop {
        let (st, v) = api.get(&format!("/tickets?page={page}")).await;
        assert_eq!(st, 200);
        let meta = &v["meta"];
        assert!(
            meta.get("total").is_none() && meta.get("last_page").is_none(),
            "simple envelope has no total: {meta}"
        );
        assert!(v["links"]["last"].is_null());
        assert_eq!(meta["per_page"], 25);
        assert_eq!(meta["current_page"], page);
        let data = v["data"].as_array().unwrap();
        seen.extend(data.iter().map(|t| t["id"].as_u64().unwrap()));
        if v["links"]["next"].is_null() {
            break;
        }
        assert_eq!(data.len(), 25);
        page += 1;
    }
    assert_eq!(seen.len(), total);
    // Newest first by default, no duplicates.
    assert!(seen.windows(2).all(|w| w[0] > w[1]));
    // Past the end: an empty page with null from/to.
    let (_, v) = api.get(&format!("/tickets?page={}", page + 1)).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 0);
    assert!(v["meta"]["from"].is_null() && v["meta"]["to"].is_null());
    assert!(v["links"]["next"].is_null());
}

#[tokio::test]
async fn length_aware_envelope_and_links_keep_only_page() {
    let s = small().await;
    let api = Api::new(&s);
    let (st, v) = api.get("/labels?page=1").await;
    assert_eq!(st, 200);
    assert_eq!(v["meta"]["total"], 12);
    assert_eq!(v["meta"]["last_page"], 1);
    let (_, u) = api.get("/users").await;
    assert_eq!(u["meta"]["total"], 8);
    let (_, cf) = api.get("/custom_fields").await;
    assert_eq!(cf["meta"]["per_page"], 999);
    assert!(cf["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["title"] == "Customer ID" && f["type"] == "CONTACT"));
    let links = cf["meta"]["links"].as_array().unwrap();
    assert_eq!(links.first().unwrap()["label"], "&laquo; Previous");

    let (_, t) = api.get("/tickets?status=CLOSED&page=1").await;
    let next = t["links"]["next"].as_str().unwrap();
    assert!(
        next.ends_with("/api/v2/tickets?page=2"),
        "links drop the filters, as Laravel's do: {next}"
    );
}

#[tokio::test]
async fn demo_workspace_has_the_documented_size_and_shapes() {
    let s = sim(SimConfig {
        size: Size::Demo,
        ..SimConfig::default()
    })
    .await;
    {
        let w = s.state().world();
        assert_eq!(w.users.len(), 40);
        assert_eq!(w.teams.len(), 8);
        assert_eq!(w.labels.len(), 60);
        assert_eq!(w.contacts.len(), 2_000);
        assert_eq!(w.tickets.len(), 5_000);
        let open = w
            .tickets
            .values()
            .filter(|t| matches!(t.status, trengo_sim::world::Status::Open))
            .count();
        assert!(open > 100, "a realistic share of open tickets: {open}");
        let notes = w
            .tickets
            .values()
            .flat_map(|t| &t.messages)
            .filter(|m| m.kind == trengo_sim::world::MessageKind::Note)
            .count();
        assert!(notes > 100);
    }
    let api = Api::new(&s);
    let (_, v) = api.get("/tickets?page=1").await;
    let t = &v["data"][0];
    for key in [
        "id",
        "status",
        "subject",
        "created_at",
        "updated_at",
        "user_id",
        "team_id",
        "contact_id",
        "contact",
        "channel",
        "latest_message",
        "labels",
        "messages_count",
    ] {
        assert!(t.get(key).is_some(), "ticket has {key}: {t}");
    }
    let created = t["created_at"].as_str().unwrap();
    assert_eq!(
        created.len(),
        19,
        "list timestamps are zone-less: {created}"
    );
    assert!(t["latest_message"].is_object());
    let c = &t["contact"];
    assert!(c["formatted_custom_field_data"]
        .as_object()
        .unwrap()
        .contains_key("Customer ID"));
    let (_, me) = api.get("/users/me").await;
    assert_eq!(me["data"]["first_name"], "Robin");
    // The role is `role.name`; `authorization` marks only the account's owner (as captured).
    assert_eq!(me["data"]["role"]["name"], "supervisor");
    assert_eq!(me["data"]["authorization"], Value::Null);
}

#[tokio::test]
async fn same_seed_same_workspace() {
    let a = small().await;
    let b = small().await;
    let c = sim(SimConfig {
        seed: 2,
        ..SimConfig::default()
    })
    .await;
    let subjects = |s: &Sim| {
        s.state()
            .world()
            .tickets
            .values()
            .map(|t| (t.id, t.subject.clone(), t.label_ids.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(subjects(&a), subjects(&b));
    assert_ne!(subjects(&a), subjects(&c));
}

#[tokio::test]
async fn error_shapes() {
    let s = small().await;
    let mut api = Api::new(&s);
    let (st, v) = api.get("/tickets/999").await;
    assert_eq!(st, 404);
    assert_eq!(
        v["message"],
        "No query results for model [App\\Models\\Ticket] 999"
    );
    let (st, v) = api.get("/no_such_thing").await;
    assert_eq!((st, v["message"].as_str()), (404, Some("Not Found")));
    let id = s.state().world().tickets.keys().next().copied().unwrap();
    let (st, v) = api.post(&format!("/tickets/{id}/labels"), json!({})).await;
    assert_eq!(st, 422);
    assert_eq!(v["message"], "The label id field is required.");
    assert_eq!(
        v["errors"]["label_id"][0],
        "The label id field is required."
    );
    let (st, v) = api
        .post(&format!("/tickets/{id}/labels"), json!({"label_id": "abc"}))
        .await;
    assert_eq!(st, 422);
    assert_eq!(
        v["errors"]["label_id"][0],
        "The label id must be an integer."
    );
    let (st, _) = api
        .post(
            &format!("/tickets/{id}/labels"),
            json!({"label_id": 424242}),
        )
        .await;
    assert_eq!(st, 404);
    let (st, v) = api
        .post(&format!("/tickets/{id}/assign"), json!({"type": "robot"}))
        .await;
    assert_eq!(st, 422);
    assert!(v["errors"]["type"].is_array());

    api.token = "wrong".into();
    let (st, h, v) = api.call(reqwest::Method::GET, "/tickets", None).await;
    assert_eq!(st, 401);
    assert_eq!(v["message"], "Unauthenticated.");
    assert!(h.get("x-ratelimit-limit").is_none());
}

#[tokio::test]
async fn the_121st_request_in_a_window_gets_429_with_headers() {
    let s = small().await;
    let api = Api::new(&s);
    for i in 0..120u32 {
        let (st, h, _) = api.call(reqwest::Method::GET, "/users/me", None).await;
        assert_eq!(st, 200, "request {i}");
        assert_eq!(h["x-ratelimit-limit"], "120");
        assert_eq!(
            h["x-ratelimit-remaining"].to_str().unwrap(),
            (119 - i).to_string()
        );
    }
    let (st, h, v) = api.call(reqwest::Method::GET, "/users/me", None).await;
    assert_eq!(st, 429);
    assert_eq!(v["message"], "Too Many Attempts.");
    assert_eq!(h["x-ratelimit-remaining"], "0");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    let reset: i64 = h["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    assert!((reset - chrono::Utc::now().timestamp() - retry as i64).abs() <= 1);
    // Another token has its own window.
    let stats = api.admin("/stats", None).await;
    assert_eq!(stats["rate_limited"], 1);
    assert_eq!(stats["by_token"]["demo-token"]["throttled"], 1);
}

#[tokio::test]
async fn windows_are_per_token_and_configurable() {
    let s = sim(SimConfig {
        tokens: vec!["a".into(), "b".into()],
        rate_limit: 5,
        window: Duration::from_millis(700),
        ..SimConfig::default()
    })
    .await;
    let mut api = Api::new(&s);
    api.token = "a".into();
    for _ in 0..5 {
        assert_eq!(api.get("/users/me").await.0, 200);
    }
    assert_eq!(api.get("/users/me").await.0, 429);
    api.token = "b".into();
    let (st, me) = api.get("/users/me").await;
    assert_eq!(st, 200);
    assert_eq!(
        me["data"]["id"], 3602,
        "the second token belongs to the second user"
    );
    // The first token's window (700 ms) turns, on the limiter's clock moved on: not before its
    // end, and then at once (not after Trengo's minute).
    api.token = "a".into();
    s.state().advance_rate_windows(Duration::from_millis(400));
    assert_eq!(api.get("/users/me").await.0, 429, "400 ms into the window");
    s.state().advance_rate_windows(Duration::from_millis(300));
    assert_eq!(
        api.get("/users/me").await.0,
        200,
        "a new window after 700 ms"
    );
}

#[tokio::test]
async fn ticket_filters() {
    let s = small().await;
    let api = Api::new(&s);
    let all: Vec<Value> = {
        let mut v = vec![];
        let mut p = 1;
        loop {
            let (_, page) = api.get(&format!("/tickets?page={p}")).await;
            v.extend(page["data"].as_array().unwrap().iter().cloned());
            if page["links"]["next"].is_null() {
                break v;
            }
            p += 1;
        }
    };
    let count = |pred: &dyn Fn(&Value) -> bool| all.iter().filter(|t| pred(t)).count();
    let fetch_all = |q: String| {
        let api = &api;
        async move {
            let mut out = vec![];
            let mut p = 1;
            loop {
                let (st, page) = api.get(&format!("/tickets?{q}&page={p}")).await;
                assert_eq!(st, 200, "{q}");
                out.extend(page["data"].as_array().unwrap().iter().cloned());
                if page["links"]["next"].is_null() {
                    return out;
                }
                p += 1;
            }
        }
    };
    let open = fetch_all("status=OPEN".into()).await;
    assert_eq!(open.len(), count(&|t| t["status"] == "OPEN"));
    assert!(open.iter().all(|t| t["status"] == "OPEN"));

    let user = all.iter().find_map(|t| t["user_id"].as_u64()).unwrap();
    let mine = fetch_all(format!("users[]={user}&status=ASSIGNED")).await;
    assert_eq!(
        mine.len(),
        count(&|t| t["user_id"] == user && t["status"] == "ASSIGNED")
    );

    let label = all
        .iter()
        .find_map(|t| t["labels"][0]["id"].as_u64())
        .unwrap();
    let labelled = fetch_all(format!("labels[]={label}")).await;
    assert_eq!(
        labelled.len(),
        count(&|t| t["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == label))
    );
    assert!(!labelled.is_empty());

    let chat = fetch_all("channels[]=803".into()).await;
    assert_eq!(chat.len(), count(&|t| t["channel_id"] == 803));

    let contact = all[0]["contact_id"].as_u64().unwrap();
    let theirs = fetch_all(format!("contact_id={contact}")).await;
    assert_eq!(theirs.len(), count(&|t| t["contact_id"] == contact));

    let name = all[0]["contact"]["name"].as_str().unwrap().to_lowercase();
    let found = fetch_all(format!("term={}", name.replace(' ', "+"))).await;
    assert!(found.iter().any(|t| t["id"] == all[0]["id"]));

    let asc = fetch_all("sort=date".into()).await;
    assert_eq!(asc.first().unwrap()["id"], all.last().unwrap()["id"]);
    let (st, _) = api.get("/tickets?status=WHATEVER").await;
    assert_eq!(st, 422);
}

#[tokio::test]
async fn writes_behave_as_section_8_says() {
    let s = small().await;
    let api = Api::new(&s);
    let (id, user, team) = {
        let w = s.state().world();
        let t = w
            .tickets
            .values()
            .rev()
            .find(|t| t.status == trengo_sim::world::Status::Open)
            .unwrap();
        (
            t.id,
            *w.users.keys().nth(2).unwrap(),
            *w.teams.keys().nth(1).unwrap(),
        )
    };
    // assign to a user: ASSIGNED, user_id, assigned_at
    let (st, v) = api
        .post(
            &format!("/tickets/{id}/assign"),
            json!({"type": "user", "user_id": user}),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(v["status"], "ASSIGNED");
    assert_eq!(v["user_id"], user);
    assert!(
        v["assigned_at"].as_str().unwrap().ends_with("000000Z"),
        "write answers use ISO timestamps"
    );
    // assign to a team keeps the user; a note posts an internal note
    let (_, v) = api
        .post(
            &format!("/tickets/{id}/assign"),
            json!({"type": "team", "team_id": team, "note": "over to you"}),
        )
        .await;
    assert_eq!(
        (v["team_id"].as_u64(), v["user_id"].as_u64()),
        (Some(team), Some(user))
    );
    let (_, msgs) = api.get(&format!("/tickets/{id}/messages")).await;
    assert_eq!(msgs["data"][0]["type"], "NOTE");
    assert_eq!(msgs["data"][0]["message"], "over to you");
    // close, reopen (a user is set, so ASSIGNED), spam; close and reopen answer with the ticket
    // (PyTrengo parses a JSON answer after both)
    let (st, v) = api.post(&format!("/tickets/{id}/close"), json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(
        (v["id"].as_u64(), v["status"].as_str()),
        (Some(id), Some("CLOSED"))
    );
    let (_, t) = api.get(&format!("/tickets/{id}")).await;
    assert_eq!(t["status"], "CLOSED");
    assert!(t["closed_at"].is_string());
    let (_, v) = api.post(&format!("/tickets/{id}/reopen"), json!({})).await;
    assert_eq!(v["status"], "ASSIGNED");
    let (_, t) = api.get(&format!("/tickets/{id}")).await;
    assert_eq!(t["status"], "ASSIGNED");
    assert!(t["closed_at"].is_null());
    api.post(&format!("/tickets/{id}/spam"), json!({})).await;
    assert_eq!(
        api.get(&format!("/tickets/{id}")).await.1["status"],
        "INVALID"
    );
    api.delete(&format!("/tickets/{id}/spam")).await;
    assert_eq!(
        api.get(&format!("/tickets/{id}")).await.1["status"],
        "ASSIGNED"
    );
    // labels: attaching twice gives one; detaching one not attached is fine
    let label = *s.state().world().labels.keys().nth(3).unwrap();
    for _ in 0..2 {
        let (st, body) = api
            .post(&format!("/tickets/{id}/labels"), json!({"label_id": label}))
            .await;
        assert_eq!(st, 200);
        assert!(
            body["labels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["id"] == label),
            "the ticket with its labels: {body}"
        );
    }
    let (_, t) = api.get(&format!("/tickets/{id}")).await;
    assert_eq!(
        t["labels"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["id"] == label)
            .count(),
        1
    );
    let (st, body) = api.delete(&format!("/tickets/{id}/labels/{label}")).await;
    assert_eq!(st, 200);
    assert!(body["labels"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["id"] != label));
    assert_eq!(
        api.delete(&format!("/tickets/{id}/labels/{label}")).await.0,
        200
    );
    // The other reading of the API page: an empty 200.
    s.state().set_faults(trengo_sim::Faults {
        empty_write_answers: true,
        ..Default::default()
    });
    let (st, body) = api
        .post(&format!("/tickets/{id}/labels"), json!({"label_id": label}))
        .await;
    assert_eq!((st, body), (200, Value::String(String::new())));
    api.delete(&format!("/tickets/{id}/labels/{label}")).await;
    s.state().set_faults(trengo_sim::Faults::default());
    let (_, t) = api.get(&format!("/tickets/{id}")).await;
    assert!(t["labels"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["id"] != label));
    // reopen of a ticket without a user: OPEN
    let other = s
        .state()
        .world()
        .tickets
        .values()
        .find(|t| t.user_id.is_none() && t.id != id)
        .unwrap()
        .id;
    api.post(&format!("/tickets/{other}/close"), json!({}))
        .await;
    api.post(&format!("/tickets/{other}/reopen"), json!({}))
        .await;
    assert_eq!(
        api.get(&format!("/tickets/{other}")).await.1["status"],
        "OPEN"
    );
}

#[tokio::test]
async fn create_ticket_contacts_and_custom_fields() {
    let s = small().await;
    let api = Api::new(&s);
    let (st, c) = api
        .post(
            "/channels/801/contacts",
            json!({"identifier": "new.person@example.com", "name": "New Person"}),
        )
        .await;
    assert_eq!(st, 200);
    let cid = c["id"].as_u64().unwrap();
    let (_, again) = api
        .post(
            "/channels/801/contacts",
            json!({"identifier": "NEW.person@example.com"}),
        )
        .await;
    assert_eq!(
        again["id"], cid,
        "an existing identifier returns the existing contact"
    );

    let (st, t) = api
        .post(
            "/tickets",
            json!({"channel_id": 801, "contact_id": cid, "subject": "Hello"}),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(t["status"], "ASSIGNED", "created by the token owner");
    assert_eq!(t["user_id"], 3601);
    assert!(
        t["latest_message"].is_string(),
        "latest_message is a timestamp string in the create response"
    );
    assert!(t["created_at"].as_str().unwrap().contains('T'));
    let (st, t2) = api
        .post(
            "/tickets",
            json!({"channel_id": 801, "contact_identifier": "other@example.com"}),
        )
        .await;
    assert_eq!(st, 200);
    assert!(t2["subject"].is_null());
    let (st, v) = api.post("/tickets", json!({"subject": "x"})).await;
    assert_eq!(st, 422);
    assert_eq!(
        v["errors"]["channel_id"][0],
        "The channel id field is required."
    );

    // contact custom fields: set, typed, dropdown options enforced, unknown field 404
    let (plan, mrr) = {
        let w = s.state().world();
        let f = |t: &str| w.fields.values().find(|f| f.title == t).unwrap().id;
        (f("Plan"), f("MRR"))
    };
    assert_eq!(
        api.post(
            &format!("/contacts/{cid}/custom_fields"),
            json!({"custom_field_id": plan, "value": "Pro"})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        api.post(
            &format!("/contacts/{cid}/custom_fields"),
            json!({"custom_field_id": mrr, "value": "240"})
        )
        .await
        .0,
        200
    );
    let (st, v) = api
        .post(
            &format!("/contacts/{cid}/custom_fields"),
            json!({"custom_field_id": plan, "value": "Legacy"}),
        )
        .await;
    assert_eq!(st, 422, "{v}");
    assert_eq!(
        api.post(
            &format!("/contacts/{cid}/custom_fields"),
            json!({"custom_field_id": 9, "value": "x"})
        )
        .await
        .0,
        404
    );
    let (_, c) = api.get(&format!("/contacts/{cid}")).await;
    assert_eq!(c["formatted_custom_field_data"]["Plan"], "Pro");
    assert_eq!(c["formatted_custom_field_data"]["MRR"], "240");
    // Title-keyed, as real contacts are; by id in `custom_field_values`.
    assert_eq!(c["custom_field_data"]["Plan"], "Pro");
    assert!(c["custom_field_values"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["custom_field_id"] == plan && v["value"] == "Pro"));
    assert!(c["formatted_custom_field_data"]["Country"].is_null());

    let (st, _, c) = api
        .call(
            reqwest::Method::PUT,
            &format!("/contacts/{cid}"),
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!((st, c["name"].as_str()), (200, Some("Renamed")));
    assert_eq!(
        api.get(&format!("/contacts/{cid}")).await.1["name"],
        "Renamed"
    );
    let (_, found) = api.get("/contacts?term=new.person").await;
    assert_eq!(found["data"][0]["id"], cid);

    // internal note and reply
    let tid = t["id"].as_u64().unwrap();
    let (st, m) = api
        .post(
            &format!("/tickets/{tid}/messages"),
            json!({"message": "<p>internal</p>", "internal_note": true}),
        )
        .await;
    assert_eq!(st, 200);
    // Wrapped, as the captures show, with a zone-less UTC time beside its unix stamp.
    let m = &m["message"];
    assert_eq!(m["type"], "NOTE");
    let unix = m["created_at_time"].as_i64().unwrap();
    assert_eq!(
        m["created_at"].as_str().unwrap(),
        chrono::DateTime::from_timestamp(unix, 0)
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    );
    assert_eq!(m["ticket"]["id"], tid);
    let (_, m) = api
        .post(
            &format!("/tickets/{tid}/messages"),
            json!({"message": "hi"}),
        )
        .await;
    assert_eq!(m["message"]["type"], "OUTBOUND");
}

#[tokio::test]
async fn mutation_log_records_every_write() {
    let s = small().await;
    let api = Api::new(&s);
    let id = *s.state().world().tickets.keys().next().unwrap();
    api.get("/tickets").await;
    api.post(&format!("/tickets/{id}/labels"), json!({"label_id": 1001}))
        .await;
    api.post(&format!("/tickets/{id}/labels"), json!({})).await;
    let log = api.admin("/mutations", None).await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2, "reads are not mutations");
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], format!("/tickets/{id}/labels"));
    assert_eq!(log[0]["body"]["label_id"], 1001);
    assert_eq!(log[0]["applied"], true);
    assert_eq!(log[0]["token"], "demo-token");
    assert_eq!(log[1]["applied"], false);
    assert_eq!(log[1]["status"], 422);
    let since = api.admin("/mutations?since=1", None).await;
    assert_eq!(since.as_array().unwrap().len(), 1);
    api.admin("/reset", Some(json!({}))).await;
    assert_eq!(
        api.admin("/mutations", None)
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn fault_server_errors_and_429_bursts() {
    let s = small().await;
    let api = Api::new(&s);
    api.admin("/faults", Some(json!({"error_rate": 1.0}))).await;
    let id = *s.state().world().tickets.keys().next().unwrap();
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let (st, h, _) = api
            .call(
                reqwest::Method::POST,
                &format!("/tickets/{id}/labels"),
                Some(json!({"label_id": 1005})),
            )
            .await;
        assert!(h.contains_key("x-ratelimit-remaining"));
        codes.insert(st);
    }
    assert_eq!(codes, [500, 502, 503].into_iter().collect());
    assert!(
        !s.state().world().tickets[&id].label_ids.contains(&1005),
        "nothing applied"
    );
    let log = api.admin("/mutations", None).await;
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["applied"] == false && m["fault"] == "error"));

    api.admin("/faults", Some(json!({"burst_429": 3}))).await;
    for _ in 0..3 {
        let (st, h, _) = api.call(reqwest::Method::GET, "/users/me", None).await;
        assert_eq!(st, 429);
        assert_eq!(h["retry-after"], "1");
    }
    assert_eq!(api.get("/users/me").await.0, 200);
}

#[tokio::test]
async fn fault_drops_before_and_after_the_change() {
    let s = small().await;
    let api = Api::new(&s);
    let id = *s.state().world().tickets.keys().next().unwrap();
    let url = format!("{}/tickets/{id}/labels", api.base);
    let (_, a) = api
        .post("/labels", json!({"name": "drop-a", "color": "#112233"}))
        .await;
    let (_, b) = api.post("/labels", json!({"name": "drop-b"})).await;
    let (la, lb) = (a["id"].as_u64().unwrap(), b["id"].as_u64().unwrap());
    let before = api
        .admin("/mutations", None)
        .await
        .as_array()
        .unwrap()
        .len();

    api.admin("/faults", Some(json!({"drop_before_rate": 1.0})))
        .await;
    let r = api
        .http
        .post(&url)
        .bearer_auth("demo-token")
        .json(&json!({"label_id": la}))
        .send()
        .await;
    assert!(r.is_err(), "no answer at all");
    assert!(
        !s.state().world().tickets[&id].label_ids.contains(&la),
        "dropped before: not applied"
    );

    api.admin("/faults", Some(json!({"drop_after_rate": 1.0})))
        .await;
    let r = api
        .http
        .post(&url)
        .bearer_auth("demo-token")
        .json(&json!({"label_id": lb}))
        .send()
        .await;
    assert!(r.is_err(), "no answer at all");
    assert!(
        s.state().world().tickets[&id].label_ids.contains(&lb),
        "dropped after: applied"
    );

    let log = api.admin("/mutations", None).await;
    let log = &log.as_array().unwrap()[before..];
    assert_eq!(
        (log[0]["fault"].as_str(), log[0]["applied"].as_bool()),
        (Some("drop_before"), Some(false))
    );
    assert_eq!(
        (log[1]["fault"].as_str(), log[1]["applied"].as_bool()),
        (Some("drop_after"), Some(true))
    );

    // The server keeps serving other connections.
    api.admin("/faults", Some(json!({}))).await;
    assert_eq!(api.get("/users/me").await.0, 200);
}

#[tokio::test]
async fn fault_malformed_bodies_and_latency() {
    let s = small().await;
    let api = Api::new(&s);
    api.admin("/faults", Some(json!({"malformed_rate": 1.0})))
        .await;
    let r = api
        .http
        .get(format!("{}/tickets", api.base))
        .bearer_auth("demo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "cut-off JSON"
    );
    assert!(text.starts_with("{\"data\":["));

    api.admin("/faults", Some(json!({"latency_ms": 150}))).await;
    let t = std::time::Instant::now();
    assert_eq!(api.get("/users/me").await.0, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "latency is added"
    );

    // writes_only leaves reads alone
    api.admin(
        "/faults",
        Some(json!({"error_rate": 1.0, "writes_only": true})),
    )
    .await;
    assert_eq!(api.get("/users/me").await.0, 200);
    let f = api.admin("/faults", None).await;
    assert_eq!(f["writes_only"], true);
}

#[tokio::test]
async fn admin_assign_and_inbound() {
    let s = small().await;
    let api = Api::new(&s);
    let id = s
        .state()
        .world()
        .tickets
        .values()
        .find(|t| t.user_id.is_none())
        .unwrap()
        .id;
    let v = api
        .admin("/assign", Some(json!({"ticket_id": id, "user_id": 3601})))
        .await;
    assert_eq!(v["status"], "ASSIGNED");
    let t = api.admin(&format!("/tickets/{id}"), None).await;
    assert_eq!(
        (t["user_id"].as_u64(), t["status"].as_str()),
        (Some(3601), Some("ASSIGNED"))
    );
    let v = api
        .admin(
            "/inbound",
            Some(json!({"message": "Help!", "subject": "New one", "team_id": 201})),
        )
        .await;
    let new_id = v["id"].as_u64().unwrap();
    assert_eq!(v["status"], "OPEN");
    let (_, first) = api.get("/tickets?page=1").await;
    assert_eq!(first["data"][0]["id"], new_id, "new tickets are newest");
    assert_eq!(first["data"][0]["latest_message"]["type"], "INBOUND");
    assert!(
        api.admin("/mutations", None)
            .await
            .as_array()
            .unwrap()
            .is_empty(),
        "admin changes are not API writes"
    );
}

#[tokio::test]
async fn lookup_service() {
    let s = small().await;
    let http = reqwest::Client::new();
    let cid = {
        let w = s.state().world();
        let f = w
            .fields
            .values()
            .find(|f| f.title == "Customer ID")
            .unwrap()
            .id;
        let mut ids: Vec<String> = w
            .contacts
            .values()
            .filter_map(|c| c.fields.get(&f).cloned())
            .collect();
        ids.sort();
        ids
    };
    let tpl = s.lookup_template();
    let get = |id: &str| {
        http.get(tpl.replace("{id}", id))
            .header("X-Api-Key", "demo-lookup-key")
            .send()
    };
    let mut found = 0;
    for id in &cid {
        let r = get(id).await.unwrap();
        if r.status() == 200 {
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["customer"]["id"], id.as_str());
            assert!(v["customer"]["plan"]["name"].is_string());
            assert!(v["customer"]["billing"]["mrr"].is_number());
            found += 1;
        } else {
            assert_eq!(r.status(), 404);
        }
    }
    assert!(
        found * 10 >= cid.len() * 8,
        "most seeded customers are known: {found}/{}",
        cid.len()
    );
    assert_eq!(get("nope").await.unwrap().status(), 404);
    let r = http.get(tpl.replace("{id}", &cid[0])).send().await.unwrap();
    assert_eq!(r.status(), 401, "the key is required");

    // An id with path characters, encoded as one segment, arrives as one segment.
    let encoded = "..%2Fx%3Fy%23z";
    let r = get(encoded).await.unwrap();
    assert_eq!(r.status(), 404);
    let seen = s.state().lookups();
    assert_eq!(
        seen.last().unwrap(),
        &format!("/lookup/customers/{encoded}")
    );

    let r = get("sim-html").await.unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let r = get("sim-huge").await.unwrap();
    assert!(r.bytes().await.unwrap().len() >= 10 * 1024 * 1024);
    assert_eq!(get("sim-500").await.unwrap().status(), 500);
}

#[tokio::test]
async fn stop_closes_everything() {
    let s = small().await;
    let api = Api::new(&s);
    assert_eq!(api.get("/users/me").await.0, 200);
    s.stopped().await;
    let r = api
        .http
        .get(format!("{}/users/me", api.base))
        .bearer_auth("demo-token")
        .send()
        .await;
    assert!(
        r.is_err(),
        "nothing answers after stop, not even a kept-alive connection"
    );
}

#[tokio::test]
async fn faults_default_off_and_unchanged_by_reads() {
    let s = small().await;
    assert_eq!(s.state().faults(), Faults::default());
}
