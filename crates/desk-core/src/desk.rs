//! `Desk`: the one facade the app and the CLI use.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use trengo_unified::api::{BudgetConfig, BudgetState, Client, ClientConfig, Lane, Token, ZoneInfo};
use trengo_unified::{mapping, ErrorKind, Unified};

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::jobs::{Action, ActionDone, JobView, NoteAdded};
use crate::saved_views::{self, SavedView};
use crate::secrets::{MemoryStore, SecretStore};
use crate::sync::{self, Progress, SyncOptions, SyncReport};
use crate::view::*;
use crate::workspaces::Registry;

/// The settings key of the zone Trengo's clock last showed for the workspace.
const ZONE_KEY: &str = "trengo_zone";

/// The demo workspace's id and token.
pub const DEMO_WORKSPACE: &str = "demo";

/// What is kept per workspace (in its cache file; never the token).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkspaceSettings {
    pub base_url: String,
    /// The token's owner, from `/users/me`.
    pub user: Option<UserItem>,
    /// The teams whose new tickets concern this user; `None`: the teams they belong to.
    pub my_team_ids: Option<Vec<String>>,
    /// How often the assignment watcher polls, in seconds.
    pub poll_interval_secs: u32,
    #[serde(default)]
    pub notify: NotifySettings,
    /// The background sync's share of Trengo's budget, percent (5–100); `None`: a quarter.
    #[serde(default)]
    pub sync_share_percent: Option<u32>,
}

/// Which desktop notifications, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NotifySettings {
    /// A ticket assigned to me.
    pub me: bool,
    /// A new ticket in one of my teams.
    pub team: bool,
    /// Quiet hours, local time: no notifications from `quiet_from` (hour, 0–23) until `quiet_to`.
    pub quiet_from: Option<u8>,
    pub quiet_to: Option<u8>,
    pub sound: bool,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            me: true,
            team: true,
            quiet_from: None,
            quiet_to: None,
            sound: false,
        }
    }
}

impl NotifySettings {
    /// Whether `hour` (local, 0–23) lies in the quiet hours (which may cross midnight).
    pub fn quiet_at(&self, hour: u8) -> bool {
        match (self.quiet_from, self.quiet_to) {
            (Some(f), Some(t)) if f == t => false,
            (Some(f), Some(t)) if f < t => hour >= f && hour < t,
            (Some(f), Some(t)) => hour >= f || hour < t,
            _ => false,
        }
    }
}

/// How the demo workspace runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The simulator's port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Requests per minute (Trengo's is 120; tests raise it).
    pub rate_limit: u32,
    /// Start from an empty cache; otherwise the last demo cache is kept (the seed is the same on
    /// every start, so its records still match).
    pub fresh: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            port: 0,
            rate_limit: 120,
            fresh: true,
        }
    }
}

/// How to open a workspace.
pub struct DeskConfig {
    /// Trengo's API base URL (a named workspace brings its own).
    pub base_url: String,
    /// Where the cache files live; default: the OS data directory.
    pub data_dir: Option<PathBuf>,
    /// The token from the environment (scripts): its user decides the workspace. Otherwise the
    /// workspace's token is read from the secret store.
    pub token: Option<Token>,
    /// A workspace by id, email or user name; `None`: the one used last on the base URL's host.
    pub workspace: Option<String>,
    pub secrets: Arc<dyn SecretStore>,
    pub budget: Option<BudgetConfig>,
}

pub struct Desk {
    cache: Cache,
    workspace: String,
    base_url: String,
    secrets: Arc<dyn SecretStore>,
    budget: BudgetConfig,
    unified: std::sync::RwLock<Option<Unified>>,
    /// Why the keyring could not be read, if it could not.
    secret_problem: Option<String>,
    online: AtomicBool,
    sync_lock: tokio::sync::Mutex<()>,
    /// Reading a ticket fresh and acting on one take turns, so an older read never lands after a
    /// change and undoes it in the cache.
    ticket_ops: tokio::sync::Mutex<()>,
    /// The in-process simulator of the demo workspace.
    demo: Option<trengo_sim::Sim>,
    /// Jobs this process is running, with the handle that pauses or cancels them.
    pub(crate) running_jobs:
        std::sync::Mutex<std::collections::HashMap<i64, Arc<crate::jobs::JobControl>>>,
    /// The open tickets as rules read them, kept while the cache has not changed: a preview is
    /// then only the matching.
    rule_tickets: tokio::sync::Mutex<Option<(String, Arc<Vec<crate::rules::RuleTicket>>)>>,
}

/// The folder for cache files: the OS data directory's `trengo-desk`.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("trengo-desk")
}

pub use crate::workspaces::{account_id, host_id, WorkspaceEntry};

fn db_path(data_dir: &Path, workspace: &str) -> PathBuf {
    data_dir
        .join("workspaces")
        .join(format!("{workspace}.sqlite3"))
}

impl DeskConfig {
    /// Trengo's main host; some accounts use `https://app.trengo.eu/api/v2`.
    pub fn default_base_url() -> &'static str {
        "https://app.trengo.com/api/v2"
    }
}

impl Desk {
    /// Opens a workspace: the one named, the account of the token given, or the one used last on
    /// the base URL's host. Its cache is read at once; Trengo is reached once a token is known.
    pub async fn open(cfg: DeskConfig) -> Result<Desk> {
        let base = normalize(&cfg.base_url)?;
        let dir = cfg.data_dir.clone().unwrap_or_else(default_data_dir);
        migrate_host_keyed(&dir, &base, cfg.secrets.as_ref()).await;
        let mut reg = Registry::load(&dir);
        let named = cfg
            .workspace
            .as_deref()
            .map(|w| reg.find(w).cloned())
            .transpose()?;
        let entry = match (&cfg.token, named) {
            // A token's own account: the one it was last used with here, else asked of Trengo
            // (one request); offline, the one named or used last, for reading.
            (Some(t), named) => {
                let at = named
                    .as_ref()
                    .map(|n| n.base_url.clone())
                    .unwrap_or(base.clone());
                let hint = reg.hint(t.expose());
                let known = reg.by_hint(&host_id(&at), &hint).cloned();
                let me = match known {
                    Some(k) => Ok(k),
                    None => whoami(&at, t, &cfg.budget).await.map(|me| {
                        let mut e = entry_for(&at, &me);
                        e.token_hint = Some(hint.clone());
                        e
                    }),
                };
                match me {
                    Ok(e) => {
                        if let Some(n) = named.filter(|n| n.id != e.id) {
                            return Err(Error::Invalid(format!(
                                "the token belongs to {} ({}), not to workspace {}",
                                e.user_name, e.id, n.id
                            )));
                        }
                        e
                    }
                    Err(e) if e.is_offline() => named
                        .or_else(|| reg.for_host(&host_id(&at)).cloned())
                        .ok_or(e)?,
                    Err(e) => return Err(e),
                }
            }
            (None, Some(n)) => n,
            (None, None) => reg
                .for_host(&host_id(&base))
                .cloned()
                .ok_or_else(|| Error::NeedsLogin {
                    why: reg.damaged.as_ref().map(|p| {
                        format!(
                            "the list of workspaces could not be read; it is kept as {} (each account's cache is still there, and is used again when you connect it)",
                            p.display()
                        )
                    }),
                })?,
        };
        let desk = Self::open_entry(&dir, &entry, cfg.token, cfg.secrets, cfg.budget).await?;
        // Named for one command, or a script's token: the current workspace stays as it was.
        // Recording it is not worth failing over (a full disk): reading goes on.
        if let Err(e) = Registry::update(&dir, |r| r.with_salt(&reg.salt).remember(entry)) {
            tracing::warn!(error = %e, "could not record the workspace as used");
        }
        Ok(desk)
    }

