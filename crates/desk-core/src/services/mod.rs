//! The services of an open workspace, each handed out by [`crate::Desk`] and working on the
//! workspace's context (cache, client, budget, settings, locks): none depends on `Desk`, and each
//! owns the SQL of its tables through the module below it (the engines: [`crate::jobs`],
//! [`crate::rules`], [`crate::enrich`], [`crate::sync`], [`crate::refresh`], [`crate::cache`]).

pub mod directory;
pub mod enrich;
pub mod jobs;
pub mod macros;
pub mod raw;
pub mod rules;
pub mod session;
pub mod sla;
pub mod sync;
pub mod tickets;
pub mod trends;
pub mod views;
pub mod watcher;
pub mod workload;

pub use directory::Directory;
pub use enrich::Enrich;
pub use jobs::Jobs;
pub use macros::Macros;
pub use raw::Raw;
pub use rules::Rules;
pub use session::Session;
pub use sla::Sla;
pub use sync::Syncer;
pub use tickets::Tickets;
pub use trends::Trends;
pub use views::Views;
pub use watcher::Watcher;
pub use workload::Workload;
