//! What the app tells the UI without being asked: sync progress, the status bar (budget, cache
//! freshness, online), and that the cache changed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use desk_core::{Assignment, Desk, SyncProgress, SyncReport};
use serde::Serialize;
use tauri::{AppHandle, Manager};
use tauri_specta::Event;

use crate::commands::{status_of, StatusView};
use crate::error::{ApiError, Result};
use crate::state::AppState;

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

/// A sync failed in the background.
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct SyncFailedEvent(pub ApiError);

/// How often the working set is refreshed in the background.
const SYNC_EVERY: Duration = Duration::from_secs(120);

/// Clears the "syncing" flag however the sync ends (an error, or its task aborted).
struct Syncing<'a>(&'a AtomicBool);

impl Drop for Syncing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

pub async fn sync_once(app: &AppHandle, desk: &Desk, syncing: &AtomicBool) -> Result<SyncReport> {
    if syncing
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
        .is_err()
    {
        return Err(ApiError::new(
            "busy",
            "A sync is already running; it shows its progress in the status bar.",
        ));
    }
    let _flag = Syncing(syncing);
    let app2 = app.clone();
    let last_page = std::sync::Mutex::new(std::time::Instant::now() - Duration::from_secs(1));
    let progress = move |p: SyncProgress| {
        let _ = SyncProgressEvent(p.clone()).emit(&app2);
        // Lists re-read as pages land, at most a few times a second.
        let mut last = last_page.lock().unwrap_or_else(|e| e.into_inner());
        if p.phase == "tickets" && last.elapsed() > Duration::from_millis(400) {
            *last = std::time::Instant::now();
            let _ = CacheChangedEvent {
                reason: "sync".into(),
            }
            .emit(&app2);
        }
    };
    let r = desk.sync(&progress, &AtomicBool::new(false)).await;
    syncing.store(false, Ordering::Relaxed);
    let _ = CacheChangedEvent {
        reason: "sync done".into(),
    }
    .emit(app);
    Ok(r?)
}

/// Starts the workspace's background work: a sync now and every two minutes, and the status bar
/// every second.
pub fn start(app: &AppHandle, st: &AppState, desk: Arc<Desk>) {
    let mut handles = st.background.lock().unwrap_or_else(|e| e.into_inner());
    let (a, d, syncing) = (app.clone(), desk.clone(), st.syncing.clone());
    handles.push(tauri::async_runtime::spawn(async move {
        loop {
            if let Err(e) = sync_once(&a, &d, &syncing).await {
                tracing::warn!(code = %e.code, "background sync did not run or failed");
            }
            tokio::time::sleep(SYNC_EVERY).await;
        }
    }));
    let (a, d) = (app.clone(), desk.clone());
    handles.push(tauri::async_runtime::spawn(async move {
        // The first sync brings the directory (who I am, my teams) before the first look.
        tokio::time::sleep(Duration::from_secs(5)).await;
        loop {
            watch_once(&a, &d).await;
            tokio::time::sleep(d.watch_interval().await).await;
        }
    }));
    // Jobs a previous run left unfinished go on.
    let (a, d) = (app.clone(), desk.clone());
    tauri::async_runtime::spawn(async move {
        let st = a.state::<AppState>();
        crate::jobs::resume_unfinished(&a, &st, d).await;
    });
    let (a, d, syncing) = (app.clone(), desk, st.syncing.clone());
    handles.push(tauri::async_runtime::spawn(async move {
        loop {
            if let Ok(s) = status_of(&d, syncing.load(Ordering::Relaxed)).await {
                let _ = StatusEvent(s).emit(&a);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }));
}

/// One look for new assignments: an event for the window, and desktop notifications as the
/// settings allow.
async fn watch_once(app: &AppHandle, desk: &Desk) {
    let list = match desk.poll_assignments().await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(code = e.code(), "the assignment watcher could not look");
            return;
        }
    };
    if list.is_empty() {
        return;
    }
    let _ = AssignmentsEvent(list.clone()).emit(app);
    let settings = desk.settings().await.map(|s| s.notify).unwrap_or_default();
    let hour = chrono::Timelike::hour(&chrono::Local::now()) as u8;
    for note in crate::notify::notes_for(&list, &settings, hour) {
        let a = app.clone();
        let opened = move |id: String| {
            if let Some(w) = a.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
            let _ = OpenTicketEvent { id }.emit(&a);
        };
        if let Err(e) = crate::notify::show(&note, settings.sound, opened).await {
            tracing::warn!(error = %e, "no desktop notification (is a notification service running?)");
        }
    }
}
