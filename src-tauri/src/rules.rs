//! Auto-tagging rules in the app: thin commands over `Desk`. A run is a job in the workspace's
//! background, like a bulk job.

use desk_core::jobs::JobView;
use desk_core::rules::{Rule, RulePreview, StoredRule};
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// The workspace's rules with what each did live.
#[tauri::command]
#[specta::specta]
pub async fn list_rules(st: State<'_, AppState>) -> Result<Vec<StoredRule>> {
    Ok(st.desk().await?.rules().list().await?)
}

/// Saves a rule (checked first; one of the same name is replaced).
#[tauri::command]
#[specta::specta]
pub async fn save_rule(st: State<'_, AppState>, rule: Rule) -> Result<StoredRule> {
    Ok(st.desk().await?.rules().save(&rule).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_rule(st: State<'_, AppState>, name: String) -> Result<()> {
    Ok(st.desk().await?.rules().remove(&name).await?)
}

/// Switches a rule on (live, for new and changed tickets) or off.
#[tauri::command]
#[specta::specta]
pub async fn enable_rule(st: State<'_, AppState>, name: String, on: bool) -> Result<StoredRule> {
    Ok(st.desk().await?.rules().enable(&name, on).await?)
}

/// What a rule (saved or being written) matches now, by the cache.
#[tauri::command]
#[specta::specta]
pub async fn preview_rule(st: State<'_, AppState>, rule: Rule) -> Result<RulePreview> {
    Ok(st.desk().await?.rules().preview(&rule).await?)
}

/// Runs a saved rule once over its matches, as a job in the background.
#[tauri::command]
#[specta::specta]
pub async fn run_rule(st: State<'_, AppState>, name: String) -> Result<JobView> {
    let bg = st.background().await?;
    Ok(bg.started(bg.desk().rules().create_job(&name).await?))
}
