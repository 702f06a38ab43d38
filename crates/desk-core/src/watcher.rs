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

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use trengo_unified::api::model as api;
use trengo_unified::api::{Lane, TicketQuery};
use trengo_unified::mapping;

use crate::cache::{ts, Cache};
use crate::context::Context;
use crate::error::Result;
use crate::view::Named;
use crate::NotifySettings;

/// Pages read per poll at most, per list.
const MAX_PAGES: u64 = 8;

/// One new assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Assignment {
    pub ticket_id: String,
    /// `me` (assigned to you) or `team` (new in one of your teams).
    pub kind: String,
    pub team: Option<Named>,
    pub contact: Option<String>,
    pub subject: Option<String>,
    /// The latest message, plain text, shortened.
    pub preview: Option<String>,
    pub assigned_at: Option<String>,
}

fn preview(t: &api::Ticket) -> Option<String> {
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
    async fn seen(&self, ticket: i64, kind: &str, at: i64) -> Result<bool> {
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

    async fn mark_seen(&self, ticket: i64, kind: &str, at: i64) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO watch_seen (ticket_id, kind, assigned_at, seen_at) VALUES (?, ?, ?, ?)")
            .bind(ticket)
            .bind(kind)
            .bind(at)
            .bind(Utc::now().timestamp())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn suppressed(&self, ticket: i64) -> Result<bool> {
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

    async fn my_team_ids(&self, user: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT team_id FROM team_members WHERE user_id = ?")
                .bind(user)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }
}

/// New assignments to the lead or the lead's teams.
pub struct Watcher<'a> {
    cx: &'a Context,
}

impl<'a> Watcher<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Watcher { cx }
    }

    /// My teams: the settings' choice, else the teams I belong to.
    pub async fn my_teams(&self) -> Result<Vec<i64>> {
        if let Some(t) = self.cx.settings().await?.my_team_ids {
            return Ok(t.iter().filter_map(|x| x.parse().ok()).collect());
        }
        let me: i64 = crate::session::Session::new(self.cx)
            .me()
            .await?
            .id
            .parse()
            .unwrap_or(-1);
        self.cx.cache().my_team_ids(me).await
    }

    /// One poll: the assignments not reported before. The first poll of a workspace only learns
    /// what is already there and reports nothing.
    pub async fn poll(&self) -> Result<Vec<Assignment>> {
        let me: u64 = crate::session::Session::new(self.cx)
            .me()
            .await?
            .id
            .parse()
            .unwrap_or(0);
        let teams = self.my_teams().await?;
        let client = self.cx.client()?.lane(Lane::Watcher);
        let baseline: bool = self
            .cx
            .cache()
            .setting("watch_baseline")
            .await?
            .unwrap_or(false);
        let team_mark: Option<i64> = self.cx.cache().setting("watch_team_mark").await?;
        let dir = self.cx.cache().directory().await?;
        let mut found: Vec<(api::Ticket, String)> = vec![];
        let mut reported: HashSet<u64> = HashSet::new();

        // Mine.
        let q = TicketQuery {
            users: vec![me],
            status: Some(api::TicketStatus::Assigned),
            ..Default::default()
        };
        let mut page = 1;
        loop {
            let pg = client
                .tickets(&q, page)
                .await
                .map_err(trengo_unified::Error::from)?;
            for t in &pg.data {
                let at = ts(t.assigned_at).unwrap_or(0);
                if !self.cx.cache().seen(t.id as i64, "me", at).await? {
                    reported.insert(t.id);
                    found.push((t.clone(), "me".into()));
                }
            }
            match pg.next_page(page) {
                Some(n) if n <= MAX_PAGES => page = n,
                _ => break,
            }
        }

        // My teams: the newest tickets, until they are older than the last poll's newest.
        let mut newest = team_mark;
        if !teams.is_empty() {
            let mut page = 1;
            loop {
                let pg = client
                    .tickets(&TicketQuery::default(), page)
                    .await
                    .map_err(trengo_unified::Error::from)?;
                // Only tickets newer than the last poll's newest (less the overlap) can be news here.
                let fresh = |created: i64| {
                    team_mark.is_none_or(|m| created >= m - trengo_unified::OVERLAP_SECS)
                };
                let mut all_newer = !pg.data.is_empty();
                for t in &pg.data {
                    let created = ts(t.created_at).unwrap_or(0);
                    newest = Some(newest.map_or(created, |n| n.max(created)));
                    if !fresh(created) {
                        all_newer = false;
                        continue;
                    }
                    let open = matches!(
                        t.status,
                        api::TicketStatus::Open | api::TicketStatus::Assigned
                    );
                    let Some(team) = t.team_id.filter(|g| teams.contains(&(*g as i64))) else {
                        continue;
                    };
                    if !open || reported.contains(&t.id) || t.user_id == Some(me) {
                        continue;
                    }
                    let kind = format!("team:{team}");
                    let at = ts(t.assigned_at.or(t.created_at)).unwrap_or(0);
                    if !self.cx.cache().seen(t.id as i64, &kind, at).await? {
                        reported.insert(t.id);
                        found.push((t.clone(), kind));
                    }
                }
                match pg.next_page(page) {
                    Some(n) if all_newer && team_mark.is_some() && n <= MAX_PAGES => page = n,
                    _ => break,
                }
            }
        }
        if let Some(n) = newest {
            self.cx.cache().set_setting("watch_team_mark", &n).await?;
        }

        let mut out = vec![];
        for (t, kind) in found {
            let at = ts(if kind == "me" {
                t.assigned_at
            } else {
                t.assigned_at.or(t.created_at)
            })
            .unwrap_or(0);
            self.cx.cache().mark_seen(t.id as i64, &kind, at).await?;
            if !baseline || self.cx.cache().suppressed(t.id as i64).await? {
                continue;
            }
            let team = t.team_id.map(|g| Named {
                id: g.to_string(),
                name: dir
                    .teams
                    .get(&g)
                    .cloned()
                    .unwrap_or_else(|| format!("team {g}")),
            });
            out.push(Assignment {
                ticket_id: t.id.to_string(),
                kind: if kind == "me" {
                    "me".into()
                } else {
                    "team".into()
                },
                team,
                contact: t.contact.as_ref().map(|c| c.display_name()),
                subject: t.subject.clone().filter(|s| !s.trim().is_empty()),
                preview: preview(&t),
                assigned_at: t.assigned_at.map(|a| a.to_rfc3339()),
            });
        }
        if !baseline {
            self.cx.cache().set_setting("watch_baseline", &true).await?;
        }
        Ok(out)
    }

    /// How long to wait before the next poll: the setting, doubled while bulk work queues in the
    /// budget (the watcher never takes much of it: a page per 25 of my tickets, plus one).
    pub async fn interval(&self) -> Duration {
        let secs = self
            .cx
            .settings()
            .await
            .map(|s| s.poll_interval_secs)
            .unwrap_or(20)
            .max(5) as u64;
        let busy = crate::session::Session::new(self.cx)
            .budget_state()
            .is_some_and(|b| b.queued_bulk > 0 || b.queued_sync > 0);
        Duration::from_secs(if busy { secs * 2 } else { secs })
    }

    /// The desktop notifications a batch of new assignments calls for, as the settings allow at
    /// this hour of the lead's day.
    pub async fn notes(&self, batch: &[Assignment]) -> Vec<Note> {
        let settings = self
            .cx
            .settings()
            .await
            .map(|s| s.notify)
            .unwrap_or_default();
        let hour = chrono::Timelike::hour(&chrono::Local::now()) as u8;
        notes_for(batch, &settings, hour)
    }

    /// Whether notifications make a sound.
    pub async fn sound(&self) -> bool {
        self.cx.settings().await.is_ok_and(|s| s.notify.sound)
    }
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub summary: String,
    pub body: String,
    /// The ticket a click opens; `None` for a group.
    pub ticket_id: Option<String>,
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
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Named;

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
