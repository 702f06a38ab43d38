//! The workspace context: what every service of a workspace shares (its cache, its client and
//! budget, its settings, the locks that make its readers and writers take turns). [`crate::Desk`]
//! opens it and hands out services that borrow it; nothing outside desk-core sees it.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use trengo_unified::api::{BudgetConfig, Client, ClientConfig, Token, ZoneInfo};
use trengo_unified::{ErrorKind, Unified};

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::jobs::JobStore;
use crate::secrets::SecretStore;
use crate::settings::WorkspaceSettings;
use crate::view::UserItem;

/// The settings key of the zone Trengo's clock last showed for the workspace.
pub(crate) const ZONE_KEY: &str = "trengo_zone";

/// One open workspace.
pub(crate) struct Context {
    pub(crate) cache: Cache,
    pub(crate) workspace: String,
    pub(crate) base_url: String,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) budget: BudgetConfig,
    pub(crate) unified: std::sync::RwLock<Option<Unified>>,
    /// Why the keyring could not be read, if it could not.
    pub(crate) secret_problem: Option<String>,
    pub(crate) online: AtomicBool,
    pub(crate) sync_lock: tokio::sync::Mutex<()>,
    /// Reading a ticket fresh and acting on one take turns, so an older read never lands after a
    /// change and undoes it in the cache.
    pub(crate) ticket_ops: tokio::sync::Mutex<()>,
    /// The in-process simulator of the demo workspace.
    pub(crate) demo: Option<trengo_sim::Sim>,
    /// Jobs this process is running, with the handle that pauses or cancels them.
    pub(crate) running_jobs:
        std::sync::Mutex<std::collections::HashMap<i64, Arc<crate::jobs::JobControl>>>,
    /// The open tickets as rules read them, kept while the cache has not changed: a preview is
    /// then only the matching.
    pub(crate) rule_tickets_memo:
        tokio::sync::Mutex<Option<(String, Arc<Vec<crate::rules::RuleTicket>>)>>,
    /// The trends' tag levels and when they were counted: tags are counted again every few
    /// minutes (it takes a join over every open ticket), the other levels at each look.
    pub(crate) trend_tags: std::sync::Mutex<Option<(i64, crate::trends::TagLevels)>>,
}

impl Context {
    pub(crate) fn new(
        cache: Cache,
        workspace: &str,
        base_url: &str,
        secrets: Arc<dyn SecretStore>,
        budget: BudgetConfig,
    ) -> Context {
        Context {
            cache,
            workspace: workspace.to_string(),
            base_url: base_url.to_string(),
            secrets,
            budget,
            unified: std::sync::RwLock::new(None),
            secret_problem: None,
            online: AtomicBool::new(true),
            sync_lock: tokio::sync::Mutex::new(()),
            ticket_ops: tokio::sync::Mutex::new(()),
            demo: None,
            running_jobs: Default::default(),
            rule_tickets_memo: Default::default(),
            trend_tags: Default::default(),
        }
    }

    /// The folder of the workspace list (the cache's folder's parent).
    pub(crate) fn data_dir(&self) -> Option<&Path> {
        self.cache.path().parent().and_then(Path::parent)
    }

    /// The demo's simulator, for the demo's own controls.
    pub(crate) fn demo_sim(&self) -> Option<&trengo_sim::Sim> {
        self.demo.as_ref()
    }

    pub(crate) fn connect(&self, token: Token) -> Result<()> {
        let mut cfg = ClientConfig::new(&self.base_url, token);
        cfg.budget = self.budget.clone();
        let client = Client::new(cfg).map_err(|e| Error::Invalid(e.to_string()))?;
        *self.unified.write().unwrap_or_else(|e| e.into_inner()) = Some(Unified::new(client));
        Ok(())
    }

