//! Trends: a local history of the inbox, kept from what the app already reads, so it costs no
//! request. Each look (the radar's, every 15 s) writes the levels it sees (open, waiting on us,
//! at risk) per team, tag, channel and agent into its hour and its local day, the last look of a
//! bucket standing for it; and recounts today's flow (tickets created and closed, first-reply and
//! resolution times where the cache knows them). An hour or a day with no look has no row: a
//! chart shows the gap, never an invented line.
//!
//! Times are instants: an hour bucket starts at a whole UTC hour, a day bucket at the local
//! midnight (a day across a DST change is 23 or 25 hours long).

use std::collections::HashMap;

use chrono::TimeZone;
use serde::{Deserialize, Serialize};

pub mod store;

/// What a series counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TrendDim {
    All,
    Team,
    Tag,
    Channel,
    Agent,
}

impl TrendDim {
    pub const EACH: [TrendDim; 5] = [
        TrendDim::All,
        TrendDim::Team,
        TrendDim::Tag,
        TrendDim::Channel,
        TrendDim::Agent,
    ];

    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(c: i64) -> Option<TrendDim> {
        Self::EACH.get(usize::try_from(c).ok()?).copied()
    }
}

/// What a series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum TrendMetric {
    /// Open tickets (the backlog), at the bucket's last look.
    Open,
    /// Of those, waiting on us.
    Waiting,
    /// Of those, at risk of breaching their SLA.
    AtRisk,
    /// Tickets created that day.
    Created,
    /// Tickets closed that day.
    Closed,
    /// The mean first reply to the tickets created that day, in minutes.
    FirstReplyMins,
    /// The mean time from created to closed of the tickets closed that day, in hours.
    ResolutionHours,
}

impl TrendMetric {
    pub fn words(self) -> &'static str {
        match self {
            TrendMetric::Open => "open",
            TrendMetric::Waiting => "waiting",
            TrendMetric::AtRisk => "at risk",
            TrendMetric::Created => "created",
            TrendMetric::Closed => "closed",
            TrendMetric::FirstReplyMins => "first reply (min)",
            TrendMetric::ResolutionHours => "resolution (h)",
        }
    }

    /// Whether it is a level at a look (else a day's flow).
    pub fn is_level(self) -> bool {
        matches!(
            self,
            TrendMetric::Open | TrendMetric::Waiting | TrendMetric::AtRisk
        )
    }
}

/// An open ticket as a look counts it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen {
    pub id: i64,
    pub team: Option<i64>,
    pub channel: Option<i64>,
    pub user: Option<i64>,
    pub waiting: bool,
    pub at_risk: bool,
}

/// Each tag's levels (open, waiting, at risk), by tag id.
pub type TagLevels = Vec<(i64, [u32; 3])>;

/// One look's levels: per (dimension, id): open, waiting, at risk.
pub type Levels = HashMap<(TrendDim, i64), [u32; 3]>;

/// The levels of the open tickets `seen`, with each one's tags (`(ticket, tag)`).
pub fn levels(seen: &[Seen], tags: &[(i64, i64)]) -> Levels {
    let mut out: Levels = HashMap::new();
    let mut add = |k: (TrendDim, i64), s: &Seen| {
        let e = out.entry(k).or_default();
        e[0] += 1;
        e[1] += u32::from(s.waiting);
        e[2] += u32::from(s.at_risk);
    };
    let mut by_id: HashMap<i64, &Seen> = HashMap::with_capacity(seen.len());
    for s in seen {
        add((TrendDim::All, 0), s);
        if let Some(t) = s.team {
            add((TrendDim::Team, t), s);
        }
        if let Some(c) = s.channel {
            add((TrendDim::Channel, c), s);
        }
        if let Some(u) = s.user {
            add((TrendDim::Agent, u), s);
        }
        by_id.insert(s.id, s);
    }
    for (ticket, tag) in tags {
        if let Some(s) = by_id.get(ticket) {
            add((TrendDim::Tag, *tag), s);
        }
    }
    out
}

/// A ticket created or closed lately, as a day's flow counts it.
#[derive(Debug, Clone, Default)]
pub struct Touched {
    pub id: i64,
    pub team: Option<i64>,
    pub channel: Option<i64>,
    pub user: Option<i64>,
    pub created_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub first_reply_at: Option<i64>,
    pub tags: Vec<i64>,
}

/// A day's flow for one dimension's id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowCounts {
    pub created: u32,
    pub closed: u32,
    pub reply_secs: i64,
    pub replies: u32,
    pub resolve_secs: i64,
    pub resolved: u32,
}

