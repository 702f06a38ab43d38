//! The zone a workspace's zone-less times are written in, learned from Trengo's own clock.
//!
//! Real answers show Amsterdam wall-clock time ([`TRENGO_ZONE`], ../shared/trengo-api.md §9), and
//! that is what a client assumes until it knows better. Whether a workspace can have another zone
//! is not known, so the client checks: after it changes a ticket, Trengo stamps the ticket's
//! `updated_at` with its wall clock at that moment, and the answer's `Date` header says the same
//! moment in UTC. When the client next reads that ticket (a show, or a list page that carries it),
//! the wall clock less the true moment is the zone's offset. A colleague's later change would make
//! the stamp later than ours, so an offset is taken only where exactly one whole quarter hour puts
//! the stamp between our write and that read; then the zone is the one with that offset at that
//! instant: Amsterdam where it fits, else the user's own zone where that fits (a hint), else a
//! fixed `Etc/GMT` zone for whole hours, else the first zone in the tz database that fits.

use std::collections::VecDeque;

use chrono::{DateTime, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::de::TRENGO_ZONE;

/// How long a write of ours stays usable to learn from: a stamp read later than this after the
/// write is likely someone else's.
const WRITE_FRESH_SECS: i64 = 600;
/// At most this many recent writes are remembered.
const MAX_WRITES: usize = 64;

/// Which zone the client reads zone-less times in, and whether Trengo's clock showed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ZoneInfo {
    /// A tz database name: `Europe/Amsterdam`.
    pub name: String,
    /// When Trengo's clock last confirmed it; `None` while it is assumed.
    pub learned_at: Option<DateTime<Utc>>,
    /// The offset seen then, in minutes east of UTC.
    pub offset_minutes: Option<i32>,
}

impl ZoneInfo {
    pub fn tz(&self) -> Tz {
        self.name.parse().unwrap_or(TRENGO_ZONE)
    }
}

impl Default for ZoneInfo {
    fn default() -> Self {
        ZoneInfo {
            name: TRENGO_ZONE.name().to_string(),
            learned_at: None,
            offset_minutes: None,
        }
    }
}

/// What a client knows of its workspace's zone, and the writes it may learn it from.
#[derive(Debug, Default)]
pub(crate) struct ZoneClock {
    info: ZoneInfo,
    /// The user's own zone (`/users/me`'s `timezone`): preferred among zones of the same offset.
    hint: Option<Tz>,
    /// `(ticket id, Trengo's Date header of our write)`, oldest first.
    writes: VecDeque<(u64, DateTime<Utc>)>,
    /// Another zone's offset seen once: a second reading that agrees switches to it.
    candidate: Option<i32>,
}

impl ZoneClock {
    pub(crate) fn tz(&self) -> Tz {
        self.info.tz()
    }

    pub(crate) fn info(&self) -> ZoneInfo {
        self.info.clone()
    }

    pub(crate) fn set(&mut self, info: ZoneInfo) {
        self.info = info;
    }

    pub(crate) fn set_hint(&mut self, hint: Option<Tz>) {
        self.hint = hint;
    }

    pub(crate) fn pending(&self) -> bool {
        !self.writes.is_empty()
    }

    /// A write of ours to `ticket` that Trengo answered at `at` (its `Date` header).
    pub(crate) fn wrote(&mut self, ticket: u64, at: DateTime<Utc>) {
        self.writes.retain(|(t, _)| *t != ticket);
        self.writes.push_back((ticket, at));
        while self.writes.len() > MAX_WRITES {
            self.writes.pop_front();
        }
    }

