//! The app's state: desk-core's [`Launcher`]: the open workspace (a `Desk`) with its background
//! work, and how a workspace is chosen and opened. The app adds only where events go.

use std::sync::Arc;

use desk_core::launcher::{Launch, Launcher};
use desk_core::{Background, Desk, KeyringStore};
use tauri::AppHandle;

use crate::error::Result;

pub struct AppState {
    pub launcher: Launcher,
}

impl AppState {
    pub fn new(launch: Launch, app: &AppHandle) -> AppState {
        let sink_for = crate::events::sink_for(app);
        AppState {
            launcher: Launcher::new(launch, Arc::new(KeyringStore::new()), sink_for),
        }
    }

    pub async fn desk(&self) -> Result<Arc<Desk>> {
        self.launcher.desk().await
    }

    pub async fn background(&self) -> Result<Background> {
        self.launcher.background().await
    }
}
