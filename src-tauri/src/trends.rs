//! The Trends view in the app: thin commands over desk-core's trends service. It reads the
//! local history only (no request); exports go to the Downloads folder.

use desk_core::services::trends::TrendQuery;
use desk_core::trends::TrendOverview;
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// The Trends view's numbers for a range and a scope.
#[tauri::command]
#[specta::specta]
pub async fn trends_overview(st: State<'_, AppState>, query: TrendQuery) -> Result<TrendOverview> {
    let now = chrono::Utc::now().timestamp();
    Ok(st.desk().await?.trends().overview(&query, now).await?)
}

/// The numbers behind the charts as CSV (formula-safe) in the Downloads folder; says where.
#[tauri::command]
#[specta::specta]
pub async fn export_trends_csv(st: State<'_, AppState>, query: TrendQuery) -> Result<String> {
    let (desk, now) = (st.desk().await?, chrono::Utc::now().timestamp());
    let path = desk.trends().save_csv(&query, now).await?;
    Ok(path.display().to_string())
}

/// A chart the window drew, as PNG, in the Downloads folder; says where.
#[tauri::command]
#[specta::specta]
pub async fn save_trend_png(
    st: State<'_, AppState>,
    chart: String,
    png: Vec<u8>,
) -> Result<String> {
    let path = st.desk().await?.trends().save_png(&chart, &png)?;
    Ok(path.display().to_string())
}