    /// A ticket as a read answered at `read_at` shows it (a show, or a list page's item). True
    /// when it taught the zone.
    pub(crate) fn observe(&mut self, ticket: &Value, read_at: DateTime<Utc>) -> bool {
        self.writes
            .retain(|(_, at)| (read_at - *at).num_seconds() <= WRITE_FRESH_SECS);
        let Some(id) = ticket.get("id").and_then(Value::as_u64) else {
            return false;
        };
        let Some(pos) = self.writes.iter().position(|(t, _)| *t == id) else {
            return false;
        };
        let Some(wall) = ticket
            .get("updated_at")
            .and_then(Value::as_str)
            .and_then(zone_less)
        else {
            return false;
        };
        let (_, wrote_at) = self.writes[pos];
        let [offset] = offsets_between(wall, wrote_at)[..] else {
            return false;
        };
        self.writes.remove(pos);
        let at = wall.and_utc() - chrono::Duration::minutes(offset as i64);
        let tz = zone_for(offset, at, self.hint);
        let current = self
            .info
            .tz()
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc();
        if current != offset * 60 && self.candidate.replace(offset) != Some(offset) {
            // Another zone, seen once: it must be seen again before times are read in it.
            return false;
        }
        self.candidate = None;
        if tz.name() != self.info.name {
            tracing::warn!(
                from = self.info.name,
                to = tz.name(),
                offset_minutes = offset,
                "Trengo's clock shows another zone for its zone-less times"
            );
        }
        self.info = ZoneInfo {
            name: tz.name().to_string(),
            learned_at: Some(read_at),
            offset_minutes: Some(offset),
        };
        true
    }
}

