//! Bulk jobs in the app: thin commands over `Desk`, a task per running job that reports progress,
//! and a desktop notification when a long job finishes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_core::jobs::{Action, JobItemView, JobPlan, JobProgress, JobView, Selection};
use desk_core::Desk;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

use crate::error::Result;
use crate::events::CacheChangedEvent;
use crate::state::AppState;

/// A job moved on (at most five times a second).
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct JobProgressEvent(pub JobProgress);

/// A job stopped: done, paused, cancelled, or interrupted (with the reason).
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct JobFinishedEvent(pub JobView);

/// A job that ran longer than this says so with a desktop notification when it ends.
const NOTIFY_AFTER: Duration = Duration::from_secs(60);

/// Runs a job in the background of the workspace (stopped with it; the job resumes on the next
/// start, because everything it did is recorded).
pub fn spawn_run(app: &AppHandle, st: &AppState, desk: Arc<Desk>, id: u32) {
    let app = app.clone();
    let handle = tauri::async_runtime::spawn(async move {
        let started = Instant::now();
        let a = app.clone();
        let last_refresh = std::sync::Mutex::new(Instant::now());
        let progress = move |p: JobProgress| {
            let _ = JobProgressEvent(p).emit(&a);
            // Lists show the changes as they land, about once a second.
            let mut last = last_refresh.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() > Duration::from_secs(1) {
                *last = Instant::now();
                let _ = CacheChangedEvent {
                    reason: "job".into(),
                }
                .emit(&a);
            }
        };
        let end = match desk.run_job(id, &progress).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(job = id, code = e.code(), error = %e, "a job could not run");
                match desk.job(id).await {
                    Ok(mut v) => {
                        if v.reason.is_none() {
                            v.reason = Some(e.to_string());
                        }
                        v
                    }
                    Err(_) => return,
                }
            }
        };
        let _ = CacheChangedEvent {
            reason: "job done".into(),
        }
        .emit(&app);
        let _ = JobFinishedEvent(end.clone()).emit(&app);
        if started.elapsed() >= NOTIFY_AFTER {
            let note = crate::notify::Note {
                summary: format!("Job {} {}", end.id, end.state),
                body: format!(
                    "{}: {} changed, {} already so, {} failed",
                    end.title, end.done, end.skipped, end.failed
                ),
                ticket_id: None,
            };
            let sound = desk
                .settings()
                .await
                .map(|s| s.notify.sound)
                .unwrap_or(false);
            let a = app.clone();
            if let Err(e) = crate::notify::show(&note, sound, move |_| {
                if let Some(w) = a.get_webview_window("main") {
                    let _ = w.set_focus();
                }
            })
            .await
            {
                tracing::warn!(error = %e, "no desktop notification for the finished job");
            }
        }
    });
    st.background
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(handle);
}

/// Runs the jobs a previous run of the app (or a killed CLI) left unfinished.
pub async fn resume_unfinished(app: &AppHandle, st: &AppState, desk: Arc<Desk>) {
    if !desk.has_token() {
        return;
    }
    match desk.resumable_jobs().await {
        Ok(ids) => {
            for id in ids {
                tracing::info!(job = id, "resuming an unfinished job");
                spawn_run(app, st, desk.clone(), id);
            }
        }
        Err(e) => tracing::warn!(error = %e, "unfinished jobs could not be listed"),
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
    app: AppHandle,
    st: State<'_, AppState>,
    selection: Selection,
    actions: Vec<Action>,
) -> Result<JobView> {
    let desk = st.desk().await?;
    let v = desk.create_job(&selection, &actions).await?;
    spawn_run(&app, &st, desk, v.id);
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
    state: Option<String>,
) -> Result<Vec<JobItemView>> {
    Ok(st.desk().await?.job_items(id, state.as_deref()).await?)
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
pub async fn resume_job(app: AppHandle, st: State<'_, AppState>, id: u32) -> Result<JobView> {
    let desk = st.desk().await?;
    let v = desk.job(id).await?;
    spawn_run(&app, &st, desk, id);
    Ok(v)
}

/// Puts the failed items back and runs them again.
#[tauri::command]
#[specta::specta]
pub async fn retry_failed(app: AppHandle, st: State<'_, AppState>, id: u32) -> Result<JobView> {
    let desk = st.desk().await?;
    desk.retry_failed(id).await?;
    let v = desk.job(id).await?;
    spawn_run(&app, &st, desk, id);
    Ok(v)
}

/// Records the job that takes a job's changes back, and starts it.
#[tauri::command]
#[specta::specta]
pub async fn undo_job(app: AppHandle, st: State<'_, AppState>, id: u32) -> Result<JobView> {
    let desk = st.desk().await?;
    let v = desk.undo_job(id).await?;
    spawn_run(&app, &st, desk, v.id);
    Ok(v)
}
