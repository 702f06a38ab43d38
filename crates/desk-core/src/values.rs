//! Typed values of Trengo's fields, and from a lookup's answer to one: a path into the JSON (or a CSV column), simple
//! transforms, and the field's type.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::view::FieldDef;
use crate::view::LineProblem;

/// Simple changes to a value before it is typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct Transform {
    pub trim: bool,
    pub upper: bool,
    /// The lookup's date format (chrono's, e.g. `%d-%m-%Y`); dates are written as `YYYY-MM-DD`.
    pub date_format: Option<String>,
}

/// A value from the lookup (a dotted JSON path like `customer.plan.name`, or a CSV column) into a
/// Trengo contact field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Mapping {
    pub from: String,
    pub field_id: String,
    #[serde(default)]
    pub transform: Transform,
}

/// The value at a dotted path (`a.b.0.c`); a leading `$.` is allowed.
pub fn at_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.trim().trim_start_matches("$.").trim_start_matches('$');
    if path.is_empty() {
        return Some(v);
    }
    let mut cur = v;
    for seg in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        // An object or a list is not one value.
        _ => None,
    }
}

/// The text Trengo is sent for a field, or why the value does not fit the field.
pub fn convert(raw: Option<&Value>, m: &Mapping, f: &FieldDef) -> Result<Option<String>, String> {
    let Some(v) = raw else {
        return Ok(None);
    };
    if matches!(v, Value::Object(_) | Value::Array(_)) {
        return Err(format!("{} is not a single value", m.from));
    }
    let Some(mut s) = text_of(v) else {
        return Ok(None);
    };
    if m.transform.trim {
        s = s.trim().to_string();
    }
    if m.transform.upper {
        s = s.to_uppercase();
    }
    if s.trim().is_empty() {
        return Ok(None);
    }
    let out = match f.field_type.as_str() {
        "number" => {
            // "1,234" is a thousands separator in one country and a decimal comma in another:
            // never guessed.
            if s.contains(',') {
                return Err(format!(
                    "{s:?} has a comma: it could mean {} or {}; give the number without a thousands separator, with a point for decimals ({})",
                    s.trim().replace(',', ""),
                    s.trim().replace(',', "."),
                    f.label
                ));
            }
            let n: f64 = s
                .trim()
                .parse()
                .map_err(|_| format!("{s:?} is not a number ({})", f.label))?;
            if !n.is_finite() {
                return Err(format!("{s:?} is not a number ({})", f.label));
            }
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", n as i64)
            } else {
                format!("{n}")
            }
        }
        "date" => {
            let t = s.trim();
            let d = match &m.transform.date_format {
                Some(fmt) => NaiveDate::parse_from_str(t, fmt).ok(),
                None => NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().or_else(|| {
                    chrono::DateTime::parse_from_rfc3339(t)
                        .ok()
                        .map(|d| d.date_naive())
                }),
            };
            d.ok_or_else(|| format!("{s:?} is not a date ({})", f.label))?
                .format("%Y-%m-%d")
                .to_string()
        }
        "dropdown" => f
            .options
            .iter()
            .find(|o| o.as_str() == s.trim())
            .or_else(|| f.options.iter().find(|o| o.eq_ignore_ascii_case(s.trim())))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "{s:?} is not one of the options of {} ({})",
                    f.label,
                    f.options.join(", ")
                )
            })?,
        "checkbox" => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "y" => "1".into(),
            "0" | "false" | "no" | "n" => "0".into(),
            _ => return Err(format!("{s:?} is not yes or no ({})", f.label)),
        },
        "email" => {
            if !s.contains('@') {
                return Err(format!("{s:?} is not an email address ({})", f.label));
            }
            s
        }
        _ => s,
    };
    Ok(Some(out))
}

/// A typed value as Trengo is sent it for the field `f` (see [`convert`]); empty clears the field.
/// The error names the value, the field and why it does not fit.
pub fn field_text(raw: &str, f: &FieldDef) -> Result<String, String> {
    let m = Mapping {
        from: f.label.clone(),
        field_id: f.id.to_string(),
        transform: Transform {
            trim: true,
            ..Transform::default()
        },
    };
    convert(Some(&Value::String(raw.to_string())), &m, f).map(Option::unwrap_or_default)
}

/// Whether a field's current text and a new one mean the same.
pub fn same_value(current: Option<&str>, new: &str, f: &FieldDef) -> bool {
    let Some(c) = current.map(str::trim).filter(|c| !c.is_empty()) else {
        return new.is_empty();
    };
    match f.field_type.as_str() {
        "number" => match (c.parse::<f64>(), new.parse::<f64>()) {
            (Ok(a), Ok(b)) => (a - b).abs() < 1e-9,
            _ => c == new,
        },
        "checkbox" => {
            let b = |x: &str| matches!(x.to_ascii_lowercase().as_str(), "1" | "true" | "yes");
            b(c) == b(new)
        }
        _ => c == new,
    }
}

/// Customer ids read from pasted text: one per line or separated by commas, semicolons, tabs or
/// spaces; repeats and ids that do not fit the pattern are problems named by their line.
#[derive(Debug, Clone, Default)]
pub struct PastedCustomerIds {
    /// (line, id) in the order pasted, without repeats.
    pub ids: Vec<(u32, String)>,
    pub problems: Vec<LineProblem>,
    pub duplicates: Vec<LineProblem>,
}

