//! The app's state: the open workspace (a `Desk`) with its background work (desk-core's
//! [`Background`], stopped when the workspace changes or the app exits), and how the app was
//! launched.

use std::path::PathBuf;
use std::sync::Arc;

use desk_core::{Background, Desk, ErrorCode};

/// From the command line.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// `--demo`: the embedded demo workspace.
    pub demo: bool,
    /// `--demo-port N`: the demo simulator's port (tests reach its admin API there).
    pub demo_port: u16,
    /// `--demo-rate-limit N`: requests per minute in the demo (default Trengo's 120).
    pub demo_rate_limit: u32,
    /// `--data-dir DIR`: where caches live.
    pub data_dir: Option<PathBuf>,
}

impl Launch {
    pub fn from_args(args: impl Iterator<Item = String>) -> Launch {
        let mut l = Launch {
            demo_rate_limit: 120,
            ..Launch::default()
        };
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

pub struct AppState {
    pub launch: Launch,
    pub config_dir: PathBuf,
    /// The open workspace's background work; its `desk()` is the workspace.
    pub open: tokio::sync::RwLock<Option<Background>>,
    /// Serializes opening and switching workspaces.
    pub opening: tokio::sync::Mutex<bool>,
}

impl AppState {
    pub fn new(launch: Launch, config_dir: PathBuf) -> AppState {
        AppState {
            launch,
            config_dir,
            open: tokio::sync::RwLock::new(None),
            opening: tokio::sync::Mutex::new(false),
        }
    }

    /// Closes the open workspace: its loops and background jobs stop (jobs resume next time).
    pub async fn close(&self) -> Option<Arc<Desk>> {
        let bg = self.open.write().await.take()?;
        bg.stop();
        Some(bg.desk().clone())
    }

    /// Stops the background work without waiting (the app is exiting).
    pub fn stop_now(&self) {
        if let Ok(open) = self.open.try_read() {
            if let Some(bg) = open.as_ref() {
                bg.stop();
            }
        }
    }

    /// The workspace used last on this machine (desk-core's registry), if any.
    pub fn current_workspace(&self) -> Option<String> {
        desk_core::Desk::workspaces(self.launch.data_dir.as_deref())
            .first()
            .map(|w| w.id.clone())
    }

    fn not_open() -> crate::error::ApiError {
        crate::error::ApiError::new(
            ErrorCode::NeedsLogin,
            "Connect to a Trengo workspace, or try the demo workspace.",
        )
    }

    pub async fn desk(&self) -> crate::error::Result<Arc<Desk>> {
        Ok(self.background().await?.desk().clone())
    }

    pub async fn background(&self) -> crate::error::Result<Background> {
        self.open.read().await.clone().ok_or_else(Self::not_open)
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
