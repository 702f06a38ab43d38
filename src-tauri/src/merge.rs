//! Merging duplicates in the app: thin commands over desk-core's tickets service. The preview
//! reads each ticket fresh; the merge is a job that reads them again.

use desk_core::jobs::JobView;
use desk_core::services::tickets::MergePreview;
use desk_core::view::TicketRow;
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// Likely duplicates of a ticket (same contact, open, similar subject, within two weeks), from
/// the cache.
#[tauri::command]
#[specta::specta]
pub async fn ticket_duplicates(st: State<'_, AppState>, ticket: String) -> Result<Vec<TicketRow>> {
    Ok(st.desk().await?.tickets().duplicates(&ticket).await?)
}

/// The tickets read fresh, side by side, before a merge; nothing is written.
#[tauri::command]
#[specta::specta]
pub async fn merge_preview(
    st: State<'_, AppState>,
    target: String,
    sources: Vec<String>,
) -> Result<MergePreview> {
    let desk = st.desk().await?;
    Ok(desk.tickets().merge_preview(&target, &sources).await?)
}

/// Runs a previewed merge as a job (it cannot be undone: Trengo deletes the merged tickets).
#[tauri::command]
#[specta::specta]
pub async fn start_merge(st: State<'_, AppState>, preview: MergePreview) -> Result<JobView> {
    let bg = st.background().await?;
    Ok(bg.started(bg.desk().tickets().merge(&preview).await?))
}
