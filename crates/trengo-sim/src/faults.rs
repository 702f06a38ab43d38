//! The simulator's settings and records that its parts share: the faults it injects (into the
//! API and the lookup service), the log of writes, the request statistics, and the handle that
//! drops a request's connection.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Notify;

/// Fault injection, set at start and changeable at runtime (`POST /__sim/faults`).
/// Shares are probabilities in `[0, 1]` drawn per request from a seeded generator.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Faults {
    /// Added to every answer.
    pub latency_ms: u64,
    /// Up to this much more, uniformly.
    pub jitter_ms: u64,
    /// Answered 500, 502 or 503 before anything is applied (502 with a proxy's HTML page).
    pub error_rate: f64,
    /// The connection is closed before the change is applied: no answer at all.
    pub drop_before_rate: f64,
    /// The change is applied, then the connection is closed without an answer.
    pub drop_after_rate: f64,
    /// Applied and answered 200, but the body is cut off mid-JSON.
    pub malformed_rate: f64,
    /// Answered 429 regardless of the limit (`Retry-After: 1`).
    pub rate_429: f64,
    /// The next N requests are answered 429 (`Retry-After: 1`); counts down.
    pub burst_429: u32,
    /// The random faults above touch only writes (POST, PUT, DELETE).
    pub writes_only: bool,
    /// The other reading of the API page: label attach and detach, close and reopen answer 200
    /// with an empty body instead of the ticket (a client must accept both).
    pub empty_write_answers: bool,
    /// The other reading of `GET /tickets?updated_at_gt=…` (a guess of the API notes): honoured,
    /// only tickets changed after that time are listed. By default it is ignored, as Laravel
    /// ignores a parameter it does not know, and the whole list comes back.
    pub honours_updated_since: bool,
    /// Tickets this token may not see (a private channel): `GET /tickets/{id}` answers 403.
    pub forbidden_tickets: Vec<u64>,
    pub seed: u64,
}

/// One write the simulator received (`GET /__sim/mutations`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mutation {
    pub seq: u64,
    pub at: String,
    pub token: String,
    pub user_id: u64,
    pub method: String,
    /// Relative to `/api/v2`, e.g. `/tickets/318550001/labels`.
    pub path: String,
    pub query: Option<String>,
    pub body: Value,
    pub status: u16,
    /// Whether the change took effect.
    pub applied: bool,
    /// The injected fault, if any: `error`, `drop_before`, `drop_after`, `malformed`, `429`.
    pub fault: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TokenStats {
    pub requests: u64,
    /// 429s served to this token (limit and injected).
    pub throttled: u64,
}

/// `GET /__sim/stats`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    pub requests: u64,
    pub unauthenticated: u64,
    /// 429s served because the limit was reached.
    pub rate_limited: u64,
    /// Faults injected, by kind.
    pub injected: BTreeMap<String, u64>,
    pub by_status: BTreeMap<u16, u64>,
    pub by_token: BTreeMap<String, TokenStats>,
}

pub(crate) struct Window {
    pub(crate) start: Instant,
    pub(crate) hits: u32,
}

/// The lookup service's faults (`POST /__sim/lookup_faults`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct LookupFaults {
    pub latency_ms: u64,
    pub jitter_ms: u64,
    /// Share answered 500.
    pub fail_rate: f64,
    pub seed: u64,
}

/// Put in every request's extensions: notifying it closes the request's connection at once.
#[derive(Clone)]
pub(crate) struct ConnKill(pub Arc<Notify>);

impl ConnKill {
    /// Closes the connection; the caller then never answers.
    pub async fn drop_connection(&self) -> ! {
        self.0.notify_one();
        std::future::pending::<()>().await;
        unreachable!()
    }
}
