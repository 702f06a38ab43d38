//! What the app tells the UI without being asked: desk-core's [`DeskEvent`]s, forwarded as typed
//! Tauri events, and the desktop notifications they call for.

use std::sync::Arc;
use std::time::Duration;

use desk_core::jobs::{JobProgress, JobView};
use desk_core::{Assignment, Background, Desk, DeskEvent, StatusView, SyncProgress};
use serde::Serialize;
use tauri::{AppHandle, Manager};
use tauri_specta::Event;

use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct SyncProgressEvent(pub SyncProgress);

#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct StatusEvent(pub StatusView);

/// The cache has new data: lists should re-read.
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct CacheChangedEvent {
    pub reason: String,
}

/// Tickets newly assigned to the user or their teams.
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct AssignmentsEvent(pub Vec<Assignment>);

/// A notification was clicked: show this ticket.
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct OpenTicketEvent {
    pub id: String,
}

/// A sync failed in the background (`unauthorized`: the token was revoked).
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct SyncFailedEvent(pub ApiError);

/// A job moved on (at most five times a second).
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct JobProgressEvent(pub JobProgress);

/// A job stopped: done, paused, cancelled, or interrupted (with the reason).
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct JobFinishedEvent(pub JobView);

/// A job that ran longer than this says so with a desktop notification when it ends.
const NOTIFY_AFTER: Duration = Duration::from_secs(60);

/// Starts the workspace's background work, its events forwarded to the window.
pub fn start(app: &AppHandle, desk: Arc<Desk>) -> Background {
    let a = app.clone();
    let d = desk.clone();
    Background::start(desk, Arc::new(move |e: DeskEvent| forward(&a, &d, e)))
}

fn forward(app: &AppHandle, desk: &Arc<Desk>, e: DeskEvent) {
    let _ = match e {
        DeskEvent::SyncProgress(p) => SyncProgressEvent(p).emit(app),
        DeskEvent::SyncFailed(p) => SyncFailedEvent(p).emit(app),
        DeskEvent::CacheChanged { reason } => CacheChangedEvent { reason }.emit(app),
        DeskEvent::Status(s) => StatusEvent(s).emit(app),
        DeskEvent::JobProgress(p) => JobProgressEvent(p).emit(app),
        DeskEvent::Assignments(list) => {
            let r = AssignmentsEvent(list.clone()).emit(app);
            tauri::async_runtime::spawn(notify_assignments(app.clone(), desk.clone(), list));
            r
        }
        DeskEvent::JobFinished { job, secs } => {
            let r = JobFinishedEvent(job.clone()).emit(app);
            if Duration::from_secs(secs.into()) >= NOTIFY_AFTER {
                tauri::async_runtime::spawn(notify_job(app.clone(), desk.clone(), job));
            }
            r
        }
    };
}

/// Brings the window forward (a second start, a notification's click, the tray's "Open").
pub fn focus<R: tauri::Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Desktop notifications for new assignments, as the settings allow.
async fn notify_assignments(app: AppHandle, desk: Arc<Desk>, list: Vec<Assignment>) {
    if crate::tray::notifications_paused(&app) {
        return;
    }
    let settings = desk.settings().await.map(|s| s.notify).unwrap_or_default();
    let hour = chrono::Timelike::hour(&chrono::Local::now()) as u8;
    for note in crate::notify::notes_for(&list, &settings, hour) {
        let a = app.clone();
        let opened = move |id: String| {
            focus(&a);
            let _ = OpenTicketEvent { id }.emit(&a);
        };
        if let Err(e) = crate::notify::show(&note, settings.sound, opened).await {
            tracing::warn!(error = %e, "no desktop notification (is a notification service running?)");
        }
    }
}

/// A desktop notification for a long job that ended.
async fn notify_job(app: AppHandle, desk: Arc<Desk>, end: JobView) {
    if crate::tray::notifications_paused(&app) {
        return;
    }
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
    if let Err(e) = crate::notify::show(&note, sound, move |_| focus(&a)).await {
        tracing::warn!(error = %e, "no desktop notification for the finished job");
    }
}
