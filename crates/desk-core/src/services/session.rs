//! The session of an open workspace: who is signed in, its settings, whether Trengo answers, and
//! the status bar.

use std::path::Path;
use std::sync::atomic::Ordering;

use trengo_unified::api::{BudgetState, ZoneInfo};

use serde::{Deserialize, Serialize};

use crate::context::{Context, ZONE_KEY};
use crate::error::{Error, Result};
use crate::settings::WorkspaceSettings;
use crate::view::Freshness;
use crate::view::UserItem;
use crate::workspaces::Registry;

/// The workspace's session: who is signed in, its settings, whether Trengo answers, the status bar.
pub struct Session<'a> {
    cx: &'a Context,
}

impl<'a> Session<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Session { cx }
    }

    pub async fn settings(&self) -> Result<WorkspaceSettings> {
        self.cx.settings().await
    }

    /// The background sync's share of the budget, percent, as the settings say.
    pub async fn sync_share(&self) -> Result<u32> {
        self.cx.sync_share().await
    }

    /// Makes this the workspace opened when none is named (the app's workspace menu).
    pub fn make_current(&self) -> Result<()> {
        if let Some(dir) = self.cx.data_dir() {
            Registry::update(dir, |r| r.current = Some(self.cx.workspace.clone()))?;
        }
        Ok(())
    }

    /// The zone this workspace's zone-less times are read in, and whether Trengo's clock has
    /// shown it (kept from the last time it did, offline too).
    pub async fn trengo_zone(&self) -> Result<ZoneInfo> {
        if let Some(u) = self.cx.unified_opt() {
            return Ok(u.client().zone());
        }
        Ok(self
            .cx
            .cache
            .setting::<ZoneInfo>(ZONE_KEY)
            .await?
            .unwrap_or_default())
    }

    pub fn workspace(&self) -> &str {
        &self.cx.workspace
    }

    pub fn base_url(&self) -> &str {
        &self.cx.base_url
    }

    /// The workspace's cache file (a plain SQLite file: tests and tools may read it).
    pub fn cache_path(&self) -> &Path {
        self.cx.cache.path()
    }

    pub fn is_demo(&self) -> bool {
        self.cx.demo.is_some()
    }

    pub fn has_token(&self) -> bool {
        self.cx.unified_opt().is_some()
    }

    pub fn is_online(&self) -> bool {
        self.cx.online.load(Ordering::Relaxed)
    }

    pub fn budget_state(&self) -> Option<BudgetState> {
        self.cx.budget_state()
    }

    /// Checks and keeps the settings; returns them as kept.
    pub async fn save_settings(&self, s: &WorkspaceSettings) -> Result<WorkspaceSettings> {
        if s.poll_interval_secs < 5 {
            return Err(Error::Invalid(
                "the poll interval must be at least 5 seconds".into(),
            ));
        }
        if let Some(p) = s.sync_share_percent.filter(|p| !(5..=100).contains(p)) {
            return Err(Error::Invalid(format!(
                "the background sync's share must be from 5 to 100 percent, not {p}"
            )));
        }
        self.cx.cache.set_setting("workspace", s).await?;
        self.cx.apply_sync_share().await?;
        self.cx.settings().await
    }

    /// Forgets the token (the cache stays, for reading; the workspace is no longer the current
    /// one).
    /// `forget_lookup_secrets` removes the lookup sources' secrets from the keyring too.
    pub async fn logout(&self, forget_lookup_secrets: bool) -> Result<()> {
        if forget_lookup_secrets {
            super::Enrich::new(self.cx).forget_lookup_secrets().await?;
        }
        self.cx.secrets.delete(&self.cx.workspace)?;
        *self.cx.unified.write().unwrap_or_else(|e| e.into_inner()) = None;
        if let Some(dir) = self.cx.data_dir() {
            Registry::update(dir, |r| {
                if r.current.as_deref() == Some(self.cx.workspace.as_str()) {
                    r.current = None;
                }
            })?;
        }
        Ok(())
    }

    /// The token's user, asking Trengo once if not yet known.
    pub async fn me(&self) -> Result<UserItem> {
        self.cx.me().await
    }

    /// The status bar as it is now.
    pub async fn status(&self, syncing: bool) -> Result<StatusView> {
        let budget = self.budget_state().map(|b| BudgetView {
            limit: b.limit,
            used: b.used_in_window,
            queued: b.queued(),
            queued_bulk: b.queued_bulk,
            next_slot_ms: clamp(b.next_slot_ms),
            blocked_ms: b.blocked_ms.map(clamp),
        });
        Ok(StatusView {
            freshness: super::Directory::new(self.cx).freshness().await?,
            sync: super::Syncer::new(self.cx).freshness().await?,
            contacts: super::Syncer::new(self.cx).contact_index().await?,
            budget,
            online: self.is_online(),
            syncing,
            demo: self.is_demo(),
        })
    }
}

/// The request budget, for the status bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BudgetView {
    pub limit: u32,
    /// Requests in the last window.
    pub used: u32,
    pub queued: u32,
    pub queued_bulk: u32,
    pub next_slot_ms: u32,
    pub blocked_ms: Option<u32>,
}

/// The status bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StatusView {
    pub freshness: Freshness,
    /// How the tickets are kept fresh, and how fresh they are.
    pub sync: crate::refresh::SyncFreshness,
    pub contacts: crate::sync::ContactIndex,
    pub budget: Option<BudgetView>,
    pub online: bool,
    pub syncing: bool,
    pub demo: bool,
}

pub(crate) fn clamp(v: u64) -> u32 {
    v.min(u32::MAX as u64) as u32
}
