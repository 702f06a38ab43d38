//! The tray icon, where the desktop has an appindicator (libayatana-appindicator3 or
//! libappindicator3, loaded at run time): the unseen count as its label, "Open Trengo Desk",
//! "Pause notifications" and "Quit". Without the library the app runs as before (the count in
//! the window title and the icon's badge): the probe comes first, because the tray crate
//! panics when it cannot load the library.

use std::sync::atomic::{AtomicBool, Ordering};

use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};

/// Managed state: the tray, if there is one, and whether notifications are paused.
pub struct Tray<R: Runtime> {
    icon: Option<TrayIcon<R>>,
    paused: AtomicBool,
}

/// Whether this desktop can show an appindicator tray.
pub fn available() -> bool {
    if std::env::var_os("TRENGO_DESK_NO_TRAY").is_some() {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        ["libayatana-appindicator3.so.1", "libappindicator3.so.1"]
            .iter()
            // SAFETY: loading a system library runs its initialisers; these are the libraries
            // the tray itself loads next, and the handle is dropped at once.
            .any(|lib| unsafe { libloading::Library::new(lib) }.is_ok())
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// Puts the tray up (where [`available`]) and manages its state either way.
pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let icon = if available() {
        // A tray that cannot be made (its icon file cannot be written, say) is no reason not
        // to start: the title and badge still show the count.
        build(app)
            .map_err(|e| tracing::warn!(error = %e, "no tray icon"))
            .ok()
    } else {
        tracing::info!("no appindicator library: no tray icon, the window title shows the count");
        None
    };
    app.manage(Tray {
        icon,
        paused: AtomicBool::new(false),
    });
    Ok(())
}

fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<TrayIcon<R>> {
    let open = MenuItem::with_id(app, "open", "Open Trengo Desk", true, None::<&str>)?;
    let pause = CheckMenuItem::with_id(
        app,
        "pause",
        "Pause notifications",
        true,
        false,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&open, &pause, &separator, &quit])?;
    let mut builder = TrayIconBuilder::with_id("main")
        .menu(&menu)
        .tooltip("Trengo Desk")
        .on_menu_event(move |app, event| match event.id.as_ref() {
            "open" => focus(app),
            "pause" => {
                let on = pause.is_checked().unwrap_or(false);
                app.state::<Tray<R>>().paused.store(on, Ordering::Relaxed);
                tracing::info!(paused = on, "notifications paused from the tray");
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)
}

/// Whether the lead paused notifications from the tray (for this run of the app).
pub fn notifications_paused<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.try_state::<Tray<R>>()
        .is_some_and(|t| t.paused.load(Ordering::Relaxed))
}

/// Shows the unseen count next to the tray icon (nothing when it is zero); the tooltip is for
/// desktops that show one (an appindicator has none).
pub fn set_unseen<R: Runtime>(app: &AppHandle<R>, count: u32) {
    let Some(tray) = app.try_state::<Tray<R>>() else {
        return;
    };
    if let Some(icon) = &tray.icon {
        let label = (count > 0).then(|| count.to_string());
        let _ = icon.set_title(label.as_deref());
        let tip = match count {
            0 => "Trengo Desk".to_string(),
            1 => "Trengo Desk: 1 new assignment".to_string(),
            n => format!("Trengo Desk: {n} new assignments"),
        };
        let _ = icon.set_tooltip(Some(tip));
    }
}

/// Shows how many tickets were assigned since the lead last looked: in the window title, next to
/// the tray icon, and where the desktop supports it as a badge on the app's icon.
pub fn show_unseen(app: &AppHandle, count: u32) {
    if let Some(w) = app.get_webview_window("main") {
        let title = if count == 0 {
            "Trengo Desk".to_string()
        } else {
            format!("Trengo Desk ({count} new)")
        };
        let _ = w.set_title(&title);
        let _ = w.set_badge_count(if count == 0 { None } else { Some(count as i64) });
    }
    set_unseen(app, count);
}

/// Brings the window forward (a second start, a notification's click, the tray's "Open").
pub fn focus<R: tauri::Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}
