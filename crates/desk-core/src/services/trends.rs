//! The trends service: a look written into the local history (from the radar's read of the
//! cache: no request), and the series a chart or the CLI asks for, with the gaps where the app
//! was not looking.

use std::collections::HashMap;

use chrono::TimeZone;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::sla::{ClockFacts, SlaState, Standing};
use crate::trends::{
    self, day_start, day_starts, hour_start, hour_starts, iso, store, Seen, Snapshot, TrendDim,
    TrendMetric, TrendPoint, TrendReport, TrendSeries,
};

/// The longest range a report covers, in days.
pub const MAX_DAYS: u32 = 400;

/// What a report shows: a range and one team, tag, channel, agent or everything.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TrendQuery {
    /// The last this many days (today included; 1: today, by the hour).
    pub days: u32,
    pub dim: TrendDim,
    /// The team's (tag's, …) id; none for everything.
    #[serde(default)]
    pub key: Option<String>,
}

pub struct Trends<'a> {
    cx: &'a Context,
}

impl<'a> Trends<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Trends { cx }
    }

    /// A look at `now`, written into the history: reads the open tickets' clocks itself.
    pub async fn snapshot(&self, now: i64) -> Result<Snapshot> {
        self.snapshot_in(now, &chrono::Local).await
    }

    /// [`Self::snapshot`] with the local days as `zone` has them.
    pub async fn snapshot_in<Z: TimeZone>(&self, now: i64, zone: &Z) -> Result<Snapshot> {
        let (facts, standings) = super::Sla::new(self.cx).clocks(now).await?;
        self.snapshot_from(&facts, &standings, now, zone).await
    }

    /// A look written into the history from clocks already read (the radar's, each 15 s), the
    /// local days as `zone` has them.
    pub(crate) async fn snapshot_from<Z: TimeZone>(
        &self,
        facts: &[ClockFacts],
        standings: &HashMap<i64, Standing>,
        now: i64,
        zone: &Z,
    ) -> Result<Snapshot> {
        let cache = &self.cx.cache;
        let seen: Vec<Seen> = facts
            .iter()
            .map(|f| Seen {
                id: f.id,
                team: f.team,
                channel: f.channel,
                user: f.user,
                waiting: f.waiting_since.is_some(),
                at_risk: standings
                    .get(&f.id)
                    .is_some_and(|s| s.state == SlaState::AtRisk),
            })
            .collect();
        let tags = store::open_tags(cache).await?;
        let levels = trends::levels(&seen, &tags);
        let today = day_start(now, zone);
        store::put_levels(cache, &levels, hour_start(now), today, now).await?;
        // Today's flow, recounted each look; on the first look of a day, yesterday's again too
        // (its last hours, if the app closed before midnight).
        let first_today = !store::has_flow(cache, today).await?;
        let yesterday = day_start(today - 1, zone);
        let since = if first_today { yesterday } else { today };
        let touched = store::touched(cache, since).await?;
        let flow = trends::flow(&touched, today, now + 1);
        store::put_flow(cache, today, &flow, now).await?;
        if first_today {
            let before = trends::flow(&touched, yesterday, today);
            if !before.is_empty() || store::has_flow(cache, yesterday).await? {
                store::put_flow(cache, yesterday, &before, now).await?;
            }
        }
        let all = flow.get(&(TrendDim::All, 0)).copied().unwrap_or_default();
        Ok(Snapshot {
            keys: levels.len() as u32,
            open: levels.get(&(TrendDim::All, 0)).map(|l| l[0]).unwrap_or(0),
            created_today: all.created,
            closed_today: all.closed,
        })
    }

    /// The series of a range: the levels (by the hour for one day, else by the day) and the
    /// daily flow of one team, tag, channel, agent or everything, with `None` where the app did
    /// not look.
    pub async fn report(&self, q: &TrendQuery, now: i64) -> Result<TrendReport> {
        self.report_in(q, now, &chrono::Local).await
    }

    pub async fn report_in<Z: TimeZone>(
        &self,
        q: &TrendQuery,
        now: i64,
        zone: &Z,
    ) -> Result<TrendReport> {
        let started = std::time::Instant::now();
        if q.days == 0 || q.days > MAX_DAYS {
            return Err(Error::Invalid(format!(
                "a range of {} days: choose 1 to {MAX_DAYS}",
                q.days
            )));
        }
        let cache = &self.cx.cache;
        let key = match (q.dim, q.key.as_deref().map(str::trim)) {
            (TrendDim::All, _) => 0,
            (_, Some(k)) if !k.is_empty() => k
                .parse::<i64>()
                .map_err(|_| Error::Invalid(format!("{k:?} is not an id (of the {:?})", q.dim)))?,
            (d, _) => {
                return Err(Error::Invalid(format!(
                    "choose which {} the trends are of",
                    format!("{d:?}").to_lowercase()
                )))
            }
        };
        let name = self.name_of(q.dim, key).await?;
        let today = day_start(now, zone);
        let from = if q.days == 1 {
            today
        } else {
            day_starts(today - (q.days as i64 - 1) * 86_400 + 43_200, now, zone)
                .first()
                .copied()
                .unwrap_or(today)
        };
        let (grain, buckets, grain_word) = if q.days == 1 {
            (1, hour_starts(from, now), "hour")
        } else {
            (2, day_starts(from, now, zone), "day")
        };
        let last = *buckets.last().unwrap_or(&from);
        let levels = store::levels(cache, grain, q.dim, key, from, last).await?;
        let looked: std::collections::HashSet<i64> = store::looked(cache, grain, from, last)
            .await?
            .into_iter()
            .collect();
        let mut series = vec![];
        for (i, metric) in [TrendMetric::Open, TrendMetric::Waiting, TrendMetric::AtRisk]
            .into_iter()
            .enumerate()
        {
            let points = buckets
                .iter()
                .map(|b| TrendPoint {
                    at: iso(*b),
                    value: match levels.get(b) {
                        Some(l) => Some(l[i] as f64),
                        None if looked.contains(b) => Some(0.0),
                        None => None,
                    },
                })
                .collect();
            series.push(self.series(&name, metric, q.dim, key, grain_word, points));
        }
        let days = day_starts(from, now, zone);
        let flows = store::flows(cache, q.dim, key, from, now).await?;
        let flowed: std::collections::HashSet<i64> =
            store::flowed(cache, from, now).await?.into_iter().collect();
        for metric in [
            TrendMetric::Created,
            TrendMetric::Closed,
            TrendMetric::FirstReplyMins,
            TrendMetric::ResolutionHours,
        ] {
            let points = days
                .iter()
                .map(|d| {
                    let f = flows
                        .get(d)
                        .copied()
                        .or_else(|| flowed.contains(d).then(trends::FlowCounts::default));
                    let value = f.and_then(|f| match metric {
                        TrendMetric::Created => Some(f.created as f64),
                        TrendMetric::Closed => Some(f.closed as f64),
                        TrendMetric::FirstReplyMins => (f.replies > 0)
                            .then(|| round1(f.reply_secs as f64 / f.replies as f64 / 60.0)),
                        _ => (f.resolved > 0)
                            .then(|| round1(f.resolve_secs as f64 / f.resolved as f64 / 3600.0)),
                    });
                    TrendPoint { at: iso(*d), value }
                })
                .collect();
            series.push(self.series(&name, metric, q.dim, key, "day", points));
        }
        Ok(TrendReport {
            from: iso(from),
            to: iso(now),
            history_from: store::first_look(cache).await?.map(iso),
            series,
            took_ms: started.elapsed().as_millis() as u32,
        })
    }

    fn series(
        &self,
        name: &str,
        metric: TrendMetric,
        dim: TrendDim,
        key: i64,
        grain: &str,
        points: Vec<TrendPoint>,
    ) -> TrendSeries {
        TrendSeries {
            name: format!("{name} · {}", metric.words()),
            metric,
            dim,
            key: if dim == TrendDim::All {
                String::new()
            } else {
                key.to_string()
            },
            grain: grain.to_string(),
            points,
        }
    }

    /// The report's numbers as CSV: one row per series and point, every cell formula-safe.
    pub async fn csv(&self, q: &TrendQuery, now: i64) -> Result<String> {
        Ok(to_csv(&self.report(q, now).await?))
    }

    async fn name_of(&self, dim: TrendDim, key: i64) -> Result<String> {
        if dim == TrendDim::All {
            return Ok("Everything".into());
        }
        let dir = self.cx.cache.directory().await?;
        let k = key as u64;
        let found = match dim {
            TrendDim::Team => dir.teams.get(&k).cloned(),
            TrendDim::Tag => dir.labels.get(&k).map(|l| l.0.clone()),
            TrendDim::Channel => dir.channels.get(&k).cloned(),
            TrendDim::Agent => dir.users.get(&k).map(|u| u.0.clone()),
            TrendDim::All => None,
        };
        found.ok_or_else(|| {
            Error::NotFound(format!(
                "there is no {} with id {key} in this workspace",
                format!("{dim:?}").to_lowercase()
            ))
        })
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// `series,metric,grain,at,value` rows; an empty value where the app did not look. Every cell is
/// formula-safe (a team or tag named `=…` cannot run in a spreadsheet).
pub fn to_csv(r: &TrendReport) -> String {
    let mut rows = vec![vec![
        "series".to_string(),
        "metric".into(),
        "grain".into(),
        "at".into(),
        "value".into(),
    ]];
    for s in &r.series {
        let metric = serde_json::to_value(s.metric)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        for p in &s.points {
            rows.push(vec![
                s.name.clone(),
                metric.clone(),
                s.grain.clone(),
                p.at.clone(),
                p.value.map(|v| v.to_string()).unwrap_or_default(),
            ]);
        }
    }
    crate::enrich::source::write_csv(&rows)
}
