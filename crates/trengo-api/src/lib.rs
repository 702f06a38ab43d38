//! # trengo-api: Trengo's REST API v2, typed
//!
//! - [`Client`]: base URL and token ([`Token`] never prints itself), every endpoint the product uses
//!   ([`endpoints`]), and [`Client::raw`] for anything not modelled (the proxy).
//! - [`RequestBudget`]: the one request budget per token, with [`Lane`]s in priority order. Every
//!   request of every clone goes through it; nothing else talks to Trengo.
//! - [`retry`]: the retry decision, a pure function.
//! - [`model`]: Trengo's records and [`ListPage`] for either list envelope, decoded leniently ([`de`]).
//! - [`Error`]: one error type whose variants a caller can act on.
//!
//! ```no_run
//! # async fn demo() -> trengo_api::Result<()> {
//! use trengo_api::{Client, ClientConfig, Lane, Token, TicketQuery};
//! let client = Client::new(ClientConfig::new("https://app.trengo.com/api/v2", Token::new("…")))?;
//! let me = client.me().await?;
//! let open = client.lane(Lane::Sync).tickets(&TicketQuery::default(), 1).await?;
//! # Ok(()) }
//! ```

pub mod budget;
pub mod client;
pub mod de;
pub mod endpoints;
pub mod error;
pub mod model;
pub mod retry;
mod secret;
pub mod zone;

pub use budget::{
    BudgetConfig, BudgetState, Lane, Permit, RequestBudget, DEFAULT_SYNC_SHARE_PERCENT,
};
pub use client::{
    ApiRequest, Client, ClientConfig, RawResponse, SendGate, ZoneListener, DEFAULT_BASE_URL,
};
pub use endpoints::{Assignee, NewTicketContact, TicketQuery, TicketSort};
pub use error::{Error, Result};
pub use model::ListPage;
pub use retry::RetryPolicy;
pub use secret::Token;
pub use zone::ZoneInfo;
