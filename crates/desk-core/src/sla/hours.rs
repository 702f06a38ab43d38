//! Business hours: weekly opening hours in a time zone, with holidays. A target's clock runs
//! only while they are open; instants in, instants out (a local hour that a DST change skips or
//! repeats is read as the zone says).

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// Opening hours, checked: per weekday (Monday first) the open spans as seconds from midnight.
#[derive(Debug, Clone)]
pub struct Hours {
    pub tz: Tz,
    pub week: [Vec<(u32, u32)>; 7],
    pub holidays: HashSet<NaiveDate>,
}

/// The open spans of each local day, as instants, worked out once per pass.
#[derive(Default)]
pub struct DayMemo(HashMap<NaiveDate, Vec<(i64, i64)>>);

/// At most this many days are walked to find an instant (a target of weeks over short hours).
const MAX_DAYS: i64 = 3 * 366;

impl Hours {
    fn instant(&self, day: NaiveDate, secs: u32) -> i64 {
        let local: NaiveDateTime = day.and_time(NaiveTime::MIN) + Duration::seconds(secs as i64);
        match self.tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => t.timestamp(),
            // Repeated by the autumn change: the earlier one.
            chrono::LocalResult::Ambiguous(a, _) => a.timestamp(),
            // Skipped by the spring change: as far on as the gap is long.
            chrono::LocalResult::None => {
                let later = local + Duration::hours(1);
                self.tz
                    .from_local_datetime(&later)
                    .earliest()
                    .map(|t| t.timestamp())
                    .unwrap_or_else(|| Utc.from_utc_datetime(&local).timestamp())
            }
        }
    }

    fn spans<'m>(&self, day: NaiveDate, memo: &'m mut DayMemo) -> &'m [(i64, i64)] {
        memo.0.entry(day).or_insert_with(|| {
            if self.holidays.contains(&day) {
                return vec![];
            }
            self.week[day.weekday().num_days_from_monday() as usize]
                .iter()
                .map(|&(a, b)| (self.instant(day, a), self.instant(day, b)))
                .filter(|(a, b)| a < b)
                .collect()
        })
    }

    fn local_day(&self, at: i64) -> NaiveDate {
        Utc.timestamp_opt(at, 0)
            .single()
            .unwrap_or_default()
            .with_timezone(&self.tz)
            .date_naive()
    }

    /// The instant when `secs` of open time have passed since `start`.
    pub fn add(&self, start: i64, secs: i64, memo: &mut DayMemo) -> i64 {
        let mut left = secs.max(0);
        // The day before too: a span may start on the local day before `start`'s (never with
        // hours inside one day, but cheap to be sure).
        let mut day = self.local_day(start) - Duration::days(1);
        for _ in 0..MAX_DAYS {
            for &(a, b) in self.spans(day, memo) {
                let from = a.max(start);
                if from >= b {
                    continue;
                }
                if left <= b - from {
                    return from + left;
                }
                left -= b - from;
            }
            day += Duration::days(1);
        }
        // Hours so short a target runs past three years: as good as never.
        start + MAX_DAYS * 86_400
    }

    /// Open seconds between two instants.
    pub fn between(&self, start: i64, end: i64, memo: &mut DayMemo) -> i64 {
        if end <= start {
            return 0;
        }
        let mut day = self.local_day(start) - Duration::days(1);
        let last = self.local_day(end);
        let mut sum = 0;
        while day <= last {
            for &(a, b) in self.spans(day, memo) {
                let (x, y) = (a.max(start), b.min(end));
                if x < y {
                    sum += y - x;
                }
            }
            day += Duration::days(1);
        }
        sum
    }
}

/// `mon`, `tue`, … (or the whole English name), in any case.
pub fn weekday(s: &str) -> Option<Weekday> {
    let s = s.trim().to_ascii_lowercase();
    let all = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    all.into_iter().find(|d| {
        let full = match d {
            Weekday::Mon => "monday",
            Weekday::Tue => "tuesday",
            Weekday::Wed => "wednesday",
            Weekday::Thu => "thursday",
            Weekday::Fri => "friday",
            Weekday::Sat => "saturday",
            Weekday::Sun => "sunday",
        };
        s.len() >= 3 && full.starts_with(&s)
    })
}

/// `HH:MM` as seconds from midnight; `24:00` is the day's end.
pub fn clock(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 3600 + m * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office(tz: &str) -> Hours {
        let day = vec![(9 * 3600, 17 * 3600)];
        Hours {
            tz: tz.parse().unwrap(),
            week: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            holidays: HashSet::new(),
        }
    }

    fn at(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn a_target_runs_over_the_weekend_only_in_open_hours() {
        let h = office("Europe/Amsterdam");
        let mut m = DayMemo::default();
        // Friday 2026-12-04 16:00 Amsterdam (15:00Z), 2 h of target: 1 h on Friday, 1 h on Monday.
        let due = h.add(at("2026-12-04T15:00:00Z"), 2 * 3600, &mut m);
        assert_eq!(due, at("2026-12-07T09:00:00Z")); // Monday 10:00 Amsterdam
        assert_eq!(h.between(at("2026-12-04T15:00:00Z"), due, &mut m), 2 * 3600);
        // Written on Saturday: the clock starts on Monday at 9.
        let due = h.add(at("2026-12-05T12:00:00Z"), 30 * 60, &mut m);
        assert_eq!(due, at("2026-12-07T08:30:00Z"));
    }

    #[test]
    fn open_hours_follow_the_zone_across_a_dst_change() {
        let h = office("Europe/Amsterdam");
        let mut m = DayMemo::default();
        // Friday 2026-03-27 16:30 CET (15:30Z); the clocks go forward on Sunday the 29th. Monday
        // opens at 09:00 CEST = 07:00Z, so 1 h of target ends at 07:30Z on Monday.
        let due = h.add(at("2026-03-27T15:30:00Z"), 3600, &mut m);
        assert_eq!(due, at("2026-03-30T07:30:00Z"));
    }

    #[test]
    fn a_holiday_is_closed_all_day() {
        let mut h = office("Europe/London");
        h.holidays
            .insert(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap());
        let mut m = DayMemo::default();
        // Thursday 24th 16:00 London, 2 h: 1 h on Thursday, Friday is a holiday, 1 h on Monday.
        let due = h.add(at("2026-12-24T16:00:00Z"), 2 * 3600, &mut m);
        assert_eq!(due, at("2026-12-28T10:00:00Z"));
    }

    #[test]
    fn words_and_clocks() {
        assert_eq!(weekday("Mon"), Some(Weekday::Mon));
        assert_eq!(weekday("thursday"), Some(Weekday::Thu));
        assert_eq!(weekday("m"), None);
        assert_eq!(clock("09:30"), Some(9 * 3600 + 1800));
        assert_eq!(clock("24:00"), Some(86_400));
        assert_eq!(clock("25:00"), None);
        assert_eq!(clock("9"), None);
    }
}
