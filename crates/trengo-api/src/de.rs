//! Lenient decoding: what real Trengo responses need. Numbers that arrive as strings, 0/1 for
//! booleans, two timestamp formats, nulls anywhere, `[]` where an object is expected (PHP's empty
//! array), and single objects wrapped in `{"data": …}` or bare.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Parses `2021-12-06 12:09:14` (zone-less: UTC), ISO-8601 with a zone or `Z`, with or without
/// fractions, a bare date, or unix seconds.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    s.parse::<i64>()
        .ok()
        .and_then(|n| DateTime::from_timestamp(n, 0))
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
        let a = parse_timestamp("2021-12-06 12:09:14").unwrap();
        let b = parse_timestamp("2021-12-06T12:09:14.000000Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(parse_timestamp("2021-12-06T13:09:14+01:00"), Some(a));
        assert_eq!(parse_timestamp("1638792554"), Some(a));
        assert_eq!(
            parse_timestamp("2021-12-06").unwrap().to_rfc3339(),
            "2021-12-06T00:00:00+00:00"
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp(""), None);
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
