//! The SLA radar's engine: the lead's policies (targets for first reply, next reply and
//! resolution, scoped by team, channel, tag or a field value, over business hours or around the
//! clock), checked against the workspace, and what they say of each open ticket at an instant.
//! Pure: the time is always given, so tests inject it.

pub mod hours;
pub mod store;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use crate::view::{SlaChip, SlaFilter, SlaState, SlaTarget};
use hours::{DayMemo, Hours};

/// When a ticket counts as at risk: this many minutes before a target is due, or once this share
/// (in %) of the target has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum AtRisk {
    Minutes(u32),
    Percent(u32),
}

impl Default for AtRisk {
    fn default() -> Self {
        AtRisk::Minutes(15)
    }
}

/// Which tickets a policy covers: every part given must match (none given: every ticket).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SlaScope {
    /// A team's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// A channel's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// A tag's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// A ticket or contact field (its label or name) and the value it must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FieldIs>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldIs {
    pub name: String,
    pub value: String,
}

/// Open hours on one weekday: `from` and `to` as `HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DayHours {
    /// `mon` … `sun`.
    pub day: String,
    pub from: String,
    pub to: String,
}

/// Business hours: the clock of a target runs only while they are open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BusinessHours {
    /// An IANA zone, e.g. `Europe/Amsterdam`.
    pub time_zone: String,
    pub days: Vec<DayHours>,
    /// Closed all day (`YYYY-MM-DD`, in the zone).
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// One SLA policy, as the lead writes it (and exports it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SlaPolicy {
    pub name: String,
    #[serde(default = "on")]
    pub enabled: bool,
    /// Minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_reply: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_reply: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<u32>,
    #[serde(default)]
    pub at_risk: AtRisk,
    #[serde(default)]
    pub scope: SlaScope,
    /// `None`: around the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<BusinessHours>,
}

fn on() -> bool {
    true
}

/// The longest target: a year.
const MAX_MINUTES: u32 = 366 * 24 * 60;

/// What a policy's scope names, as the workspace knows it.
pub struct Names<'a> {
    pub dir: &'a trengo_unified::Directory,
}

/// A policy checked against the workspace: names resolved to ids, hours to spans.
#[derive(Debug, Clone)]
pub struct Checked {
    pub name: String,
    pub first_reply: Option<i64>,
    pub next_reply: Option<i64>,
    pub resolution: Option<i64>,
    pub at_risk: AtRisk,
    pub team: Option<i64>,
    pub channel: Option<i64>,
    pub tag: Option<i64>,
    /// (is a contact field, the field's name as the cache keys it, the value, the field).
    pub field: Option<(bool, String, String, trengo_unified::model::Field)>,
    pub hours: Option<Hours>,
}

impl SlaPolicy {
    /// Checks the policy against the workspace. Errors name the policy and the part.
    pub fn check(&self, names: &Names) -> Result<Checked> {
        let name = crate::view::one_line_name(&self.name, "an SLA policy", "SLA policy", 80)?;
        let bad =
            |part: &str, why: String| Error::Invalid(format!("SLA policy {name:?}: {part}: {why}"));
        let mins = |part: &str, m: Option<u32>| -> Result<Option<i64>> {
            match m {
                Some(0) => Err(bad(part, "must be at least 1 minute".into())),
                Some(m) if m > MAX_MINUTES => Err(bad(
                    part,
                    format!("{m} minutes is longer than a year ({MAX_MINUTES})"),
                )),
                m => Ok(m.map(|m| m as i64 * 60)),
            }
        };
        let first_reply = mins("first reply", self.first_reply)?;
        let next_reply = mins("next reply", self.next_reply)?;
        let resolution = mins("resolution", self.resolution)?;
        if first_reply.is_none() && next_reply.is_none() && resolution.is_none() {
            return Err(bad(
                "targets",
                "none given: set a first reply, next reply or resolution time".into(),
            ));
        }
        match self.at_risk {
            AtRisk::Percent(p) if p == 0 || p >= 100 => {
                return Err(bad("at risk", format!("{p}% must lie between 1 and 99")))
            }
            AtRisk::Minutes(m) if m > MAX_MINUTES => {
                return Err(bad("at risk", format!("{m} minutes is longer than a year")))
            }
            _ => {}
        }
        let d = names.dir;
        let find = |part: &str, want: &Option<String>, list: Vec<(u64, &str)>| {
            let Some(w) = want.as_deref().map(str::trim) else {
                return Ok(None);
            };
            list.iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(w))
                .map(|(i, _)| Some(*i as i64))
                .ok_or_else(|| bad(part, format!("{w:?} is not a {part} of this workspace")))
        };
        let team = find(
            "team",
            &self.scope.team,
            d.teams.iter().map(|(i, n)| (*i, n.as_str())).collect(),
        )?;
        let channel = find(
            "channel",
            &self.scope.channel,
            d.channels.iter().map(|(i, n)| (*i, n.as_str())).collect(),
        )?;
        let tag = find(
            "tag",
            &self.scope.tag,
            d.labels
                .iter()
                .map(|(i, (n, _))| (*i, n.as_str()))
                .collect(),
        )?;
        let field = match &self.scope.field {
            None => None,
            Some(f) => {
                let w = f.name.trim();
                let def = d
                    .fields
                    .iter()
                    .find(|x| x.label.eq_ignore_ascii_case(w) || x.name.eq_ignore_ascii_case(w))
                    .ok_or_else(|| {
                        bad("field", format!("{w:?} is not a ticket or contact field"))
                    })?;
                if f.value.trim().is_empty() {
                    return Err(bad("field", format!("no value given for {w:?}")));
                }
                let contact = def.entity_type.as_str() != "ticket";
                Some((
                    contact,
                    def.name.clone(),
                    f.value.trim().to_string(),
                    def.clone(),
                ))
            }
        };
        let hours = match &self.hours {
            None => None,
            Some(h) => Some(check_hours(h, &bad)?),
        };
        Ok(Checked {
            name,
            first_reply,
            next_reply,
            resolution,
            at_risk: self.at_risk,
            team,
            channel,
            tag,
            field,
            hours,
        })
    }
}

