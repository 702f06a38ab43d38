//! `/__sim`: the simulator's own admin API (a prefix Trengo does not use). No token, no rate limit.
//!
//! | call | what |
//! |---|---|
//! | `GET /__sim/mutations?since=N` | every write received (after sequence number N) |
//! | `GET` / `POST /__sim/faults` | the fault config ([`crate::Faults`]) |
//! | `GET` / `POST /__sim/lookup_faults` | the lookup service's faults ([`crate::LookupFaults`]) |
//! | `GET` / `POST /__sim/rate` | `{"limit": 120, "window_ms": 60000}` |
//! | `POST /__sim/assign` | `{"ticket_id", "user_id"? , "team_id"?}`: assigned as another agent would |
//! | `POST /__sim/inbound` | `{"message", "subject"?, "contact_id"? or "identifier"? (+ "contact_name"?), "channel_id"?, "team_id"?, "user_id"?, "ago_secs"?}`: a customer writes in (`ago_secs` ago) |
//! | `POST /__sim/message` | `{"ticket_id", "from": "customer"\|"agent"\|"note", "message", "user_id"?, "ago_secs"?}`: a message on a ticket, written `ago_secs` ago |
//! | `POST /__sim/reset` | back to the seeded workspace; logs, stats, windows and faults cleared |
//! | `GET /__sim/stats` | requests per token, 429s served, faults injected |
//! | `GET /__sim/lookups` | the raw paths the lookup service received |
//! | `GET /__sim/tickets/{id}`, `GET /__sim/contacts/{id}` | a record as the API shows it, without spending the budget |
//! | `GET /__sim/info` | size, seed, the first token's user |

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::LookupFaults;
use crate::json::{self, TsStyle};
use crate::state::SimState;
use crate::world::{AssignTo, MessageKind, SimError, World};
use crate::Faults;

type St = State<Arc<SimState>>;

pub(crate) fn routes(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/mutations", get(mutations))
        .route("/faults", get(get_faults).post(set_faults))
        .route(
            "/lookup_faults",
            get(get_lookup_faults).post(set_lookup_faults),
        )
        .route("/rate", get(get_rate).post(set_rate))
        .route("/assign", post(assign))
        .route("/inbound", post(inbound))
        .route("/online", post(online))
        .route("/message", post(message))
        .route("/reset", post(reset))
        .route("/stats", get(stats))
        .route("/lookups", get(lookups))
        .route("/tickets/{id}", get(ticket))
        .route("/contacts/{id}", get(contact))
        .route("/info", get(info))
        .with_state(state)
}

fn err(e: SimError) -> Response {
    match e {
        SimError::NotFound { model, id } => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": format!("{model} {id} not found")})),
        )
            .into_response(),
        SimError::Invalid { field, message } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"message": message, "field": field})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct Since {
    since: Option<u64>,
}

async fn mutations(State(st): St, Query(q): Query<Since>) -> Json<Value> {
    let since = q.since.unwrap_or(0);
    let all: Vec<_> = st
        .mutations()
        .into_iter()
        .filter(|m| m.seq > since)
        .collect();
    Json(json!(all))
}

async fn get_faults(State(st): St) -> Json<Faults> {
    Json(st.faults())
}

async fn set_faults(State(st): St, Json(f): Json<Faults>) -> Json<Faults> {
    st.set_faults(f);
    Json(st.faults())
}

async fn get_lookup_faults(State(st): St) -> Json<LookupFaults> {
    Json(st.lookup_faults())
}

async fn set_lookup_faults(State(st): St, Json(f): Json<LookupFaults>) -> Json<LookupFaults> {
    st.set_lookup_faults(f);
    Json(st.lookup_faults())
}

#[derive(Deserialize)]
struct Rate {
    limit: u32,
    window_ms: u64,
}

async fn get_rate(State(st): St) -> Json<Value> {
    let (limit, window) = st.rate_limit();
    Json(json!({"limit": limit, "window_ms": window.as_millis() as u64}))
}

async fn set_rate(State(st): St, Json(r): Json<Rate>) -> Json<Value> {
    st.set_rate_limit(r.limit, Duration::from_millis(r.window_ms.max(1)));
    get_rate(State(st)).await
}