    /// The client starts in the zone Trengo's clock last showed for this workspace, and keeps
    /// what it shows from now on (see `trengo_api::zone`).
    pub(crate) async fn keep_zone(&self) -> Result<()> {
        let Some(u) = self.unified_opt() else {
            return Ok(());
        };
        if let Some(z) = self.cache.setting::<ZoneInfo>(ZONE_KEY).await? {
            u.client().set_zone(z);
        }
        let cache = self.cache.clone();
        u.client().on_zone_learned(Arc::new(move |z: ZoneInfo| {
            let cache = cache.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if let Err(e) = cache.set_setting(ZONE_KEY, &z).await {
                        tracing::warn!(error = %e, "could not keep the workspace's zone");
                    }
                });
            }
        }));
        Ok(())
    }

    pub(crate) fn unified_opt(&self) -> Option<Unified> {
        self.unified
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn unified(&self) -> Result<Unified> {
        self.unified_opt().ok_or_else(|| Error::NeedsLogin {
            why: self.secret_problem.clone(),
        })
    }

    pub(crate) fn secrets_store(&self) -> &dyn SecretStore {
        self.secrets.as_ref()
    }

    pub(crate) fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The client, for work that runs in its own lane (bulk jobs, the watcher).
    pub(crate) fn client(&self) -> Result<Client> {
        Ok(self.unified()?.client().clone())
    }

    /// Notes whether Trengo answered, and turns "cannot reach" into a clear offline error.
    pub(crate) fn seen<T>(
        &self,
        action: &str,
        r: std::result::Result<T, trengo_unified::Error>,
    ) -> Result<T> {
        match r {
            Ok(v) => {
                self.online.store(true, Ordering::Relaxed);
                Ok(v)
            }
            Err(e) if matches!(e.kind, ErrorKind::Network | ErrorKind::Timeout) => {
                self.online.store(false, Ordering::Relaxed);
                Err(Error::Offline {
                    action: action.to_string(),
                })
            }
            Err(e) => {
                self.online.store(true, Ordering::Relaxed);
                Err(e.into())
            }
        }
    }

    pub(crate) fn note_online(&self, online: bool) {
        self.online.store(online, Ordering::Relaxed);
    }

    pub(crate) async fn settings(&self) -> Result<WorkspaceSettings> {
        Ok(self
            .cache
            .setting("workspace")
            .await?
            .unwrap_or(WorkspaceSettings {
                base_url: self.base_url.clone(),
                poll_interval_secs: 20,
                ..Default::default()
            }))
    }

    /// The background sync's share of the budget, percent, as the settings say.
    pub(crate) async fn sync_share(&self) -> Result<u32> {
        Ok(self
            .settings()
            .await?
            .sync_share_percent
            .unwrap_or(trengo_unified::api::DEFAULT_SYNC_SHARE_PERCENT))
    }

    /// Gives the budget the settings' sync share.
    pub(crate) async fn apply_sync_share(&self) -> Result<()> {
        let p = self.sync_share().await?;
        if let Some(u) = self.unified_opt() {
            u.client().budget().set_sync_share(p);
        }
        Ok(())
    }

    /// Keeps the token's user in the workspace settings.
    pub(crate) async fn remember_user(
        &self,
        me: &trengo_unified::api::model::User,
    ) -> Result<UserItem> {
        let user = UserItem {
            id: me.id.into(),
            name: me.display_name(),
            email: me.email.clone(),
            // The role is `role.name`; `authorization: OWNER` marks the account's owner.
            role: me
                .authorization
                .as_deref()
                .filter(|a| a.eq_ignore_ascii_case("owner"))
                .or(me.role.as_ref().map(|r| r.name.as_str()))
                .or(me.authorization.as_deref())
                .filter(|r| !r.is_empty())
                .map(str::to_ascii_lowercase),
            team_ids: vec![],
        };
        let mut s = self.settings().await?;
        s.user = Some(user.clone());
        self.cache.set_setting("workspace", &s).await?;
        Ok(user)
    }

    /// Reading a ticket fresh and acting on one take turns (see `ticket_ops`).
    pub(crate) async fn ticket_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.ticket_ops.lock().await
    }

    /// The request budget as it stands, once a token is known.
    pub(crate) fn budget_state(&self) -> Option<trengo_unified::api::BudgetState> {
        self.unified_opt().map(|u| u.client().budget().state())
    }

    /// The token's user, asking Trengo once if not yet known.
    pub(crate) async fn me(&self) -> Result<UserItem> {
        let s = self.settings().await?;
        if let Some(u) = s.user {
            return Ok(u);
        }
        let u = self.unified()?;
        let me = self.seen(
            "reading your user",
            u.client().me().await.map_err(trengo_unified::Error::from),
        )?;
        self.remember_user(&me).await
    }

    pub(crate) fn job_store(&self) -> JobStore {
        JobStore {
            pool: self.cache().pool().clone(),
        }
    }

    pub(crate) fn eta_secs(&self, requests: u32) -> u32 {
        match self.client() {
            Ok(c) => {
                let w = crate::jobs::outcomes::workers(c.budget().state().limit) as u32;
                c.budget().eta(requests, w).as_secs_f64().ceil() as u32
            }
            Err(_) => requests / 2,
        }
    }
}

pub(crate) fn ticket_num(id: &str) -> Result<u64> {
    Ok(crate::TicketId::parse(id)?.number())
}
