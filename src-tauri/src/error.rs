//! Errors as they cross to the UI: desk-core's [`Problem`], `{code, message}`. The UI branches on
//! `code` (a union in TypeScript); `message` is for people. Problems on this computer (the cache,
//! files) get a generic message, with the details in the log, so internals never reach the screen.

pub use desk_core::Problem as ApiError;

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use desk_core::ErrorCode;

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
        assert_eq!(e.code, ErrorCode::Offline);
        assert!(e
            .message
            .starts_with("Trengo can't be reached right now, so adding the tag was not done."));
        let e: ApiError =
            desk_core::Error::Io(std::io::Error::other("disk full at /secret/path")).into();
        assert_eq!(e.code, ErrorCode::Internal);
        assert!(
            !e.message.contains("/secret/path"),
            "internals stay in the log"
        );
        let e: ApiError = desk_core::Error::NeedsLogin { why: None }.into();
        assert_eq!(e.code, ErrorCode::NeedsLogin);
    }
}
