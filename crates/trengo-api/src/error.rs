//! One error type for every call. Each variant is something a caller can act on, and its message
//! says what failed in words a person understands. No variant ever carries the token.

use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 401: the token is missing, wrong, or revoked.
    #[error("Trengo refused the token (401): connect again with a valid personal access token")]
    Unauthorized { message: String },

    /// 403: the token's user may not do this.
    #[error("Trengo says this token's user may not do that (403): {message}")]
    Forbidden { message: String },

    /// 404: the record (or the endpoint) does not exist.
    #[error("not found in Trengo (404) at {path}: {message}")]
    NotFound { path: String, message: String },

    /// 422: Trengo refused the input; `fields` holds its per-field messages.
    #[error("Trengo refused the input (422): {message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, Vec<String>>,
    },

    /// 429 persisted through every retry.
    #[error("Trengo's rate limit was hit and did not clear after {attempts} attempts; retry after {}s", retry_after.map(|d| d.as_secs()).unwrap_or(60))]
    RateLimited {
        retry_after: Option<Duration>,
        attempts: u32,
    },

    /// 5xx after retries (or a 500, which is never retried).
    #[error("Trengo had a server error ({status}) at {path}: {message}")]
    Server {
        status: u16,
        path: String,
        message: String,
        body: Option<String>,
    },

    /// Any other HTTP status.
    #[error("Trengo answered {status} at {path}: {message}")]
    Http {
        status: u16,
        path: String,
        message: String,
        body: Option<String>,
    },

    /// Trengo could not be reached (after retries).
    #[error("could not reach Trengo at {path}: {message}")]
    Network { path: String, message: String },

    /// No answer in time (after retries).
    #[error("Trengo did not answer {path} in time ({}s)", timeout.as_secs())]
    Timeout { path: String, timeout: Duration },

    /// A request that must not be repeated blindly (posting a note, creating a ticket) was sent and
    /// no answer came back: it may or may not have been applied. Check before trying again.
    #[error(
        "{method} {path}: the outcome is unknown ({reason}); check in Trengo before trying again"
    )]
    UnknownOutcome {
        method: String,
        path: String,
        reason: String,
    },

    /// The answer was not what the API documents.
    #[error("could not read Trengo's answer to {path} ({status}): {message}; the answer began: {excerpt:?}")]
    Decode {
        path: String,
        status: u16,
        message: String,
        excerpt: String,
    },

    /// A local mistake before anything was sent (a bad base URL, say).
    #[error("{0}")]
    Invalid(String),

    /// The client's send gate refused the request after its slot was granted: nothing was sent
    /// (a job runner that no longer owns its job, say).
    #[error("not sent: {reason}")]
    NotSent { reason: String },
}

impl Error {
    /// The HTTP status Trengo answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::Validation { .. } => Some(422),
            Error::RateLimited { .. } => Some(429),
            Error::Server { status, .. }
            | Error::Http { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether Trengo said it (true), or it happened on our side or the network (false).
    pub fn is_remote(&self) -> bool {
        self.status().is_some()
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Per-field validation messages (422).
    pub fn field_errors(&self) -> Option<&BTreeMap<String, Vec<String>>> {
        match self {
            Error::Validation { fields, .. } => Some(fields),
            _ => None,
        }
    }

    /// Whether trying the same call later may succeed (rate limit, server trouble, the network).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::Server { .. }
                | Error::Network { .. }
                | Error::Timeout { .. }
        )
    }

    /// The raw body Trengo sent with an error, shortened.
    pub fn body(&self) -> Option<&str> {
        match self {
            Error::Server { body, .. } | Error::Http { body, .. } => body.as_deref(),
            Error::Decode { excerpt, .. } => Some(excerpt),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A short, single-line excerpt of a body for error messages.
pub(crate) fn excerpt(body: &str, max: usize) -> String {
    let one_line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = one_line.chars().take(max).collect();
    if one_line.chars().count() > max {
        out.push('…');
    }
    out
}

/// Laravel's `message` may be a string or an array; the body may be HTML or empty.
pub(crate) fn message_of(body: &str, status: u16) -> (String, BTreeMap<String, Vec<String>>) {
    let mut fields = BTreeMap::new();
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = match parsed.as_ref().and_then(|v| v.get("message")) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        _ => {
            let trimmed = body.trim_start();
            if trimmed.starts_with('<') {
                format!("an HTML page instead of JSON (HTTP {status})")
            } else if trimmed.is_empty() {
                format!("HTTP {status} with an empty body")
            } else {
                excerpt(trimmed, 200)
            }
        }
    };
    if let Some(errs) = parsed
        .as_ref()
        .and_then(|v| v.get("errors"))
        .and_then(|e| e.as_object())
    {
        for (k, v) in errs {
            let msgs = match v {
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|m| {
                        m.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| m.to_string())
                    })
                    .collect(),
                serde_json::Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            fields.insert(k.clone(), msgs);
        }
    }
    (message, fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laravel_bodies_in_every_shape() {
        let (m, f) = message_of(
            r#"{"message":"The label id field is required.","errors":{"label_id":["The label id field is required."]}}"#,
            422,
        );
        assert_eq!(m, "The label id field is required.");
        assert_eq!(f["label_id"], vec!["The label id field is required."]);
        let (m, _) = message_of(r#"{"message":["one","two"]}"#, 400);
        assert_eq!(m, "one; two");
        let (m, _) = message_of("<html><h1>502 Bad Gateway</h1></html>", 502);
        assert_eq!(m, "an HTML page instead of JSON (HTTP 502)");
        let (m, _) = message_of("", 503);
        assert_eq!(m, "HTTP 503 with an empty body");
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = Error::Unauthorized {
            message: "Unauthenticated.".into(),
        };
        assert!(e.to_string().contains("connect again"));
        let e = Error::UnknownOutcome {
            method: "POST".into(),
            path: "/tickets/1/messages".into(),
            reason: "connection lost".into(),
        };
        assert!(e
            .to_string()
            .contains("check in Trengo before trying again"));
        assert_eq!(excerpt("a\nb", 10), "a b");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
