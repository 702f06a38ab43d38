//! desk-core's errors: each says what failed, why, and what to do.

use trengo_unified::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Trengo (or the way to it) said no.
    #[error("{0}")]
    Trengo(#[from] trengo_unified::Error),

    #[error("Trengo can't be reached right now, so {action} was not done. Reading still works from the cache; try again when you're back online.")]
    Offline { action: String },

    #[error("No token is stored for this workspace: connect first (trengo-desk-cli login, or the Connect screen){}", why.as_ref().map(|w| format!(". The OS keyring could not be read ({w}); scripts can set TRENGO_TOKEN")).unwrap_or_default())]
    NeedsLogin { why: Option<String> },

    #[error("{0}")]
    NotFound(String),

    #[error("{0}")]
    Invalid(String),

    #[error("the local cache failed: {0}")]
    Cache(#[from] sqlx::Error),

    #[error("the local cache could not be prepared: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("the OS keyring failed: {0}")]
    Secret(String),

    #[error("{0}")]
    Io(#[from] std::io::Error),

    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// A stable code the UI and scripts can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Trengo(e) => match e.kind {
                ErrorKind::Unauthorized => "unauthorized",
                ErrorKind::Forbidden => "forbidden",
                ErrorKind::NotFound => "not_found",
                ErrorKind::Validation => "validation",
                ErrorKind::RateLimited => "rate_limited",
                ErrorKind::Server => "trengo_error",
                ErrorKind::Network | ErrorKind::Timeout => "offline",
                ErrorKind::UnknownOutcome => "unknown_outcome",
                ErrorKind::Decode => "trengo_error",
                ErrorKind::BadCursor | ErrorKind::InvalidInput => "invalid",
                ErrorKind::Other => "trengo_error",
            },
            Error::Offline { .. } => "offline",
            Error::NeedsLogin { .. } => "needs_login",
            Error::NotFound(_) => "not_found",
            Error::Invalid(_) => "invalid",
            Error::Cache(_) | Error::Migrate(_) => "cache",
            Error::Secret(_) => "keyring",
            Error::Io(_) => "io",
            Error::Cancelled => "cancelled",
        }
    }

    /// Whether Trengo could not be reached.
    pub fn is_offline(&self) -> bool {
        matches!(self, Error::Offline { .. })
            || matches!(self, Error::Trengo(e) if matches!(e.kind, ErrorKind::Network | ErrorKind::Timeout))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
