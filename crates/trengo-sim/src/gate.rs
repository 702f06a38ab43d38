//! What stands before every `/api/v2` request: the token check, the per-token rate limit with its
//! headers, injected faults, and the log of every write.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode};
use serde_json::{json, Value};

use crate::faults::{ConnKill, Mutation, Window};
use crate::state::SimState;

/// The caller of an authenticated request.
#[derive(Clone)]
pub(crate) struct Caller {
    pub user_id: u64,
}

enum Inject {
    Error(StatusCode),
    Too(u64),
    DropBefore,
}

struct Plan {
    delay: Duration,
    before: Option<Inject>,
    drop_after: bool,
    malformed: bool,
}

fn plan(st: &SimState, is_write: bool) -> Plan {
    let mut f = st.lock_faults();
    let fs = &mut *f;
    let c = &fs.cfg;
    let jitter = if c.jitter_ms > 0 {
        fs.rng.below(c.jitter_ms + 1)
    } else {
        0
    };
    let delay = Duration::from_millis(c.latency_ms + jitter);
    let mut p = Plan {
        delay,
        before: None,
        drop_after: false,
        malformed: false,
    };
    if fs.cfg.burst_429 > 0 {
        fs.cfg.burst_429 -= 1;
        p.before = Some(Inject::Too(1));
        return p;
    }
    if c.writes_only && !is_write {
        return p;
    }
    let rng = &mut fs.rng;
    if rng.chance(c.rate_429) {
        p.before = Some(Inject::Too(1));
    } else if rng.chance(c.error_rate) {
        let code = [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
        ][rng.below(3) as usize];
        p.before = Some(Inject::Error(code));
    } else if rng.chance(c.drop_before_rate) {
        p.before = Some(Inject::DropBefore);
    } else if rng.chance(c.drop_after_rate) {
        p.drop_after = true;
    } else if rng.chance(c.malformed_rate) {
        p.malformed = true;
    }
    p
}

/// Laravel's fixed window: it starts at the first hit and ends `window` later. Ok((limit, remaining)),
/// or Err(seconds until the window ends).
fn hit(st: &SimState, token: &str) -> Result<(u32, u32), (u32, u64)> {
    let mut l = st.lock_limiter();
    let (limit, window) = (l.limit, l.window);
    let now = Instant::now() + l.skew;
    let w = l.windows.entry(token.to_string()).or_insert(Window {
        start: now,
        hits: 0,
    });
    if now.duration_since(w.start) >= window {
        *w = Window {
            start: now,
            hits: 0,
        };
    }
    if w.hits >= limit {
        let left = window.saturating_sub(now.duration_since(w.start));
        return Err((limit, left.as_secs_f64().ceil().max(1.0) as u64));
    }
    w.hits += 1;
    Ok((limit, limit - w.hits))
}

fn too_many(limit: u32, retry_after: u64) -> Response {
    let reset = chrono::Utc::now().timestamp() as u64 + retry_after;
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({"message": "Too Many Attempts."})),
    )
        .into_response();
    let h = r.headers_mut();
    h.insert("x-ratelimit-limit", limit.into());
    h.insert("x-ratelimit-remaining", 0u32.into());
    h.insert("retry-after", retry_after.into());
    h.insert("x-ratelimit-reset", reset.into());
    r
}

fn server_error(code: StatusCode) -> Response {
    match code {
        // A proxy in front of Trengo answers with its own HTML page.
        StatusCode::BAD_GATEWAY => (
            code,
            [(http::header::CONTENT_TYPE, "text/html")],
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
        )
            .into_response(),
        StatusCode::SERVICE_UNAVAILABLE => (code, axum::Json(json!({"message": "Service Unavailable"}))).into_response(),
        _ => (code, axum::Json(json!({"message": "Server Error"}))).into_response(),
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let v = req
        .headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

pub(crate) async fn api_gate(
    State(st): State<Arc<SimState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = bearer(&req).map(str::to_string);
    let Some((token, user_id)) = token.and_then(|t| st.user_of_token(&t).map(|u| (t, u))) else {
        let mut s = st.lock_stats();
        s.requests += 1;
        s.unauthenticated += 1;
        *s.by_status.entry(401).or_default() += 1;
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "Unauthenticated."})),
        )
            .into_response();
    };
    let is_write = !matches!(*req.method(), Method::GET | Method::HEAD);
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let kill = req.extensions().get::<ConnKill>().cloned();

    let record = |status: u16, throttled: bool, fault: Option<&str>| {
        let mut s = st.lock_stats();
        s.requests += 1;
        *s.by_status.entry(status).or_default() += 1;
        let t = s.by_token.entry(token.clone()).or_default();
        t.requests += 1;
        if throttled {
            t.throttled += 1;
        }
        if let Some(f) = fault {
            *s.injected.entry(f.to_string()).or_default() += 1;
        }
    };

    let (limit, remaining) = match hit(&st, &token) {
        Ok(x) => x,
        Err((limit, retry_after)) => {
            record(429, true, None);
            st.lock_stats().rate_limited += 1;
            return too_many(limit, retry_after);
        }
    };
    let with_headers = |mut r: Response| {
        let h = r.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
        r
    };

    let p = plan(&st, is_write);
    if !p.delay.is_zero() {
        tokio::time::sleep(p.delay).await;
    }

    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let body_json: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let log = |status: u16, applied: bool, fault: Option<&str>| {
        if !is_write {
            return;
        }
        let mut m = st.lock_mutations();
        let seq = m.len() as u64 + 1;
        m.push(Mutation {
            seq,
            at: crate::json::iso_ts(chrono::Utc::now().timestamp()),
            token: token.clone(),
            user_id,
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            body: body_json.clone(),
            status,
            applied,
            fault: fault.map(str::to_string),
        });
    };

    match p.before {
        Some(Inject::Too(retry_after)) => {
            record(429, true, Some("429"));
            log(429, false, Some("429"));
            return too_many(limit, retry_after);
        }
        Some(Inject::Error(code)) => {
            record(code.as_u16(), false, Some("error"));
            log(code.as_u16(), false, Some("error"));
            return with_headers(server_error(code));
        }
        Some(Inject::DropBefore) => {
            if let Some(k) = kill {
                record(0, false, Some("drop_before"));
                log(0, false, Some("drop_before"));
                k.drop_connection().await;
            }
        }
        None => {}
    }

    req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(Caller { user_id });
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let applied = resp.status().is_success();

    if p.drop_after {
        if let Some(k) = kill {
            record(0, false, Some("drop_after"));
            log(status, applied, Some("drop_after"));
            k.drop_connection().await;
        }
    }
    if p.malformed && applied {
        record(status, false, Some("malformed"));
        log(status, applied, Some("malformed"));
        let (mut parts, body) = resp.into_parts();
        let full = to_bytes(body, usize::MAX).await.unwrap_or_default();
        let cut = full.slice(..full.len() / 2);
        parts.headers.remove(http::header::CONTENT_LENGTH);
        // Never cut to a valid document: an empty body is a legitimate answer for some writes.
        let broken = if cut.is_empty() {
            bytes::Bytes::from_static(b"{\"data\":[")
        } else {
            cut
        };
        return with_headers(Response::from_parts(parts, Body::from(broken)));
    }
    record(status, false, None);
    log(status, applied, None);
    with_headers(resp)
}
