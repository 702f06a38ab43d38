//! `/api/v2`: the endpoints of ../shared/trengo-api.md §4.
//!
//! Where the API page leaves a choice open, the simulator picks one reading (the client must accept
//! both): `GET /users/me` and `GET /users/{id}` answer wrapped in `{"data": …}`, other single objects
//! bare; `assign`, `POST /tickets`, contacts and labels answer with the object (ISO
//! timestamps); close, reopen and label attach/detach answer with the ticket as it now is (ISO
//! timestamps, like `assign`: PyTrengo 0.1.4, written against the real API, parses a JSON answer
//! after each of them; `Faults::empty_write_answers` gives the other reading, an empty 200);
//! custom fields, spam, merge and delete answer 200 with an empty body. List links carry only
//! `page`, as Laravel's do by default. `DELETE /tickets/{id}/messages/{message_id}` is not in the
//! API page: the simulator reads it as the web inbox's "delete note", allowed for internal notes
//! only (422 for a customer's or an agent's message), answering an empty 200.
//!
//! As real answers show (../shared/trengo-captured/): zone-less times in resources are Amsterdam
//! wall clock; a posted message answers wrapped in `{"message": …}`, its zone-less `created_at`
//! UTC beside the unix `created_at_time`; field values are in `custom_field_values` by id
//! (contacts also keep title-keyed maps); `GET /tickets/{id}` has no `latest_message` and
//! `messages_count: null`, and lists its `audits` (made, assigned, closed); merge deletes the
//! source ticket; messages come 20 a page, newest first; `sort=date`/`-date` order by the last
//! message; users carry `role: {id, name}` and `authorization: OWNER` only on the owner; channels,
//! labels on tickets, messages and custom field definitions carry every captured key, and a
//! create's raw model its `agency_id`, `assigned_by`, `agent`, `team` and the channel's columns.
//! `GET /tickets/{id}/messages/{id}` and `POST /contacts/{id}/notes` answer as captured.
//! `tests/shapes.rs` holds every capture against the simulator, key for key.
//!
//! Still this simulator's reading, no capture showing it: the answers of assign, close, reopen and
//! label attach/detach (see above); the element shape of a ticket's `custom_field_values` (taken
//! from contacts'); the default order without `sort` (newest made first); threads carry no
//! system entries for label changes; `users` and `teams` lists and `/users/me` (wrapped).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};

use crate::gate::Caller;
use crate::json::{self, TsStyle};
use crate::state::SimState;
use crate::world::*;

mod contacts;
mod directory;

use contacts::*;
use directory::*;

type St = State<Arc<SimState>>;

pub(crate) fn routes(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/users/me", get(me))
        .route("/users", get(users))
        .route("/users/{id}", get(user))
        .route("/teams", get(teams))
        .route("/teams/{id}", get(team))
        .route("/labels", get(labels).post(create_label))
        .route(
            "/labels/{id}",
            get(label).put(update_label).delete(delete_label),
        )
        .route("/custom_fields", get(custom_fields))
        .route("/channels", get(channels))
        .route("/channels/{id}/contacts", post(create_contact))
        .route("/ticket_results", get(ticket_results))
        .route("/tickets", get(tickets).post(create_ticket))
        .route("/tickets/{id}", get(ticket).delete(delete_ticket))
        .route("/tickets/{id}/assign", post(assign))
        .route("/tickets/{id}/close", post(close))
        .route("/tickets/{id}/reopen", post(reopen))
        .route("/tickets/{id}/merge", post(merge))
        .route("/tickets/{id}/spam", post(spam).delete(unspam))
        .route("/tickets/{id}/labels", post(attach_label))
        .route("/tickets/{id}/labels/{label_id}", delete(detach_label))
        .route("/tickets/{id}/messages", get(messages).post(post_message))
        .route(
            "/tickets/{id}/messages/{message_id}",
            get(message).delete(delete_message),
        )
        .route("/tickets/{id}/custom_fields", post(ticket_custom_field))
        .route("/contacts", get(contacts))
        .route("/contacts/{id}", get(contact).put(update_contact))
        .route("/contacts/{id}/custom_fields", post(contact_custom_field))
        .route("/contacts/{id}/notes", post(create_contact_note))
        .fallback(|| async { ApiError::RouteNotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::gate::api_gate,
        ))
        .with_state(state)
}

