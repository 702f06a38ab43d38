//! Desktop notifications for new assignments (notify-rust: the freedesktop Notifications service
//! on Linux). Several at once for one target become one notification.

use std::collections::BTreeMap;

use desk_core::{Assignment, NotifySettings};

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub summary: String,
    pub body: String,
    /// The ticket a click opens; `None` for a group.
    pub ticket_id: Option<String>,
}

/// More than this many for one target at once become a single "N new tickets" notification.
const GROUP_ABOVE: usize = 3;

fn shorten(s: &str, max: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= max {
        one
    } else {
        format!("{}…", one.chars().take(max - 1).collect::<String>())
    }
}

fn line(a: &Assignment) -> String {
    let what = a
        .subject
        .as_deref()
        .or(a.preview.as_deref())
        .unwrap_or("(no subject)");
    match &a.contact {
        Some(c) => shorten(&format!("{c}: {what}"), 140),
        None => shorten(what, 140),
    }
}

/// The notifications for a batch of assignments, as the settings allow at `hour` (local).
pub fn notes_for(batch: &[Assignment], settings: &NotifySettings, hour: u8) -> Vec<Note> {
    if settings.quiet_at(hour) {
        return vec![];
    }
    let mut groups: BTreeMap<(u8, String), Vec<&Assignment>> = BTreeMap::new();
    for a in batch {
        let key = if a.kind == "me" {
            if !settings.me {
                continue;
            }
            (0, String::new())
        } else {
            if !settings.team {
                continue;
            }
            (
                1,
                a.team
                    .as_ref()
                    .map(|t| t.name.clone())
                    .unwrap_or_else(|| "your team".into()),
            )
        };
        groups.entry(key).or_default().push(a);
    }
    let mut out = vec![];
    for ((kind, team), list) in groups {
        if list.len() > GROUP_ABOVE {
            let summary = if kind == 0 {
                format!("{} new tickets assigned to you", list.len())
            } else {
                format!("{} new tickets in {team}", list.len())
            };
            let body = list
                .iter()
                .take(3)
                .map(|a| line(a))
                .collect::<Vec<_>>()
                .join("\n");
            out.push(Note {
                summary,
                body,
                ticket_id: None,
            });
        } else {
            for a in list {
                let summary = if kind == 0 {
                    "Assigned to you".to_string()
                } else {
                    format!("New in {team}")
                };
                out.push(Note {
                    summary,
                    body: line(a),
                    ticket_id: Some(a.ticket_id.clone()),
                });
            }
        }
    }
    out
}

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

/// Shows a notification; a click on one about a ticket calls `on_open` with its id.
pub async fn show(
    note: &Note,
    sound: bool,
    on_open: impl FnOnce(String) + Send + 'static,
) -> Result<(), String> {
    let mut n = notify_rust::Notification::new();
    n.appname("Trengo Desk")
        .summary(&note.summary)
        .body(&note.body)
        .icon(&icon_path().unwrap_or_else(|| "mail-unread".into()));
    if sound {
        n.sound_name("message-new-instant");
    }
    if note.ticket_id.is_some() {
        n.action("default", "Open");
    }
    let handle = n.show_async().await.map_err(|e| e.to_string())?;
    #[cfg(all(unix, not(target_os = "macos")))]
    if let Some(id) = note.ticket_id.clone() {
        // Waiting for the click blocks: a thread of its own, ended when the notification closes.
        std::thread::spawn(move || {
            handle.wait_for_action(|action| {
                if action == "default" {
                    on_open(id);
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

#[cfg(test)]
mod tests {
    use super::*;
    use desk_core::view::Named;

    fn a(id: &str, kind: &str, team: Option<&str>) -> Assignment {
        Assignment {
            ticket_id: id.into(),
            kind: kind.into(),
            team: team.map(|t| Named {
                id: "201".into(),
                name: t.into(),
            }),
            contact: Some("Mara de Vries".into()),
            subject: Some(format!("Refund {id}")),
            preview: None,
            assigned_at: None,
        }
    }

    #[test]
    fn one_each_or_grouped() {
        let s = NotifySettings::default();
        let notes = notes_for(
            &[a("1", "me", None), a("2", "team", Some("Billing"))],
            &s,
            12,
        );
        assert_eq!(
            notes[0],
            Note {
                summary: "Assigned to you".into(),
                body: "Mara de Vries: Refund 1".into(),
                ticket_id: Some("1".into())
            }
        );
        assert_eq!(notes[1].summary, "New in Billing");
        let many: Vec<_> = (0..12)
            .map(|i| a(&i.to_string(), "team", Some("Billing")))
            .collect();
        let notes = notes_for(&many, &s, 12);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].summary, "12 new tickets in Billing");
        assert_eq!(notes[0].body.lines().count(), 3);
        assert_eq!(notes[0].ticket_id, None);
    }

    #[test]
    fn settings_silence_kinds_and_hours() {
        let off = NotifySettings {
            team: false,
            ..NotifySettings::default()
        };
        assert_eq!(
            notes_for(&[a("2", "team", Some("Billing"))], &off, 12),
            vec![]
        );
        let quiet = NotifySettings {
            quiet_from: Some(22),
            quiet_to: Some(7),
            ..NotifySettings::default()
        };
        assert_eq!(notes_for(&[a("1", "me", None)], &quiet, 23), vec![]);
        assert_eq!(notes_for(&[a("1", "me", None)], &quiet, 9).len(), 1);
    }

    #[test]
    fn long_text_is_shortened() {
        let mut x = a("1", "me", None);
        x.subject = Some("word ".repeat(100));
        assert!(
            notes_for(&[x], &NotifySettings::default(), 12)[0]
                .body
                .chars()
                .count()
                <= 140
        );
    }
}
