//! The trends' history against the simulator over HTTP and a real cache file: a look counts what
//! the list shows for the same filter at the same moment; looks roll up into hours and local
//! days across a day boundary and a DST change; where the app did not look, a series has a gap;
//! the CSV is formula-safe.

mod common;

use chrono_tz::Europe::Amsterdam;
use desk_core::services::trends::{to_csv, TrendQuery};
use desk_core::trends::{TrendDim, TrendMetric, TrendReport};
use desk_core::view::{StatusFilter, TicketFilter};
use trengo_sim::Size;

fn at(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

fn values(r: &TrendReport, m: TrendMetric) -> Vec<Option<f64>> {
    r.series
        .iter()
        .find(|s| s.metric == m)
        .unwrap()
        .points
        .iter()
        .map(|p| p.value)
        .collect()
}

#[tokio::test]
async fn a_look_counts_what_the_list_shows() {
    let (_sim, _dir, desk) = common::synced(Size::Small).await;
    let now = chrono::Utc::now().timestamp();
    let snap = desk.trends().snapshot(now).await.unwrap();
    assert!(snap.open > 0 && snap.keys > 1, "{snap:?}");
    let total = |f: TicketFilter| {
        let desk = &desk;
        async move { desk.tickets().search(&f).await.unwrap().total }
    };
    let lists = desk.directory().lists().await.unwrap();
    let team = lists.teams[0].id.to_string();
    let tag = lists.tags[0].id.to_string();
    for (dim, key, filter) in [
        (TrendDim::All, None, TicketFilter::default()),
        (
            TrendDim::Team,
            Some(team.clone()),
            TicketFilter {
                team_id: Some(team.clone()),
                ..Default::default()
            },
        ),
        (
            TrendDim::Tag,
            Some(tag.clone()),
            TicketFilter {
                tag_id: Some(tag.clone()),
                ..Default::default()
            },
        ),
    ] {
        let r = desk
            .trends()
            .report(&TrendQuery { days: 1, dim, key }, now)
            .await
            .unwrap();
        let open = values(&r, TrendMetric::Open);
        let last = open.last().copied().flatten().unwrap();
        let list = total(TicketFilter {
            status: Some(StatusFilter::Open),
            ..filter.clone()
        })
        .await;
        assert_eq!(
            last as u32, list,
            "{dim:?}: the chart's open equals the list's"
        );
        // Hours before the first look are gaps, not zeros.
        assert!(open.len() == 1 || open[0].is_none(), "{open:?}");
        assert_eq!(r.series.len(), 7);
    }
}

/// Looks land in their hour and their local day (Amsterdam): 23:30 and 00:30 local are two days,
/// and the day summer time began is 23 hours long; hours and days with no look are gaps.
#[tokio::test]
async fn looks_roll_up_into_hours_and_local_days_and_a_closed_app_leaves_a_gap() {
    let (_sim, _dir, desk) = common::synced(Size::Small).await;
    let t = desk.trends();
    // Local 23:30 on Saturday 28 March, then 00:30 and 03:30 on Sunday 29 March (summer time
    // from 02:00), the app closed in between.
    for look in [
        "2026-03-28T22:30:00Z",
        "2026-03-28T23:30:00Z",
        "2026-03-29T01:30:00Z",
    ] {
        t.snapshot_in(at(look), &Amsterdam).await.unwrap();
    }
    let q = |days| TrendQuery {
        days,
        dim: TrendDim::All,
        key: None,
    };
    let days = t
        .report_in(&q(3), at("2026-03-30T08:00:00Z"), &Amsterdam)
        .await
        .unwrap();
    let open = values(&days, TrendMetric::Open);
    let starts: Vec<&str> = days.series[0]
        .points
        .iter()
        .map(|p| p.at.as_str())
        .collect();
    assert_eq!(
        starts,
        vec![
            "2026-03-27T23:00:00Z",
            "2026-03-28T23:00:00Z",
            "2026-03-29T22:00:00Z"
        ],
        "local midnights as instants; the 29th is 23 hours long"
    );
    assert!(open[0].is_some() && open[1].is_some(), "{open:?}");
    assert_eq!(open[2], None, "the app did not look on the 30th: a gap");

    let hours = t
        .report_in(&q(1), at("2026-03-29T02:10:00Z"), &Amsterdam)
        .await
        .unwrap();
    let open = values(&hours, TrendMetric::Open);
    let starts: Vec<&str> = hours.series[0]
        .points
        .iter()
        .map(|p| p.at.as_str())
        .collect();
    assert_eq!(starts[0], "2026-03-28T23:00:00Z");
    assert_eq!(starts.len(), 4, "{starts:?}");
    assert!(open[0].is_some(), "00:30 local");
    assert_eq!(
        open[1], None,
        "the app was closed from 01:00 to 03:30 local"
    );
    assert!(open[2].is_some(), "03:30 local (01:30 UTC)");
    assert_eq!(open[3], None, "not looked at yet");
    assert_eq!(
        hours.history_from.as_deref(),
        Some("2026-03-28T22:30:00Z"),
        "history starts at the first look"
    );
}

#[tokio::test]
async fn the_csv_is_formula_safe() {
    let sim = common::sim(Size::Small).await;
    let id = {
        let mut w = sim.state().world();
        let l = w.labels.values_mut().next().unwrap();
        l.name = "=HYPERLINK(\"http://x\")".into();
        l.id
    };
    let dir = tempfile::tempdir().unwrap();
    let desk = common::open(&sim, dir.path()).await;
    common::sync(&desk).await;
    let now = chrono::Utc::now().timestamp();
    desk.trends().snapshot(now).await.unwrap();
    let r = desk
        .trends()
        .report(
            &TrendQuery {
                days: 7,
                dim: TrendDim::Tag,
                key: Some(id.to_string()),
            },
            now,
        )
        .await
        .unwrap();
    let csv = to_csv(&r);
    assert!(csv.starts_with("series,metric,grain,at,value\n"), "{csv}");
    for line in csv.lines().skip(1) {
        assert!(
            line.starts_with("\"'=HYPERLINK"),
            "the tag's name cannot run: {line}"
        );
    }
    assert_eq!(csv.lines().count(), 1 + 7 * 7, "7 series of 7 days");
}

/// The demo's three weeks rebuilt from the cache: a day's created bar equals the list of tickets
/// created that day; each team has its backlog line.
#[tokio::test]
async fn a_days_created_bar_equals_the_list_of_tickets_created_that_day() {
    let (_sim, _dir, desk) = common::synced(Size::Small).await;
    let t = desk.trends();
    let now = chrono::Utc::now().timestamp();
    t.seed_demo(now, &chrono::Utc).await.unwrap();
    t.snapshot_in(now, &chrono::Utc).await.unwrap();
    let o = t
        .overview_in(
            &TrendQuery {
                days: 21,
                dim: TrendDim::All,
                key: None,
            },
            now,
            &chrono::Utc,
        )
        .await
        .unwrap();
    let teams = desk.directory().lists().await.unwrap().teams.len();
    assert_eq!(o.backlog_by_team.len(), teams);
    let created = o
        .report
        .series
        .iter()
        .find(|s| s.metric == TrendMetric::Created)
        .unwrap();
    assert_eq!(created.points.len(), 21);
    let mut checked = 0;
    for (i, p) in created.points.iter().enumerate() {
        let from = p.at.clone();
        let before = created
            .points
            .get(i + 1)
            .map(|q| q.at.clone())
            .unwrap_or_else(|| desk_core::trends::iso_of(now + 1));
        let list = desk
            .tickets()
            .search(&TicketFilter {
                status: Some(StatusFilter::Any),
                period: Some(desk_core::view::Period {
                    kind: desk_core::view::PeriodKind::Created,
                    from,
                    before,
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .total;
        assert_eq!(p.value, Some(list as f64), "day {}", p.at);
        checked += list;
    }
    assert!(checked > 0, "some tickets were created in three weeks");
}

/// New tickets far above a team's usual hour give one notification, whose click opens them.
#[tokio::test]
async fn a_spike_of_new_tickets_is_told_once_and_opens_them() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let t = desk.trends();
    let now = chrono::Utc::now().timestamp();
    t.seed_demo(now, &chrono::Utc).await.unwrap();
    assert!(
        t.spikes_in(now, &chrono::Utc).await.unwrap().is_empty(),
        "nothing unusual yet"
    );
    let team = desk.directory().lists().await.unwrap().teams[0].clone();
    for i in 0..8 {
        common::admin(
            &sim,
            "inbound",
            serde_json::json!({"message": "it broke", "identifier": format!("spike{i}@example.com"), "team_id": team.id.parse::<u64>().unwrap()}),
        )
        .await;
    }
    common::sync(&desk).await;
    let now = chrono::Utc::now().timestamp();
    let notes = t.spikes_in(now, &chrono::Utc).await.unwrap();
    let note = notes
        .iter()
        .find(|n| n.summary == format!("Spike in team {}", team.name))
        .unwrap_or_else(|| panic!("{notes:?}"));
    let n: u32 = note.body.split(' ').next().unwrap().parse().unwrap();
    assert!(n >= 8, "{}", note.body);
    let opened = desk
        .tickets()
        .search(note.filter.as_deref().unwrap())
        .await
        .unwrap()
        .total;
    assert_eq!(opened, n, "a click opens those tickets");
    assert!(
        t.spikes_in(now + 60, &chrono::Utc)
            .await
            .unwrap()
            .iter()
            .all(|x| x.summary != note.summary),
        "told once"
    );
}