#[derive(Deserialize)]
struct Assign {
    ticket_id: u64,
    user_id: Option<u64>,
    team_id: Option<u64>,
}

async fn assign(State(st): St, Json(a): Json<Assign>) -> Response {
    let now = st.now();
    let mut w = st.world();
    let r = (|| {
        w.ticket(a.ticket_id)?;
        if let Some(t) = a.team_id {
            w.assign(a.ticket_id, AssignTo::Team(t), now)?;
        }
        if let Some(u) = a.user_id {
            w.assign(a.ticket_id, AssignTo::User(u), now)?;
        }
        if a.user_id.is_none() && a.team_id.is_none() {
            return Err(SimError::invalid(
                "user_id",
                "user_id or team_id is required",
            ));
        }
        Ok(())
    })();
    match r {
        Ok(()) => Json(json::ticket(
            &w,
            &w.tickets[&a.ticket_id],
            TsStyle::List,
            false,
        ))
        .into_response(),
        Err(e) => err(e),
    }
}

#[derive(Deserialize, Default)]
struct Inbound {
    message: String,
    subject: Option<String>,
    contact_id: Option<u64>,
    identifier: Option<String>,
    /// The name of a contact created for `identifier`.
    contact_name: Option<String>,
    channel_id: Option<u64>,
    team_id: Option<u64>,
    user_id: Option<u64>,
    /// Written this long ago (the ticket still changed now).
    ago_secs: Option<i64>,
}

/// A customer writes in: a new open ticket with one inbound message, optionally routed.
fn inbound_ticket(w: &mut World, i: Inbound, now: i64) -> Result<u64, SimError> {
    let channel = i
        .channel_id
        .or_else(|| w.channels.keys().next().copied())
        .ok_or_else(|| SimError::not_found("Channel", 0))?;
    let contact = match (i.contact_id, i.identifier) {
        (Some(c), _) => {
            w.contact(c)?;
            c
        }
        (None, Some(ident)) => {
            w.contact_for_identifier(channel, &ident, i.contact_name.as_deref())?
        }
        (None, None) => *w
            .contacts
            .keys()
            .next()
            .ok_or_else(|| SimError::not_found("Contact", 0))?,
    };
    let at = now - i.ago_secs.unwrap_or(0).max(0);
    let id = w.create_ticket(channel, contact, i.subject, None, at)?;
    w.add_message(id, MessageKind::Inbound, i.message, None, at)?;
    w.ticket_mut(id)?.updated_at = now;
    if let Some(t) = i.team_id {
        w.assign(id, AssignTo::Team(t), now)?;
    }
    if let Some(u) = i.user_id {
        w.assign(id, AssignTo::User(u), now)?;
    }
    Ok(id)
}

async fn inbound(State(st): St, Json(i): Json<Inbound>) -> Response {
    let now = st.now();
    let mut w = st.world();
    match inbound_ticket(&mut w, i, now) {
        Ok(id) => Json(json::ticket(&w, &w.tickets[&id], TsStyle::List, false)).into_response(),
        Err(e) => err(e),
    }
}

#[derive(Deserialize)]
struct Online {
    user_id: u64,
    online: bool,
}

/// An agent goes online or offline in Trengo (their chat status).
async fn online(State(st): St, Json(o): Json<Online>) -> Response {
    let mut w = st.world();
    match w.users.get_mut(&o.user_id) {
        Some(u) => {
            u.is_online = o.online;
            Json(serde_json::json!({"user_id": o.user_id, "online": o.online})).into_response()
        }
        None => err(SimError::not_found("User", o.user_id)),
    }
}

#[derive(Deserialize)]
struct NewMessage {
    ticket_id: u64,
    /// `customer`, `agent` (a reply) or `note`.
    from: String,
    message: String,
    user_id: Option<u64>,
    ago_secs: Option<i64>,
}