fn check_hours(h: &BusinessHours, bad: &dyn Fn(&str, String) -> Error) -> Result<Hours> {
    let tz: chrono_tz::Tz = h.time_zone.trim().parse().map_err(|_| {
        bad(
            "hours",
            format!(
                "{:?} is not a time zone (e.g. Europe/Amsterdam)",
                h.time_zone
            ),
        )
    })?;
    let mut week: [Vec<(u32, u32)>; 7] = Default::default();
    for d in &h.days {
        let day = hours::weekday(&d.day)
            .ok_or_else(|| bad("hours", format!("{:?} is not a weekday (mon … sun)", d.day)))?;
        let t = |s: &str| {
            hours::clock(s).ok_or_else(|| bad("hours", format!("{s:?} is not a time (HH:MM)")))
        };
        let (a, b) = (t(&d.from)?, t(&d.to)?);
        if a >= b {
            return Err(bad(
                "hours",
                format!("{} opens at {} but closes at {}", d.day, d.from, d.to),
            ));
        }
        week[day.num_days_from_monday() as usize].push((a, b));
    }
    if week.iter().all(Vec::is_empty) {
        return Err(bad("hours", "no open day given".into()));
    }
    let mut holidays = HashSet::new();
    for s in &h.holidays {
        let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| bad("holidays", format!("{s:?} is not a date (YYYY-MM-DD)")))?;
        holidays.insert(d);
    }
    for w in week.iter_mut() {
        w.sort_unstable();
        if w.windows(2).any(|p| p[0].1 > p[1].0) {
            return Err(bad("hours", "two spans of one day overlap".into()));
        }
    }
    Ok(Hours { tz, week, holidays })
}

/// What the radar needs of one open ticket (unix seconds).
#[derive(Debug, Clone, Default)]
pub struct ClockFacts {
    pub id: i64,
    pub created_at: Option<i64>,
    pub team: Option<i64>,
    pub channel: Option<i64>,
    pub tags: Vec<i64>,
    /// The customer's wait began; `None`: not waiting (the last message is ours, or none known).
    pub waiting_since: Option<i64>,
    /// `Some(false)`: known not replied yet; `None`: not known.
    pub replied: Option<bool>,
    /// How long the clock stood still before the wait under way (our turn), in seconds.
    pub paused_secs: i64,
    /// The assignee, and when the ticket was assigned (for the workload board).
    pub user: Option<i64>,
    pub assigned_at: Option<i64>,
    /// The value of the field a policy is scoped by, where one is.
    pub field_values: Vec<(String, String)>,
}

/// How [`ClockFacts::field_values`] names a field: `c:` a contact's, `t:` the ticket's.
pub fn field_key(contact: bool, name: &str) -> String {
    format!("{}:{name}", if contact { "c" } else { "t" })
}

/// A ticket's standing under its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub policy: usize,
    pub state: SlaState,
    pub target: SlaTarget,
    pub due_at: i64,
    pub at_risk_at: i64,
}

