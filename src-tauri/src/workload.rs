//! The workload board in the app: thin commands over desk-core's workload service. It reads the
//! cache only; a rebalance's job is the one thing here that writes to Trengo.

use desk_core::jobs::JobView;
use desk_core::services::workload::{Rebalance, RebalanceScope};
use desk_core::workload::balance::Skill;
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

/// Replaces an agent's skills (what they may take).
#[tauri::command]
#[specta::specta]
pub async fn set_workload_skills(
    st: State<'_, AppState>,
    agent: String,
    skills: Vec<Skill>,
) -> Result<()> {
    let desk = st.desk().await?;
    Ok(desk.workload().set_skills(&agent, &skills).await?)
}

/// Who would give and who would get which waiting tickets among these agents (or a team's),
/// from the cache; nothing is written.
#[tauri::command]
#[specta::specta]
pub async fn rebalance_preview(
    st: State<'_, AppState>,
    scope: RebalanceScope,
) -> Result<Rebalance> {
    let now = chrono::Utc::now().timestamp();
    Ok(st.desk().await?.workload().rebalance(&scope, now).await?)
}

/// Where an away agent's waiting tickets would go, from the cache; nothing is written.
#[tauri::command]
#[specta::specta]
pub async fn away_preview(st: State<'_, AppState>, agent: String) -> Result<Rebalance> {
    let now = chrono::Utc::now().timestamp();
    Ok(st.desk().await?.workload().away(&agent, now).await?)
}

/// Runs a previewed rebalance (or away sweep) as one undoable job.
#[tauri::command]
#[specta::specta]
pub async fn start_rebalance(st: State<'_, AppState>, plan: Rebalance) -> Result<JobView> {
    let bg = st.background().await?;
    Ok(bg.started(bg.desk().workload().create_rebalance(&plan).await?))
}