// ---- errors in Laravel's shapes (§6) ----

pub(crate) enum ApiError {
    Sim(SimError),
    RouteNotFound,
    /// 403: `This action is unauthorized.`
    Forbidden,
}

impl From<SimError> for ApiError {
    fn from(e: SimError) -> Self {
        ApiError::Sim(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::RouteNotFound => (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response(),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, Json(json!({"message": "This action is unauthorized."}))).into_response(),
            ApiError::Sim(SimError::NotFound { model, id }) => (
                StatusCode::NOT_FOUND,
                Json(json!({"message": format!("No query results for model [App\\Models\\{model}] {id}")})),
            )
                .into_response(),
            ApiError::Sim(SimError::Invalid { field, message }) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"message": message, "errors": {field: [message]}})),
            )
                .into_response(),
        }
    }
}

type ApiResult = Result<Response, ApiError>;

fn ok_empty() -> ApiResult {
    Ok(StatusCode::OK.into_response())
}

fn ok_json<T: serde::Serialize>(v: T) -> ApiResult {
    Ok(Json(v).into_response())
}

/// Laravel's route model binding answers 404 for an id that is not a number too.
fn id_of(model: &'static str, raw: &str) -> Result<u64, ApiError> {
    raw.parse()
        .map_err(|_| SimError::not_found(model, raw).into())
}

// ---- request parsing ----

struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<String>) -> Params {
        Params(
            raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        )
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
    /// `key[]=1&key[]=2`, `key[0]=1`, or `key=1,2`.
    fn list(&self, key: &str) -> Vec<String> {
        let mut out = vec![];
        for (k, v) in &self.0 {
            let is_item = k == key
                || (k.starts_with(key) && k[key.len()..].starts_with('[') && k.ends_with(']'));
            if is_item {
                out.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                );
            }
        }
        out
    }
    fn ids(&self, key: &str, label: &str) -> Result<Vec<u64>, ApiError> {
        self.list(key)
            .iter()
            .map(|v| {
                v.parse().map_err(|_| {
                    SimError::invalid(key, format!("The {label} must be integers.")).into()
                })
            })
            .collect()
    }
    fn page(&self) -> u64 {
        self.get("page")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }
}

struct Body(Map<String, Value>);

impl Body {
    /// An empty or unreadable body is an empty input, as Laravel treats it.
    fn parse(bytes: &Bytes) -> Body {
        match serde_json::from_slice(bytes) {
            Ok(Value::Object(m)) => Body(m),
            _ => Body(Map::new()),
        }
    }
    fn present(&self, key: &str) -> Option<&Value> {
        self.0
            .get(key)
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
    }
    /// Laravel's `integer` rule: a JSON integer or a string of digits.
    fn opt_int(&self, key: &str) -> Result<Option<u64>, ApiError> {
        let label = key.replace('_', " ");
        match self.present(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(_) => {
                Err(SimError::invalid(key, format!("The {label} must be an integer.")).into())
            }
        }
    }
    fn int(&self, key: &str) -> Result<u64, ApiError> {
        self.opt_int(key)?.ok_or_else(|| {
            SimError::invalid(
                key,
                format!("The {} field is required.", key.replace('_', " ")),
            )
            .into()
        })
    }
    fn opt_str(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(SimError::invalid(
                key,
                format!("The {} must be a string.", key.replace('_', " ")),
            )
            .into()),
        }
    }
    fn str(&self, key: &str) -> Result<String, ApiError> {
        self.opt_str(key)?.ok_or_else(|| {
            SimError::invalid(
                key,
                format!("The {} field is required.", key.replace('_', " ")),
            )
            .into()
        })
    }
    fn flag(&self, key: &str) -> bool {
        matches!(self.0.get(key), Some(Value::Bool(true)))
            || matches!(self.0.get(key), Some(Value::Number(n)) if n.as_u64() == Some(1))
            || matches!(self.0.get(key).and_then(Value::as_str), Some("1" | "true"))
    }
}

fn list_path(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/api/v2{path}")
}

