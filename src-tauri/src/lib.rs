//! # trengo-desk: the app shell
//!
//! Thin commands over `desk_core::Desk` ([`commands`]), events for the UI ([`events`]), errors as
//! `{code, message}` ([`error`]), the launch flags and the workspace's background work
//! ([`state`]). The UI talks to it only through the generated bindings in `ui/src/lib/bindings.ts`.

pub mod commands;
pub mod enrich;
pub mod error;
pub mod events;
pub mod jobs;
pub mod macros;
pub mod merge;
pub mod notify;
pub mod rules;
pub mod sla;
pub mod state;
pub mod tray;
pub mod trends;
pub mod workload;

use tauri::Manager;
use tauri_specta::{collect_commands, collect_events};

/// Every command and event the UI may use, for the invoke handler and the TypeScript bindings.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            commands::session,
            commands::connect,
            commands::start_demo,
            commands::sign_out,
            commands::move_cache_aside,
            commands::list_workspaces,
            commands::switch_workspace,
            commands::close_workspace,
            commands::sync_now,
            commands::search,
            commands::view_freshness,
            commands::ticket,
            commands::open_ticket,
            commands::directory,
            commands::saved_views,
            commands::save_view,
            commands::rename_view,
            commands::delete_view,
            commands::reorder_views,
            commands::status,
            commands::create_tag,
            commands::ticket_after,
            commands::add_tag,
            commands::remove_tag,
            commands::assign_team,
            commands::assign_user,
            commands::close_ticket,
            commands::reopen_ticket,
            commands::add_note,
            commands::create_ticket,
            commands::set_ticket_field,
            commands::set_contact_field,
            commands::open_attachment,
            commands::open_in_trengo,
            commands::get_settings,
            commands::save_settings,
            commands::set_unseen,
            jobs::read_ticket_ids,
            jobs::plan_job,
            jobs::start_job,
            rules::list_rules,
            rules::save_rule,
            rules::remove_rule,
            rules::enable_rule,
            rules::preview_rule,
            rules::run_rule,
            jobs::list_jobs,
            jobs::get_job,
            jobs::job_items,
            jobs::pause_job,
            jobs::cancel_job,
            jobs::resume_job,
            jobs::retry_failed,
            jobs::undo_job,
            enrich::list_sources,
            enrich::source_presets,
            enrich::save_source,
            enrich::allow_lookup_host,
            enrich::test_source,
            enrich::enrich_preview,
            enrich::enrich_contact,
            enrich::finish_contact_index,
            enrich::apply_enrichment,
            enrich::export_job_report,
            sla::list_sla,
            sla::save_sla,
            sla::remove_sla,
            sla::enable_sla,
            sla::sla_counts,
            sla::replay_sla,
            workload::workload,
            workload::set_workload_limit,
            workload::set_workload_skills,
            workload::rebalance_preview,
            workload::away_preview,
            workload::start_rebalance,
            trends::trends_overview,
            macros::macros,
            macros::save_macro,
            macros::remove_macro,
            macros::place_macro,
            macros::export_macros,
            macros::import_macros,
            macros::macro_plan,
            macros::start_macro,
            merge::ticket_duplicates,
            merge::merge_preview,
            merge::start_merge,
            commands::spam_ticket,
            commands::unspam_ticket,
            trends::export_trends_csv,
            trends::save_trend_png,
            sla::move_sla,
            sla::export_sla,
            sla::import_sla,
        ])
        .events(collect_events![
            events::SyncProgressEvent,
            events::StatusEvent,
            events::CacheChangedEvent,
            events::SyncFailedEvent,
            events::AssignmentsEvent,
            events::OpenTicketEvent,
            events::JobProgressEvent,
            events::JobFinishedEvent,
            events::SlaWarningsEvent,
            events::OpenSlaViewEvent,
            events::OpenFilterEvent
        ])
}

/// The TypeScript bindings as they should be.
pub fn bindings() -> String {
    let dir = std::env::temp_dir().join(format!("trengo-desk-bindings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bindings.ts");
    specta_builder()
        .export(specta_typescript::Typescript::default().header("// Generated from the Rust commands by tauri-specta: do not edit.\n// Refresh: UPDATE_BINDINGS=1 cargo test -p trengo-desk bindings\n"), &path)
        .expect("export bindings");
    let text = std::fs::read_to_string(&path).expect("read bindings");
    let _ = std::fs::remove_dir_all(&dir);
    text
}

fn init_logging(app: &tauri::App) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::prelude::*;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("TRENGO_DESK_LOG")
            .unwrap_or_else(|_| "info,sqlx=warn,hyper=warn,reqwest=warn".into())
    };
    let dir = app.path().app_log_dir().ok()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("trengo-desk")
        .filename_suffix("log")
        .max_log_files(7)
        .build(&dir)
        .ok()?;
    let (file, guard) = tracing_appender::non_blocking(appender);
    let file_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(file)
        .with_filter(filter());
    let stderr_layer = cfg!(debug_assertions).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });
    let _ = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    tracing::info!(log_dir = %dir.display(), "Trengo Desk starting");
    Some(guard)
}

pub fn run() {
    let builder = specta_builder();
    let launch = desk_core::launcher::Launch::from_args(std::env::args().skip(1));
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            // A second start brings the running window forward instead.
            tray::focus(app);
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        // Addresses open through the OS's opener API, never a shell (`&` in a URL runs nothing).
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let guard = init_logging(app);
            app.manage(LogGuard(guard));
            app.manage(state::AppState::new(launch.clone(), app.handle()));
            tray::install(app.handle())?;
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the Tauri app builds")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // The workspace's background work ends with the app.
                app.state::<state::AppState>().launcher.stop_now();
            }
        });
}

struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

#[cfg(test)]
mod tests {
    /// The committed bindings are what the commands generate.
    #[test]
    fn bindings_are_fresh() {
        let want = super::bindings();
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
        if std::env::var("UPDATE_BINDINGS").is_ok() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(have == want, "ui/src/lib/bindings.ts is stale: run UPDATE_BINDINGS=1 cargo test -p trengo-desk bindings");
    }
}
