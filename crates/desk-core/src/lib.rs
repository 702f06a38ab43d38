//! # desk-core: what Trengo Desk does, without a window
//!
//! - [`Desk`]: the facade the app and the CLI use: open a workspace (real, or the demo with the
//!   simulator in-process), sync, search, a ticket's whole context, the directory, and the
//!   single-ticket actions.
//! - [`cache`]: the SQLite cache; [`sync`]: directory and working set into it.
//! - [`secrets`]: tokens in the OS keyring; [`view`]: the records the UI and CLI show.

pub mod cache;
pub mod desk;
pub mod enrich;
pub mod error;
pub mod jobs;
pub mod secrets;
pub mod sync;
pub mod view;
pub mod watcher;

pub use desk::{
    default_data_dir, workspace_id, DemoOptions, Desk, DeskConfig, NotifySettings,
    WorkspaceSettings, DEMO_WORKSPACE,
};
pub use error::{Error, Result};
pub use secrets::{KeyringStore, MemoryStore, SecretStore, Token};
pub use sync::{SyncOptions, SyncProgress, SyncReport};
pub use watcher::Assignment;

pub use trengo_unified::ListParams;

/// A unified list by resource name, for the CLI.
pub async fn unified_list(
    u: &trengo_unified::Unified,
    resource: &str,
    params: &ListParams,
) -> Result<trengo_unified::Page<serde_json::Value>> {
    Ok(
        u.list_json(trengo_unified::Resource::parse(resource)?, params)
            .await?,
    )
}

/// A unified record by resource name and id, for the CLI.
pub async fn unified_get(
    u: &trengo_unified::Unified,
    resource: &str,
    id: &str,
) -> Result<serde_json::Value> {
    Ok(u.get_json(trengo_unified::Resource::parse(resource)?, id)
        .await?)
}
