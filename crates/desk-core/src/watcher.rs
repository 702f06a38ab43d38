//! The assignment watcher: tickets newly assigned to me, or newly in one of my teams, found by
//! polling in the Watcher lane and reported once each (the seen set lives in SQLite, so a restart
//! repeats nothing; a later reassignment to me is news again; what I assign myself is not).
//!
//! Trengo's ticket list has a filter by user but none by team. Mine: every page of
//! `users[]=me&status=ASSIGNED` (a lead's own open tickets are few, and the list is ordered by
//! creation, so an older ticket assigned just now can sit on any page; up to 200 tickets). My
//! teams: the newest tickets of any status, filtered here by team, further pages only while they
//! are newer than what was seen. An older ticket moved into a team is therefore seen by the next
//! sync, not at once.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use trengo_unified::api::model as api;
use trengo_unified::mapping;

use crate::cache::Cache;
use crate::error::Result;
use crate::view::Named;
use crate::NotifySettings;

/// Pages read per poll at most, per list.
pub(crate) const MAX_PAGES: u64 = 8;

word_enum!(
    /// Why a new ticket is news to the lead.
    AssignmentKind {
        /// Assigned to you.
        Me = "me",
        /// New in one of your teams.
        Team = "team",
    }
);

/// One new assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Assignment {
    pub ticket_id: crate::TicketId,
    pub kind: AssignmentKind,
    pub team: Option<Named>,
    pub contact: Option<String>,
    pub subject: Option<String>,
    /// The latest message, plain text, shortened.
    pub preview: Option<String>,
    pub assigned_at: Option<String>,
}

pub(crate) fn preview(t: &api::Ticket) -> Option<String> {
    match &t.latest_message {
        Some(api::LatestMessage::Message(m)) => {
            m.message.as_deref().map(mapping::plain_text).map(|p| {
                let one: String = p.split_whitespace().collect::<Vec<_>>().join(" ");
                if one.chars().count() > 140 {
                    format!("{}…", one.chars().take(139).collect::<String>())
                } else {
                    one
                }
            })
        }
        _ => None,
    }
}

impl Cache {
    pub(crate) async fn seen(&self, ticket: i64, kind: &str, at: i64) -> Result<bool> {
        let r: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM watch_seen WHERE ticket_id = ? AND kind = ? AND assigned_at = ?",
        )
        .bind(ticket)
        .bind(kind)
        .bind(at)
        .fetch_optional(self.pool())
        .await?;
        Ok(r.is_some())
    }

    pub(crate) async fn mark_seen(&self, ticket: i64, kind: &str, at: i64) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO watch_seen (ticket_id, kind, assigned_at, seen_at) VALUES (?, ?, ?, ?)")
            .bind(ticket)
            .bind(kind)
            .bind(at)
            .bind(Utc::now().timestamp())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub(crate) async fn suppressed(&self, ticket: i64) -> Result<bool> {
        let r: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM watch_suppress WHERE ticket_id = ? AND until >= ?")
                .bind(ticket)
                .bind(Utc::now().timestamp())
                .fetch_optional(self.pool())
                .await?;
        Ok(r.is_some())
    }

    /// An assignment made from this app: the watcher keeps quiet about it for a while.
    pub async fn suppress_assignment(&self, ticket: i64) -> Result<()> {
        sqlx::query("INSERT INTO watch_suppress (ticket_id, until) VALUES (?, ?) ON CONFLICT(ticket_id) DO UPDATE SET until = excluded.until")
            .bind(ticket)
            .bind(Utc::now().timestamp() + 600)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub(crate) async fn my_team_ids(&self, user: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT team_id FROM team_members WHERE user_id = ?")
                .bind(user)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub summary: String,
    pub body: String,
    /// The ticket a click opens; `None` for a group.
    pub ticket_id: Option<crate::TicketId>,
    /// The SLA view a click opens (a warning before a breach).
    pub sla_view: Option<crate::view::SlaFilter>,
    /// The tickets a click opens in the list (a spike's new tickets).
    pub filter: Option<Box<crate::view::TicketFilter>>,
}

/// A job that ran longer than this says so with a desktop notification when it ends.
pub const NOTIFY_JOB_AFTER: Duration = Duration::from_secs(60);

/// The notification for a job that ended after running `ran`: none for a short one (the lead
/// is still looking at it).
pub fn job_note(end: &crate::jobs::JobView, ran: Duration) -> Option<Note> {
    (ran >= NOTIFY_JOB_AFTER).then(|| Note {
        summary: format!("Job {} {}", end.id, end.state),
        body: format!(
            "{}: {} changed, {} already so, {} failed",
            end.title, end.done, end.skipped, end.failed
        ),
        ticket_id: None,
        sla_view: None,
        filter: None,
    })
}

/// More than this many for one target at once become a single "N new tickets" notification.
pub(crate) const GROUP_ABOVE: usize = 3;

pub(crate) fn shorten(s: &str, max: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= max {
        one
    } else {
        format!("{}…", one.chars().take(max - 1).collect::<String>())
    }
}

pub(crate) fn line(a: &Assignment) -> String {
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
        let key = if a.kind == AssignmentKind::Me {
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
                sla_view: None,
                filter: None,
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
                    sla_view: None,
                    filter: None,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Named;

    fn a(id: &str, kind: &str, team: Option<&str>) -> Assignment {
        Assignment {
            ticket_id: id.parse().unwrap(),
            kind: AssignmentKind::parse(kind).unwrap(),
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
                ticket_id: Some(crate::TicketId::new(1)),
                sla_view: None,
                filter: None,
            }
        );
        assert_eq!(notes[1].summary, "New in Billing");
        let many: Vec<_> = (1..=12)
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