/// A message on a ticket, from the customer or an agent, as if written `ago_secs` ago.
async fn message(State(st): St, Json(m): Json<NewMessage>) -> Response {
    let now = st.now();
    let mut w = st.world();
    let kind = match m.from.as_str() {
        "customer" => MessageKind::Inbound,
        "agent" => MessageKind::Outbound,
        "note" => MessageKind::Note,
        other => {
            return err(SimError::invalid(
                "from",
                format!("{other:?}: customer, agent or note"),
            ))
        }
    };
    let user = match kind {
        MessageKind::Inbound => None,
        _ => m.user_id.or_else(|| w.users.keys().next().copied()),
    };
    let at = now - m.ago_secs.unwrap_or(0).max(0);
    let r = w
        .add_message(m.ticket_id, kind, m.message, user, at)
        .and_then(|id| {
            w.ticket_mut(m.ticket_id)?.updated_at = now;
            Ok(id)
        });
    match r {
        Ok(id) => Json(json!({"id": id})).into_response(),
        Err(e) => err(e),
    }
}

async fn reset(State(st): St) -> Json<Value> {
    st.reset();
    Json(json!({"reset": true}))
}

async fn stats(State(st): St) -> Json<crate::Stats> {
    Json(st.stats())
}

async fn lookups(State(st): St) -> Json<Vec<String>> {
    Json(st.lookups())
}

async fn ticket(State(st): St, Path(id): Path<u64>) -> Response {
    let w = st.world();
    match w.ticket(id) {
        Ok(t) => {
            // As the API lists it, plus its times as true instants (unix seconds), for tests that
            // check what a client shows against the truth.
            let mut v =
                serde_json::to_value(json::ticket(&w, t, TsStyle::List, false)).unwrap_or_default();
            v["instants"] = json!({
                "created_at": t.created_at,
                "updated_at": t.updated_at,
                "messages": t.messages.iter().map(|m| json!({"id": m.id, "created_at": m.created_at})).collect::<Vec<_>>(),
            });
            Json(v).into_response()
        }
        Err(e) => err(e),
    }
}

async fn contact(State(st): St, Path(id): Path<u64>) -> Response {
    let w = st.world();
    match w.contact(id) {
        Ok(c) => Json(json::contact(&w, c, true)).into_response(),
        Err(e) => err(e),
    }
}

async fn info(State(st): St) -> Json<Value> {
    let first_user = st.config.tokens.first().and_then(|t| st.user_of_token(t));
    let w = st.world();
    Json(json!({
        "size": st.config.size,
        "seed": st.config.seed,
        "token_user_id": first_user,
        "token_user_teams": first_user.map(|u| w.team_ids_of_user(u)),
        "tickets": w.tickets.len(),
        "contacts": w.contacts.len(),
    }))
}

const DEMO_SUBJECTS: &[(&str, &str)] = &[
    (
        "Refund still not received",
        "Hi, it's been two weeks since you approved my refund. Any news?",
    ),
    (
        "Can't log in after password reset",
        "I reset my password but the app still says it's wrong.",
    ),
    (
        "Factuur klopt niet",
        "Op mijn laatste factuur staat een bedrag dat ik niet herken.",
    ),
    (
        "Order arrived damaged",
        "The package was crushed, the item inside is broken.",
    ),
    (
        "Upgrade to Pro for 12 seats",
        "We'd like to upgrade this week. Can you send a quote?",
    ),
];

/// The demo's colleague: now and then a customer writes in and the ticket is routed to the lead,
/// alternately to them in person and to one of their teams.
pub(crate) async fn auto_assign_loop(
    st: Arc<SimState>,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some(lead) = st.config.tokens.first().and_then(|t| st.user_of_token(t)) else {
        return;
    };
    let mut n = 0usize;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let now = st.now();
        let mut w = st.world();
        let teams = w.team_ids_of_user(lead);
        let contacts: Vec<u64> = w.contacts.keys().copied().take(500).collect();
        if contacts.is_empty() {
            continue;
        }
        let (subject, body) = DEMO_SUBJECTS[n % DEMO_SUBJECTS.len()];
        let to_user = n.is_multiple_of(2) || teams.is_empty();
        let i = Inbound {
            message: body.to_string(),
            subject: Some(subject.to_string()),
            contact_id: Some(contacts[(n * 37) % contacts.len()]),
            team_id: teams.get(n % teams.len().max(1)).copied(),
            user_id: to_user.then_some(lead),
            ..Default::default()
        };
        let _ = inbound_ticket(&mut w, i, now);
        drop(w);
        st.touch();
        n += 1;
    }
}
