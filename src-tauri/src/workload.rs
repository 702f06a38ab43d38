//! The workload board in the app: thin commands over desk-core's workload service. It reads the
//! cache only; no command here sends a request to Trengo.

use desk_core::workload::WorkloadBoard;
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// Who holds what and who is free, now.
#[tauri::command]
#[specta::specta]
pub async fn workload(st: State<'_, AppState>) -> Result<WorkloadBoard> {
    let now = chrono::Utc::now().timestamp();
    Ok(st.desk().await?.workload().board(now).await?)
}

/// Sets an agent's limit of waiting tickets (email or id; `default` for everyone);
/// `None` removes it.
#[tauri::command]
#[specta::specta]
pub async fn set_workload_limit(
    st: State<'_, AppState>,
    agent: String,
    limit: Option<u32>,
) -> Result<()> {
    Ok(st.desk().await?.workload().set_limit(&agent, limit).await?)
}