/// The flow of the day `[start, end)` from the tickets touched lately.
pub fn flow(touched: &[Touched], start: i64, end: i64) -> HashMap<(TrendDim, i64), FlowCounts> {
    // Everything has a row even on a day with nothing new: counted, so a 0, not a gap.
    let mut out: HashMap<(TrendDim, i64), FlowCounts> =
        HashMap::from([((TrendDim::All, 0), FlowCounts::default())]);
    let within = |t: Option<i64>| t.is_some_and(|t| t >= start && t < end);
    for t in touched {
        let created = within(t.created_at);
        let closed = within(t.closed_at);
        if !created && !closed {
            continue;
        }
        let mut keys = vec![(TrendDim::All, 0)];
        keys.extend(t.team.map(|x| (TrendDim::Team, x)));
        keys.extend(t.channel.map(|x| (TrendDim::Channel, x)));
        keys.extend(t.user.map(|x| (TrendDim::Agent, x)));
        keys.extend(t.tags.iter().map(|x| (TrendDim::Tag, *x)));
        let reply = match (created, t.created_at, t.first_reply_at) {
            (true, Some(c), Some(r)) if r >= c => Some(r - c),
            _ => None,
        };
        let resolve = match (closed, t.created_at, t.closed_at) {
            (true, Some(c), Some(x)) if x >= c => Some(x - c),
            _ => None,
        };
        for k in keys {
            let e = out.entry(k).or_default();
            e.created += u32::from(created);
            e.closed += u32::from(closed);
            if let Some(r) = reply {
                e.reply_secs += r;
                e.replies += 1;
            }
            if let Some(r) = resolve {
                e.resolve_secs += r;
                e.resolved += 1;
            }
        }
    }
    out
}

/// The start of the whole UTC hour `t` is in.
pub fn hour_start(t: i64) -> i64 {
    t - t.rem_euclid(3600)
}

/// The instant the local day of `t` began in `zone`.
pub fn day_start<Z: TimeZone>(t: i64, zone: &Z) -> i64 {
    let Some(local) = zone.timestamp_opt(t, 0).single() else {
        return t - t.rem_euclid(86_400);
    };
    let date = local.date_naive();
    start_of(date, zone).unwrap_or(t - t.rem_euclid(86_400))
}

/// The instant a local date began (the first instant of it, where midnight was skipped).
fn start_of<Z: TimeZone>(date: chrono::NaiveDate, zone: &Z) -> Option<i64> {
    (0..4).find_map(|h| {
        let m = date.and_hms_opt(h, 0, 0)?;
        zone.from_local_datetime(&m)
            .earliest()
            .map(|d| d.timestamp())
    })
}

/// The starts of the local days from the one `from` is in to the one `to` is in.
pub fn day_starts<Z: TimeZone>(from: i64, to: i64, zone: &Z) -> Vec<i64> {
    let (Some(a), Some(b)) = (
        zone.timestamp_opt(from, 0).single(),
        zone.timestamp_opt(to, 0).single(),
    ) else {
        return vec![];
    };
    let mut out = vec![];
    let mut d = a.date_naive();
    while d <= b.date_naive() && out.len() < 4000 {
        if let Some(s) = start_of(d, zone) {
            out.push(s);
        }
        let Some(n) = d.succ_opt() else { break };
        d = n;
    }
    out
}

/// The hour starts from `from`'s to `to`'s.
pub fn hour_starts(from: i64, to: i64) -> Vec<i64> {
    (hour_start(from)..=hour_start(to)).step_by(3600).collect()
}

/// One point of a series: a bucket's start and its value (`None`: the app did not look then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrendPoint {
    /// The bucket's start (ISO UTC).
    pub at: String,
    pub value: Option<f64>,
}

/// A series: one metric over one team, tag, channel, agent or everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrendSeries {
    /// "Billing · open".
    pub name: String,
    pub metric: TrendMetric,
    pub dim: TrendDim,
    /// The team's (tag's, …) id; empty for everything.
    pub key: String,
    /// `hour` or `day`.
    pub grain: String,
    pub points: Vec<TrendPoint>,
}

/// What the trends show for a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrendReport {
    /// The range (ISO UTC).
    pub from: String,
    pub to: String,
    /// The first look the history holds (ISO UTC): nothing is known before it.
    pub history_from: Option<String>,
    pub series: Vec<TrendSeries>,
    pub took_ms: u32,
}

/// A tag's new tickets this week (the last 7 local days) against the week before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TagWeek {
    pub tag_id: crate::TagId,
    pub name: String,
    pub this_week: u32,
    pub last_week: u32,
    /// Far above the week before: at least twice as many and at least 5 more.
    pub spike: bool,
}

/// Whether an hour's new tickets are a spike against the usual hour: at least 5, and at least
/// three times as many as usual.
pub fn is_spike_hour(count: i64, usual_per_hour: f64) -> bool {
    count >= 5 && count as f64 >= 3.0 * usual_per_hour.max(0.0)
}

/// Whether a week's count is a spike against the week before.
pub fn is_spike(this: u32, last: u32) -> bool {
    this >= 2 * last && this >= last + 5
}

/// The Trends view: the chosen scope's series, the backlog and the first reply of each team, and
/// the top tags this week against last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrendOverview {
    pub report: TrendReport,
    /// Each team's open tickets (the report's grain).
    pub backlog_by_team: Vec<TrendSeries>,
    /// Each team's mean first reply per day, in minutes.
    pub reply_by_team: Vec<TrendSeries>,
    /// The ten tags with the most new tickets this week.
    pub top_tags: Vec<TagWeek>,
    pub took_ms: u32,
}

/// What one look wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Teams, tags, channels and agents counted (and everything).
    pub keys: u32,
    /// Whether today's flow was counted again in this look (every few minutes).
    pub flow_counted: bool,
    pub open: u32,
    /// Where the flow was counted in this look.
    pub created_today: u32,
    pub closed_today: u32,
}

/// An instant as the series write it (ISO UTC, whole seconds).
pub fn iso_of(t: i64) -> String {
    iso(t)
}

pub(crate) fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
