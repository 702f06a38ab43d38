//! The watcher service: new assignments to the lead or the lead's teams, and the desktop
//! notifications they call for.

use crate::cache::ts;
use crate::context::Context;
use crate::error::Result;
use crate::view::Named;
use crate::watcher::*;
use std::collections::HashSet;
use std::time::Duration;
use trengo_unified::api::model as api;
use trengo_unified::api::{Lane, TicketQuery};

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
        let me = self.cx.me().await?.id.number() as i64;
        self.cx.cache().my_team_ids(me).await
    }

    /// One poll: the assignments not reported before. The first poll of a workspace only learns
    /// what is already there and reports nothing.
    pub async fn poll(&self) -> Result<Vec<Assignment>> {
        let me = self.cx.me().await?.id.number();
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
                ticket_id: t.id.into(),
                kind: if kind == "me" {
                    AssignmentKind::Me
                } else {
                    AssignmentKind::Team
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
        let busy = self
            .cx
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
