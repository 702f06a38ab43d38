//! The SLA radar service: the lead's policies, where each open ticket stands against them, the
//! lists and counts of those at risk or breached, and the warnings before a breach. It reads
//! only the cache: the radar costs no request.

use std::collections::{BTreeMap, HashMap};

use crate::context::Context;
use crate::error::Result;
use crate::sla::store;
use crate::sla::{Names, Radar, ReplayTeam, SlaPolicy, SlaReplay, SlaState, Standing};
use crate::view::{SearchResult, SlaFilter, TicketFilter, TicketRow, TicketSort};
use crate::watcher::Note;

/// Where the open tickets stand, for the sidebar.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SlaCounts {
    pub at_risk: u32,
    pub breached: u32,
    /// The soonest due target that is not breached yet (ISO UTC).
    pub next_due_at: Option<String>,
    /// Enabled policies.
    pub policies: u32,
    /// Enabled policies that no longer fit the workspace (a team or tag gone), and why.
    pub problems: Vec<String>,
}

/// The standings of every open ticket at one instant.
pub struct Board {
    pub radar: Radar,
    pub standings: HashMap<i64, Standing>,
    pub problems: Vec<String>,
}

impl Board {
    /// Ticket ids in the cache's order, kept where the SLA filter takes them and, `by_breach`,
    /// ordered by the target due soonest. Only the tickets a policy covers are sorted (a few
    /// thousand of 100,000); the rest follow in the cache's order, which is already theirs.
    pub fn order(&self, ids: Vec<i64>, want: Option<SlaFilter>, by_breach: bool) -> Vec<i64> {
        let mut timed: Vec<(i64, usize, i64)> = Vec::new();
        let mut rest: Vec<i64> = Vec::with_capacity(ids.len());
        for (k, i) in ids.into_iter().enumerate() {
            let s = self.standings.get(&i);
            if let Some(want) = want {
                if !s.is_some_and(|s| want.takes(s.state)) {
                    continue;
                }
            }
            match s {
                Some(s) if by_breach => timed.push((s.due_at, k, i)),
                _ => rest.push(i),
            }
        }
        if timed.is_empty() {
            return rest;
        }
        timed.sort_unstable();
        timed.into_iter().map(|(_, _, i)| i).chain(rest).collect()
    }
}

pub struct Sla<'a> {
    cx: &'a Context,
}