    /// Makes this the workspace opened when none is named (the app's workspace menu).
    pub fn make_current(&self) -> Result<()> {
        if let Some(dir) = self.cache.path().parent().and_then(Path::parent) {
            Registry::update(dir, |r| r.current = Some(self.workspace.clone()))?;
        }
        Ok(())
    }

    /// Checks a token with `/users/me` and opens its account's workspace (a new one on first
    /// use), the token kept in the keyring under it; it becomes the current workspace.
    pub async fn sign_in(cfg: DeskConfig, token: Token) -> Result<(Desk, UserItem)> {
        let base = normalize(&cfg.base_url)?;
        let dir = cfg.data_dir.clone().unwrap_or_else(default_data_dir);
        migrate_host_keyed(&dir, &base, cfg.secrets.as_ref()).await;
        let me = whoami(&base, &token, &cfg.budget).await?;
        let mut reg = Registry::load(&dir);
        let mut entry = entry_for(&base, &me);
        entry.token_hint = Some(reg.hint(token.expose()));
        let desk =
            Self::open_entry(&dir, &entry, Some(token.clone()), cfg.secrets, cfg.budget).await?;
        desk.secrets.set(&entry.id, &token)?;
        let user = desk.remember_user(&me).await?;
        Registry::update(&dir, |r| r.with_salt(&reg.salt).touch(entry))?;
        Ok((desk, user))
    }

    /// Moves a workspace's cache (the one named: its id, email or name; else the current one)
    /// aside as `<file>.unusable-<time>`, for a cache that cannot be opened: the next start makes a
    /// new one and reads the inbox again; the moved file keeps its jobs' records. Returns where
    /// it went.
    pub fn move_cache_aside(data_dir: Option<&Path>, workspace: Option<&str>) -> Result<PathBuf> {
        let dir = data_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(default_data_dir);
        let reg = Registry::load(&dir);
        let id = match workspace {
            Some(w) => reg.find(w)?.id.clone(),
            None => reg
                .current
                .clone()
                .or_else(|| reg.workspaces.first().map(|w| w.id.clone()))
                .ok_or_else(|| Error::NotFound("no workspace on this machine yet".into()))?,
        };
        crate::migrate::move_aside(&db_path(&dir, &id))
    }

    /// The workspaces this machine knows (the current one first), for a workspace menu.
    pub fn workspaces(data_dir: Option<&Path>) -> Vec<WorkspaceEntry> {
        let dir = data_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(default_data_dir);
        let reg = Registry::load(&dir);
        let mut list = reg.workspaces.clone();
        list.sort_by_key(|w| Some(&w.id) != reg.current.as_ref());
        list
    }

    async fn open_entry(
        dir: &Path,
        entry: &WorkspaceEntry,
        token: Option<Token>,
        secrets: Arc<dyn SecretStore>,
        budget: Option<BudgetConfig>,
    ) -> Result<Desk> {
        let cache = Cache::open(&db_path(dir, &entry.id)).await?;
        // The app and every CLI on this account's token share one window (a file each process
        // locks while it takes a slot).
        let mut budget = budget.unwrap_or_default();
        budget
            .shared
            .get_or_insert_with(|| dir.join("workspaces").join(format!("{}.budget", entry.id)));
        let mut desk = Desk {
            cache,
            workspace: entry.id.clone(),
            base_url: entry.base_url.clone(),
            secrets,
            budget,
            unified: std::sync::RwLock::new(None),
            secret_problem: None,
            online: AtomicBool::new(true),
            sync_lock: tokio::sync::Mutex::new(()),
            ticket_ops: tokio::sync::Mutex::new(()),
            demo: None,
            running_jobs: Default::default(),
            rule_tickets: Default::default(),
        };
        let mut s = desk.settings().await?;
        // A cache file of another account (copied or renamed by hand) is not used for this one:
        // its jobs must never run with this account's token.
        if let Some(u) = s.user.as_ref().filter(|u| u.id != entry.user_id) {
            return Err(Error::Invalid(format!(
                "the cache of workspace {} holds {}'s data (user {}), not user {}'s; remove {} to start it again",
                entry.id,
                u.name,
                u.id,
                entry.user_id,
                desk.cache.path().display()
            )));
        }
        let token = match token {
            Some(t) => Some(t),
            None => match desk.secrets.get(&desk.workspace) {
                Ok(t) => t,
                Err(e) => {
                    // Reading the cache still works without a keyring.
                    tracing::warn!(error = %e, "the keyring could not be read");
                    desk.secret_problem = Some(format!(
                        "The OS keyring could not be read ({e}); scripts can set TRENGO_TOKEN"
                    ));
                    None
                }
            },
        };
        if let Some(t) = token {
            desk.connect(t)?;
            desk.keep_zone().await?;
        }
        if s.base_url != desk.base_url {
            s.base_url = desk.base_url.clone();
            desk.cache.set_setting("workspace", &s).await?;
        }
        if let Some(u) = desk.unified_opt() {
            u.set_directory(desk.cache.directory().await?);
        }
        Ok(desk)
    }

