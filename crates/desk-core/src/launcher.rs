//! The app's session: which workspace is open, how it is chosen (the demo, the one used last, a
//! new sign-in, another account), and its background work. The window's commands call this; the
//! shell keeps no rule of its own.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::background::{Background, EventSink, Problem};
use crate::desk::{DemoOptions, Desk, DeskConfig};
use crate::error::{Error, ErrorCode};
use crate::secrets::{SecretStore, Token};
use crate::view::UserItem;
use crate::workspaces::WorkspaceEntry;

type Result<T> = std::result::Result<T, Problem>;

/// How the app was started (its command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// Open the demo workspace on the first look.
    pub demo: bool,
    pub demo_port: u16,
    pub demo_rate_limit: u32,
    pub data_dir: Option<PathBuf>,
}

impl Default for Launch {
    fn default() -> Self {
        Launch {
            demo: false,
            demo_port: 0,
            demo_rate_limit: 120,
            data_dir: None,
        }
    }
}

impl Launch {
    /// Reads `--demo`, `--demo-port N`, `--demo-rate-limit N` and `--data-dir DIR`; anything else
    /// is left to whoever else reads the command line.
    pub fn from_args(args: impl Iterator<Item = String>) -> Launch {
        let mut l = Launch::default();
        let args: Vec<String> = args.collect();
        let mut i = 0;
        while i < args.len() {
            let next = args.get(i + 1).cloned();
            match args[i].as_str() {
                "--demo" => l.demo = true,
                "--demo-port" => {
                    l.demo_port = next.and_then(|v| v.parse().ok()).unwrap_or(0);
                    i += 1;
                }
                "--demo-rate-limit" => {
                    l.demo_rate_limit = next.and_then(|v| v.parse().ok()).unwrap_or(120);
                    i += 1;
                }
                "--data-dir" => {
                    l.data_dir = next.map(PathBuf::from);
                    i += 1;
                }
                _ => {}
            }
            i += 1;
        }
        l
    }
}

/// Where the app is: connected to a workspace, or waiting to be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "type")]
pub enum Session {
    /// First run, a revoked token, or signed out: show Connect.
    NeedsLogin {
        base_url: String,
        problem: Option<String>,
    },
    Ready {
        workspace: String,
        base_url: String,
        demo: bool,
        user: Option<UserItem>,
    },
}

impl Session {
    fn connect(base_url: &str, problem: Option<String>) -> Session {
        Session::NeedsLogin {
            base_url: base_url.to_string(),
            problem,
        }
    }
}

/// Makes the sink a workspace's background work tells its news to (the window's events).
pub type SinkFor = Arc<dyn Fn(Arc<Desk>) -> Arc<dyn EventSink> + Send + Sync>;

/// The one open workspace of an app, and how it gets opened.
pub struct Launcher {
    launch: Launch,
    secrets: Arc<dyn SecretStore>,
    sink_for: SinkFor,
    open: tokio::sync::RwLock<Option<Background>>,
    /// Held while a workspace opens or closes; true once the first look opened one.
    opening: tokio::sync::Mutex<bool>,
}

impl Launcher {
    pub fn new(launch: Launch, secrets: Arc<dyn SecretStore>, sink_for: SinkFor) -> Launcher {
        Launcher {
            launch,
            secrets,
            sink_for,
            open: tokio::sync::RwLock::new(None),
            opening: tokio::sync::Mutex::new(false),
        }
    }

    /// The session, opening the last workspace (or the demo) on the first call.
    pub async fn session(&self) -> Result<Session> {
        let mut tried = self.opening.lock().await;
        if let Some(bg) = self.open.read().await.clone() {
            return Ok(ready(bg.desk()).await);
        }
        let first = !*tried;
        *tried = true;
        if first && self.launch.demo {
            let desk = self.open_demo().await?;
            return Ok(self.install(desk).await);
        }
        // The workspace used last (each Trengo account has its own).
        let desk = match Desk::open(self.config(self.current_workspace())).await {
            Ok(d) => d,
            Err(Error::NeedsLogin { why }) => {
                return Ok(Session::connect(DeskConfig::default_base_url(), why))
            }
            Err(e) => return Err(e.into()),
        };
        if !desk.session().has_token() {
            let problem = Problem::from(Error::NeedsLogin { why: None }).message;
            return Ok(Session::connect(desk.session().base_url(), Some(problem)));
        }
        Ok(self.install(desk).await)
    }

    /// Checks the token with Trengo, stores it in the OS keyring, and opens its workspace.
    pub async fn connect(&self, base_url: &str, token: String) -> Result<Session> {
        let _one = self.opening.lock().await;
        let token = Token::new(token);
        if token.is_empty() {
            return Err(Problem::new(
                ErrorCode::Invalid,
                "Paste your personal access token (Trengo: Settings → Apps & Integrations → API).",
            ));
        }
        let cfg = DeskConfig {
            base_url: base_url.to_string(),
            ..self.config(None)
        };
        let (desk, _me) = Desk::sign_in(cfg, token).await?;
        Ok(self.install(desk).await)
    }

