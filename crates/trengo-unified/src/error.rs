//! The unified error: what Trengo said (status, message, per-field errors, retry-after, the raw
//! body) or what went wrong here (network, decoding, a bad cursor, bad input).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Unauthorized,
    Forbidden,
    NotFound,
    Validation,
    RateLimited,
    Server,
    Network,
    Timeout,
    UnknownOutcome,
    Decode,
    BadCursor,
    InvalidInput,
    /// Refused by the client's send gate before anything left (see `trengo_api::SendGate`).
    NotSent,
    Other,
}

#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    pub message: String,
    /// Per-field validation messages.
    pub fields: BTreeMap<String, Vec<String>>,
    #[serde(skip)]
    pub retry_after: Option<Duration>,
    /// The body Trengo sent, shortened.
    pub raw: Option<String>,
    /// Trengo said it (true), or it happened here or on the way (false).
    pub is_remote: bool,
}

impl Error {
    pub fn local(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            status: None,
            message: message.into(),
            fields: BTreeMap::new(),
            retry_after: None,
            raw: None,
            is_remote: false,
        }
    }

    pub fn bad_cursor(message: impl Into<String>) -> Error {
        Error::local(ErrorKind::BadCursor, message)
    }

    pub fn invalid(message: impl Into<String>) -> Error {
        Error::local(ErrorKind::InvalidInput, message)
    }
}

impl From<trengo_api::Error> for Error {
    fn from(e: trengo_api::Error) -> Self {
        use trengo_api::Error as E;
        let kind = match &e {
            E::Unauthorized { .. } => ErrorKind::Unauthorized,
            E::Forbidden { .. } => ErrorKind::Forbidden,
            E::NotFound { .. } => ErrorKind::NotFound,
            E::Validation { .. } => ErrorKind::Validation,
            E::RateLimited { .. } => ErrorKind::RateLimited,
            E::Server { .. } | E::Http { .. } => ErrorKind::Server,
            E::Network { .. } => ErrorKind::Network,
            E::Timeout { .. } => ErrorKind::Timeout,
            E::UnknownOutcome { .. } => ErrorKind::UnknownOutcome,
            E::Decode { .. } => ErrorKind::Decode,
            E::Invalid(_) => ErrorKind::InvalidInput,
            E::NotSent { .. } => ErrorKind::NotSent,
        };
        let kind = if matches!(&e, E::Http { status, .. } if *status < 500) {
            ErrorKind::Other
        } else {
            kind
        };
        Error {
            kind,
            status: e.status(),
            message: e.to_string(),
            fields: e.field_errors().cloned().unwrap_or_default(),
            retry_after: e.retry_after(),
            raw: e.body().map(str::to_string),
            is_remote: e.is_remote(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
