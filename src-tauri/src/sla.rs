//! The SLA radar in the app: thin commands over desk-core's SLA service. It reads the cache
//! only; no command here sends a request to Trengo.

use desk_core::services::sla::SlaCounts;
use desk_core::sla::{SlaPolicy, SlaReplay};
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// The policies, in the order they are tried.
#[tauri::command]
#[specta::specta]
pub async fn list_sla(st: State<'_, AppState>) -> Result<Vec<SlaPolicy>> {
    Ok(st.desk().await?.sla().list().await?)
}

/// Saves a policy, checked first; `replace` replaces one of the same name.
#[tauri::command]
#[specta::specta]
pub async fn save_sla(st: State<'_, AppState>, policy: SlaPolicy, replace: bool) -> Result<()> {
    Ok(st.desk().await?.sla().save(&policy, replace).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_sla(st: State<'_, AppState>, name: String) -> Result<()> {
    Ok(st.desk().await?.sla().remove(&name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn enable_sla(st: State<'_, AppState>, name: String, on: bool) -> Result<()> {
    Ok(st.desk().await?.sla().set_enabled(&name, on).await?)
}

/// What a draft policy would have done over the cached tickets; nothing is saved.
#[tauri::command]
#[specta::specta]
pub async fn replay_sla(st: State<'_, AppState>, policy: SlaPolicy) -> Result<SlaReplay> {
    let now = chrono::Utc::now().timestamp();
    Ok(st.desk().await?.sla().replay(&policy, now).await?)
}

/// How many open tickets are at risk and breached now, for the sidebar.
#[tauri::command]
#[specta::specta]
pub async fn sla_counts(st: State<'_, AppState>) -> Result<SlaCounts> {
    Ok(st.desk().await?.sla().counts().await?)
}

/// Puts a policy at `position` (1: tried first).
#[tauri::command]
#[specta::specta]
pub async fn move_sla(st: State<'_, AppState>, name: String, position: u32) -> Result<()> {
    Ok(st.desk().await?.sla().move_to(&name, position).await?)
}

/// Every policy as JSON, to keep or to import elsewhere.
#[tauri::command]
#[specta::specta]
pub async fn export_sla(st: State<'_, AppState>) -> Result<String> {
    Ok(st.desk().await?.sla().export().await?)
}

/// Policies from JSON (`export_sla`'s), all checked first: one bad policy saves none.
#[tauri::command]
#[specta::specta]
pub async fn import_sla(st: State<'_, AppState>, json: String, replace: bool) -> Result<u32> {
    Ok(st.desk().await?.sla().import(&json, replace).await?)
}
