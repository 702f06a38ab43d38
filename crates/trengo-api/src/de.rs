//! Lenient decoding: what real Trengo responses need. Numbers that arrive as strings, 0/1 for
//! booleans, two timestamp formats, nulls anywhere, `[]` where an object is expected (PHP's empty
//! array), and single objects wrapped in `{"data": …}` or bare.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The zone Trengo writes its zone-less times in: the wall clock of its servers in Amsterdam,
/// with its DST rules, whatever the user's own zone (../shared/trengo-api.md §9).
pub const TRENGO_ZONE: chrono_tz::Tz = chrono_tz::Europe::Amsterdam;

/// The one reader of Trengo's times. ISO-8601 with a zone or `Z` is read as given; a zone-less
/// `2021-12-06 12:09:14` (with or without fractions, `T` or space) is wall-clock time in `zone`
/// (Trengo's resources: [`TRENGO_ZONE`]); a bare date is midnight there; unix seconds are
/// unix seconds. A wall-clock time that a DST change skips is read one hour on; one it repeats,
/// as the earlier of the two.
pub fn parse_time_in(s: &str, zone: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    use chrono::offset::LocalResult;
    use chrono::TimeZone;
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let wall = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    });
    if let Some(wall) = wall {
        return match zone.from_local_datetime(&wall) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
            LocalResult::None => zone
                .from_local_datetime(&(wall + chrono::Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
        };
    }
    s.parse::<i64>()
        .ok()
        .and_then(|n| DateTime::from_timestamp(n, 0))
}

thread_local! {
    /// The zone the answer being decoded on this thread writes its zone-less times in.
    static ZONE: std::cell::Cell<chrono_tz::Tz> = const { std::cell::Cell::new(TRENGO_ZONE) };
}

/// Runs `f` (a decode) with zone-less times read in `zone`: the client decodes each answer of a
/// workspace in the zone it learned for it (see [`crate::zone`]).
pub fn with_zone<R>(zone: chrono_tz::Tz, f: impl FnOnce() -> R) -> R {
    let before = ZONE.with(|z| z.replace(zone));
    let out = f();
    ZONE.with(|z| z.set(before));
    out
}

/// The zone [`parse_timestamp`] reads zone-less times in here and now: the decoding client's,
/// else [`TRENGO_ZONE`].
pub fn current_zone() -> chrono_tz::Tz {
    ZONE.with(|z| z.get())
}

/// A time in a Trengo resource: zone-less means the workspace's zone (see [`parse_time_in`] and
/// [`with_zone`]; [`TRENGO_ZONE`] unless the client learned another).
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    parse_time_in(s, current_zone())
}

/// `updated_at_gt` and other time filters: the instant as Trengo's wall clock in `zone`,
/// `YYYY-MM-DD HH:MM:SS`.
pub fn format_wall_clock(t: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A raw write answer (a posted message) carries zone-less UTC times, each beside its unix stamp
/// (`created_at` and `created_at_time`): the stamp is the instant, written back as RFC 3339 so the
/// one reader reads it as given.
pub fn raw_write_times(v: &mut Value) {
    let Value::Object(m) = v else { return };
    let stamps: Vec<(String, i64)> = m
        .iter()
        .filter_map(|(k, v)| {
            let base = k.strip_suffix("_time")?;
            let unix = value_to_u64(v)? as i64;
            m.get(base)
                .is_some_and(Value::is_string)
                .then(|| (base.to_string(), unix))
        })
        .collect();
    for (k, unix) in stamps {
        if let Some(t) = DateTime::from_timestamp(unix, 0) {
            m.insert(k, Value::String(t.to_rfc3339()));
        }
    }
}

fn value_to_ts(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => parse_timestamp(s),
        Value::Number(n) => n.as_i64().and_then(|n| DateTime::from_timestamp(n, 0)),
        _ => None,
    }
}

/// A timestamp in either of Trengo's formats; null or unreadable is `None`.
pub fn opt_ts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(value_to_ts(&Value::deserialize(d)?))
}

fn value_to_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An id: a number, or a string of digits.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_u64(&v).ok_or_else(|| de::Error::custom(format!("expected an id, got {v}")))
}

/// An optional id or count: null, `""` and `0`-less junk become `None`.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(value_to_u64(&Value::deserialize(d)?))
}

/// A count that may be missing, null or a string.
pub fn u64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(value_to_u64(&Value::deserialize(d)?).unwrap_or(0))
}

