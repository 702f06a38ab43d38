//! Errors as they cross to the UI: `{code, message}`. The UI branches on `code`; `message` is for
//! people. Problems on this computer (the cache, files) get a generic message, with the details in
//! the log, so internals never reach the screen.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct ApiError {
    /// `unauthorized`, `forbidden`, `not_found`, `validation`, `rate_limited`, `trengo_error`,
    /// `offline`, `unknown_outcome`, `invalid`, `needs_login`, `keyring`, `internal`, `cancelled`,
    /// `busy` (a sync is already running).
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl From<desk_core::Error> for ApiError {
    fn from(e: desk_core::Error) -> Self {
        let code = e.code();
        match code {
            "cache" | "io" => {
                tracing::error!(error = %e, "internal error");
                ApiError::new("internal", "Trengo Desk had a problem with its local data. The details are in the log; restarting the app usually helps.")
            }
            "unauthorized" => ApiError::new(
                code,
                "Trengo refused the token: connect again with a valid personal access token.",
            ),
            _ => ApiError::new(code, e.to_string()),
        }
    }
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI branches on this JSON: its shape is a contract.
    #[test]
    fn the_json_the_ui_sees() {
        let e: ApiError =
            desk_core::Error::NotFound("ticket 12 is not in the local cache".into()).into();
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"code":"not_found","message":"ticket 12 is not in the local cache"}"#
        );
        let e: ApiError = desk_core::Error::Offline {
            action: "adding the tag".into(),
        }
        .into();
        assert_eq!(e.code, "offline");
        assert!(e
            .message
            .starts_with("Trengo can't be reached right now, so adding the tag was not done."));
        let e: ApiError =
            desk_core::Error::Io(std::io::Error::other("disk full at /secret/path")).into();
        assert_eq!(e.code, "internal");
        assert!(
            !e.message.contains("/secret/path"),
            "internals stay in the log"
        );
        let e: ApiError = desk_core::Error::NeedsLogin { why: None }.into();
        assert_eq!(e.code, "needs_login");
    }
}
