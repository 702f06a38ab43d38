//! Enrichment in the app: lookup sources, preview, apply (a job), and the report.

use desk_core::enrich::{EnrichPreview, SourceConfig, SourceTest};
use desk_core::jobs::JobView;
use serde::Deserialize;
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// A secret header's value, on its way to the OS keyring.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct SecretValue {
    pub header: String,
    pub value: String,
}

/// The saved sources (the demo's is there in the demo workspace).
#[tauri::command]
#[specta::specta]
pub async fn list_sources(st: State<'_, AppState>) -> Result<Vec<SourceConfig>> {
    Ok(st.desk().await?.enrich().sources().await?)
}

/// Ready-made sources to start from.
#[tauri::command]
#[specta::specta]
pub async fn source_presets(st: State<'_, AppState>) -> Result<Vec<SourceConfig>> {
    Ok(st.desk().await?.enrich().presets())
}

#[tauri::command]
#[specta::specta]
pub async fn save_source(
    st: State<'_, AppState>,
    source: SourceConfig,
    secrets: Vec<SecretValue>,
) -> Result<()> {
    let secrets: Vec<(String, String)> = secrets.into_iter().map(|s| (s.header, s.value)).collect();
    let desk = st.desk().await?;
    Ok(desk.enrich().save_source(&source, &secrets).await?)
}

/// Lets lookups reach a host on this machine or a private network (`host:port` or a URL).
#[tauri::command]
#[specta::specta]
pub async fn allow_lookup_host(st: State<'_, AppState>, host: String) -> Result<String> {
    Ok(st.desk().await?.enrich().allow_host(&host).await?)
}

/// Looks one id up: the request's target and what each mapping makes of the answer.
#[tauri::command]
#[specta::specta]
pub async fn test_source(st: State<'_, AppState>, name: String, id: String) -> Result<SourceTest> {
    Ok(st.desk().await?.enrich().test_source(&name, &id).await?)
}

/// Looks the pasted ids up and shows what would change; nothing is written.
#[tauri::command]
#[specta::specta]
pub async fn enrich_preview(
    st: State<'_, AppState>,
    source: String,
    text: String,
) -> Result<EnrichPreview> {
    Ok(st.desk().await?.enrich().preview(&source, &text).await?)
}

/// One contact's customer id looked up in a source: each mapped field now and after.
#[tauri::command]
#[specta::specta]
pub async fn enrich_contact(
    st: State<'_, AppState>,
    source: String,
    contact_id: String,
) -> Result<EnrichPreview> {
    let desk = st.desk().await?;
    Ok(desk.enrich().contact(&source, &contact_id).await?)
}

/// Reads the rest of the contact list into the index (a lead waits on it).
#[tauri::command]
#[specta::specta]
pub async fn finish_contact_index(
    st: State<'_, AppState>,
) -> Result<desk_core::sync::ContactIndex> {
    let desk = st.desk().await?;
    Ok(desk.sync().finish_contact_index(&|_| {}).await?)
}

/// Records the previewed changes as a job and starts it.
#[tauri::command]
#[specta::specta]
pub async fn apply_enrichment(st: State<'_, AppState>, preview: EnrichPreview) -> Result<JobView> {
    let bg = st.background().await?;
    Ok(bg.started(bg.desk().enrich().apply(&preview).await?))
}

/// Writes a job's report (CSV) to the Downloads folder and says where.
#[tauri::command]
#[specta::specta]
pub async fn export_job_report(st: State<'_, AppState>, id: u32) -> Result<String> {
    let path = st.desk().await?.enrich().save_report(id).await?;
    Ok(path.display().to_string())
}