/// `true`/`false`, `1`/`0`, `"1"`/`"0"`, `"true"`/`"false"`; null is false.
pub fn boolish<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"),
        _ => false,
    })
}

/// A string that may arrive as a number, or null.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// A string that may be missing or null: empty then.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}

/// A list that may be null or missing.
pub fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// An object that PHP may send as `[]` when empty, or null.
pub fn map<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(m) => m,
        _ => Map::new(),
    })
}

/// Like [`map`], but keeps "nothing set" (`null`, `[]`) apart as `None`.
pub fn opt_map<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Map<String, Value>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(m) => Some(m),
        _ => None,
    })
}

/// A nested object that may be null, `[]`, or unreadable: `None` then, never a failure.
pub fn lenient_obj<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v).ok(),
        _ => None,
    })
}

/// `{"data": {...}}` → `{...}`; a bare object stays as it is.
pub fn unwrap_data(v: Value) -> Value {
    match v {
        Value::Object(mut m) if m.len() == 1 && m.get("data").is_some_and(Value::is_object) => {
            m.remove("data").unwrap_or_default()
        }
        Value::Object(mut m)
            if m.get("data").is_some_and(Value::is_object) && !m.contains_key("id") =>
        {
            m.remove("data").unwrap_or_default()
        }
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_timestamp_formats_and_more() {
        // Zone-less resource times are Amsterdam wall clock: +1 h in winter.
        let a = parse_timestamp("2021-12-06 13:09:14").unwrap();
        let b = parse_timestamp("2021-12-06T12:09:14.000000Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(parse_timestamp("2021-12-06T13:09:14+01:00"), Some(a));
        assert_eq!(parse_timestamp("1638792554"), Some(a));
        assert_eq!(
            parse_timestamp("2021-12-06").unwrap().to_rfc3339(),
            "2021-12-05T23:00:00+00:00"
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp(""), None);
    }

    #[test]
    fn zone_less_times_are_amsterdam_with_its_dst_rules() {
        // The captured show: `updated_at` "2024-02-19 16:01:25" was logged at 15:01:28Z (winter, +1).
        assert_eq!(
            parse_timestamp("2024-02-19 16:01:25").unwrap().to_rfc3339(),
            "2024-02-19T15:01:25+00:00"
        );
        // The ticket: 09:22:37 on 4 July 2023 is 07:22:37Z (summer, +2).
        assert_eq!(
            parse_timestamp("2023-07-04 09:22:37").unwrap().to_rfc3339(),
            "2023-07-04T07:22:37+00:00"
        );
        // Across the spring change (31 March 2024, 02:00 → 03:00): 01:59:59 is +1, 03:00:00 is +2,
        // one second apart; 02:30 does not exist and reads as 03:30.
        let before = parse_timestamp("2024-03-31 01:59:59").unwrap();
        let after = parse_timestamp("2024-03-31 03:00:00").unwrap();
        assert_eq!((after - before).num_seconds(), 1);
        assert_eq!(
            parse_timestamp("2024-03-31 02:30:00").unwrap().to_rfc3339(),
            "2024-03-31T01:30:00+00:00"
        );
        // Autumn (27 October 2024, 03:00 → 02:00): 02:30 happens twice; the earlier is taken.
        assert_eq!(
            parse_timestamp("2024-10-27 02:30:00").unwrap().to_rfc3339(),
            "2024-10-27T00:30:00+00:00"
        );
        // ISO times keep their own zone; another zone can be asked for.
        assert_eq!(
            parse_timestamp("2024-01-02T10:24:40.000000Z")
                .unwrap()
                .to_rfc3339(),
            "2024-01-02T10:24:40+00:00"
        );
        assert_eq!(
            parse_time_in("2024-01-02 10:00:34", chrono_tz::UTC)
                .unwrap()
                .to_rfc3339(),
            "2024-01-02T10:00:34+00:00"
        );
        // And back: a filter's wall clock.
        assert_eq!(format_wall_clock(after, TRENGO_ZONE), "2024-03-31 03:00:00");
    }

    #[test]
    fn unwraps_data_only_when_it_is_a_wrapper() {
        assert_eq!(
            unwrap_data(serde_json::json!({"data": {"id": 1}})),
            serde_json::json!({"id": 1})
        );
        assert_eq!(
            unwrap_data(serde_json::json!({"id": 1, "data": {"x": 1}})),
            serde_json::json!({"id": 1, "data": {"x": 1}})
        );
        assert_eq!(
            unwrap_data(serde_json::json!({"id": 2})),
            serde_json::json!({"id": 2})
        );
    }
}
