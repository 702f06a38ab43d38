use super::*;
use chrono_tz::Europe::Amsterdam;

fn at(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

#[test]
fn a_local_day_starts_at_local_midnight_across_a_dst_change() {
    // Summer time began on Sunday 29 March 2026: that day is 23 hours long in Amsterdam.
    let days = day_starts(
        at("2026-03-28T12:00:00Z"),
        at("2026-03-30T12:00:00Z"),
        &Amsterdam,
    );
    assert_eq!(
        days,
        vec![
            at("2026-03-27T23:00:00Z"),
            at("2026-03-28T23:00:00Z"),
            at("2026-03-29T22:00:00Z"),
        ]
    );
    assert_eq!(days[2] - days[1], 23 * 3600);
    // And winter time on 25 October: 25 hours.
    let d = day_start(at("2026-10-25T20:00:00Z"), &Amsterdam);
    let next = day_start(d + 25 * 3600, &Amsterdam);
    assert_eq!(d, at("2026-10-24T22:00:00Z"));
    assert_eq!(next - d, 25 * 3600);
    // 00:30 local on the 26th belongs to the 26th, not (as UTC would say) to the 25th.
    assert_eq!(
        day_start(at("2026-10-25T23:30:00Z"), &Amsterdam),
        at("2026-10-25T23:00:00Z")
    );
}

#[test]
fn levels_count_each_dimension_and_tags_of_open_tickets_only() {
    let seen = [
        Seen {
            id: 1,
            team: Some(10),
            channel: Some(5),
            user: Some(7),
            waiting: true,
            at_risk: true,
        },
        Seen {
            id: 2,
            team: Some(10),
            channel: None,
            user: None,
            waiting: false,
            at_risk: false,
        },
    ];
    let l = levels(&seen, &[(1, 99), (2, 99), (3, 99)]);
    assert_eq!(l[&(TrendDim::All, 0)], [2, 1, 1]);
    assert_eq!(l[&(TrendDim::Team, 10)], [2, 1, 1]);
    assert_eq!(l[&(TrendDim::Agent, 7)], [1, 1, 1]);
    assert_eq!(l[&(TrendDim::Tag, 99)], [2, 1, 1], "ticket 3 is not open");
    assert!(!l.contains_key(&(TrendDim::Channel, 0)));
}

#[test]
fn a_days_flow_counts_created_and_closed_within_it_and_their_times() {
    let day = at("2026-03-29T00:00:00+01:00");
    let end = day + 23 * 3600;
    let t = |id, created: i64, closed: Option<i64>, reply: Option<i64>| Touched {
        id,
        team: Some(10),
        created_at: Some(created),
        closed_at: closed,
        first_reply_at: reply,
        tags: vec![4],
        ..Touched::default()
    };
    let f = flow(
        &[
            t(1, day + 60, None, Some(day + 660)),
            t(2, day - 86_400, Some(day + 7200), None),
            t(3, day - 10, None, Some(day + 100)),
            t(4, end + 5, None, None),
        ],
        day,
        end,
    );
    let all = f[&(TrendDim::All, 0)];
    assert_eq!((all.created, all.closed), (1, 1));
    assert_eq!((all.reply_secs, all.replies), (600, 1));
    assert_eq!((all.resolve_secs, all.resolved), (86_400 + 7200, 1));
    assert_eq!(f[&(TrendDim::Tag, 4)], all);
}
