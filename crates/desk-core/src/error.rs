//! desk-core's errors: each says what failed, why, and what to do.

use serde::{Deserialize, Serialize};
use trengo_unified::ErrorKind;

word_enum!(
    /// What went wrong, for the UI and scripts to branch on (the message is for people).
    ErrorCode {
        Unauthorized = "unauthorized",
        Forbidden = "forbidden",
        NotFound = "not_found",
        Validation = "validation",
        RateLimited = "rate_limited",
        TrengoError = "trengo_error",
        Offline = "offline",
        UnknownOutcome = "unknown_outcome",
        Invalid = "invalid",
        NeedsLogin = "needs_login",
        /// The lookup source of an enrichment.
        Lookup = "lookup",
        Keyring = "keyring",
        Cache = "cache",
        /// The cache file cannot be used (damaged, made by a newer version, a full disk): the
        /// message says what to do.
        CacheUnusable = "cache_unusable",
        Io = "io",
        /// A problem on this computer; the details are in the log.
        Internal = "internal",
        Cancelled = "cancelled",
        /// A sync is already running.
        Busy = "busy",
    }
);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Trengo (or the way to it) said no.
    #[error("{0}")]
    Trengo(#[from] trengo_unified::Error),

    #[error("Trengo can't be reached right now, so {action} was not done. Reading still works from the cache; try again when you're back online.")]
    Offline { action: String },

    #[error("No token is stored for this workspace: connect first (trengo-desk-cli login, or the Connect screen){}", why.as_ref().map(|w| format!(". {w}")).unwrap_or_default())]
    NeedsLogin { why: Option<String> },

    #[error("{0}")]
    NotFound(String),

    #[error("{0}")]
    Invalid(String),

    #[error("the local cache failed: {0}")]
    Cache(#[from] sqlx::Error),

    /// The cache file cannot be opened as it is; the message names it and says what to do.
    #[error("{message}")]
    CacheUnusable { message: String },

    #[error("the local cache could not be prepared: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("the OS keyring failed: {0}")]
    Secret(String),

    #[error("{0}")]
    Io(#[from] std::io::Error),

    #[error("cancelled")]
    Cancelled,

    /// The same work is already under way.
    #[error("{0}")]
    Busy(String),

    /// A job's write that Trengo refused (the item's recorded reason and code).
    #[error("{message}")]
    Refused { code: ErrorCode, message: String },
}

impl Error {
    /// A stable code the UI and scripts can branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Trengo(e) => match e.kind {
                ErrorKind::Unauthorized => ErrorCode::Unauthorized,
                ErrorKind::Forbidden => ErrorCode::Forbidden,
                ErrorKind::NotFound => ErrorCode::NotFound,
                ErrorKind::Validation => ErrorCode::Validation,
                ErrorKind::RateLimited => ErrorCode::RateLimited,
                ErrorKind::Network | ErrorKind::Timeout => ErrorCode::Offline,
                ErrorKind::UnknownOutcome => ErrorCode::UnknownOutcome,
                ErrorKind::BadCursor | ErrorKind::InvalidInput | ErrorKind::NotSent => {
                    ErrorCode::Invalid
                }
                ErrorKind::Server | ErrorKind::Decode | ErrorKind::Other => ErrorCode::TrengoError,
            },
            Error::Offline { .. } => ErrorCode::Offline,
            Error::NeedsLogin { .. } => ErrorCode::NeedsLogin,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Invalid(_) => ErrorCode::Invalid,
            Error::Cache(_) | Error::Migrate(_) => ErrorCode::Cache,
            Error::CacheUnusable { .. } => ErrorCode::CacheUnusable,
            Error::Secret(_) => ErrorCode::Keyring,
            Error::Io(_) => ErrorCode::Io,
            Error::Cancelled => ErrorCode::Cancelled,
            Error::Busy(_) => ErrorCode::Busy,
            Error::Refused { code, .. } => *code,
        }
    }

    /// Whether Trengo could not be reached.
    pub fn is_offline(&self) -> bool {
        matches!(self, Error::Offline { .. })
            || matches!(self, Error::Trengo(e) if matches!(e.kind, ErrorKind::Network | ErrorKind::Timeout))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
/// An error as a window shows it: a code to branch on and words for people. Problems on this
/// computer (the cache, files) get a generic message, with the details in the log, so internals
/// never reach the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
}

impl Problem {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Problem {
        Problem {
            code,
            message: message.into(),
        }
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        let code = e.code();
        match code {
            ErrorCode::Cache | ErrorCode::Io => {
                tracing::error!(error = %e, "internal error");
                Problem::new(ErrorCode::Internal, "Trengo Desk had a problem with its local data. The details are in the log; restarting the app usually helps.")
            }
            ErrorCode::Unauthorized => Problem::new(
                code,
                "Trengo refused the token: connect again with a valid personal access token.",
            ),
            _ => Problem::new(code, e.to_string()),
        }
    }
}
