//! Jobs in the app: thin commands over `Desk`; a job runs in the workspace's background
//! (desk-core's `Background`), which reports its progress and its end as events.

use desk_core::jobs::{
    parse_ticket_ids, Action, ItemState, JobItemView, JobPlan, JobView, LineProblem, Selection,
};
use serde::Serialize;
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// Pasted ticket ids read for a selection in the list, every line that is not one named.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PastedTickets {
    pub ids: Vec<String>,
    pub problems: Vec<LineProblem>,
    /// Ids pasted more than once (kept once).
    pub duplicates: u32,
}

/// Reads pasted ids, `#ids` and Trengo ticket URLs (the same reading as a bulk job's).
#[tauri::command]
#[specta::specta]
pub fn read_ticket_ids(text: String) -> PastedTickets {
    let p = parse_ticket_ids(&text);
    PastedTickets {
        ids: p.ids.iter().map(u64::to_string).collect(),
        problems: p.problems,
        duplicates: p.duplicates,
    }
}

/// What a job would do: counts per change, already-so skips, requests and time.
#[tauri::command]
#[specta::specta]
pub async fn plan_job(
    st: State<'_, AppState>,
    selection: Selection,
    actions: Vec<Action>,
) -> Result<JobPlan> {
    Ok(st.desk().await?.plan_job(&selection, &actions).await?)
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
    let v = bg.desk().create_job(&selection, &actions).await?;
    bg.run_job(v.id);
    Ok(v)
}

#[tauri::command]
#[specta::specta]
pub async fn list_jobs(st: State<'_, AppState>) -> Result<Vec<JobView>> {
    Ok(st.desk().await?.jobs(100).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    Ok(st.desk().await?.job(id).await?)
}

/// A job's items; `state` picks one kind (`failed` …).
#[tauri::command]
#[specta::specta]
pub async fn job_items(
    st: State<'_, AppState>,
    id: u32,
    state: Option<ItemState>,
) -> Result<Vec<JobItemView>> {
    Ok(st.desk().await?.job_items(id, state).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn pause_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    Ok(st.desk().await?.pause_job(id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    Ok(st.desk().await?.cancel_job(id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn resume_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    let bg = st.background().await?;
    let v = bg.desk().job(id).await?;
    bg.run_job(id);
    Ok(v)
}

/// Puts the failed items back and runs them again.
#[tauri::command]
#[specta::specta]
pub async fn retry_failed(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    let bg = st.background().await?;
    bg.desk().retry_failed(id).await?;
    let v = bg.desk().job(id).await?;
    bg.run_job(id);
    Ok(v)
}

/// Records the job that takes a job's changes back, and starts it.
#[tauri::command]
#[specta::specta]
pub async fn undo_job(st: State<'_, AppState>, id: u32) -> Result<JobView> {
    let bg = st.background().await?;
    let v = bg.desk().undo_job(id).await?;
    bg.run_job(v.id);
    Ok(v)
}