    /// The demo workspace: a seeded simulator in this process, a colleague who assigns a ticket
    /// to you now and then, and Trengo's real limit of 120 requests a minute.
    pub async fn open_demo(data_dir: Option<PathBuf>, opts: DemoOptions) -> Result<Desk> {
        let sim = trengo_sim::Sim::start(trengo_sim::SimConfig {
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], opts.port)),
            size: trengo_sim::Size::Demo,
            rate_limit: opts.rate_limit,
            auto_assign_every: Some(std::time::Duration::from_secs(30)),
            ..trengo_sim::SimConfig::default()
        })
        .await?;
        let fresh = opts.fresh;
        let dir = data_dir.unwrap_or_else(default_data_dir);
        let path = db_path(&dir, DEMO_WORKSPACE);
        // A fresh demo starts from an empty cache (its simulator is new), but the lead's saved
        // views stay: the simulator's seed gives the same teams, tags and users again. The
        // tables are emptied rather than the file deleted: an earlier demo in this process (or
        // a closing one) may still hold the file open.
        let cache = match Cache::open(&path).await {
            Ok(cache) => cache,
            Err(e) if fresh => {
                tracing::warn!(error = %e, "the demo cache could not be opened; starting a new one");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                Cache::open(&path).await?
            }
            Err(e) => return Err(e),
        };
        if fresh {
            // The lead's saved views and rules stay (the seed's ids are the same again); the
            // rules start off, since the simulator's tickets are all new to them.
            cache.clear_except(&["saved_views", "rules"]).await?;
            sqlx::query("UPDATE rules SET enabled = 0")
                .execute(cache.pool())
                .await?;
            crate::rules::add_examples(&cache, &sim).await?;
        }
        let desk = Desk {
            cache,
            workspace: DEMO_WORKSPACE.into(),
            base_url: sim.base_url(),
            secrets: Arc::new(MemoryStore::default()),
            budget: BudgetConfig::default(),
            unified: std::sync::RwLock::new(None),
            secret_problem: None,
            online: AtomicBool::new(true),
            sync_lock: tokio::sync::Mutex::new(()),
            ticket_ops: tokio::sync::Mutex::new(()),
            demo: None,
            running_jobs: Default::default(),
            rule_tickets: Default::default(),
        };
        let mut desk = desk;
        desk.budget = BudgetConfig {
            limit: opts.rate_limit,
            ..BudgetConfig::default()
        };
        desk.connect(Token::new(trengo_sim::DEFAULT_TOKEN))?;
        desk.keep_zone().await?;
        // The demo's customer system runs on this machine, with the simulator.
        desk.allow_lookup_host(&sim.root_url()).await?;
        desk.demo = Some(sim);
        let s = WorkspaceSettings {
            base_url: desk.base_url.clone(),
            poll_interval_secs: 20,
            ..Default::default()
        };
        desk.cache.set_setting("workspace", &s).await?;
        Ok(desk)
    }

    fn connect(&self, token: Token) -> Result<()> {
        let mut cfg = ClientConfig::new(&self.base_url, token);
        cfg.budget = self.budget.clone();
        let client = Client::new(cfg).map_err(|e| Error::Invalid(e.to_string()))?;
        *self.unified.write().unwrap_or_else(|e| e.into_inner()) = Some(Unified::new(client));
        Ok(())
    }

    /// The client starts in the zone Trengo's clock last showed for this workspace, and keeps
    /// what it shows from now on (see `trengo_api::zone`).
    async fn keep_zone(&self) -> Result<()> {
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

    /// The zone this workspace's zone-less times are read in, and whether Trengo's clock has
    /// shown it (kept from the last time it did, offline too).
    pub async fn trengo_zone(&self) -> Result<ZoneInfo> {
        if let Some(u) = self.unified_opt() {
            return Ok(u.client().zone());
        }
        Ok(self
            .cache
            .setting::<ZoneInfo>(ZONE_KEY)
            .await?
            .unwrap_or_default())
    }

    fn unified_opt(&self) -> Option<Unified> {
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

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The workspace's cache file (a plain SQLite file: tests and tools may read it).
    pub fn cache_path(&self) -> &Path {
        self.cache.path()
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    /// The demo's simulator, for the demo's own controls and for tests.
    pub fn demo_sim(&self) -> Option<&trengo_sim::Sim> {
        self.demo.as_ref()
    }

    pub fn has_token(&self) -> bool {
        self.unified_opt().is_some()
    }

    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::Relaxed)
    }

    pub fn budget_state(&self) -> Option<BudgetState> {
        self.unified_opt().map(|u| u.client().budget().state())
    }

    /// The client, for work that runs in its own lane (bulk jobs, the watcher).
    pub(crate) fn client(&self) -> Result<Client> {
        Ok(self.unified()?.client().clone())
    }

    /// A unified list by resource name (`tickets`, `contacts`, `roles` …), straight from Trengo.
    pub async fn unified_list(
        &self,
        resource: &str,
        params: &trengo_unified::ListParams,
    ) -> Result<trengo_unified::Page<serde_json::Value>> {
        let r = trengo_unified::Resource::parse(resource)?;
        let u = self.unified()?;
        self.seen("listing", u.list_json(r, params).await)
    }

    /// A unified record by resource name and id, straight from Trengo.
    pub async fn unified_get(&self, resource: &str, id: &str) -> Result<serde_json::Value> {
        let r = trengo_unified::Resource::parse(resource)?;
        let u = self.unified()?;
        self.seen("reading", u.get_json(r, id).await)
    }

    /// Any Trengo call (the proxy), paced and retried like the rest; any status is data.
    pub async fn proxy(
        &self,
        method: http::Method,
        path: &str,
        query: Vec<(String, String)>,
        body: Option<serde_json::Value>,
    ) -> Result<trengo_unified::api::RawResponse> {
        let u = self.unified()?;
        self.seen("the call", u.proxy(method, path, query, body).await)
    }

    /// One line of the list for a ticket, from the cache.
    pub async fn ticket_row(&self, id: &str) -> Result<Option<TicketRow>> {
        self.cache
            .ticket_row(&Self::ticket_num(id)?.to_string())
            .await
    }

    /// Closes the cache file (checkpointing its write-ahead log); the Desk is done after this.
    pub async fn shut(&self) {
        self.cache.close().await
    }

    /// A team by name (case-insensitive) or id, from the cache.
    pub async fn find_team(&self, name: &str) -> Result<Option<Named>> {
        self.cache.find_team(name).await
    }

    /// A tag by name (case-insensitive) or id, from the cache.
    pub async fn find_tag(&self, name: &str) -> Result<Option<Named>> {
        self.cache.find_tag(name).await
    }

    /// Makes a tag in Trengo (the tag pickers' "Create tag"), or takes the one a colleague made
    /// under that name since the last sync: Trengo's list decides, not the cache. The colour is
    /// `#rrggbb`, or one picked from the name.
    pub async fn create_tag(&self, name: &str, color: Option<&str>) -> Result<TagCreated> {
        let name = tag_name_of(name)?;
        let color = match color {
            Some(c) => tag_color_of(c)?,
            None => tag_color_for(&name),
        };
        let u = self.unified()?;
        let client = u.client().lane(Lane::Interactive);
        let existing = self.seen("reading Trengo's tags", find_label(&client, &name).await)?;
        let (label, created) = match existing {
            Some(l) => (l, false),
            None => match client.create_label(&name, Some(&color)).await {
                Ok(l) => (l, true),
                // Made by someone else between the read and the write: that one it is.
                Err(e) if e.status() == Some(422) => {
                    match self.seen("reading Trengo's tags", find_label(&client, &name).await)? {
                        Some(l) => (l, false),
                        None => return Err(trengo_unified::Error::from(e).into()),
                    }
                }
                Err(e) => {
                    return self.seen("creating the tag", Err(trengo_unified::Error::from(e)))
                }
            },
        };
        let tag = mapping::tag(&label, false);
        self.cache.put_tag_now(&tag).await?;
        Ok(TagCreated {
            tag: Named {
                id: tag.id,
                name: tag.name,
            },
            created,
        })
    }

    /// A user by email (or id), from the cache.
    pub async fn find_user(&self, email: &str) -> Result<Option<Named>> {
        self.cache.find_user(email).await
    }

    pub async fn settings(&self) -> Result<WorkspaceSettings> {
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

    pub async fn save_settings(&self, s: &WorkspaceSettings) -> Result<()> {
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
        self.cache.set_setting("workspace", s).await?;
        self.apply_sync_share().await
    }

    /// The background sync's share of the budget, percent, as the settings say.
    pub async fn sync_share(&self) -> Result<u32> {
        Ok(self
            .settings()
            .await?
            .sync_share_percent
            .unwrap_or(trengo_unified::api::DEFAULT_SYNC_SHARE_PERCENT))
    }

    /// Gives the budget the settings' sync share.
    async fn apply_sync_share(&self) -> Result<()> {
        let p = self.sync_share().await?;
        if let Some(u) = self.unified_opt() {
            u.client().budget().set_sync_share(p);
        }
        Ok(())
    }

    pub(crate) fn note_online(&self, online: bool) {
        self.online.store(online, Ordering::Relaxed);
    }

    /// Notes whether Trengo answered, and turns "cannot reach" into a clear offline error.
    fn seen<T>(&self, action: &str, r: std::result::Result<T, trengo_unified::Error>) -> Result<T> {
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

    /// Keeps the token's user in the workspace settings.
    async fn remember_user(&self, me: &trengo_unified::api::model::User) -> Result<UserItem> {
        let user = UserItem {
            id: me.id.to_string(),
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

    /// Forgets the token (the cache stays, for reading; the workspace is no longer the current
    /// one).
    /// `forget_lookup_secrets` removes the lookup sources' secrets from the keyring too.
    pub async fn logout(&self, forget_lookup_secrets: bool) -> Result<()> {
        if forget_lookup_secrets {
            self.forget_lookup_secrets().await?;
        }
        self.secrets.delete(&self.workspace)?;
        *self.unified.write().unwrap_or_else(|e| e.into_inner()) = None;
        if let Some(dir) = self.cache.path().parent().and_then(Path::parent) {
            Registry::update(dir, |r| {
                if r.current.as_deref() == Some(self.workspace.as_str()) {
                    r.current = None;
                }
            })?;
        }
        Ok(())
    }

    /// The token's user, asking Trengo once if not yet known.
    pub async fn me(&self) -> Result<UserItem> {
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

    /// Syncs the directory and the working set (one sync at a time).
    pub async fn sync(&self, progress: Progress<'_>, cancel: &AtomicBool) -> Result<SyncReport> {
        let first = self.cache.freshness().await?.last_sync_at.is_none();
        self.sync_with(
            SyncOptions {
                interactive_first: first,
                // Someone asked for it and waits: not the background's share.
                lane: Lane::Bulk,
                ..SyncOptions::default()
            },
            progress,
            cancel,
        )
        .await
    }

    /// Reads only the directory (users, teams, tags, fields, channels: a few requests), in the
    /// interactive lane: a command that needs a name the cache does not know yet.
    pub async fn sync_directory(&self) -> Result<SyncReport> {
        self.sync_with(
            SyncOptions {
                interactive_first: true,
                directory_only: true,
                ..SyncOptions::default()
            },
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
    }

    async fn sync_with(
        &self,
        opts: SyncOptions,
        progress: Progress<'_>,
        cancel: &AtomicBool,
    ) -> Result<SyncReport> {
        let u = self.unified()?;
        self.apply_sync_share().await?;
        let _one = self.sync_lock.lock().await;
        let r = sync::sync(&self.cache, &u, &opts, progress, cancel).await;
        match r {
            Err(Error::Trengo(e)) => self.seen("the sync", Err(e)),
            other => {
                if other.is_ok() {
                    self.online.store(true, Ordering::Relaxed);
                }
                other
            }
        }
    }

    /// One steady refresh of the tickets (see [`crate::refresh`]), after the directory when it is
    /// older than ten minutes: what a background loop calls every [`crate::refresh::REFRESH_EVERY`].
    pub async fn refresh(
        &self,
        slice: std::time::Duration,
        progress: Progress<'_>,
        cancel: &AtomicBool,
    ) -> Result<crate::refresh::RefreshReport> {
        self.refresh_with(
            crate::refresh::RefreshRequest {
                slice,
                ..Default::default()
            },
            progress,
            cancel,
        )
        .await
    }

    /// [`Desk::refresh`] as `req` says: the views (or changes) in the interactive lane when the
    /// lead waits on them (or the cache is empty), and how soon a whole pass may follow the last.
    pub async fn refresh_with(
        &self,
        req: crate::refresh::RefreshRequest,
        progress: Progress<'_>,
        cancel: &AtomicBool,
    ) -> Result<crate::refresh::RefreshReport> {
        let crate::refresh::RefreshRequest {
            slice,
            lead_waits,
            min_pass_gap,
        } = req;
        let u = self.unified()?;
        self.apply_sync_share().await?;
        // Only an empty list waits on the first pages; after that, even while the first pass is
        // under way, the views are background work within the share.
        let first = self.cache.freshness().await?.tickets_cached == 0;
        let interactive = first || lead_waits;
        let dir_read: Option<i64> = sqlx::query_scalar(
            "SELECT last_complete_at FROM sync_state WHERE resource = 'channels'",
        )
        .fetch_optional(self.cache.pool())
        .await?
        .flatten();
        let now = chrono::Utc::now().timestamp();
        if dir_read.is_none_or(|t| now - t >= crate::refresh::DIRECTORY_EVERY_SECS) {
            self.sync_with(
                SyncOptions {
                    interactive_first: first,
                    directory_only: true,
                    ..SyncOptions::default()
                },
                progress,
                cancel,
            )
            .await?;
        }
        let me = self
            .settings()
            .await?
            .user
            .and_then(|u| u.id.parse::<u64>().ok());
        // The saved views the list can ask for, in the sidebar's order, the first five.
        let saved = crate::saved_views::list(&self.cache)
            .await?
            .iter()
            .take(5)
            .flat_map(|v| crate::refresh::trengo_queries(&v.filter))
            .collect();
        let opts = crate::refresh::RefreshOptions {
            slice,
            me,
            saved,
            min_pass_gap,
            interactive_views: interactive,
            ..Default::default()
        };
        let _one = self.sync_lock.lock().await;
        let r = crate::refresh::refresh(&self.cache, &u, &opts, progress, cancel).await;
        match r {
            Err(Error::Trengo(e)) => self.seen("the refresh", Err(e)),
            other => {
                if other.is_ok() {
                    self.online.store(true, Ordering::Relaxed);
                }
                other
            }
        }
    }

    /// How fresh the tickets are and how the workspace keeps them so.
    pub async fn sync_freshness(&self) -> Result<crate::refresh::SyncFreshness> {
        crate::refresh::freshness(&self.cache, self.sync_share().await?).await
    }

    /// The age in seconds of each cached open ticket, youngest first.
    pub async fn open_ticket_ages(&self) -> Result<Vec<u32>> {
        crate::refresh::open_ticket_ages(&self.cache).await
    }

    /// How far the contact index is.
    pub async fn contact_index(&self) -> Result<crate::sync::ContactIndex> {
        self.cache.contact_index().await
    }

    /// Reads up to `max_pages` more pages of Trengo's contact list into the index (the sync
    /// lane; `lane` to go ahead of other background work when a lead waits on it). Returns the
    /// pages read.
    pub async fn index_contacts(
        &self,
        max_pages: u32,
        lane: Lane,
        progress: &(dyn Fn(&crate::sync::ContactIndex) + Send + Sync),
    ) -> Result<u32> {
        let u = self.unified()?;
        let dir = self.cache.directory().await?;
        let base = self.cache.contact_index().await?;
        let tell = |p: &sync::ContactPass| {
            progress(&crate::sync::ContactIndex {
                indexed: base.indexed.max(p.seen),
                complete: p.complete_at.is_some(),
                total: p.total,
                pass_seen: p.seen,
                complete_at: crate::cache::iso(p.complete_at),
            })
        };
        let r = sync::contacts_pass(
            &self.cache,
            &u.client().lane(lane),
            &dir,
            max_pages,
            &AtomicBool::new(false),
            &tell,
        )
        .await;
        match r {
            Err(Error::Trengo(e)) => self.seen("reading the contacts", Err(e)),
            other => other,
        }
    }

    /// Reads the rest of the contact list (a lead waits on it: ahead of other background work).
    pub async fn finish_contact_index(
        &self,
        progress: &(dyn Fn(&crate::sync::ContactIndex) + Send + Sync),
    ) -> Result<crate::sync::ContactIndex> {
        loop {
            let ix = self.contact_index().await?;
            if ix.complete {
                return Ok(ix);
            }
            self.index_contacts(20, Lane::Bulk, progress).await?;
        }
    }

    pub async fn search(&self, f: &TicketFilter) -> Result<SearchResult> {
        self.cache.search(f).await
    }

    /// How fresh the tickets of a view are: each of them was read at most this long ago (or, where
    /// Trengo lists changes, has not changed since the last look).
    pub async fn view_freshness(&self, f: &TicketFilter) -> Result<crate::refresh::ViewFreshness> {
        crate::refresh::view_freshness(&self.cache, f).await
    }

    /// The saved views in the sidebar's order, each with its count in the cache.
    pub async fn saved_views(&self) -> Result<Vec<SavedView>> {
        saved_views::list(&self.cache).await
    }

    /// Saves a filter as a named view (a name taken already, in any case, is refused).
    pub async fn save_view(&self, name: &str, filter: &TicketFilter) -> Result<SavedView> {
        saved_views::save(&self.cache, name, filter).await
    }

    pub async fn rename_view(&self, id: u32, name: &str) -> Result<()> {
        saved_views::rename(&self.cache, id, name).await
    }

    pub async fn delete_view(&self, id: u32) -> Result<()> {
        saved_views::delete(&self.cache, id).await
    }

    /// Puts the saved views in the order of `ids` (the rest after them).
    pub async fn reorder_views(&self, ids: &[u32]) -> Result<()> {
        saved_views::reorder(&self.cache, ids).await
    }

    /// The saved view called `name`, in any case.
    pub async fn find_view(&self, name: &str) -> Result<SavedView> {
        saved_views::find(&self.cache, name).await
    }

    /// The workspace's auto-tagging rules, by name.
    pub async fn rules(&self) -> Result<Vec<crate::rules::StoredRule>> {
        let dir = self.cache.directory().await?;
        crate::rules::list(&self.cache, &dir).await
    }

    pub async fn find_rule(&self, name: &str) -> Result<crate::rules::StoredRule> {
        let dir = self.cache.directory().await?;
        crate::rules::find(&self.cache, &dir, name).await
    }

    /// Saves a rule (checked against the workspace first); one of the same name is replaced.
    pub async fn save_rule(&self, rule: &crate::rules::Rule) -> Result<crate::rules::StoredRule> {
        let dir = self.cache.directory().await?;
        crate::rules::save(&self.cache, &dir, rule).await
    }

    pub async fn remove_rule(&self, name: &str) -> Result<()> {
        let dir = self.cache.directory().await?;
        crate::rules::remove(&self.cache, &dir, name).await
    }

    /// Switches a rule on or off.
    pub async fn enable_rule(&self, name: &str, on: bool) -> Result<crate::rules::StoredRule> {
        let dir = self.cache.directory().await?;
        crate::rules::set_enabled(&self.cache, &dir, name, on).await
    }

    /// What a rule (saved or being written) matches now, by the cache: instant, no request.
    pub async fn preview_rule(
        &self,
        rule: &crate::rules::Rule,
    ) -> Result<crate::rules::RulePreview> {
        let dir = self.cache.directory().await?;
        let tickets = self.rule_tickets(&dir).await?;
        crate::rules::preview(&self.cache, &dir, rule, &tickets).await
    }

    /// The cache's open tickets as rules read them: read again only when the cache changed.
    pub(crate) async fn rule_tickets(
        &self,
        dir: &trengo_unified::Directory,
    ) -> Result<Arc<Vec<crate::rules::RuleTicket>>> {
        let stamp = crate::rules::stamp(&self.cache).await?;
        let mut held = self.rule_tickets.lock().await;
        if let Some((s, t)) = held.as_ref() {
            if *s == stamp {
                return Ok(t.clone());
            }
        }
        let t = Arc::new(crate::rules::load(&self.cache, dir).await?);
        *held = Some((stamp, t.clone()));
        Ok(t)
    }

    /// Runs a saved rule once over what it matches now, as a job (run it with
    /// [`Desk::run_job`]): each ticket is read fresh, changed only if it still matches in the parts
    /// that change (team, assignee, tags, status, ticket fields), and undoable.
    pub async fn create_rule_job(&self, name: &str) -> Result<JobView> {
        let stored = self.find_rule(name).await?;
        let p = self.preview_rule(&stored.rule).await?;
        if p.ids.is_empty() {
            return Err(Error::Invalid(format!(
                "rule {:?} matches no open ticket in the cache (sync first if tickets are new)",
                stored.rule.name
            )));
        }
        let sel = crate::jobs::Selection::Pasted {
            text: p.ids.join("\n"),
        };
        self.create_job_for(&sel, &stored.rule.actions, Some(&stored.rule))
            .await
    }

    /// One pass of the live rules (the app's watcher and `watch` call it after each look): the
    /// newest tickets are read into the cache (one request), then each rule that is on takes the
    /// open tickets made or changed since it was switched on that match and that this version of
    /// it never took, and applies itself to them as a job in the bulk lane (after clicks; each
    /// ticket read fresh and checked it still matches). A ticket is taken at most once per rule
    /// version, so rules never set each other off in a loop.
    pub async fn apply_live_rules(&self) -> Result<Vec<crate::rules::LiveRun>> {
        let dir = self.cache.directory().await?;
        let live = crate::rules::live(&self.cache, &dir).await?;
        if live.is_empty() {
            return Ok(vec![]);
        }
        let client = self.client()?.lane(Lane::Watcher);
        let r = client
            .tickets(&trengo_unified::api::TicketQuery::default(), 1)
            .await;
        let newest = self.seen(
            "reading the newest tickets",
            r.map_err(trengo_unified::Error::from),
        )?;
        self.cache
            .put_api_tickets(&newest.data, &dir, client.base_url())
            .await?;
        let tickets = self.rule_tickets(&dir).await?;
        let mut out = vec![];
        for (rule, since) in live {
            let ids = crate::rules::take(&self.cache, &dir, &rule, since, &tickets).await?;
            if ids.is_empty() {
                continue;
            }
            let sel = crate::jobs::Selection::Pasted {
                text: ids
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            let job = self
                .create_job_for(&sel, &rule.rule.actions, Some(&rule.rule))
                .await?;
            let end = self.run_job(job.id, &|_| {}).await?;
            let outcomes: Vec<(u64, String)> = self
                .job_items(job.id, None)
                .await?
                .into_iter()
                .map(|i| {
                    (
                        i.ticket_id.parse().unwrap_or(0),
                        i.state.as_str().to_string(),
                    )
                })
                .collect();
            crate::rules::record(&self.cache, &rule, job.id, &outcomes).await?;
            out.push(crate::rules::LiveRun {
                rule: rule.rule.name.clone(),
                job: job.id,
                matched: ids.len() as u32,
                changed: end.done,
                skipped: end.skipped + end.conflicts,
                failed: end.failed,
            });
        }
        Ok(out)
    }

    /// A live rule's log: matched since it was switched on, changed, skipped, failed.
    pub async fn rule_log(&self, name: &str) -> Result<crate::rules::RuleLog> {
        let r = self.find_rule(name).await?;
        crate::rules::log(&self.cache, r.id).await
    }

    /// Every rule as JSON (a list of rules): `rules import` reads it back.
    pub async fn export_rules(&self) -> Result<String> {
        let rules: Vec<crate::rules::Rule> =
            self.rules().await?.into_iter().map(|r| r.rule).collect();
        Ok(serde_json::to_string_pretty(&rules).unwrap_or_default())
    }

    /// Saves every rule of a rules file, all checked first: one bad rule saves none.
    pub async fn import_rules(&self, json: &str) -> Result<Vec<crate::rules::StoredRule>> {
        let dir = self.cache.directory().await?;
        let rules = crate::rules::parse_rules(json, &dir)?;
        let mut out = vec![];
        for r in &rules {
            out.push(crate::rules::save(&self.cache, &dir, r).await?);
        }
        Ok(out)
    }

    pub async fn directory(&self) -> Result<DirectoryLists> {
        self.cache.directory_lists().await
    }

    pub async fn freshness(&self) -> Result<Freshness> {
        self.cache.freshness().await
    }

    /// A ticket's context from the cache alone (works offline).
    pub async fn ticket_context(&self, id: &str) -> Result<TicketContext> {
        self.cache.ticket_context(id).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "ticket {id} is not in the local cache; sync, or open it while online"
            ))
        })
    }

    /// Reads a ticket, its contact and its whole thread from Trengo (Interactive lane) into the
    /// cache, and returns the context. Offline, the cached context with the offline error.
    pub async fn refresh_ticket(&self, id: &str) -> Result<TicketContext> {
        let tid = Self::ticket_num(id)?;
        let id = &tid.to_string();
        let u = self.unified()?;
        let _turn = self.ticket_turn().await;
        let c = u.client().lane(Lane::Interactive);
        let t = self.seen(
            "opening the ticket",
            c.ticket(tid).await.map_err(trengo_unified::Error::from),
        )?;
        let contact = match t.contact_ref() {
            Some(cid) => Some(
                self.seen(
                    "reading the contact",
                    c.contact(cid, false)
                        .await
                        .map_err(trengo_unified::Error::from),
                )?,
            ),
            None => None,
        };
        let mut messages = vec![];
        let mut page = 1;
        loop {
            let pg = self.seen(
                "reading the thread",
                c.messages(tid, page)
                    .await
                    .map_err(trengo_unified::Error::from),
            )?;
            messages.extend(pg.data.iter().cloned());
            match pg.next_page(page) {
                Some(n) => page = n,
                None => break,
            }
        }
        let dir = u.directory();
        let now = Utc::now().timestamp();
        let in_ws = matches!(
            t.status,
            trengo_unified::api::model::TicketStatus::Open
                | trengo_unified::api::model::TicketStatus::Assigned
        );
        let mut tx = self.cache.pool().begin().await?;
        if let Some(ct) = &contact {
            Cache::put_contact(&mut tx, &mapping::contact(ct, &dir, false), now).await?;
        }
        let mut ut = mapping::ticket(&t, &dir, u.client().base_url(), false);
        if ut.description.is_none() {
            ut.description = messages
                .iter()
                .max_by_key(|m| m.created_at)
                .and_then(|m| m.message.as_deref())
                .map(mapping::plain_text);
        }
        Cache::put_ticket(&mut tx, &ut, in_ws, now).await?;
        let comments: Vec<_> = messages
            .iter()
            .map(|m| mapping::comment(m, tid, &dir, false))
            .collect();
        Cache::put_messages(&mut tx, id, &comments, now).await?;
        tx.commit().await?;
        self.ticket_context(id).await
    }

    pub(crate) fn ticket_num(id: &str) -> Result<u64> {
        let t = id.trim().trim_start_matches('#');
        t.parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| Error::Invalid(format!("{id:?} is not a ticket id")))
    }

    fn num(what: &str, id: &str) -> Result<String> {
        id.trim()
            .parse::<u64>()
            .map(|n| n.to_string())
            .map_err(|_| Error::Invalid(format!("{what} {id:?} is not an id")))
    }

    /// Reading a ticket fresh and acting on one take turns (see `ticket_ops`).
    pub(crate) async fn ticket_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.ticket_ops.lock().await
    }

    pub async fn add_tag(&self, ticket: &str, tag_id: &str) -> Result<ActionDone> {
        self.act(
            ticket,
            Action::AddTag {
                tag_id: Self::num("tag", tag_id)?,
            },
        )
        .await
    }

    pub async fn remove_tag(&self, ticket: &str, tag_id: &str) -> Result<ActionDone> {
        self.act(
            ticket,
            Action::RemoveTag {
                tag_id: Self::num("tag", tag_id)?,
            },
        )
        .await
    }

    pub async fn assign_team(&self, ticket: &str, team_id: &str) -> Result<ActionDone> {
        self.act(
            ticket,
            Action::AssignTeam {
                team_id: Self::num("team", team_id)?,
            },
        )
        .await
    }

    pub async fn assign_user(&self, ticket: &str, user_id: &str) -> Result<ActionDone> {
        self.act(
            ticket,
            Action::AssignUser {
                user_id: Self::num("user", user_id)?,
            },
        )
        .await
    }

    pub async fn close(&self, ticket: &str) -> Result<ActionDone> {
        self.act(ticket, Action::Close).await
    }

    pub async fn reopen(&self, ticket: &str) -> Result<ActionDone> {
        self.act(ticket, Action::Reopen).await
    }

    /// Posts an internal note; it is never sent twice (a lost answer says so instead).
    /// An attachment's address, checked: it is one of this ticket's attachments (as cached) and
    /// on an allowed host ([`attachment_host_allowed`]).
    pub async fn attachment_to_open(&self, ticket: &str, url: &str) -> Result<String> {
        let ctx = self.ticket_context(ticket).await?;
        let known = ctx
            .messages
            .iter()
            .flat_map(|m| &m.attachments)
            .any(|a| a.url.as_deref() == Some(url));
        if !known {
            return Err(Error::NotFound(format!(
                "ticket #{ticket} has no attachment at that address"
            )));
        }
        attachment_host_allowed(url, &self.base_url).map_err(Error::Invalid)?;
        Ok(url.to_string())
    }

    /// An internal note on one ticket, as a one-item job (like [`Desk::act`]): recorded, shown
    /// in Activity, and undoable (undo deletes the note, where Trengo allows it). The thread in the
    /// cache shows it at once.
    pub async fn add_note(&self, ticket: &str, text: &str) -> Result<NoteAdded> {
        let tid = Self::ticket_num(ticket)?;
        let done = self
            .act(
                ticket,
                Action::AddNote {
                    text: text.trim().to_string(),
                    note_id: None,
                },
            )
            .await?;
        let note_id = self
            .job_store()
            .first_plan(done.job.id as i64)
            .await?
            .into_iter()
            .find_map(|a| match a {
                Action::AddNote { note_id, .. } => note_id,
                _ => None,
            })
            .unwrap_or_else(|| format!("{}-note-{}", tid, done.job.id));
        let me = self.me().await.ok();
        let c = trengo_unified::Comment {
            id: note_id.clone(),
            ticket: trengo_unified::Ref {
                id: tid.to_string(),
                name: None,
            },
            author: match &me {
                Some(u) => trengo_unified::ActorRef::User(trengo_unified::UserRef {
                    id: u.id.clone(),
                    name: Some(u.name.clone()),
                    email: u.email.clone(),
                }),
                None => trengo_unified::ActorRef::System,
            },
            body: text.trim().to_string(),
            html_body: None,
            is_internal: true,
            is_private: false,
            channel: None,
            attachments: vec![],
            created_at: Some(Utc::now()),
            remote_data: None,
        };
        let now = Utc::now().timestamp();
        sqlx::query("INSERT OR REPLACE INTO messages (id, ticket_id, created_at, is_internal, json, synced_at) VALUES (?, ?, ?, 1, ?, ?)")
            .bind(note_id.parse::<i64>().unwrap_or(-(done.job.id as i64)))
            .bind(tid as i64)
            .bind(c.created_at.map(|t| t.timestamp()))
            .bind(serde_json::to_string(&c).unwrap_or_default())
            .bind(now)
            .execute(self.cache.pool())
            .await?;
        Ok(NoteAdded {
            message: crate::cache::message_view(&c),
            job: done.job,
        })
    }
}

/// Whether an attachment's address may be opened: https, on the workspace's own host, or on
/// Trengo's file hosts (`trengo.com`, `trengo.eu` and their subdomains; `.test` names, which can
/// never be real hosts, are the simulator's). Never a local path or another scheme.
pub fn attachment_host_allowed(url: &str, base_url: &str) -> std::result::Result<(), String> {
    let u = url::Url::parse(url).map_err(|e| format!("{url:?} is not a web address ({e})"))?;
    let base = url::Url::parse(base_url).ok();
    let host = u.host_str().unwrap_or("").to_ascii_lowercase();
    let own = base
        .as_ref()
        .and_then(|b| b.host_str())
        .is_some_and(|h| h.eq_ignore_ascii_case(&host));
    let secure = u.scheme() == "https" || (own && u.scheme() == "http");
    if !secure {
        return Err(format!(
            "{url:?} is not an https address; only Trengo's own files are opened"
        ));
    }
    let trengo = ["trengo.com", "trengo.eu", "trengo.test"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")));
    if own || trengo {
        Ok(())
    } else {
        Err(format!(
            "{host} is neither this workspace's host nor one of Trengo's file hosts, so the attachment is not opened"
        ))
    }
}

fn normalize(base_url: &str) -> Result<String> {
    trengo_unified::api::client::normalize_base_url(base_url)
        .map_err(|e| Error::Invalid(e.to_string()))
}

/// The token's user, from `/users/me` (a client of its own: the workspace's is made once the
/// account is known).
async fn whoami(
    base_url: &str,
    token: &Token,
    budget: &Option<BudgetConfig>,
) -> Result<trengo_unified::api::model::User> {
    let mut cfg = ClientConfig::new(base_url, token.clone());
    cfg.budget = budget.clone().unwrap_or_default();
    cfg.budget.shared = None;
    let client = Client::new(cfg).map_err(|e| Error::Invalid(e.to_string()))?;
    let r = client.me().await;
    r.map_err(|e| match e {
        trengo_unified::api::Error::Network { .. } | trengo_unified::api::Error::Timeout { .. } => {
            Error::Offline {
                action: "checking the token".into(),
            }
        }
        e => trengo_unified::Error::from(e).into(),
    })
}

fn entry_for(base_url: &str, me: &trengo_unified::api::model::User) -> WorkspaceEntry {
    WorkspaceEntry {
        id: account_id(base_url, me.id),
        base_url: base_url.to_string(),
        user_id: me.id.to_string(),
        user_name: me.display_name(),
        email: me.email.clone(),
        last_used: String::new(),
        token_hint: None,
    }
}

/// Caches, tokens and budgets were once keyed by host alone. A host's cache whose user is known
/// becomes that account's workspace (file and keyring entry moved); one whose user is unknown
/// stays where it is, unused.
async fn migrate_host_keyed(dir: &Path, base_url: &str, secrets: &dyn SecretStore) {
    let host = host_id(base_url);
    let old = db_path(dir, &host);
    if !old.exists() {
        return;
    }
    let user = match Cache::open(&old).await {
        Ok(c) => {
            let s: Option<WorkspaceSettings> = c.setting("workspace").await.ok().flatten();
            c.close().await;
            s.and_then(|s| s.user)
        }
        Err(_) => None,
    };
    let Some(u) = user else { return };
    let Ok(uid) = u.id.parse::<u64>() else { return };
    let id = account_id(base_url, uid);
    let new = db_path(dir, &id);
    if new.exists() {
        return;
    }
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", old.display()));
        if from.exists() {
            if let Err(e) = std::fs::rename(&from, format!("{}{suffix}", new.display())) {
                tracing::warn!(error = %e, "a host's cache could not become its account's");
                return;
            }
        }
    }
    if let Ok(Some(t)) = secrets.get(&host) {
        if secrets.set(&id, &t).is_ok() {
            let _ = secrets.delete(&host);
        }
    }
    let _ = Registry::update(dir, |r| {
        r.touch(WorkspaceEntry {
            id,
            base_url: base_url.to_string(),
            user_id: u.id.clone(),
            user_name: u.name.clone(),
            email: u.email.clone(),
            last_used: String::new(),
            token_hint: None,
        })
    });
}

#[cfg(test)]
mod tests {
    use super::{attachment_host_allowed, NotifySettings};

    #[test]
    fn attachments_open_only_from_trengo_or_the_workspace() {
        let base = "https://app.trengo.com/api/v2";
        for ok in [
            "https://assets.trengo.com/media/1/a.pdf",
            "https://trengo.eu/x",
            "https://app.trengo.com/files/2",
            "https://assets.trengo.test/media/3/b.png",
        ] {
            assert!(attachment_host_allowed(ok, base).is_ok(), "{ok}");
        }
        for bad in [
            "file:///etc/passwd",
            "http://assets.trengo.com/a",
            "https://evil.example/trengo.com",
            "https://trengo.com.evil.example/a",
            "javascript:alert(1)",
            "/tmp/x",
        ] {
            assert!(attachment_host_allowed(bad, base).is_err(), "{bad}");
        }
        assert!(
            attachment_host_allowed("http://127.0.0.1:9/f", "http://127.0.0.1:9/api/v2").is_ok()
        );
    }

    #[test]
    fn quiet_hours_may_cross_midnight() {
        let night = NotifySettings {
            quiet_from: Some(22),
            quiet_to: Some(7),
            ..NotifySettings::default()
        };
        assert!(night.quiet_at(23) && night.quiet_at(0) && night.quiet_at(6));
        assert!(!night.quiet_at(7) && !night.quiet_at(12));
        let lunch = NotifySettings {
            quiet_from: Some(12),
            quiet_to: Some(13),
            ..NotifySettings::default()
        };
        assert!(lunch.quiet_at(12) && !lunch.quiet_at(13));
        assert!(!NotifySettings::default().quiet_at(3));
    }
}

/// A tag made (or found under that name) in Trengo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TagCreated {
    pub tag: Named,
    /// False when Trengo already had a tag of that name (in any case).
    pub created: bool,
}