pub fn parse_customer_ids(text: &str, pattern: Option<&regex::Regex>) -> PastedCustomerIds {
    let mut out = PastedCustomerIds::default();
    let mut first_line = std::collections::HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n as u32 + 1;
        for tok in line
            .split([',', ';', '\t', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let shown: String = tok.chars().take(80).collect();
            if tok == "." || tok == ".." {
                out.problems.push(LineProblem {
                    line: line_no,
                    text: shown,
                    reason: "not a customer id".into(),
                });
                continue;
            }
            if let Some(p) = pattern {
                if !p.is_match(tok) {
                    out.problems.push(LineProblem {
                        line: line_no,
                        text: shown,
                        reason: format!("does not match the source's id pattern {}", p.as_str()),
                    });
                    continue;
                }
            }
            match first_line.get(tok) {
                Some(first) => out.duplicates.push(LineProblem {
                    line: line_no,
                    text: shown,
                    reason: format!("repeats line {first}; looked up once"),
                }),
                None => {
                    first_line.insert(tok.to_string(), line_no);
                    out.ids.push((line_no, tok.to_string()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(t: &str, options: &[&str]) -> FieldDef {
        FieldDef {
            id: crate::FieldId::new(502),
            name: "plan".into(),
            label: "Plan".into(),
            entity_type: "contact".into(),
            field_type: crate::view::FieldType::parse(t).unwrap(),
            options: options.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn map(from: &str) -> Mapping {
        Mapping {
            from: from.into(),
            field_id: "502".into(),
            transform: Transform::default(),
        }
    }

    #[test]
    fn values_are_typed_by_the_field() {
        let v = json!({"customer": {"plan": {"name": "Pro"}, "billing": {"mrr": 700.0}, "vip": true, "signup": "03-02-2021", "tags": ["a"]}});
        let dd = field("dropdown", &["Free", "Starter", "Pro", "Enterprise"]);
        assert_eq!(
            convert(
                at_path(&v, "customer.plan.name"),
                &map("customer.plan.name"),
                &dd
            ),
            Ok(Some("Pro".into()))
        );
        let legacy = json!("Legacy");
        let e = convert(Some(&legacy), &map("x"), &dd).unwrap_err();
        assert!(
            e.contains("\"Legacy\" is not one of the options of Plan"),
            "{e}"
        );
        assert_eq!(
            convert(
                at_path(&v, "$.customer.billing.mrr"),
                &map("m"),
                &field("number", &[])
            ),
            Ok(Some("700".into()))
        );
        assert_eq!(
            convert(
                at_path(&v, "customer.vip"),
                &map("v"),
                &field("checkbox", &[])
            ),
            Ok(Some("1".into()))
        );
        let mut m = map("customer.signup");
        m.transform.date_format = Some("%d-%m-%Y".into());
        assert_eq!(
            convert(at_path(&v, "customer.signup"), &m, &field("date", &[])),
            Ok(Some("2021-02-03".into()))
        );
        assert!(convert(at_path(&v, "customer.tags"), &m, &field("text", &[])).is_err());
        assert_eq!(
            convert(at_path(&v, "customer.nothing"), &m, &field("text", &[])),
            Ok(None)
        );
        let mut up = map("x");
        up.transform = Transform {
            trim: true,
            upper: true,
            date_format: None,
        };
        assert_eq!(
            convert(Some(&json!("  nl ")), &up, &field("text", &[])),
            Ok(Some("NL".into()))
        );
        assert!(same_value(Some("240"), "240", &field("number", &[])));
        assert!(same_value(Some("240.0"), "240", &field("number", &[])));
        assert!(!same_value(None, "Pro", &dd));
    }

    #[test]
    fn pasted_ids_name_their_lines() {
        let re = regex::Regex::new("^C-[0-9]+$").unwrap();
        let p = parse_customer_ids(
            "C-10001\nC-10002, C-10003;C-10004\tC-10005\n\n  C-10001 \nbad id\n..",
            Some(&re),
        );
        assert_eq!(p.ids.len(), 5);
        assert_eq!(p.ids[4], (2, "C-10005".into()));
        assert_eq!(p.duplicates.len(), 1);
        assert_eq!(p.duplicates[0].line, 4);
        let lines: Vec<u32> = p.problems.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![5, 5, 6]);
        let many: String = (0..10_000).map(|i| format!("C-{}\n", 10_000 + i)).collect();
        assert_eq!(parse_customer_ids(&many, Some(&re)).ids.len(), 10_000);
    }

    #[test]
    fn a_comma_in_a_number_is_never_guessed() {
        let f = FieldDef {
            id: crate::FieldId::new(503),
            name: "mrr".into(),
            label: "MRR".into(),
            entity_type: "contact".into(),
            field_type: crate::view::FieldType::Number,
            options: vec![],
        };
        let m = Mapping {
            from: "mrr".into(),
            field_id: "503".into(),
            transform: Transform::default(),
        };
        let e = convert(Some(&serde_json::json!("1,234")), &m, &f).unwrap_err();
        assert!(
            e.contains("has a comma") && e.contains("1234") && e.contains("1.234"),
            "{e}"
        );
        assert_eq!(
            convert(Some(&serde_json::json!("1234.5")), &m, &f)
                .unwrap()
                .as_deref(),
            Some("1234.5")
        );
        assert_eq!(
            convert(Some(&serde_json::json!(240)), &m, &f)
                .unwrap()
                .as_deref(),
            Some("240")
        );
        assert!(convert(Some(&serde_json::json!("NaN")), &m, &f).is_err());
    }
}