    /// Opens another account's workspace (its token from the keyring; without one, Connect
    /// asks).
    pub async fn switch(&self, id: &str) -> Result<Session> {
        let _one = self.opening.lock().await;
        let desk = Desk::open(self.config(Some(id.to_string()))).await?;
        desk.session().make_current()?;
        if !desk.session().has_token() {
            self.close().await;
            let problem = format!(
                "Connect again to {}: its token is no longer in the keyring.",
                desk.session().workspace()
            );
            return Ok(Session::connect(desk.session().base_url(), Some(problem)));
        }
        Ok(self.install(desk).await)
    }

    /// Opens the demo afresh on its own cache file (whatever is open stops writing first).
    pub async fn start_demo(&self) -> Result<Session> {
        let _one = self.opening.lock().await;
        self.close().await;
        let desk = self.open_demo().await?;
        Ok(self.install(desk).await)
    }

    /// Closes the open workspace (its token stays in the keyring), to add another account.
    pub async fn close_workspace(&self) -> Session {
        let _one = self.opening.lock().await;
        self.close().await;
        Session::connect(DeskConfig::default_base_url(), None)
    }

    /// Forgets the token (the demo simply closes); `forget_lookup_secrets` removes the lookup
    /// sources' secrets from the keyring too.
    pub async fn sign_out(&self, forget_lookup_secrets: bool) -> Result<Session> {
        let _one = self.opening.lock().await;
        let base_url = match self.close().await {
            Some(d) if !d.session().is_demo() => {
                d.session().logout(forget_lookup_secrets).await?;
                d.session().base_url().to_string()
            }
            _ => DeskConfig::default_base_url().to_string(),
        };
        Ok(Session::connect(&base_url, None))
    }

    /// The Trengo accounts this machine has connected to, the current one first.
    pub fn workspaces(&self) -> Vec<WorkspaceEntry> {
        Desk::workspaces(self.launch.data_dir.as_deref())
    }

    /// Moves the current workspace's cache aside when it cannot be opened; says where it went.
    pub fn move_cache_aside(&self) -> Result<String> {
        let current = self.current_workspace();
        let to = Desk::move_cache_aside(self.launch.data_dir.as_deref(), current.as_deref())?;
        Ok(to.display().to_string())
    }

    /// The open workspace.
    pub async fn desk(&self) -> Result<Arc<Desk>> {
        Ok(self.background().await?.desk().clone())
    }

    /// The open workspace's background work.
    pub async fn background(&self) -> Result<Background> {
        self.open.read().await.clone().ok_or_else(|| {
            Problem::new(
                ErrorCode::NeedsLogin,
                "Connect to a Trengo workspace, or try the demo workspace.",
            )
        })
    }

    /// Stops the background work at once (the app is quitting).
    pub fn stop_now(&self) {
        if let Ok(open) = self.open.try_read() {
            if let Some(bg) = open.as_ref() {
                bg.stop();
            }
        }
    }

    /// Stops the open workspace's background work; returns it.
    async fn close(&self) -> Option<Arc<Desk>> {
        let bg = self.open.write().await.take()?;
        bg.stop();
        Some(bg.desk().clone())
    }

    /// Makes `desk` the open workspace and starts its background work.
    async fn install(&self, desk: Desk) -> Session {
        self.close().await;
        let desk = Arc::new(desk);
        let s = ready(&desk).await;
        let sink = (self.sink_for)(desk.clone());
        *self.open.write().await = Some(Background::start(desk, sink));
        s
    }

    async fn open_demo(&self) -> crate::Result<Desk> {
        let opts = DemoOptions {
            port: self.launch.demo_port,
            rate_limit: self.launch.demo_rate_limit,
            fresh: true,
        };
        Desk::open_demo(self.launch.data_dir.clone(), opts).await
    }

    fn config(&self, workspace: Option<String>) -> DeskConfig {
        DeskConfig {
            base_url: DeskConfig::default_base_url().into(),
            workspace,
            data_dir: self.launch.data_dir.clone(),
            token: None,
            secrets: self.secrets.clone(),
            budget: None,
            read_only: false,
        }
    }

    fn current_workspace(&self) -> Option<String> {
        self.workspaces().first().map(|w| w.id.clone())
    }
}

async fn ready(desk: &Desk) -> Session {
    // Asked of Trengo once, then remembered; offline, the views that need it wait.
    let user = desk.session().me().await.ok();
    Session::Ready {
        workspace: desk.session().workspace().to_string(),
        base_url: desk.session().base_url().to_string(),
        demo: desk.session().is_demo(),
        user,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_flags() {
        let l = Launch::from_args(
            ["--demo", "--demo-port", "4567", "--demo-rate-limit", "6000"]
                .into_iter()
                .map(String::from),
        );
        assert!(l.demo);
        assert_eq!((l.demo_port, l.demo_rate_limit), (4567, 6000));
        let l = Launch::from_args(std::iter::empty());
        assert!(!l.demo);
        assert_eq!(l.demo_rate_limit, 120);
    }
}