impl Standing {
    pub fn chip(&self, policies: &[Checked]) -> SlaChip {
        SlaChip {
            state: self.state,
            target: self.target,
            due_at: crate::cache::iso(Some(self.due_at)).unwrap_or_default(),
            at_risk_at: crate::cache::iso(Some(self.at_risk_at)).unwrap_or_default(),
            policy: policies
                .get(self.policy)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
        }
    }
}

/// The enabled policies of a workspace, in order, with a memo of their open hours.
pub struct Radar {
    pub policies: Vec<Checked>,
    memos: Vec<DayMemo>,
}

impl Radar {
    pub fn new(policies: Vec<Checked>) -> Radar {
        let memos = policies.iter().map(|_| DayMemo::default()).collect();
        Radar { policies, memos }
    }

    /// The tags policies are scoped by (what the facts must then carry).
    pub fn tags(&self) -> Vec<i64> {
        let mut t: Vec<i64> = self.policies.iter().filter_map(|p| p.tag).collect();
        t.sort_unstable();
        t.dedup();
        t
    }

    pub fn fields(&self) -> Vec<(bool, String)> {
        let mut f: Vec<(bool, String)> = self
            .policies
            .iter()
            .filter_map(|p| p.field.as_ref().map(|(c, n, _, _)| (*c, n.clone())))
            .collect();
        f.sort();
        f.dedup();
        f
    }

    /// The first policy that covers the ticket.
    pub fn policy_of(&self, t: &ClockFacts) -> Option<usize> {
        self.policies.iter().position(|p| {
            p.team.is_none_or(|x| t.team == Some(x))
                && p.channel.is_none_or(|x| t.channel == Some(x))
                && p.tag.is_none_or(|x| t.tags.contains(&x))
                && p.field.as_ref().is_none_or(|(contact, name, value, _)| {
                    let key = field_key(*contact, name);
                    t.field_values
                        .iter()
                        .any(|(n, v)| *n == key && v.trim().eq_ignore_ascii_case(value))
                })
        })
    }

    /// Where an open ticket stands at `now`: the target of its policy that comes due first, or
    /// `None` (no policy covers it, or its clock is paused: the last message is ours).
    pub fn standing(&mut self, t: &ClockFacts, now: i64) -> Option<Standing> {
        self.targets(t, now)
            .into_iter()
            .reduce(|a, b| if b.due_at < a.due_at { b } else { a })
    }

    /// Where an open ticket stands at `now` on each target of its policy that runs: the reply
    /// it owes (first or next) and its resolution. Empty where no policy covers it or its clock
    /// is paused (the last message is ours).
    pub fn targets(&mut self, t: &ClockFacts, now: i64) -> Vec<Standing> {
        let Some(i) = self.policy_of(t) else {
            return vec![];
        };
        let Some(waiting) = t.waiting_since else {
            return vec![];
        };
        let p = &self.policies[i];
        let memo = &mut self.memos[i];
        let created = t.created_at.unwrap_or(waiting).min(waiting);
        let mut out = Vec::with_capacity(2);
        let mut consider = |target: SlaTarget, start: i64, secs: Option<i64>| {
            let Some(secs) = secs else { return };
            let add = |from: i64, s: i64, memo: &mut DayMemo| match &p.hours {
                Some(h) => h.add(from, s, memo),
                None => from + s,
            };
            let due = add(start, secs, memo);
            let at_risk_at = match p.at_risk {
                AtRisk::Minutes(m) => due - m as i64 * 60,
                AtRisk::Percent(pc) => add(start, secs * pc as i64 / 100, memo),
            }
            .max(start);
            let state = if now >= due {
                SlaState::Breached
            } else if now >= at_risk_at {
                SlaState::AtRisk
            } else {
                SlaState::OnTrack
            };
            out.push(Standing {
                policy: i,
                state,
                target,
                due_at: due,
                at_risk_at,
            });
        };
        if t.replied == Some(false) {
            consider(SlaTarget::FirstReply, created, p.first_reply);
        } else {
            consider(SlaTarget::NextReply, waiting, p.next_reply);
        }
        // Resolution runs from creation, less the time the clock stood still (with business
        // hours, a past stop moves the start by its length on the wall clock).
        consider(SlaTarget::Resolution, created + t.paused_secs, p.resolution);
        out
    }
}

/// What the cache remembers of a ticket's past, for replaying a draft policy over it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Past {
    /// Our first reply, where the thread was read.
    pub first_reply_at: Option<i64>,
    /// When it was closed, where it is.
    pub closed_at: Option<i64>,
    /// Our reply that stopped the clock, where the last message is ours.
    pub paused_from: Option<i64>,
    pub open: bool,
}