/// Length-aware pagination over an already ordered list.
fn paged<T: serde::Serialize>(
    headers: &HeaderMap,
    path: &str,
    q: &Params,
    per_page: u64,
    items: Vec<T>,
) -> ApiResult {
    let total = items.len() as u64;
    let page = q.page();
    let data: Vec<T> = items
        .into_iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .collect();
    ok_json(json::length_aware(
        list_path(headers, path),
        page,
        per_page,
        data,
        total,
    ))
}

const PER_PAGE: u64 = 25;
/// Messages of a ticket come 20 a page.
const MESSAGES_PER_PAGE: u64 = 20;

// ---- directory ----

async fn ticket_results(State(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult {
    let w = st.world();
    paged(
        &headers,
        "/ticket_results",
        &Params::parse(q),
        999,
        w.ticket_results.values().map(json::ticket_result).collect(),
    )
}

// ---- tickets ----

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    hay.to_lowercase().contains(needle_lower)
}

async fn tickets(State(st): St, headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult {
    let q = Params::parse(q);
    let status = match q.get("status") {
        None => None,
        Some(s) => Some(
            Status::parse(s)
                .ok_or_else(|| SimError::invalid("status", "The selected status is invalid."))?,
        ),
    };
    let users = q.ids("users", "users")?;
    let labels = q.ids("labels", "labels")?;
    let channels = q.ids("channels", "channels")?;
    let contact_id: Option<u64> =
        match q.get("contact_id") {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| {
                SimError::invalid("contact_id", "The contact id must be an integer.")
            })?),
        };
    let last_type = q.get("last_message_type").map(str::to_ascii_uppercase);
    let term = q
        .get("term")
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    // `sort=date` / `-date` order by the last message's time (a ticket without one by its own
    // making), as Trengo's does; without `sort`, newest made first.
    let by_last_message = match q.get("sort") {
        None => None,
        Some("-date") => Some(false),
        Some("date") => Some(true),
        Some(_) => return Err(SimError::invalid("sort", "The selected sort is invalid.").into()),
    };
    let page = q.page();
    // Only when the simulator is told to honour it (see `Faults::honours_updated_since`).
    let updated_after = match q.get("updated_at_gt") {
        Some(v) if st.faults().honours_updated_since => Some(parse_time(v).ok_or_else(|| {
            SimError::invalid(
                "updated_at_gt",
                "The updated at gt does not match the format Y-m-d H:i:s.",
            )
        })?),
        _ => None,
    };

    let w = st.world();
    let keep = |t: &&Ticket| {
        status.is_none_or(|s| t.status == s)
            && updated_after.is_none_or(|after| t.updated_at > after)
            && (users.is_empty() || t.user_id.is_some_and(|u| users.contains(&u)))
            && (labels.is_empty() || t.label_ids.iter().any(|l| labels.contains(l)))
            && (channels.is_empty() || channels.contains(&t.channel_id))
            && contact_id.is_none_or(|c| t.contact_id == c)
            && last_type
                .as_deref()
                .is_none_or(|k| t.messages.last().is_some_and(|m| m.kind.as_str() == k))
            && term.as_deref().is_none_or(|term| {
                t.id.to_string() == term
                    || t.subject.as_deref().is_some_and(|s| contains_ci(s, term))
                    || t.messages
                        .last()
                        .is_some_and(|m| contains_ci(&m.body, term))
                    || w.contacts.get(&t.contact_id).is_some_and(|c| {
                        contains_ci(&c.name, term) || contains_ci(&c.identifier, term)
                    })
            })
    };
    let skip = ((page - 1) * PER_PAGE) as usize;
    let found: Vec<&Ticket> = match by_last_message {
        None => w
            .tickets
            .values()
            .rev()
            .filter(keep)
            .skip(skip)
            .take(PER_PAGE as usize + 1)
            .collect(),
        Some(ascending) => {
            let mut all: Vec<&Ticket> = w.tickets.values().filter(keep).collect();
            let key = |t: &Ticket| {
                (
                    t.messages.last().map_or(t.created_at, |m| m.created_at),
                    t.id,
                )
            };
            all.sort_by_key(|t| key(t));
            if !ascending {
                all.reverse();
            }
            all.into_iter()
                .skip(skip)
                .take(PER_PAGE as usize + 1)
                .collect()
        }
    };
    let has_more = found.len() > PER_PAGE as usize;
    let data = found
        .into_iter()
        .take(PER_PAGE as usize)
        .map(|t| json::ticket(&w, t, TsStyle::List, false))
        .collect();
    ok_json(json::simple(
        list_path(&headers, "/tickets"),
        page,
        PER_PAGE,
        data,
        has_more,
    ))
}

