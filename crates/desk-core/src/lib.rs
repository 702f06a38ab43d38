//! # desk-core: what Trengo Desk does, without a window
//!
//! - [`Desk`]: the facade the app and the CLI use: open a workspace (real, or the demo with the
//!   simulator in-process), sync, search, a ticket's whole context, the directory, actions and
//!   jobs. It hands out no internals: the cache and the client stay inside.
//! - [`actions`]: what an action does to a ticket, in one place; [`jobs`]: the engine every write
//!   goes through (single actions, bulk, undo, enrichment), durable and undoable.
//! - [`cache`]: the SQLite cache; [`sync`]: directory and working set into it.
//! - [`enrich`]: contact fields from lookup sources; [`watcher`]: new assignments.
//! - [`secrets`]: tokens in the OS keyring; [`view`]: the records the UI and CLI show.

/// Declares a fixed set of words stored in SQLite and shown to the UI and the CLI's JSON, as an
/// enum exported to TypeScript as a union.
macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// Reads the word as stored; an unknown one is an error that names it.
            pub fn parse(s: &str) -> crate::error::Result<$name> {
                match s {
                    $($s => Ok($name::$v),)+
                    other => Err(crate::error::Error::Invalid(format!(
                        "the cache holds an unknown {} {other:?}", stringify!($name)
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

pub mod actions;
pub mod background;
pub mod cache;
mod context;
pub mod desk;
pub mod enrich;
pub mod error;
pub mod files;
pub mod ids;
pub mod jobs;
pub mod launcher;
pub mod macros;
pub mod migrate;
pub mod refresh;
pub mod rules;
pub mod saved_views;
pub mod secrets;
pub mod services;
pub mod settings;
pub mod sla;
pub mod sync;
pub mod trends;
pub mod values;
pub mod view;
pub mod watcher;
pub mod workload;
pub mod workspaces;

pub use background::{Background, DeskEvent, EventSink, OpenedTicket, Problem, StatusView};
pub use desk::{
    account_id, default_data_dir, host_id, DemoOptions, Desk, DeskConfig, NotifySettings,
    WorkspaceSettings, DEMO_WORKSPACE,
};
pub use error::{Error, ErrorCode, Result};
pub use ids::{ChannelId, ContactId, FieldId, TagId, TeamId, TicketId, UserId};
pub use refresh::{RefreshReport, RefreshRequest, SyncFreshness, SyncMode};
pub use saved_views::SavedView;
pub use secrets::{KeyringStore, MemoryStore, SecretStore, Token};
pub use services::directory::TagCreated;
pub use sync::{SyncOptions, SyncPhase, SyncProgress, SyncReport};
pub use watcher::Assignment;
pub use workspaces::WorkspaceEntry;

/// The zone Trengo's zone-less times are read in (Europe/Amsterdam).
pub use trengo_unified::api::de::TRENGO_ZONE;
pub use trengo_unified::api::BudgetConfig;
pub use trengo_unified::{EntityType, ListParams};
