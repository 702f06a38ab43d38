//! Macros in the app: thin commands over desk-core's macros service. Running one makes one job,
//! started like any other (progress, undo with z).

use desk_core::jobs::{JobView, Selection};
use desk_core::macros::{Macro, StoredMacro};
use desk_core::services::macros::MacroPlan;
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// The workspace's macros in order (the first nine on the keys 1–9).
#[tauri::command]
#[specta::specta]
pub async fn macros(st: State<'_, AppState>) -> Result<Vec<StoredMacro>> {
    Ok(st.desk().await?.macros().list().await?)
}

/// Saves a macro (checked first; one of the same name is replaced).
#[tauri::command]
#[specta::specta]
pub async fn save_macro(st: State<'_, AppState>, def: Macro) -> Result<StoredMacro> {
    Ok(st.desk().await?.macros().save(&def).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_macro(st: State<'_, AppState>, name: String) -> Result<()> {
    Ok(st.desk().await?.macros().remove(&name).await?)
}

/// Moves a macro to a place in the order (from 1); the keys follow.
#[tauri::command]
#[specta::specta]
pub async fn place_macro(
    st: State<'_, AppState>,
    name: String,
    to: u32,
) -> Result<Vec<StoredMacro>> {
    Ok(st.desk().await?.macros().place(&name, to).await?)
}

/// Every macro as JSON in the Downloads folder; says where.
#[tauri::command]
#[specta::specta]
pub async fn export_macros(st: State<'_, AppState>) -> Result<String> {
    let path = st.desk().await?.macros().save_export().await?;
    Ok(path.display().to_string())
}

/// Saves every macro of a macros file (all checked first: one bad macro saves none).
#[tauri::command]
#[specta::specta]
pub async fn import_macros(st: State<'_, AppState>, json: String) -> Result<Vec<StoredMacro>> {
    Ok(st.desk().await?.macros().import(&json).await?)
}

/// What running a macro on the selection would do; nothing is written.
#[tauri::command]
#[specta::specta]
pub async fn macro_plan(
    st: State<'_, AppState>,
    name: String,
    selection: Selection,
    answers: Vec<String>,
) -> Result<MacroPlan> {
    let desk = st.desk().await?;
    Ok(desk.macros().plan(&name, &selection, &answers).await?)
}

/// Runs a macro on the selection as one job with one undo.
#[tauri::command]
#[specta::specta]
pub async fn start_macro(
    st: State<'_, AppState>,
    name: String,
    selection: Selection,
    answers: Vec<String>,
) -> Result<JobView> {
    let (bg, sel) = (st.background().await?, selection);
    let job = bg.desk().macros().create(&name, &sel, &answers).await?;
    Ok(bg.started(job))
}