/// How one target fared in a replay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplayTarget {
    /// Tickets whose history tells whether this target was met.
    pub covered: u32,
    pub breached: u32,
}

/// A team's share of a replay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplayTeam {
    /// The team's name ("No team" for tickets in none).
    pub team: String,
    pub covered: u32,
    pub breached: u32,
}

/// A draft policy replayed over the cached tickets: how many it would have breached.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SlaReplay {
    /// Every ticket in the cache.
    pub tickets_cached: u32,
    /// Those the policy's scope takes.
    pub in_scope: u32,
    /// Of those, the ones whose history tells whether a target was met.
    pub covered: u32,
    /// Of those, the ones that missed at least one target.
    pub breached: u32,
    pub first_reply: ReplayTarget,
    pub next_reply: ReplayTarget,
    pub resolution: ReplayTarget,
    /// By team, most breached first.
    pub by_team: Vec<ReplayTeam>,
    /// "would have breached 41 of 380 tickets (11%); the history covers 380 of 1,204 in scope".
    pub summary: String,
    pub took_ms: u32,
}

impl Radar {
    /// Replays the radar's first policy over tickets' histories at `now`: first reply by our
    /// first reply where the thread was read (or, still unanswered, by now); resolution by the
    /// closing time, or our last reply before it (less the time the clock stood still before,
    /// as the cache knows it), or, open and waiting, by now; next reply only for the wait under way (earlier waits are not kept). Per team by
    /// the ticket's team id (the caller names them).
    pub fn replay(
        &mut self,
        tickets: &[(ClockFacts, Past)],
        now: i64,
    ) -> (SlaReplay, Vec<(Option<i64>, u32, u32)>) {
        let mut r = SlaReplay {
            tickets_cached: tickets.len() as u32,
            ..Default::default()
        };
        let mut teams: std::collections::HashMap<Option<i64>, (u32, u32)> = Default::default();
        if self.policies.is_empty() {
            return (r, vec![]);
        }
        for (t, past) in tickets {
            let Some(created) = t.created_at.filter(|_| self.policy_of(t) == Some(0)) else {
                continue;
            };
            let (p, memo) = (&self.policies[0], &mut self.memos[0]);
            r.in_scope += 1;
            let due = |start: i64, secs: i64, memo: &mut DayMemo| match &p.hours {
                Some(h) => h.add(start, secs, memo),
                None => start + secs,
            };
            let (mut covered, mut breached) = (false, false);
            let mut judge = |target: &mut ReplayTarget, late: Option<bool>| {
                if let Some(late) = late {
                    target.covered += 1;
                    covered = true;
                    if late {
                        target.breached += 1;
                        breached = true;
                    }
                }
            };
            if let Some(secs) = p.first_reply {
                let d = due(created, secs, memo);
                let late = match (past.first_reply_at, t.replied) {
                    (Some(at), _) => Some(at > d),
                    (None, Some(false)) if past.open => Some(now > d),
                    _ => None,
                };
                judge(&mut r.first_reply, late);
            }
            if let Some(secs) = p.next_reply {
                let late = match (t.replied, t.waiting_since) {
                    (Some(true), Some(w)) if past.open => Some(now > due(w, secs, memo)),
                    _ => None,
                };
                judge(&mut r.next_reply, late);
            }
            if let Some(secs) = p.resolution {
                let d = due(created + t.paused_secs, secs, memo);
                let late = match past.closed_at {
                    Some(at) if !past.open => Some(past.paused_from.map_or(at, |p| p.min(at)) > d),
                    _ if past.open && t.waiting_since.is_some() => Some(now > d),
                    _ => None,
                };
                judge(&mut r.resolution, late);
            }
            if covered {
                r.covered += 1;
                let e = teams.entry(t.team).or_default();
                e.0 += 1;
                if breached {
                    r.breached += 1;
                    e.1 += 1;
                }
            }
        }
        let mut by: Vec<(Option<i64>, u32, u32)> =
            teams.into_iter().map(|(k, (c, b))| (k, c, b)).collect();
        by.sort_by_key(|(k, c, b)| (std::cmp::Reverse(*b), std::cmp::Reverse(*c), *k));
        (r, by)
    }
}

impl Standing {
    /// When the ticket entered its present state on this target (`None`: on track).
    pub fn since(&self) -> Option<i64> {
        match self.state {
            SlaState::OnTrack => None,
            SlaState::AtRisk => Some(self.at_risk_at),
            SlaState::Breached => Some(self.due_at),
        }
    }
}

#[cfg(test)]
mod tests;
