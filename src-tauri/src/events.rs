//! What the app tells the UI without being asked: desk-core's [`DeskEvent`]s, forwarded as typed
//! Tauri events, and the desktop notifications they call for.

use std::sync::Arc;

use desk_core::jobs::{JobProgress, JobView};
use desk_core::{Assignment, Desk, DeskEvent, StatusView, SyncProgress};
use serde::Serialize;
use tauri::AppHandle;
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
    pub id: desk_core::TicketId,
}

/// A notification about SLA warnings was clicked: show this SLA view.
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct OpenSlaViewEvent {
    pub sla: desk_core::view::SlaFilter,
}

/// A notification about a spike of new tickets was clicked: show these tickets.
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct OpenFilterEvent {
    pub filter: desk_core::view::TicketFilter,
}

/// Tickets became at risk of breaching their SLA (the sidebar's counts move).
#[derive(Debug, Clone, Serialize, specta::Type, Event)]
pub struct SlaWarningsEvent {
    pub tickets: u32,
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

/// Where a workspace's events go: to the window, and to desktop notifications.
pub fn sink_for(app: &AppHandle) -> desk_core::launcher::SinkFor {
    let app = app.clone();
    Arc::new(move |desk: Arc<Desk>| {
        let a = app.clone();
        Arc::new(move |e: DeskEvent| forward(&a, &desk, e)) as Arc<dyn desk_core::EventSink>
    })
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
        DeskEvent::SlaWarnings(notes) => {
            let r = SlaWarningsEvent {
                tickets: notes.len() as u32,
            }
            .emit(app);
            tauri::async_runtime::spawn(notify_sla(app.clone(), desk.clone(), notes));
            r
        }
        DeskEvent::JobFinished { job, note } => {
            let r = JobFinishedEvent(job).emit(app);
            if let Some(note) = note {
                tauri::async_runtime::spawn(notify_job(app.clone(), desk.clone(), note));
            }
            r
        }
    };
}

/// Desktop notifications for new assignments, as the settings allow.
async fn notify_assignments(app: AppHandle, desk: Arc<Desk>, list: Vec<Assignment>) {
    if crate::tray::notifications_paused(&app) {
        return;
    }
    let sound = desk.watcher().sound().await;
    for note in desk.watcher().notes(&list).await {
        let a = app.clone();
        // A group of assignments opens the window; one opens its ticket.
        let id = note.ticket_id.clone();
        let opened = move || {
            crate::tray::focus(&a);
            if let Some(id) = id {
                let _ = OpenTicketEvent { id }.emit(&a);
            }
        };
        if let Err(e) = crate::notify::show(&note, sound, opened).await {
            tracing::warn!(error = %e, "no desktop notification (is a notification service running?)");
        }
    }
}

/// A desktop notification for a long job that ended.
async fn notify_job(app: AppHandle, desk: Arc<Desk>, note: desk_core::watcher::Note) {
    if crate::tray::notifications_paused(&app) {
        return;
    }
    let sound = desk.watcher().sound().await;
    let a = app.clone();
    if let Err(e) = crate::notify::show(&note, sound, move || crate::tray::focus(&a)).await {
        tracing::warn!(error = %e, "no desktop notification for the finished job");
    }
}

/// Desktop notifications before SLA breaches (a click opens the At risk view, or the one ticket)
/// and of spikes of new tickets (a click opens them).
async fn notify_sla(app: AppHandle, desk: Arc<Desk>, notes: Vec<desk_core::watcher::Note>) {
    if crate::tray::notifications_paused(&app) {
        return;
    }
    let sound = desk.watcher().sound().await;
    for note in notes {
        let a = app.clone();
        let (ticket, sla, filter) = (note.ticket_id.clone(), note.sla_view, note.filter.clone());
        let opened = move || {
            crate::tray::focus(&a);
            let _ = match (ticket, sla, filter) {
                (Some(id), _, _) => OpenTicketEvent { id }.emit(&a),
                (None, Some(sla), _) => OpenSlaViewEvent { sla }.emit(&a),
                (None, None, Some(filter)) => OpenFilterEvent { filter: *filter }.emit(&a),
                (None, None, None) => Ok(()),
            };
        };
        if let Err(e) = crate::notify::show(&note, sound, opened).await {
            tracing::warn!(error = %e, "no desktop notification for the SLA warning");
        }
    }
}
