//! `/lookup`: a demo of a company's own customer system, for enrichment.
//!
//! `GET /lookup/customers/{id}` with `X-Api-Key` answers nested JSON for the Customer IDs of the
//! seeded contacts (and some beyond them, which match no contact), 404 for unknown ids. Its own
//! faults are set with `POST /__sim/lookup_faults`. Special ids for tests:
//! `sim-html` (200 with an HTML page), `sim-huge` (a 10 MB JSON body), `sim-slow` (answers after
//! 30 s), `sim-500` (always 500), `sim-malformed` (cut-off JSON).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::rng::{hash_str, Rng};
use crate::seed::{FIRST_CUSTOMER_NO, PLANS};
use crate::state::SimState;

pub(crate) fn routes(state: Arc<SimState>) -> Router {
    Router::new()
        .route("/customers/{id}", get(customer))
        .with_state(state)
}

const MANAGERS: &[(&str, &str)] = &[
    ("Eline Bos", "eline.bos@example.com"),
    ("Tom Hendriks", "tom.hendriks@example.com"),
    ("Sara Yilmaz", "sara.yilmaz@example.com"),
    ("Jeroen Smit", "jeroen.smit@example.com"),
];
const CITIES: &[(&str, &str)] = &[
    ("NL", "Utrecht"),
    ("NL", "Amsterdam"),
    ("BE", "Antwerpen"),
    ("DE", "Berlin"),
    ("FR", "Lyon"),
    ("GB", "Manchester"),
    ("ES", "Valencia"),
];

async fn customer(
    State(st): State<Arc<SimState>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    st.lock_lookups().push(uri.path().to_string());
    if let Some(key) = &st.config.lookup_key {
        if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(key.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid or missing API key"})),
            )
                .into_response();
        }
    }
    let f = st.lookup_faults();
    let h = hash_str(&format!("{}:{}", f.seed, st.lock_lookups().len()));
    let delay = f.latency_ms
        + if f.jitter_ms > 0 {
            h % (f.jitter_ms + 1)
        } else {
            0
        };
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if Rng::new(h).chance(f.fail_rate) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "internal error"})),
        )
            .into_response();
    }
    match id.as_str() {
        "sim-html" => {
            return (
                StatusCode::OK,
                [(http::header::CONTENT_TYPE, "text/html")],
                "<!doctype html><html><body><h1>Login</h1></body></html>",
            )
                .into_response()
        }
        "sim-huge" => {
            let blob = "x".repeat(10 * 1024 * 1024);
            return Json(json!({"customer": {"id": id, "blob": blob}})).into_response();
        }
        "sim-slow" => tokio::time::sleep(Duration::from_secs(30)).await,
        "sim-500" => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": "internal error"})),
            )
                .into_response()
        }
        "sim-malformed" => {
            return (
                StatusCode::OK,
                [(http::header::CONTENT_TYPE, "application/json")],
                "{\"customer\": {\"id\": \"sim-mal",
            )
                .into_response()
        }
        _ => {}
    }
    match describe(&st, &id) {
        Some(v) => Json(v).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "customer not found", "id": id})),
        )
            .into_response(),
    }
}

/// The customer record for a known id, derived from the id so it is the same on every run.
fn describe(st: &SimState, id: &str) -> Option<serde_json::Value> {
    let no: u64 = id.strip_prefix("C-")?.parse().ok()?;
    let (seeded, name, email) = {
        let c = st.lock_customers();
        if no < FIRST_CUSTOMER_NO || no > c.1 {
            return None;
        }
        match c.0.get(id) {
            Some(s) => (true, s.name.clone(), s.email.clone()),
            None => (
                false,
                format!("Customer {no}"),
                Some(format!("billing+{no}@example.org")),
            ),
        }
    };
    let h = hash_str(id);
    // About one in twenty ids is unknown to the company's system too (but never a seeded one's
    // neighbour pattern: the hash decides).
    if !seeded && h.is_multiple_of(3) {
        return None;
    }
    if seeded && h.is_multiple_of(20) {
        return None;
    }
    let mut r = Rng::new(h);
    // A few customers are on a plan Trengo's dropdown does not offer.
    let plan = if r.chance(0.01) {
        "Legacy"
    } else {
        *r.pick(PLANS)
    };
    let seats = match plan {
        "Free" => 1,
        "Starter" => r.range(1, 5),
        "Pro" => r.range(5, 40),
        _ => r.range(40, 400),
    };
    let mrr = match plan {
        "Free" => 0.0,
        _ => (seats as f64 * [12.0, 20.0, 35.0][r.below(3) as usize] * 100.0).round() / 100.0,
    };
    let (country, city) = *r.pick(CITIES);
    let (am_name, am_email) = *r.pick(MANAGERS);
    let signup = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap()
        + chrono::Duration::days(r.below(2200) as i64);
    Some(json!({
        "customer": {
            "id": id,
            "name": name,
            "email": email,
            "plan": {"name": plan, "seats": seats, "billing_cycle": if r.chance(0.5) {"monthly"} else {"yearly"}},
            "billing": {"mrr": mrr, "currency": "EUR"},
            "address": {"country": country, "city": city},
            "signup_date": signup.format("%Y-%m-%d").to_string(),
            "account_manager": {"name": am_name, "email": am_email},
            "vip": mrr > 2000.0,
        }
    }))
}
