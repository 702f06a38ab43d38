//! Desktop notifications (notify-rust: the freedesktop Notifications service on Linux). Which
//! notifications a batch of assignments makes is desk-core's rule ([`notes_for`]); this shows them.

pub use desk_core::watcher::{notes_for, Note};

/// The app's icon as a file a notification service can read (written once to the temp folder).
fn icon_path() -> Option<String> {
    static PATH: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let p = std::env::temp_dir().join("trengo-desk-icon-128.png");
        if !p.exists() {
            std::fs::write(&p, include_bytes!("../../icons/128x128.png")).ok()?;
        }
        Some(p.to_string_lossy().into_owned())
    })
    .clone()
}

/// A body as notification daemons read it: GNOME, KDE and dunst render the Freedesktop markup
/// subset (`<b>`, `<a href>`, `<img>`), so a customer's name or subject is escaped, never markup.
pub fn body_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A summary is plain text by the specification (GNOME shows it as is), but some daemons parse
/// it: without angle brackets no tag can be made, and "Shipping & Returns" still reads right.
pub fn summary_text(s: &str) -> String {
    s.chars().filter(|c| *c != '<' && *c != '>').collect()
}

/// Shows a notification; a click on one that opens something (a ticket, an SLA view) calls
/// `on_open`.
pub async fn show(
    note: &Note,
    sound: bool,
    on_open: impl FnOnce() + Send + 'static,
) -> Result<(), String> {
    let mut n = notify_rust::Notification::new();
    n.appname("Trengo Desk")
        .summary(&summary_text(&note.summary))
        .body(&body_text(&note.body))
        .icon(&icon_path().unwrap_or_else(|| "mail-unread".into()));
    if sound {
        n.sound_name("message-new-instant");
    }
    let opens = note.ticket_id.is_some() || note.sla_view.is_some() || note.filter.is_some();
    if opens {
        n.action("default", "Open");
    }
    let handle = n.show_async().await.map_err(|e| e.to_string())?;
    #[cfg(all(unix, not(target_os = "macos")))]
    if opens {
        // Waiting for the click blocks: a thread of its own, ended when the notification closes.
        std::thread::spawn(move || {
            handle.wait_for_action(|action| {
                if action == "default" {
                    on_open();
                }
            })
        });
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = (handle, on_open);
    }
    Ok(())
}