/// `2026-12-01 10:00:00` (Trengo's list style: Amsterdam wall clock) or RFC 3339, as unix seconds.
fn parse_time(v: &str) -> Option<i64> {
    use chrono::TimeZone;
    chrono::NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%d %H:%M:%S")
        .ok()
        .and_then(|t| json::zone().from_local_datetime(&t).earliest())
        .map(|t| t.timestamp())
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(v.trim())
                .ok()
                .map(|t| t.timestamp())
        })
}

async fn ticket(State(st): St, Path(id): Path<String>) -> ApiResult {
    if st
        .faults()
        .forbidden_tickets
        .contains(&id_of("Ticket", &id)?)
    {
        return Err(ApiError::Forbidden);
    }
    let w = st.world();
    ok_json(json::ticket_show(&w, w.ticket(id_of("Ticket", &id)?)?))
}

async fn create_ticket(State(st): St, Extension(c): Extension<Caller>, body: Bytes) -> ApiResult {
    let b = Body::parse(&body);
    let channel_id = b.int("channel_id")?;
    let subject = b.opt_str("subject")?;
    let now = st.now();
    let mut w = st.world();
    let contact_id = match b.opt_int("contact_id")? {
        Some(id) => id,
        None => {
            let ident = b.opt_str("contact_identifier")?.ok_or_else(|| {
                SimError::invalid(
                    "contact_id",
                    "The contact id field is required when contact identifier is not present.",
                )
            })?;
            w.contact_for_identifier(channel_id, &ident, None)?
        }
    };
    let id = w.create_ticket(channel_id, contact_id, subject, Some(c.user_id), now)?;
    let t = &w.tickets[&id];
    let mut v = serde_json::to_value(json::ticket(&w, t, TsStyle::Iso, true)).unwrap_or_default();
    // The create response's latest_message is a timestamp string even before any message exists.
    v["latest_message"] = Value::String(json::iso_ts(now));
    // As captured: the raw model's columns and the relations it loaded, ISO times.
    v["agency_id"] = json!(json::AGENCY_ID);
    v["assigned_by"] = json!(t.user_id.map(|_| c.user_id));
    v["agent"] = t
        .user_id
        .and_then(|u| w.users.get(&u))
        .map(json::user_model)
        .unwrap_or(Value::Null);
    v["team"] = t
        .team_id
        .and_then(|id| w.teams.get(&id))
        .map(|tm| json!({"id": tm.id, "name": tm.name}))
        .unwrap_or(Value::Null);
    if let Some(ch) = w.channels.get(&t.channel_id) {
        let owner = w
            .users
            .values()
            .find(|u| u.authorization == "OWNER")
            .map(|u| u.id);
        v["channel"] = json::channel_model(ch, now, owner);
    }
    ok_json(v)
}

async fn delete_message(
    State(st): St,
    Path((id, message_id)): Path<(String, String)>,
) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let message_id = id_of("Message", &message_id)?;
    let now = st.now();
    st.world().delete_note(id, message_id, now)?;
    ok_empty()
}

async fn delete_ticket(State(st): St, Path(id): Path<String>) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    st.world().delete_ticket(id)?;
    ok_empty()
}

async fn assign(
    State(st): St,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let b = Body::parse(&body);
    let kind = b.str("type")?;
    let to = match kind.as_str() {
        "user" => AssignTo::User(b.int("user_id")?),
        "team" => AssignTo::Team(b.int("team_id")?),
        _ => return Err(SimError::invalid("type", "The selected type is invalid.").into()),
    };
    let note = b.opt_str("note")?;
    let now = st.now();
    let mut w = st.world();
    w.ticket(id)?;
    w.assign(id, to, now)?;
    if let Some(note) = note {
        w.add_message(id, MessageKind::Note, note, Some(c.user_id), now)?;
    }
    ok_json(json::ticket(&w, &w.tickets[&id], TsStyle::Iso, false))
}

/// The answer to a write on a ticket: the ticket as it now is, or (the other reading) nothing.
fn ticket_answer(st: &SimState, id: u64) -> ApiResult {
    if st.faults().empty_write_answers {
        return ok_empty();
    }
    let w = st.world();
    ok_json(json::ticket(&w, w.ticket(id)?, TsStyle::Iso, false))
}

