//! The parsers that take text from users and the network, fed anything: never a panic, and every
//! refusal says what was wrong.

use desk_core::enrich::convert::{at_path, parse_customer_ids};
use desk_core::enrich::source::{parse_csv, url_for};
use desk_core::jobs::parse_ticket_ids;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn pasted_ticket_ids(text in "\\PC*(\n\\PC*){0,4}") {
        let p = parse_ticket_ids(&text);
        let lines = text.lines().count() as u32;
        for x in &p.problems {
            prop_assert!(x.line >= 1 && x.line <= lines.max(1), "{x:?}");
            prop_assert!(!x.reason.is_empty());
            prop_assert!(x.text.chars().count() <= 80);
        }
        prop_assert!(p.ids.iter().all(|i| *i > 0));
    }

    #[test]
    fn pasted_ticket_ids_like_urls(n in 1u64..u64::MAX, junk in "[#/:a-z0-9?.]{0,30}") {
        let p = parse_ticket_ids(&format!("https://app.trengo.com/tickets/{n}{junk}\n#{n}\n{n}"));
        prop_assert!(p.ids.contains(&n) || !p.problems.is_empty());
    }

    #[test]
    fn pasted_customer_ids(text in "\\PC*(\n\\PC*){0,4}") {
        let re = regex::Regex::new("^C-[0-9]+$").unwrap();
        let p = parse_customer_ids(&text, Some(&re));
        for x in &p.problems {
            prop_assert!(x.line >= 1);
            prop_assert!(!x.reason.is_empty());
        }
        prop_assert!(p.ids.iter().all(|(_, id)| re.is_match(id)));
    }

    #[test]
    fn csv_rows(text in "[a-z,;\"\n\r ]{0,200}") {
        match parse_csv(&text) {
            Ok(rows) => prop_assert!(rows.iter().all(|r| !r.is_empty())),
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn lookup_json_paths(path in "\\PC{0,40}", n in 0u32..5) {
        let v = serde_json::json!({"customer": {"plan": {"name": "Pro"}, "tags": ["a", "b"], "n": n}});
        let _ = at_path(&v, &path);
    }

    #[test]
    fn lookup_urls(id in "\\PC{0,40}") {
        match url_for("https://crm.example.com/api/customers/{id}?x=1", &id) {
            Ok(u) => prop_assert!(u.starts_with("https://crm.example.com/api/customers/")),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn search_text(text in "\\PC{0,60}") {
        if let Some(q) = desk_core::cache::fts_query(&text) {
            prop_assert!(!q.is_empty());
        }
    }
}
