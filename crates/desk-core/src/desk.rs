//! `Desk`: the one facade the app and the CLI use.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use trengo_unified::api::{BudgetConfig, Client, ClientConfig, Token};

use crate::cache::Cache;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::secrets::{MemoryStore, SecretStore};
use crate::services::{
    Directory, Enrich, Jobs, Macros, Raw, Rules, Session, Sla, Syncer, Tickets, Trends, Views,
    Watcher, Workload,
};
use crate::view::*;
use crate::workspaces::Registry;

/// The demo workspace's id and token.
pub const DEMO_WORKSPACE: &str = "demo";

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
    /// Reads the cache as it is: no migration, no write, no token (a cache made by a newer
    /// version, or one kept as evidence). Anything that would change it is refused.
    pub read_only: bool,
}

/// An open workspace: the composition root. It opens the workspace's context (cache, client,
/// budget, settings, locks) and hands out the services that work on it; it hands out no
/// internals (the cache, the client, the demo's simulator stay inside).
pub struct Desk {
    cx: Context,
}

/// The folder for cache files: the OS data directory's `trengo-desk`.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("trengo-desk")
}

pub use crate::settings::{NotifySettings, WorkspaceSettings};
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
        if cfg.read_only {
            return Self::open_read_only(&dir, &entry, cfg.secrets, cfg.budget).await;
        }
        let desk = Self::open_entry(&dir, &entry, cfg.token, cfg.secrets, cfg.budget).await?;
        // Named for one command, or a script's token: the current workspace stays as it was.
        // Recording it is not worth failing over (a full disk): reading goes on.
        if let Err(e) = Registry::update(&dir, |r| r.with_salt(&reg.salt).remember(entry)) {
            tracing::warn!(error = %e, "could not record the workspace as used");
        }
        Ok(desk)
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
        desk.cx.secrets.set(&entry.id, &token)?;
        let user = desk.cx.remember_user(&me).await?;
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

    /// [`Desk::open`] with `read_only`: the cache as it is, no token, nothing recorded.
    async fn open_read_only(
        dir: &Path,
        entry: &WorkspaceEntry,
        secrets: Arc<dyn SecretStore>,
        budget: Option<BudgetConfig>,
    ) -> Result<Desk> {
        let cache = Cache::open_read_only(&db_path(dir, &entry.id)).await?;
        let budget = budget.unwrap_or_default();
        let cx = Context::new(cache, &entry.id, &entry.base_url, secrets, budget);
        Ok(Desk { cx })
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
        let mut cx = Context::new(cache, &entry.id, &entry.base_url, secrets, budget);
        let mut s = cx.settings().await?;
        // A cache file of another account (copied or renamed by hand) is not used for this one:
        // its jobs must never run with this account's token.
        if let Some(u) = s.user.as_ref().filter(|u| u.id != entry.user_id) {
            return Err(Error::Invalid(format!(
                "the cache of workspace {} holds {}'s data (user {}), not user {}'s; remove {} to start it again",
                entry.id,
                u.name,
                u.id,
                entry.user_id,
                cx.cache.path().display()
            )));
        }
        let token = match token {
            Some(t) => Some(t),
            None => match cx.secrets.get(&cx.workspace) {
                Ok(t) => t,
                Err(e) => {
                    // Reading the cache still works without a keyring.
                    tracing::warn!(error = %e, "the keyring could not be read");
                    cx.secret_problem = Some(format!(
                        "The OS keyring could not be read ({e}); scripts can set TRENGO_TOKEN"
                    ));
                    None
                }
            },
        };
        if let Some(t) = token {
            cx.connect(t)?;
            cx.keep_zone().await?;
        }
        if s.base_url != cx.base_url {
            s.base_url = cx.base_url.clone();
            cx.cache.set_setting("workspace", &s).await?;
        }
        if let Some(u) = cx.unified_opt() {
            u.set_directory(cx.cache.directory().await?);
        }
        Ok(Desk { cx })
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
            cache
                .clear_except(&[
                    "saved_views",
                    "rules",
                    "sla_policies",
                    "workload_limits",
                    "workload_skills",
                ])
                .await?;
            sqlx::query("UPDATE rules SET enabled = 0")
                .execute(cache.pool())
                .await?;
            crate::rules::add_examples(&cache, &sim).await?;
        }
        crate::sla::store::add_examples(&cache).await?;
        crate::workload::store::add_examples(&cache, &sim).await?;
        crate::workload::store::add_example_skills(&cache, &sim).await?;
        let budget = BudgetConfig {
            limit: opts.rate_limit,
            ..BudgetConfig::default()
        };
        let secrets = Arc::new(MemoryStore::default());
        let mut cx = Context::new(cache, DEMO_WORKSPACE, &sim.base_url(), secrets, budget);
        cx.connect(Token::new(trengo_sim::DEFAULT_TOKEN))?;
        cx.keep_zone().await?;
        // The demo's customer system runs on this machine, with the simulator.
        Enrich::new(&cx).allow_host(&sim.root_url()).await?;
        cx.demo = Some(sim);
        let s = WorkspaceSettings {
            base_url: cx.base_url.clone(),
            poll_interval_secs: 20,
            ..Default::default()
        };
        cx.cache.set_setting("workspace", &s).await?;
        Ok(Desk { cx })
    }

    /// Closes the cache file (checkpointing its write-ahead log); the Desk is done after this.
    pub async fn shut(&self) {
        self.cx.cache.close().await
    }

    pub fn session(&self) -> Session<'_> {
        Session::new(&self.cx)
    }

    pub fn directory(&self) -> Directory<'_> {
        Directory::new(&self.cx)
    }

    pub fn raw(&self) -> Raw<'_> {
        Raw::new(&self.cx)
    }

    pub fn tickets(&self) -> Tickets<'_> {
        Tickets::new(&self.cx)
    }

    pub fn views(&self) -> Views<'_> {
        Views::new(&self.cx)
    }

    pub fn rules(&self) -> Rules<'_> {
        Rules::new(&self.cx)
    }

    pub fn sync(&self) -> Syncer<'_> {
        Syncer::new(&self.cx)
    }

    pub fn jobs(&self) -> Jobs<'_> {
        Jobs::new(&self.cx)
    }

    pub fn enrich(&self) -> Enrich<'_> {
        Enrich::new(&self.cx)
    }

    pub fn sla(&self) -> Sla<'_> {
        Sla::new(&self.cx)
    }

    pub fn workload(&self) -> Workload<'_> {
        Workload::new(&self.cx)
    }

    pub fn trends(&self) -> Trends<'_> {
        Trends::new(&self.cx)
    }

    pub fn macros(&self) -> Macros<'_> {
        Macros::new(&self.cx)
    }

    pub fn watcher(&self) -> Watcher<'_> {
        Watcher::new(&self.cx)
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
        user_id: me.id.into(),
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
