//! Jobs in the app: thin commands over `Desk`; a job runs in the workspace's background
//! (desk-core's `Background`), which reports its progress and its end as events.

use desk_core::jobs::{Action, ItemState, JobItemView, JobPlan, JobView, PastedTickets, Selection};
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// Reads pasted ids, `#ids` and Trengo ticket URLs (the same reading as a bulk job's).
#[tauri::command]
#[specta::specta]
pub fn read_ticket_ids(text: String) -> PastedTickets {
    PastedTickets::read(&text)
}

/// What a job would do: counts per change, already-so skips, requests and time.
#[tauri::command]
#[specta::specta]
pub async fn plan_job(
    st: State<'_, AppState>,
    selection: Selection,
    actions: Vec<Action>,
) -> Result<JobPlan> {
    Ok(st.desk().await?.jobs().plan(&selection, &actions).await?)
}

/// Records the job and starts it.
#[tauri::command]
#[specta::specta]
pub async fn start_job(
    st: State<'_, AppState>,
    selection: Selection,
    actions: Vec<Action>,
) -> Result<JobView> {
    let bg = st.background().await?;
    Ok(bg.start_job(&selection, &actions).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_jobs(st: State<'_, AppState>) -> Result<Vec<JobView>> {
    Ok(st.desk().await?.jobs().list(100).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    Ok(st.desk().await?.jobs().get(id).await?)
}

/// A job's items; `state` picks one kind (`failed` …).
#[tauri::command]
#[specta::specta]
pub async fn job_items(
    st: State<'_, AppState>,
    id: u32,
    state: Option<ItemState>,
) -> Result<Vec<JobItemView>> {
    Ok(st.desk().await?.jobs().items(id, state).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn pause_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    Ok(st.desk().await?.jobs().pause(id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    Ok(st.desk().await?.jobs().cancel(id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn resume_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    Ok(st.background().await?.resume_job(id).await?)
}

/// Puts the failed items back and runs them again.
#[tauri::command]
#[specta::specta]
pub async fn retry_failed(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    Ok(st.background().await?.retry_failed(id).await?)
}

/// Records the job that takes a job's changes back, and starts it.
#[tauri::command]
#[specta::specta]
pub async fn undo_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    Ok(st.background().await?.undo_job(id).await?)
}