async fn close(State(st): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let result = Body::parse(&body).opt_int("ticket_result_id")?;
    let now = st.now();
    st.world().close(id, result, now)?;
    ticket_answer(&st, id)
}

async fn reopen(State(st): St, Path(id): Path<String>) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let now = st.now();
    st.world().reopen(id, now)?;
    ticket_answer(&st, id)
}

async fn merge(State(st): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let source = Body::parse(&body).int("source_ticket_id")?;
    let now = st.now();
    st.world().merge(id, source, now)?;
    ok_empty()
}

async fn spam(State(st): St, Path(id): Path<String>) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let now = st.now();
    st.world().mark_spam(id, true, now)?;
    ok_empty()
}

async fn unspam(State(st): St, Path(id): Path<String>) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let now = st.now();
    st.world().mark_spam(id, false, now)?;
    ok_empty()
}

async fn attach_label(State(st): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let label_id = Body::parse(&body).int("label_id")?;
    let now = st.now();
    st.world().attach_label(id, label_id, now)?;
    ticket_answer(&st, id)
}

async fn detach_label(State(st): St, Path((id, label_id)): Path<(String, String)>) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let label_id = id_of("Label", &label_id)?;
    let now = st.now();
    st.world().detach_label(id, label_id, now)?;
    ticket_answer(&st, id)
}

async fn messages(
    State(st): St,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let q = Params::parse(q);
    let page = q.page();
    let w = st.world();
    let t = w.ticket(id)?;
    // Newest first, 20 a page (as a live integration's notes say).
    let skip = ((page - 1) * MESSAGES_PER_PAGE) as usize;
    let found: Vec<&Message> = t
        .messages
        .iter()
        .rev()
        .skip(skip)
        .take(MESSAGES_PER_PAGE as usize + 1)
        .collect();
    let has_more = found.len() > MESSAGES_PER_PAGE as usize;
    let data = found
        .into_iter()
        .take(MESSAGES_PER_PAGE as usize)
        .map(|m| json::message(&w, t, m, TsStyle::List))
        .collect();
    ok_json(json::simple(
        list_path(&headers, &format!("/tickets/{id}/messages")),
        page,
        MESSAGES_PER_PAGE,
        data,
        has_more,
    ))
}

/// `GET /tickets/{id}/messages/{message_id}`: one message, bare, as the thread shows it.
async fn message(State(st): St, Path((id, message_id)): Path<(String, String)>) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let message_id = id_of("Message", &message_id)?;
    let w = st.world();
    let t = w.ticket(id)?;
    let m = t
        .messages
        .iter()
        .find(|m| m.id == message_id)
        .ok_or_else(|| SimError::not_found("Message", message_id))?;
    ok_json(json::message(&w, t, m, TsStyle::List))
}

async fn post_message(
    State(st): St,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let b = Body::parse(&body);
    let text = b.str("message")?;
    let kind = if b.flag("internal_note") {
        MessageKind::Note
    } else {
        MessageKind::Outbound
    };
    if let Some(a) = b.present("attachment_ids") {
        if !a.is_array() {
            return Err(SimError::invalid(
                "attachment_ids",
                "The attachment ids must be an array.",
            )
            .into());
        }
    }
    let now = st.now();
    let mut w = st.world();
    let mid = w.add_message(id, kind, text, Some(c.user_id), now)?;
    let t = &w.tickets[&id];
    let m = t.messages.iter().find(|m| m.id == mid).expect("just added");
    ok_json(json::posted_message(&w, t, m))
}

fn field_value(b: &Body) -> Result<(u64, String), ApiError> {
    let field_id = b.int("custom_field_id")?;
    let value = match b.0.get("value") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(x)) => (if *x { "1" } else { "0" }).to_string(),
        Some(_) => return Err(SimError::invalid("value", "The value must be a string.").into()),
    };
    Ok((field_id, value))
}

async fn ticket_custom_field(State(st): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let id = id_of("Ticket", &id)?;
    let (field, value) = field_value(&Body::parse(&body))?;
    let now = st.now();
    st.world().set_ticket_field(id, field, value, now)?;
    ok_empty()
}

// ---- contacts ----
