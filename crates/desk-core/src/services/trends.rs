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
    self, day_start, day_starts, hour_start, hour_starts, iso, store, Seen, Snapshot, TagWeek,
    TrendDim, TrendMetric, TrendOverview, TrendPoint, TrendReport, TrendSeries,
};

/// How often a day's flow (created, closed, reply times) is counted again.
pub const FLOW_EVERY_SECS: i64 = 300;

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

    /// Whether the history has begun (a look was kept): until then the radar looks again soon,
    /// so the first sync's tickets are in the history within seconds, not a radar's interval.
    pub async fn begun(&self) -> Result<bool> {
        let cache = &self.cx.cache;
        Ok(store::begun(cache).await?
            && (self.cx.demo_sim().is_none() || store::demo_seeded(cache).await?))
    }

    /// [`Self::snapshot`] with the local days as `zone` has them.
    pub async fn snapshot_in<Z: TimeZone>(&self, now: i64, zone: &Z) -> Result<Snapshot> {
        let (facts, standings) = super::Sla::new(self.cx).clocks(now).await?;
        self.snapshot_from(&facts, &standings, now, zone).await
    }

    /// A look written into the history from clocks already read (the radar's, each 15 s), the
    /// local days as `zone` has them.
    pub async fn snapshot_from<Z: TimeZone>(
        &self,
        facts: &[ClockFacts],
        standings: &HashMap<i64, Standing>,
        now: i64,
        zone: &Z,
    ) -> Result<Snapshot> {
        let cache = &self.cx.cache;
        if facts.is_empty() && !store::any_ticket(cache).await? {
            // Before the first sync: nothing is known yet, which is not a zero.
            return Ok(Snapshot::default());
        }
        if self.cx.demo_sim().is_some()
            && !store::demo_seeded(cache).await?
            && store::working_set_read(cache).await?
        {
            // The demo's weeks, rebuilt once from all its tickets (not the first page's).
            self.seed_demo(now, zone).await?;
            store::mark_demo_seeded(cache, now).await?;
        }
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
        let mut levels = trends::levels(&seen, &[]);
        let today = day_start(now, zone);
        // Tags and today's flow move slowly and cost a join over every open ticket: counted
        // again every few minutes (and on a day's first look); the other levels at each look.
        let seen_flow = store::flow_seen(cache, today).await?;
        let due = seen_flow.is_none_or(|t| now - t >= FLOW_EVERY_SECS || t > now);
        let held = self
            .cx
            .trend_tags
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .filter(|(at, _)| !due && *at <= now && now - at < FLOW_EVERY_SECS);
        let tags = match held {
            Some((_, t)) => t,
            None => {
                let risky: Vec<i64> = seen.iter().filter(|s| s.at_risk).map(|s| s.id).collect();
                let t = store::tag_levels(cache, &risky).await?;
                *self.cx.trend_tags.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((now, t.clone()));
                t
            }
        };
        for (tag, l) in tags {
            levels.insert((TrendDim::Tag, tag), l);
        }
        store::put_levels(cache, &levels, hour_start(now), today, now).await?;
        let mut flow = HashMap::new();
        if due {
            let yesterday = day_start(today - 1, zone);
            let since = if seen_flow.is_none() {
                yesterday
            } else {
                today
            };
            let touched = store::touched(cache, since).await?;
            flow = trends::flow(&touched, today, now + 1);
            store::put_flow(cache, today, &flow, now).await?;
            if seen_flow.is_none() {
                let before = trends::flow(&touched, yesterday, today);
                if !before.is_empty() || store::has_flow(cache, yesterday).await? {
                    store::put_flow(cache, yesterday, &before, now).await?;
                }
            }
        }
        let all = flow.get(&(TrendDim::All, 0)).copied().unwrap_or_default();
        Ok(Snapshot {
            flow_counted: due,
            keys: levels.len() as u32,
            open: levels.get(&(TrendDim::All, 0)).map(|l| l[0]).unwrap_or(0),
            created_today: all.created,
            closed_today: all.closed,
        })
    }

    /// The spikes to tell now: a team or tag whose new tickets in the last hour are far above
    /// its usual level (see [`trends::is_spike_hour`]), judged against the days kept (at least
    /// three of the last fourteen). Each is told once, and not again for that one within six
    /// hours; a click opens those tickets.
    pub async fn spikes(&self, now: i64) -> Result<Vec<crate::watcher::Note>> {
        self.spikes_in(now, &chrono::Local).await
    }

    pub async fn spikes_in<Z: TimeZone>(
        &self,
        now: i64,
        zone: &Z,
    ) -> Result<Vec<crate::watcher::Note>> {
        let cache = &self.cx.cache;
        let today = day_start(now, zone);
        let (usual, days) = store::usual(cache, today - 14 * 86_400, today).await?;
        if days < 3 {
            return Ok(vec![]);
        }
        let since = now - 3600;
        let mut out = vec![];
        for (dim, key, n) in store::created_since(cache, since).await? {
            let per_hour =
                usual.get(&(dim, key)).copied().unwrap_or(0) as f64 / (days as f64 * 24.0);
            if !trends::is_spike_hour(n, per_hour) {
                continue;
            }
            if !store::tell_spike(cache, dim, key, hour_start(now), n, per_hour).await? {
                continue;
            }
            let name = self.name_of(dim, key).await?;
            let what = if dim == TrendDim::Tag { "tag" } else { "team" };
            out.push(crate::watcher::Note {
                summary: format!("Spike in {what} {name}"),
                body: format!("{n} new tickets in the last hour; usually {per_hour:.1} an hour"),
                ticket_id: None,
                sla_view: None,
                filter: Some(Box::new(crate::view::TicketFilter {
                    status: Some(crate::view::StatusFilter::Any),
                    team_id: (dim == TrendDim::Team).then(|| key.to_string()),
                    tag_id: (dim == TrendDim::Tag).then(|| key.to_string()),
                    period: Some(crate::view::Period {
                        kind: crate::view::PeriodKind::Created,
                        from: iso(since),
                        before: iso(now + 60),
                    }),
                    ..Default::default()
                })),
            });
        }
        Ok(out)
    }

    /// The demo's history, so its Trends view is not empty: the last three weeks' days rebuilt
    /// from the simulator's tickets in the cache (open at each day's end by their created and
    /// closed times; waiting where they wait now and did then; at risk not known, so 0), and
    /// each day's flow.
    pub async fn seed_demo<Z: TimeZone>(&self, now: i64, zone: &Z) -> Result<()> {
        let cache = &self.cx.cache;
        let all = store::all_tickets(cache).await?;
        let today = day_start(now, zone);
        let days = day_starts(today - 21 * 86_400 - 43_200, today - 1, zone);
        let touched: Vec<trends::Touched> = all.iter().map(|(t, _, _)| t.clone()).collect();
        // One transaction: the view never shows half of the weeks.
        let mut tx = cache.pool().begin().await?;
        for (i, d) in days.iter().enumerate() {
            let end = days.get(i + 1).copied().unwrap_or(today);
            let mut seen = vec![];
            let mut tags = vec![];
            for (t, waiting_since, spam) in &all {
                let open = !spam
                    && t.created_at.is_some_and(|c| c < end)
                    && t.closed_at.is_none_or(|c| c >= end);
                if !open {
                    continue;
                }
                seen.push(Seen {
                    id: t.id,
                    team: t.team,
                    channel: t.channel,
                    user: t.user,
                    waiting: waiting_since.is_some_and(|w| w < end),
                    at_risk: false,
                });
                tags.extend(t.tags.iter().map(|g| (t.id, *g)));
            }
            let levels = trends::levels(&seen, &tags);
            store::write_levels(&mut tx, &levels, hour_start(end - 1), *d, end - 1).await?;
            store::write_flow(&mut tx, *d, &trends::flow(&touched, *d, end), end - 1).await?;
        }
        tx.commit().await?;
        Ok(())
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

    /// The Trends view's numbers: the scope's report, each team's backlog and first reply, and
    /// the top tags this week against last (spikes marked).
    pub async fn overview(&self, q: &TrendQuery, now: i64) -> Result<TrendOverview> {
        self.overview_in(q, now, &chrono::Local).await
    }

    pub async fn overview_in<Z: TimeZone>(
        &self,
        q: &TrendQuery,
        now: i64,
        zone: &Z,
    ) -> Result<TrendOverview> {
        let started = std::time::Instant::now();
        let report = self.report_in(q, now, zone).await?;
        let mut teams: Vec<(String, String)> =
            sqlx::query_as("SELECT CAST(id AS TEXT), name FROM teams")
                .fetch_all(self.cx.cache.pool())
                .await?;
        teams.sort_by_key(|(_, n)| n.to_lowercase());
        let (mut backlog, mut reply) = (vec![], vec![]);
        for (id, name) in teams {
            let r = self
                .report_in(
                    &TrendQuery {
                        days: q.days,
                        dim: TrendDim::Team,
                        key: Some(id),
                    },
                    now,
                    zone,
                )
                .await?;
            for s in r.series {
                match s.metric {
                    TrendMetric::Open => backlog.push(TrendSeries {
                        name: name.clone(),
                        ..s
                    }),
                    TrendMetric::FirstReplyMins => reply.push(TrendSeries {
                        name: name.clone(),
                        ..s
                    }),
                    _ => {}
                }
            }
        }
        let today = day_start(now, zone);
        let days = day_starts(today - 13 * 86_400 - 43_200, now, zone);
        let (last, this) = match days.len() {
            n if n >= 14 => (days[n - 14], days[n - 7]),
            _ => (today - 13 * 86_400, today - 6 * 86_400),
        };
        let dir = self.cx.cache.directory().await?;
        let mut top: Vec<TagWeek> = store::tag_weeks(&self.cx.cache, last, this, now)
            .await?
            .into_iter()
            .filter(|(_, t, _)| *t > 0)
            .map(|(tag, t, l)| TagWeek {
                tag_id: crate::TagId::from_cache(tag),
                name: dir
                    .labels
                    .get(&(tag as u64))
                    .map(|x| x.0.clone())
                    .unwrap_or_else(|| format!("#{tag}")),
                this_week: t as u32,
                last_week: l as u32,
                spike: trends::is_spike(t as u32, l as u32),
            })
            .collect();
        top.sort_by(|a, b| b.this_week.cmp(&a.this_week).then(a.name.cmp(&b.name)));
        top.truncate(10);
        Ok(TrendOverview {
            report,
            backlog_by_team: backlog,
            reply_by_team: reply,
            top_tags: top,
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

    /// The report's CSV written to the Downloads folder; says where.
    pub async fn save_csv(&self, q: &TrendQuery, now: i64) -> Result<std::path::PathBuf> {
        let csv = self.csv(q, now).await?;
        crate::files::save_download("trengo-desk-trends", "csv", csv.as_bytes())
    }

    /// A chart as PNG (drawn by the window) written to the Downloads folder; says where. Only a
    /// PNG image of at most 20 MB is written.
    pub fn save_png(&self, chart: &str, png: &[u8]) -> Result<std::path::PathBuf> {
        const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
        if !png.starts_with(SIGNATURE) || png.len() > 20_000_000 {
            return Err(Error::Invalid(format!(
                "the chart is not a PNG image of at most 20 MB ({} bytes)",
                png.len()
            )));
        }
        let stem: String = chart
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        crate::files::save_download(
            &format!("trengo-desk-{}", stem.trim_matches('-')),
            "png",
            png,
        )
    }

    async fn name_of(&self, dim: TrendDim, key: i64) -> Result<String> {
        let table = match dim {
            TrendDim::All => return Ok("Everything".into()),
            TrendDim::Team => "teams",
            TrendDim::Tag => "tags",
            TrendDim::Channel => "channels",
            TrendDim::Agent => "users",
        };
        let name: Option<String> =
            sqlx::query_scalar(&format!("SELECT name FROM {table} WHERE id = ?"))
                .bind(key)
                .fetch_optional(self.cx.cache.pool())
                .await?;
        name.ok_or_else(|| {
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
