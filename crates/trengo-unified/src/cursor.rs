//! The opaque cursor: it wraps Trengo's page number, the place within that page, and a
//! fingerprint of the query it belongs to, so a cursor from another query is refused.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::ListParams;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Trengo's page, from 1.
    pub page: u64,
    /// Records of that page already handed out.
    pub offset: usize,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    r: String,
    q: String,
    p: u64,
    o: usize,
}

/// A fingerprint of everything in the query but the cursor and the limit.
pub fn query_key(resource: &str, params: &ListParams) -> String {
    let mut p = params.clone();
    p.cursor = None;
    p.limit = None;
    p.without_remote_data = false;
    let text = format!(
        "{resource}:{}",
        serde_json::to_string(&p).unwrap_or_default()
    );
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    format!("{h:016x}")
}

pub fn encode(resource: &str, params: &ListParams, pos: Position) -> String {
    let w = Wire {
        r: resource.to_string(),
        q: query_key(resource, params),
        p: pos.page,
        o: pos.offset,
    };
    let json = serde_json::to_vec(&w).unwrap_or_default();
    let mut out = String::from("c1");
    for b in json {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The position a cursor points at, if it belongs to this query.
pub fn decode(resource: &str, params: &ListParams, cursor: &str) -> Result<Position, Error> {
    let bad =
        || Error::bad_cursor("this cursor is not one we handed out; start again without a cursor");
    let hex = cursor.strip_prefix("c1").ok_or_else(bad)?.as_bytes();
    if hex.len() % 2 != 0 || hex.len() > 4_096 {
        return Err(bad());
    }
    // Pairs of bytes, not of characters: text that is not ASCII hex is refused, never sliced.
    let digit = |b: u8| (b as char).to_digit(16);
    let bytes: Vec<u8> = hex
        .chunks(2)
        .map(|p| Some((digit(p[0])? * 16 + digit(p[1])?) as u8))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    let w: Wire = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if w.r != resource {
        return Err(Error::bad_cursor(format!(
            "this cursor belongs to a list of {}, not {resource}; start again without a cursor",
            w.r
        )));
    }
    if w.q != query_key(resource, params) {
        return Err(Error::bad_cursor(
            "this cursor belongs to a query with other filters; start again without a cursor",
        ));
    }
    if w.p == 0 {
        return Err(bad());
    }
    Ok(Position {
        page: w.p,
        offset: w.o,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let p = ListParams {
            status: Some("open".into()),
            limit: Some(10),
            ..Default::default()
        };
        let c = encode(
            "tickets",
            &p,
            Position {
                page: 3,
                offset: 10,
            },
        );
        let same_query_other_limit = ListParams {
            limit: Some(50),
            ..p.clone()
        };
        assert_eq!(
            decode("tickets", &same_query_other_limit, &c).unwrap(),
            Position {
                page: 3,
                offset: 10
            }
        );
        let other = ListParams {
            status: Some("closed".into()),
            ..p.clone()
        };
        assert!(decode("tickets", &other, &c)
            .unwrap_err()
            .to_string()
            .contains("other filters"));
        assert!(decode("contacts", &p, &c)
            .unwrap_err()
            .to_string()
            .contains("list of tickets"));
        assert!(decode("tickets", &p, "garbage").is_err());
        assert!(decode("tickets", &p, "c1zz").is_err());
        // Not ASCII: refused with the cursor error, never a panic (the CLI exited 101 on this).
        let e = decode("tickets", &p, "c1€a").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BadCursor);
        assert!(decode("tickets", &p, "c1é").is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Any text as a cursor: refused with the cursor error, or a position; never a panic.
        #[test]
        fn any_cursor(text in "\\PC{0,60}", tail in "[0-9a-f€é]{0,20}") {
            let p = ListParams::default();
            for c in [text.clone(), format!("c1{tail}"), format!("c1{text}")] {
                if let Err(e) = decode("tickets", &p, &c) {
                    prop_assert_eq!(e.kind, crate::ErrorKind::BadCursor);
                    prop_assert!(!e.message.is_empty());
                }
            }
        }
    }
}