/// A zone-less wall-clock time (`2024-02-19 16:01:25`); `None` for one with a zone.
pub fn zone_less(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// Every whole quarter-hour offset (minutes east of UTC, ±14 h) that puts the wall-clock stamp
/// `wall` within seconds of our write at `wrote_at` (its answer's `Date` header, to the second:
/// the stamp is made just before it).
pub fn offsets_between(wall: NaiveDateTime, wrote_at: DateTime<Utc>) -> Vec<i32> {
    let wall = wall.and_utc();
    (-14 * 4..=14 * 4)
        .map(|q| q * 15)
        .filter(|m| {
            let at = wall - chrono::Duration::minutes(*m as i64);
            at >= wrote_at - chrono::Duration::seconds(3)
                && at <= wrote_at + chrono::Duration::seconds(1)
        })
        .collect()
}

/// The zone whose offset at `at` is `offset` minutes: Amsterdam, the hint, a fixed `Etc/GMT` zone
/// for whole hours, or the first in the tz database.
pub fn zone_for(offset: i32, at: DateTime<Utc>, hint: Option<Tz>) -> Tz {
    let fits = |tz: &Tz| {
        tz.offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
            == offset * 60
    };
    if fits(&TRENGO_ZONE) {
        return TRENGO_ZONE;
    }
    if let Some(h) = hint.filter(fits) {
        return h;
    }
    if offset % 60 == 0 {
        // `Etc/GMT-2` is two hours east: the sign is POSIX's.
        let name = match offset / 60 {
            0 => "Etc/UTC".to_string(),
            h => format!("Etc/GMT{:+}", -h),
        };
        if let Some(tz) = name.parse::<Tz>().ok().filter(fits) {
            return tz;
        }
    }
    chrono_tz::TZ_VARIANTS
        .iter()
        .copied()
        .find(fits)
        .unwrap_or(TRENGO_ZONE)
}

/// Trengo's `Date` header, as an instant.
pub(crate) fn date_header(h: &http::HeaderMap) -> Option<DateTime<Utc>> {
    let v = h.get(http::header::DATE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(v.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The ticket id a write's path is about: `/tickets/123/…` → 123.
pub(crate) fn ticket_of_path(path: &str) -> Option<u64> {
    let rest = path.strip_prefix("/tickets/")?;
    rest.split('/').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn amsterdam_is_learned_from_a_write_and_a_read() {
        let mut c = ZoneClock::default();
        c.wrote(7, at("2024-02-19T15:01:25Z"));
        let t = serde_json::json!({"id": 7, "updated_at": "2024-02-19 16:01:25"});
        assert!(c.observe(&t, at("2024-02-19T15:01:40Z")));
        let i = c.info();
        assert_eq!(i.name, "Europe/Amsterdam");
        assert_eq!(i.offset_minutes, Some(60));
        assert!(i.learned_at.is_some());
        assert!(!c.pending(), "a write is learned from once");
    }

    #[test]
    fn another_zone_is_learned_the_users_own_first_once_seen_twice() {
        let mut c = ZoneClock::default();
        c.set_hint(Some(chrono_tz::Asia::Jerusalem));
        c.wrote(7, at("2024-01-02T10:00:34Z"));
        let t = serde_json::json!({"id": 7, "updated_at": "2024-01-02 12:00:33"});
        assert!(!c.observe(&t, at("2024-01-02T10:00:40Z")), "seen once");
        assert_eq!(c.info().name, "Europe/Amsterdam");
        c.wrote(9, at("2024-01-02T10:01:00Z"));
        let t = serde_json::json!({"id": 9, "updated_at": "2024-01-02 12:01:00"});
        assert!(c.observe(&t, at("2024-01-02T10:01:10Z")), "seen twice");
        assert_eq!(c.info().name, "Asia/Jerusalem");
        // Without a hint that fits, a whole-hour offset is a fixed zone.
        let mut c = ZoneClock::default();
        for (id, w, wall) in [(8, "10:00:31", "15:30:31"), (10, "10:02:00", "15:32:00")] {
            c.wrote(id, at(&format!("2024-01-02T{w}Z")));
            let t = serde_json::json!({"id": id, "updated_at": format!("2024-01-02 {wall}")});
            c.observe(&t, at("2024-01-02T10:03:00Z"));
        }
        assert_eq!(c.info().offset_minutes, Some(330));
        let tz = c.info().tz();
        let when = at("2024-01-02T10:00:31Z").naive_utc();
        assert_eq!(
            tz.offset_from_utc_datetime(&when).fix().local_minus_utc(),
            330 * 60
        );
    }

    #[test]
    fn nothing_is_learned_from_a_stamp_that_is_not_ours() {
        let mut c = ZoneClock::default();
        c.wrote(7, at("2024-02-19T15:01:25Z"));
        // Another ticket, an ISO stamp, a stamp no quarter hour puts in the window.
        assert!(!c.observe(
            &serde_json::json!({"id": 8, "updated_at": "2024-02-19 16:01:25"}),
            at("2024-02-19T15:01:40Z")
        ));
        assert!(!c.observe(
            &serde_json::json!({"id": 7, "updated_at": "2024-02-19T15:01:25Z"}),
            at("2024-02-19T15:01:40Z")
        ));
        assert!(!c.observe(
            &serde_json::json!({"id": 7, "updated_at": "2024-02-19 16:08:25"}),
            at("2024-02-19T15:01:40Z")
        ));
        assert_eq!(c.info(), ZoneInfo::default());
        // A write read back too late is forgotten.
        assert!(!c.observe(
            &serde_json::json!({"id": 7, "updated_at": "2024-02-19 16:01:25"}),
            at("2024-02-19T15:30:00Z")
        ));
        assert!(!c.pending());
    }

    #[test]
    fn one_stamp_that_fits_another_zone_changes_nothing_until_seen_again() {
        // A colleague's change exactly an hour after a write that left the stamp as it was
        // would read as Jerusalem's +2: once is not enough.
        let mut c = ZoneClock::default();
        c.wrote(7, at("2024-02-19T15:00:00Z"));
        let t = serde_json::json!({"id": 7, "updated_at": "2024-02-19 17:00:00"});
        assert!(!c.observe(&t, at("2024-02-19T15:05:00Z")));
        assert_eq!(c.info(), ZoneInfo::default());
        // Amsterdam's own reading after it confirms Amsterdam, and forgets the other.
        c.wrote(8, at("2024-02-19T15:06:00Z"));
        let t = serde_json::json!({"id": 8, "updated_at": "2024-02-19 16:06:00"});
        assert!(c.observe(&t, at("2024-02-19T15:07:00Z")));
        assert_eq!(c.info().name, "Europe/Amsterdam");
        assert_eq!(c.candidate, None);
    }

    #[test]
    fn fixed_zones_and_headers() {
        let t = at("2024-07-01T12:00:00Z");
        assert_eq!(zone_for(120, t, None), TRENGO_ZONE);
        assert_eq!(zone_for(0, t, None).name(), "Etc/UTC");
        assert_eq!(zone_for(-300, t, None).name(), "Etc/GMT+5");
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::DATE,
            "Mon, 19 Feb 2024 15:01:28 GMT".parse().unwrap(),
        );
        assert_eq!(date_header(&h), Some(at("2024-02-19T15:01:28Z")));
        assert_eq!(ticket_of_path("/tickets/42/labels"), Some(42));
        assert_eq!(ticket_of_path("/contacts/42"), None);
    }
}