/// A new tag's name: trimmed, one line, 1 to 50 characters.
fn tag_name_of(name: &str) -> Result<String> {
    one_line_name(name, "a tag", "tag", 50)
}

/// A colour as Trengo takes it: `#rrggbb`.
fn tag_color_of(c: &str) -> Result<String> {
    let c = c.trim();
    let hex = c.strip_prefix('#').unwrap_or(c);
    if hex.len() == 6 && hex.chars().all(|x| x.is_ascii_hexdigit()) {
        Ok(format!("#{}", hex.to_ascii_lowercase()))
    } else {
        Err(Error::Invalid(format!(
            "the colour {c:?} is not of the form #rrggbb"
        )))
    }
}

/// A colour from the name, the same each time: tags made in a row do not all look alike.
fn tag_color_for(name: &str) -> String {
    const COLOURS: [&str; 10] = [
        "#ed5565", "#fc6e51", "#ffce54", "#a0d468", "#48cfad", "#4fc1e9", "#5d9cec", "#ac92ec",
        "#ec87c0", "#656d78",
    ];
    let h = name
        .to_lowercase()
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    COLOURS[h as usize % COLOURS.len()].to_string()
}

/// Trengo's label of this name (any case), reading its pages.
async fn find_label(
    client: &Client,
    name: &str,
) -> std::result::Result<Option<trengo_unified::api::model::Label>, trengo_unified::Error> {
    let mut page = 1;
    loop {
        let pg = client.labels(page).await?;
        let next = pg.next_page(page);
        if let Some(l) = pg
            .data
            .into_iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
        {
            return Ok(Some(l));
        }
        match next {
            Some(n) if n > page && n <= 200 => page = n,
            _ => return Ok(None),
        }
    }
}