impl<'a> Sla<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Sla { cx }
    }

    /// The policies, in the order they are tried (the first that covers a ticket wins).
    pub async fn list(&self) -> Result<Vec<SlaPolicy>> {
        store::list(&self.cx.cache).await
    }

    pub async fn show(&self, name: &str) -> Result<SlaPolicy> {
        store::find(&self.cx.cache, name).await
    }

    /// Saves a policy, checked against the workspace; `replace` replaces one of the same name.
    pub async fn save(&self, p: &SlaPolicy, replace: bool) -> Result<()> {
        let dir = self.cx.cache.directory().await?;
        store::save(&self.cx.cache, p, &Names { dir: &dir }, replace).await
    }

    pub async fn remove(&self, name: &str) -> Result<()> {
        store::remove(&self.cx.cache, name).await
    }

    pub async fn set_enabled(&self, name: &str, on: bool) -> Result<()> {
        store::set_enabled(&self.cx.cache, name, on).await
    }

    /// Puts a policy at `position` (1: tried first).
    pub async fn move_to(&self, name: &str, position: u32) -> Result<()> {
        store::move_to(&self.cx.cache, name, position).await
    }

    /// The policies as a JSON list, to import elsewhere.
    pub async fn export(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(&self.list().await?).unwrap_or_default())
    }

    /// Saves every policy of a file, all checked first: one bad policy saves none.
    pub async fn import(&self, json: &str, replace: bool) -> Result<u32> {
        let dir = self.cx.cache.directory().await?;
        store::import(&self.cx.cache, json, &Names { dir: &dir }, replace).await
    }

    /// A draft policy (saved or not) replayed over every cached ticket's history at `now`: how
    /// many it would have breached, per target and per team, and how many tickets that history
    /// covers. Reads the cache only.
    pub async fn replay(&self, draft: &SlaPolicy, now: i64) -> Result<SlaReplay> {
        let started = std::time::Instant::now();
        let dir = self.cx.cache.directory().await?;
        let checked = draft.check(&Names { dir: &dir })?;
        let mut radar = Radar::new(vec![checked]);
        let history = store::history(&self.cx.cache, &radar).await?;
        let (mut r, teams) = radar.replay(&history, now);
        r.by_team = teams
            .into_iter()
            .map(|(team, covered, breached)| ReplayTeam {
                team: team
                    .and_then(|t| dir.teams.get(&(t as u64)).cloned())
                    .unwrap_or_else(|| team.map_or("No team".into(), |t| format!("team #{t}"))),
                covered,
                breached,
            })
            .collect();
        r.summary = if r.covered == 0 {
            format!(
                "no history to replay: {} of {} cached tickets in scope, none with a known reply or close (open tickets to read their threads)",
                r.in_scope, r.tickets_cached
            )
        } else {
            format!(
                "would have breached {} of {} tickets ({}%); the history covers {} of {} in scope",
                r.breached,
                r.covered,
                (r.breached as u64 * 100 + r.covered as u64 / 2) / r.covered as u64,
                r.covered,
                r.in_scope
            )
        };
        r.took_ms = started.elapsed().as_millis() as u32;
        Ok(r)
    }

    /// Where every open ticket stands at `now` (unix seconds).
    pub async fn board(&self, now: i64) -> Result<Board> {
        self.board_of(None, now).await
    }

    async fn board_of(&self, ids: Option<&[i64]>, now: i64) -> Result<Board> {
        let (mut radar, problems) = store::radar(&self.cx.cache).await?;
        let mut standings = HashMap::new();
        if !radar.policies.is_empty() {
            for f in store::facts(&self.cx.cache, &radar, ids).await? {
                if let Some(s) = radar.standing(&f, now) {
                    standings.insert(f.id, s);
                }
            }
        }
        Ok(Board {
            radar,
            standings,
            problems,
        })
    }

    /// Every open ticket's clock and, where a policy covers it, its standing at `now` (what the
    /// workload board counts): one read of the cache.
    pub(crate) async fn clocks(
        &self,
        now: i64,
    ) -> Result<(Vec<crate::sla::ClockFacts>, HashMap<i64, Standing>)> {
        let (mut radar, _) = store::radar(&self.cx.cache).await?;
        let facts = store::facts(&self.cx.cache, &radar, None).await?;
        let mut standings = HashMap::new();
        if !radar.policies.is_empty() {
            for f in &facts {
                if let Some(s) = radar.standing(f, now) {
                    standings.insert(f.id, s);
                }
            }
        }
        Ok((facts, standings))
    }

    /// Where every open ticket stands at `now` on each target of its policy (what rules on the
    /// SLA read).
    pub(crate) async fn targets(&self, now: i64) -> Result<crate::rules::SlaNow> {
        let (mut radar, _) = store::radar(&self.cx.cache).await?;
        let mut out = crate::rules::SlaNow::new();
        if !radar.policies.is_empty() {
            for f in store::facts(&self.cx.cache, &radar, None).await? {
                let t = radar.targets(&f, now);
                if !t.is_empty() {
                    out.insert(f.id as u64, t);
                }
            }
        }
        Ok(out)
    }

    /// The counts the sidebar shows.
    pub async fn counts(&self) -> Result<SlaCounts> {
        let now = chrono::Utc::now().timestamp();
        let b = self.board(now).await?;
        let mut c = SlaCounts {
            policies: b.radar.policies.len() as u32,
            problems: b.problems,
            ..Default::default()
        };
        let mut next: Option<i64> = None;
        for s in b.standings.values() {
            match s.state {
                SlaState::AtRisk => c.at_risk += 1,
                SlaState::Breached => c.breached += 1,
                SlaState::OnTrack => {}
            }
            if s.state != SlaState::Breached {
                next = Some(next.map_or(s.due_at, |n| n.min(s.due_at)));
            }
        }
        c.next_due_at = crate::cache::iso(next);
        Ok(c)
    }

    /// Puts each row's SLA chip on it (open tickets a policy covers).
    pub(crate) async fn annotate(&self, rows: &mut [TicketRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.id.parse().ok()).collect();
        let b = self
            .board_of(Some(&ids), chrono::Utc::now().timestamp())
            .await?;
        for r in rows.iter_mut() {
            r.sla =
                r.id.parse::<i64>()
                    .ok()
                    .and_then(|i| b.standings.get(&i))
                    .map(|s| s.chip(&b.radar.policies));
        }
        Ok(())
    }

    /// Whether a list needs the radar to choose or order its tickets.
    pub(crate) fn decides(f: &TicketFilter) -> bool {
        f.sla.is_some() || f.sort == Some(TicketSort::NextBreach)
    }

    /// A page of the tickets a filter takes, chosen or ordered by their SLA: at risk, breached,
    /// or the target due soonest first (tickets without one after them, newest change first).
    pub(crate) async fn search(&self, f: &TicketFilter) -> Result<SearchResult> {
        let now = chrono::Utc::now().timestamp();
        let b = self.board(now).await?;
        let by_breach = f.sort == Some(TicketSort::NextBreach);
        // The cache's order (recency for the next-breach order, which breaks its ties).
        let all = self
            .cx
            .cache
            .search_id_list(&TicketFilter {
                sla: None,
                sort: if by_breach { None } else { f.sort },
                ..f.clone()
            })
            .await?;
        let ids = b.order(all, f.sla, by_breach);
        let total = ids.len() as u32;
        let limit = if f.limit == 0 { 50 } else { f.limit.min(500) } as usize;
        let page: Vec<i64> = ids
            .iter()
            .skip(f.offset as usize)
            .take(limit)
            .copied()
            .collect();
        let mut rows = self.cx.cache.rows_by_ids(&page).await?;
        for r in rows.iter_mut() {
            r.sla =
                r.id.parse::<i64>()
                    .ok()
                    .and_then(|i| b.standings.get(&i))
                    .map(|s| s.chip(&b.radar.policies));
        }
        Ok(SearchResult {
            rows,
            total,
            offset: f.offset,
        })
    }

    /// The warnings due now: each ticket that became at risk, once per target and due time
    /// (across restarts and processes), grouped by team ("4 tickets in Billing breach within 15
    /// min"). During the lead's quiet hours none is given (nor recorded: it comes after them if
    /// the ticket is still at risk).
    pub async fn warnings(&self) -> Result<Vec<Note>> {
        let now = chrono::Utc::now().timestamp();
        if self.quiet().await? {
            return Ok(vec![]);
        }
        self.warnings_at(now).await
    }

    /// The radar's look (the app's, every 15 s): one read of the open tickets' clocks gives the
    /// warnings and the trends' snapshot of the inbox, then any spike of new tickets (no
    /// notification in quiet hours). No request.
    pub async fn look(&self) -> Result<Vec<Note>> {
        let now = chrono::Utc::now().timestamp();
        let (facts, standings) = self.clocks(now).await?;
        if let Err(e) = super::Trends::new(self.cx)
            .snapshot_from(&facts, &standings, now, &chrono::Local)
            .await
        {
            tracing::warn!(error = %e, "the trends could not keep this look");
        }
        if self.quiet().await? {
            return Ok(vec![]);
        }
        let mut notes = self.warnings_from(&standings, now).await?;
        match super::Trends::new(self.cx).spikes(now).await {
            Ok(s) => notes.extend(s),
            Err(e) => tracing::warn!(error = %e, "spikes could not be judged"),
        }
        Ok(notes)
    }

    /// Whether it is the lead's quiet hours now (no warning is given).
    pub(crate) async fn quiet(&self) -> Result<bool> {
        let notify = self.cx.settings().await?.notify;
        let hour = chrono::Timelike::hour(&chrono::Local::now()) as u8;
        Ok(notify.quiet_at(hour))
    }

    /// [`Self::warnings`] at a given instant.
    pub async fn warnings_at(&self, now: i64) -> Result<Vec<Note>> {
        let b = self.board(now).await?;
        self.warnings_from(&b.standings, now).await
    }

    /// The warnings of standings already judged at `now` (the radar's look, shared with the
    /// trends' snapshot).
    pub(crate) async fn warnings_from(
        &self,
        standings: &HashMap<i64, Standing>,
        now: i64,
    ) -> Result<Vec<Note>> {
        let mut due: Vec<(&i64, &Standing)> = standings
            .iter()
            .filter(|(_, s)| s.state == SlaState::AtRisk)
            .collect();
        due.sort_by_key(|(i, s)| (s.due_at, **i));
        let mut fresh = vec![];
        for (id, s) in due {
            if store::mark_warned(&self.cx.cache, *id, s.target.words(), s.due_at).await? {
                fresh.push((*id, *s));
            }
        }
        if fresh.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = fresh.iter().map(|(i, _)| *i).collect();
        let rows = self.cx.cache.rows_by_ids(&ids).await?;
        let mut by_team: BTreeMap<String, Vec<(&TicketRow, &Standing)>> = BTreeMap::new();
        for (row, (_, s)) in rows.iter().zip(&fresh) {
            let team = row
                .team
                .as_ref()
                .map(|t| t.name.clone())
                .unwrap_or_else(|| "no team".into());
            by_team.entry(team).or_default().push((row, s));
        }
        Ok(by_team
            .into_iter()
            .map(|(team, list)| warning(&team, &list, now))
            .collect())
    }
}

/// One team's warning.
fn warning(team: &str, list: &[(&TicketRow, &Standing)], now: i64) -> Note {
    let last = list.iter().map(|(_, s)| s.due_at).max().unwrap_or(now);
    let mins = ((last - now).max(0) + 59) / 60;
    let line = |r: &TicketRow, s: &Standing| {
        let what = r
            .subject
            .as_deref()
            .or(r.preview.as_deref())
            .unwrap_or("(no subject)");
        crate::watcher::shorten(
            &format!("#{} {} ({} due)", r.id, what, s.target.words()),
            140,
        )
    };
    if let [(r, s)] = list {
        return Note {
            summary: format!("Ticket #{} in {team} breaches within {mins} min", r.id),
            body: line(r, s),
            ticket_id: Some(r.id.clone()),
            sla_view: Some(SlaFilter::AtRisk),
            filter: None,
        };
    }
    Note {
        summary: format!("{} tickets in {team} breach within {mins} min", list.len()),
        body: list
            .iter()
            .take(3)
            .map(|(r, s)| line(r, s))
            .collect::<Vec<_>>()
            .join("\n"),
        ticket_id: None,
        sla_view: Some(SlaFilter::AtRisk),
        filter: None,
    }
}
