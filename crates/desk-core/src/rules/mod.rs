//! Auto-tagging rules: a lead's business rules ("subject mentions refund, contact is a VIP: tag
//! refund, move to Billing"), previewed on the cache, run as jobs (fresh reads, undo), stored per
//! workspace.
//!
//! A rule's conditions read what the cache holds of a ticket: subject and latest message, channel,
//! team, assignee, tags, status, its contact's and its own custom fields, and its age. A preview is
//! the cache's view; a run reads each ticket from Trengo right before it changes it (the job
//! engine), so what the cache got wrong is never written.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use regex::Regex;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::actions::{describe, normalize_actions, Action, TicketState};
use crate::error::{Error, Result};
use trengo_unified::Directory;

/// How a field condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum FieldOp {
    /// The same value (case and accents ignored; `1`, `yes` and `true` alike).
    Equals,
    Contains,
    /// One of `values`.
    OneOf,
    IsEmpty,
}

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// The subject or the latest message contains any of these words (case and accents ignored).
    TextContains {
        words: Vec<String>,
    },
    /// The subject or the latest message matches this regular expression.
    TextMatches {
        pattern: String,
    },
    Channel {
        channel_id: String,
    },
    /// In this team; none: in no team.
    Team {
        team_id: Option<String>,
    },
    /// Assigned to this user; none: to nobody.
    Assignee {
        user_id: Option<String>,
    },
    HasTag {
        tag_id: String,
    },
    LacksTag {
        tag_id: String,
    },
    /// As the filters take it: open (open and assigned), unassigned, assigned, closed, spam.
    Status {
        status: String,
    },
    ContactField {
        field_id: String,
        op: FieldOp,
        #[serde(default)]
        values: Vec<String>,
    },
    TicketField {
        field_id: String,
        op: FieldOp,
        #[serde(default)]
        values: Vec<String>,
    },
    /// Created more than this many hours ago.
    OlderThan {
        hours: u32,
    },
    /// The latest message came from the customer (they are waiting for an answer).
    LastFromCustomer,
}

/// A rule as a lead writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Rule {
    pub name: String,
    /// All of the conditions (true) or any of them (false).
    #[serde(default = "yes")]
    pub all: bool,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
}

fn yes() -> bool {
    true
}

/// Text folded for matching: lower case, accents taken off (`Terugbetaling`, `terugbetåling`).
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a rule reads of one ticket (from the cache).
#[derive(Debug, Clone, Default)]
pub struct RuleTicket {
    pub id: u64,
    /// Subject and latest message, folded.
    pub text: String,
    pub channel: Option<u64>,
    pub team: Option<u64>,
    pub user: Option<u64>,
    pub tags: Vec<u64>,
    /// Trengo's: OPEN, ASSIGNED, CLOSED, INVALID.
    pub status: String,
    /// By field id, folded.
    pub contact_fields: HashMap<String, String>,
    /// By field id, as Trengo writes them (folded when compared).
    pub ticket_fields: HashMap<String, String>,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// When Trengo last changed it (unix seconds).
    pub updated_at: Option<i64>,
    /// Whether the latest message came from the customer (`None`: not known).
    pub last_inbound: Option<bool>,
}

enum Test {
    Words(Vec<String>),
    Regex(Regex),
    Channel(u64),
    Team(Option<u64>),
    User(Option<u64>),
    Tag(u64, bool),
    Status(&'static str),
    Field(bool, String, FieldOp, Vec<String>),
    Older(i64),
    LastInbound,
}

impl RuleTicket {
    /// The ticket as actions see it.
    fn state(&self) -> TicketState {
        let mut tags = self.tags.clone();
        tags.sort_unstable();
        TicketState {
            tags,
            team: self.team,
            user: self.user,
            status: self.status.clone(),
            fields: self
                .ticket_fields
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            ..TicketState::default()
        }
    }
}

/// A rule checked and ready to match: every id known, the regex compiled.
pub struct Compiled {
    all: bool,
    tests: Vec<Test>,
}

fn id_of(what: &str, rule: &str, n: usize, s: &str) -> Result<u64> {
    s.trim().parse().map_err(|_| {
        Error::Invalid(format!(
            "rule {rule:?}, condition {n}: {s:?} is not a {what} id"
        ))
    })
}

impl Rule {
    /// Checks the rule against the workspace: every tag, team, user, channel and field it names
    /// exists, the regex compiles, the actions are valid. Errors name the rule and the condition.
    pub fn compile(&self, dir: &Directory) -> Result<Compiled> {
        let r = self.name.trim();
        if r.is_empty() {
            return Err(Error::Invalid("a rule needs a name".into()));
        }
        if self.conditions.is_empty() {
            return Err(Error::Invalid(format!(
                "rule {r:?}: give at least one condition (a rule on every ticket is a bulk job)"
            )));
        }
        normalize_actions(&self.actions, dir)
            .map_err(|e| Error::Invalid(format!("rule {r:?}: {e}")))?;
        let mut tests = vec![];
        for (i, c) in self.conditions.iter().enumerate() {
            let n = i + 1;
            let unknown = |what: &str, id: &str| {
                Error::NotFound(format!(
                    "rule {r:?}, condition {n}: there is no {what} with id {id} in this workspace"
                ))
            };
            tests.push(match c {
                Condition::TextContains { words } => {
                    let w: Vec<String> = words
                        .iter()
                        .map(|w| fold(w.trim()))
                        .filter(|w| !w.is_empty())
                        .collect();
                    if w.is_empty() {
                        return Err(Error::Invalid(format!(
                            "rule {r:?}, condition {n}: give at least one word"
                        )));
                    }
                    Test::Words(w)
                }
                Condition::TextMatches { pattern } => {
                    let re = regex::RegexBuilder::new(pattern)
                        .case_insensitive(true)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| {
                            Error::Invalid(format!(
                                "rule {r:?}, condition {n}: the regex {pattern:?} is not valid: {e}"
                            ))
                        })?;
                    Test::Regex(re)
                }
                Condition::Channel { channel_id } => {
                    let id = id_of("channel", r, n, channel_id)?;
                    if !dir.channels.contains_key(&id) {
                        return Err(unknown("channel", channel_id));
                    }
                    Test::Channel(id)
                }
                Condition::Team { team_id } => match team_id {
                    None => Test::Team(None),
                    Some(t) => {
                        let id = id_of("team", r, n, t)?;
                        if !dir.teams.contains_key(&id) {
                            return Err(unknown("team", t));
                        }
                        Test::Team(Some(id))
                    }
                },
                Condition::Assignee { user_id } => match user_id {
                    None => Test::User(None),
                    Some(u) => {
                        let id = id_of("user", r, n, u)?;
                        if !dir.users.contains_key(&id) {
                            return Err(unknown("user", u));
                        }
                        Test::User(Some(id))
                    }
                },
                Condition::HasTag { tag_id } | Condition::LacksTag { tag_id } => {
                    let id = id_of("tag", r, n, tag_id)?;
                    if !dir.labels.contains_key(&id) {
                        return Err(unknown("tag", tag_id));
                    }
                    Test::Tag(id, matches!(c, Condition::HasTag { .. }))
                }
                Condition::Status { status } => Test::Status(
                    crate::view::status_word(status)
                        .map_err(|e| Error::Invalid(format!("rule {r:?}, condition {n}: {e}")))?,
                ),
                Condition::ContactField {
                    field_id,
                    op,
                    values,
                }
                | Condition::TicketField {
                    field_id,
                    op,
                    values,
                } => {
                    let contact = matches!(c, Condition::ContactField { .. });
                    let entity = if contact {
                        trengo_unified::EntityType::Contact
                    } else {
                        trengo_unified::EntityType::Ticket
                    };
                    if !dir
                        .field_by_id(field_id)
                        .is_some_and(|f| f.entity_type == entity)
                    {
                        return Err(unknown(
                            if contact {
                                "contact field"
                            } else {
                                "ticket field"
                            },
                            field_id,
                        ));
                    }
                    if *op != FieldOp::IsEmpty && values.iter().all(|v| v.trim().is_empty()) {
                        return Err(Error::Invalid(format!(
                            "rule {r:?}, condition {n}: give a value to compare with"
                        )));
                    }
                    Test::Field(
                        contact,
                        field_id.clone(),
                        *op,
                        values.iter().map(|v| fold(v.trim())).collect(),
                    )
                }
                Condition::OlderThan { hours } => Test::Older(*hours as i64 * 3600),
                Condition::LastFromCustomer => Test::LastInbound,
            });
        }
        Ok(Compiled {
            all: self.all,
            tests,
        })
    }
}

fn truth(s: &str) -> Option<bool> {
    match s {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

fn field_equals(have: &str, want: &str) -> bool {
    have == want
        || matches!((truth(have), truth(want)), (Some(a), Some(b)) if a == b)
        || matches!((have.parse::<f64>(), want.parse::<f64>()), (Ok(a), Ok(b)) if (a - b).abs() < 1e-9)
}

impl Compiled {
    /// The tickets that match, in their order; a large cache is matched on two threads.
    pub fn all_matches<'t>(&self, tickets: &'t [RuleTicket], now: i64) -> Vec<&'t RuleTicket> {
        if tickets.len() < 20_000 {
            return tickets.iter().filter(|t| self.matches(t, now)).collect();
        }
        let (a, b) = tickets.split_at(tickets.len() / 2);
        std::thread::scope(|s| {
            let second = s.spawn(|| {
                b.iter()
                    .filter(|t| self.matches(t, now))
                    .collect::<Vec<_>>()
            });
            let mut first: Vec<&RuleTicket> = a.iter().filter(|t| self.matches(t, now)).collect();
            first.extend(second.join().unwrap_or_default());
            first
        })
    }

    /// Whether the ticket matches, at `now` (unix seconds).
    pub fn matches(&self, t: &RuleTicket, now: i64) -> bool {
        let test = |x: &Test| match x {
            Test::Words(w) => w.iter().any(|w| t.text.contains(w.as_str())),
            Test::Regex(re) => re.is_match(&t.text),
            Test::Channel(c) => t.channel == Some(*c),
            Test::Team(want) => t.team == *want,
            Test::User(want) => t.user == *want,
            Test::Tag(g, present) => t.tags.contains(g) == *present,
            Test::Status(s) => match *s {
                "open" => t.status == "OPEN" || t.status == "ASSIGNED",
                "unassigned" => t.status == "OPEN",
                "assigned" => t.status == "ASSIGNED",
                "closed" => t.status == "CLOSED",
                "spam" => t.status == "INVALID",
                _ => true,
            },
            Test::Field(true, id, op, values) => field_test(
                t.contact_fields.get(id).map(String::as_str).unwrap_or(""),
                *op,
                values,
            ),
            Test::Field(false, id, op, values) => field_test(
                &t.ticket_fields.get(id).map(|v| fold(v)).unwrap_or_default(),
                *op,
                values,
            ),
            Test::Older(secs) => t.created_at.is_some_and(|c| now - c > *secs),
            Test::LastInbound => t.last_inbound == Some(true),
        };
        if self.all {
            self.tests.iter().all(test)
        } else {
            self.tests.iter().any(test)
        }
    }
}

impl Compiled {
    /// Whether the ticket, as Trengo has it now (read fresh by the job), still matches in the
    /// parts that change: team, assignee, tags, status, ticket fields. Text, channel and age do not
    /// change, and contact fields are the cache's (a rule's job reads tickets, not contacts), so
    /// those stand as the preview found them.
    pub fn still_matches(&self, s: &TicketState) -> bool {
        let state_test = |x: &Test| -> Option<bool> {
            Some(match x {
                Test::Team(want) => s.team == *want,
                Test::User(want) => s.user == *want,
                Test::Tag(g, present) => s.tags.contains(g) == *present,
                Test::Status(st) => match *st {
                    "open" => s.status == "OPEN" || s.status == "ASSIGNED",
                    "unassigned" => s.status == "OPEN",
                    "assigned" => s.status == "ASSIGNED",
                    "closed" => s.status == "CLOSED",
                    "spam" => s.status == "INVALID",
                    _ => true,
                },
                Test::Field(false, id, op, values) => {
                    let have = s.fields.get(id).map(|v| fold(v.trim())).unwrap_or_default();
                    field_test(&have, *op, values)
                }
                _ => return None,
            })
        };
        let results: Vec<Option<bool>> = self.tests.iter().map(state_test).collect();
        if self.all {
            results.iter().all(|r| r.unwrap_or(true))
        } else {
            results.iter().any(|r| r.unwrap_or(true))
        }
    }
}

fn field_test(have: &str, op: FieldOp, values: &[String]) -> bool {
    match op {
        FieldOp::IsEmpty => have.is_empty(),
        FieldOp::Equals => values.first().is_some_and(|v| field_equals(have, v)),
        FieldOp::OneOf => values.iter().any(|v| field_equals(have, v)),
        FieldOp::Contains => !have.is_empty() && values.iter().any(|v| have.contains(v.as_str())),
    }
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StoredRule {
    pub id: u32,
    pub rule: Rule,
    pub enabled: bool,
    pub version: u32,
    /// The rule in words: "all of: text contains refund; tag vip present → Add tag refund".
    pub summary: String,
    /// What it did live.
    pub log: RuleLog,
}

/// What a rule would do now, by the cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RulePreview {
    /// Open tickets in the cache that match.
    pub matches: u32,
    /// Of those, already as the rule would leave them (by the cache).
    pub already: u32,
    /// Of those, the ones a run would change.
    pub change: u32,
    /// Every matching ticket, newest first.
    pub ids: Vec<String>,
    /// "matches 312 open tickets; 96 already so; 216 will change".
    pub summary: String,
    /// The first 20 matching tickets, as the list shows them.
    pub rows: Vec<crate::view::TicketRow>,
    pub took_ms: u32,
}

/// A condition in words, for lists and the CLI.
pub fn describe_condition(c: &Condition, dir: &Directory) -> String {
    let tag = |id: &str| {
        id.parse::<u64>()
            .ok()
            .and_then(|i| dir.labels.get(&i))
            .map(|l| l.0.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let field = |id: &str| {
        dir.field_by_id(id)
            .map(|f| f.label.clone())
            .unwrap_or_else(|| format!("field {id}"))
    };
    let op = |op: &FieldOp, values: &[String]| match op {
        FieldOp::Equals => format!("is {}", values.first().cloned().unwrap_or_default()),
        FieldOp::Contains => format!("contains {}", values.join(" or ")),
        FieldOp::OneOf => format!("is one of {}", values.join(", ")),
        FieldOp::IsEmpty => "is empty".into(),
    };
    match c {
        Condition::TextContains { words } => format!("text contains {}", words.join(" or ")),
        Condition::TextMatches { pattern } => format!("text matches /{pattern}/"),
        Condition::Channel { channel_id } => format!(
            "channel {}",
            channel_id
                .parse::<u64>()
                .ok()
                .and_then(|i| dir.channels.get(&i).cloned())
                .unwrap_or_else(|| channel_id.clone())
        ),
        Condition::Team { team_id: None } => "in no team".into(),
        Condition::Team { team_id: Some(t) } => format!(
            "team {}",
            t.parse::<u64>()
                .ok()
                .and_then(|i| dir.teams.get(&i).cloned())
                .unwrap_or_else(|| t.clone())
        ),
        Condition::Assignee { user_id: None } => "assigned to nobody".into(),
        Condition::Assignee { user_id: Some(u) } => format!(
            "assigned to {}",
            u.parse::<u64>()
                .ok()
                .and_then(|i| dir.users.get(&i).map(|x| x.0.clone()))
                .unwrap_or_else(|| u.clone())
        ),
        Condition::HasTag { tag_id } => format!("tag {} present", tag(tag_id)),
        Condition::LacksTag { tag_id } => format!("tag {} absent", tag(tag_id)),
        Condition::Status { status } => format!("status {status}"),
        Condition::ContactField {
            field_id,
            op: o,
            values,
        } => format!("contact's {} {}", field(field_id), op(o, values)),
        Condition::TicketField {
            field_id,
            op: o,
            values,
        } => format!("{} {}", field(field_id), op(o, values)),
        Condition::OlderThan { hours } => format!("older than {hours} h"),
        Condition::LastFromCustomer => "the last message is the customer's".into(),
    }
}

/// A rule in words.
pub fn summary(r: &Rule, dir: &Directory) -> String {
    let conds: Vec<String> = r
        .conditions
        .iter()
        .map(|c| describe_condition(c, dir))
        .collect();
    let acts: Vec<String> = r.actions.iter().map(|a| describe(a, dir)).collect();
    format!(
        "{} {} → {}",
        if r.all { "all of:" } else { "any of:" },
        conds.join("; "),
        acts.join(" · ")
    )
}

/// Reads a rules file (`rules export`'s JSON: a list of rules), every rule checked against the
/// workspace; the error names the rule and what is wrong.
pub fn parse_rules(json: &str, dir: &Directory) -> Result<Vec<Rule>> {
    let rules: Vec<Rule> = serde_json::from_str(json).map_err(|e| {
        Error::Invalid(format!(
            "the rules file is not a list of rules: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let mut seen = std::collections::HashSet::new();
    for r in &rules {
        r.compile(dir)?;
        if !seen.insert(r.name.trim().to_lowercase()) {
            return Err(Error::Invalid(format!(
                "rule {:?} is in the file twice",
                r.name.trim()
            )));
        }
    }
    Ok(rules)
}

/// The open tickets of the cache as rules read them.
pub(crate) async fn load(cache: &crate::cache::Cache, dir: &Directory) -> Result<Vec<RuleTicket>> {
    #[derive(Deserialize)]
    struct Fields {
        #[serde(default)]
        custom_fields: BTreeMap<String, trengo_unified::FieldValue>,
    }
    #[derive(Deserialize)]
    struct Last {
        #[serde(default)]
        last_message_inbound: Option<bool>,
    }
    let by_name: HashMap<&str, &str> = dir
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.id.as_str()))
        .collect();
    let fields_of = |json: Option<&str>, folded: bool| -> HashMap<String, String> {
        json.and_then(|j| serde_json::from_str::<Fields>(j).ok())
            .map(|f| {
                f.custom_fields
                    .iter()
                    .filter_map(|(name, v)| {
                        let id = by_name.get(name.as_str())?;
                        let raw = v.as_text();
                        let text = if folded {
                            fold(raw.trim())
                        } else {
                            raw.trim().to_string()
                        };
                        (!text.is_empty()).then(|| (id.to_string(), text))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    type Row = (
        i64,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.subject, t.preview, t.channel_id, t.team_id, t.user_id, t.status, t.created_at, j.json, c.json, t.updated_at
         FROM tickets t LEFT JOIN ticket_json j ON j.id = t.id LEFT JOIN contacts c ON c.id = t.contact_id
         WHERE t.status_kind = 'open' AND t.in_working_set = 1
         ORDER BY t.updated_at DESC, t.id DESC",
    )
    .fetch_all(cache.pool())
    .await?;
    let mut tags: HashMap<u64, Vec<u64>> = HashMap::new();
    for (t, g) in sqlx::query_as::<_, (i64, i64)>("SELECT ticket_id, tag_id FROM ticket_tags")
        .fetch_all(cache.pool())
        .await?
    {
        tags.entry(t as u64).or_default().push(g as u64);
    }
    Ok(rows
        .into_iter()
        .map(
            |(id, subject, preview, channel, team, user, status, created, tj, cj, updated)| {
                RuleTicket {
                    id: id as u64,
                    text: fold(&format!(
                        "{}\n{}",
                        subject.unwrap_or_default(),
                        preview.unwrap_or_default()
                    )),
                    channel: channel.map(|x| x as u64),
                    team: team.map(|x| x as u64),
                    user: user.map(|x| x as u64),
                    tags: tags.remove(&(id as u64)).unwrap_or_default(),
                    status,
                    contact_fields: fields_of(cj.as_deref(), true),
                    ticket_fields: fields_of(tj.as_deref(), false),
                    last_inbound: tj
                        .as_deref()
                        .and_then(|j| serde_json::from_str::<Last>(j).ok())
                        .and_then(|l| l.last_message_inbound),
                    created_at: created,
                    updated_at: updated,
                }
            },
        )
        .collect())
}

/// What moves on whenever the cache's tickets, tags or contacts change, from any process (a
/// counter kept by triggers).
pub(crate) async fn stamp(cache: &crate::cache::Cache) -> Result<String> {
    let n: Option<i64> = sqlx::query_scalar("SELECT n FROM cache_gen WHERE id = 1")
        .fetch_optional(cache.pool())
        .await?;
    match n {
        Some(n) => Ok(n.to_string()),
        None => {
            // Never counted yet: start now, and read the tickets this time.
            sqlx::query("INSERT OR IGNORE INTO cache_gen (id, n) VALUES (1, 0)")
                .execute(cache.pool())
                .await?;
            Ok(format!(
                "new {}",
                Utc::now().timestamp_nanos_opt().unwrap_or(0)
            ))
        }
    }
}

/// The tickets that match, and how many a run would change by the cache.
pub(crate) async fn preview(
    cache: &crate::cache::Cache,
    dir: &Directory,
    rule: &Rule,
    tickets: &[RuleTicket],
) -> Result<RulePreview> {
    let started = std::time::Instant::now();
    let c = rule.compile(dir)?;
    let now = Utc::now().timestamp();
    let hits = c.all_matches(tickets, now);
    let ids: Vec<u64> = hits.iter().map(|t| t.id).collect();
    let actions = normalize_actions(&rule.actions, dir)?;
    // Already so by the same snapshot (what a run's fresh reads then decide).
    let already = hits
        .iter()
        .filter(|t| {
            let s = t.state();
            actions.iter().all(|a| s.satisfies(a))
        })
        .count() as u32;
    let matches = ids.len() as u32;
    let mut rows = vec![];
    for id in ids.iter().take(20) {
        if let Some(r) = cache.ticket_row(&id.to_string()).await? {
            rows.push(r);
        }
    }
    Ok(RulePreview {
        rows,
        matches,
        already,
        change: matches - already,
        summary: format!(
            "matches {matches} open {}; {already} already so; {} will change",
            if matches == 1 { "ticket" } else { "tickets" },
            matches - already
        ),
        ids: ids.iter().map(u64::to_string).collect(),
        took_ms: started.elapsed().as_millis() as u32,
    })
}

// ---- live rules ----

/// What one live pass did, per rule that matched something.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LiveRun {
    pub rule: String,
    pub job: u32,
    pub matched: u32,
    pub changed: u32,
    pub skipped: u32,
    pub failed: u32,
}

/// A live rule's log: how many tickets it matched since it was switched on, and what became of
/// them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RuleLog {
    pub matched: u32,
    pub changed: u32,
    pub skipped: u32,
    pub failed: u32,
    pub pending: u32,
}

pub(crate) async fn log(cache: &crate::cache::Cache, rule_id: u32) -> Result<RuleLog> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT outcome, COUNT(*) FROM rule_runs WHERE rule_id = ? GROUP BY outcome",
    )
    .bind(rule_id as i64)
    .fetch_all(cache.pool())
    .await?;
    let mut l = RuleLog::default();
    for (o, n) in rows {
        let n = n as u32;
        l.matched += n;
        match o.as_str() {
            "done" => l.changed += n,
            "skipped" | "conflict" => l.skipped += n,
            "failed" | "cancelled" => l.failed += n,
            _ => l.pending += n,
        }
    }
    Ok(l)
}

/// The enabled rules with when each was switched on.
pub(crate) async fn live(
    cache: &crate::cache::Cache,
    dir: &Directory,
) -> Result<Vec<(StoredRule, i64)>> {
    let on: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, COALESCE(enabled_at, updated_at) FROM rules WHERE enabled = 1")
            .fetch_all(cache.pool())
            .await?;
    let all = list(cache, dir).await?;
    Ok(on
        .into_iter()
        .filter_map(|(id, at)| {
            all.iter()
                .find(|r| r.id as i64 == id)
                .cloned()
                .map(|r| (r, at))
        })
        .collect())
}

/// The tickets a live rule takes on now: open ones made or changed since it was switched on,
/// that match, and that this version of it never took before. They are recorded at once (so
/// nothing takes them twice, even across a restart).
pub(crate) async fn take(
    cache: &crate::cache::Cache,
    dir: &Directory,
    rule: &StoredRule,
    since: i64,
    tickets: &[RuleTicket],
) -> Result<Vec<u64>> {
    let c = rule.rule.compile(dir)?;
    let now = Utc::now().timestamp();
    let done: std::collections::HashSet<i64> =
        sqlx::query_scalar("SELECT ticket_id FROM rule_runs WHERE rule_id = ? AND version = ?")
            .bind(rule.id as i64)
            .bind(rule.version as i64)
            .fetch_all(cache.pool())
            .await?
            .into_iter()
            .collect();
    let ids: Vec<u64> = tickets
        .iter()
        .filter(|t| t.created_at.max(t.updated_at).is_some_and(|x| x >= since))
        .filter(|t| !done.contains(&(t.id as i64)))
        .filter(|t| c.matches(t, now))
        .map(|t| t.id)
        .collect();
    // The claim is the insert: where another process (the app and `watch`) took a ticket between
    // the read above and here, its row is there and this one is ignored, and the ticket is
    // theirs alone.
    let mut tx = cache.pool().begin().await?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in &ids {
        let r = sqlx::query(
            "INSERT OR IGNORE INTO rule_runs (rule_id, version, ticket_id, at) VALUES (?, ?, ?, ?)",
        )
        .bind(rule.id as i64)
        .bind(rule.version as i64)
        .bind(*id as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 1 {
            claimed.push(*id);
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Records the job that applied a live rule to these tickets, and each one's outcome.
pub(crate) async fn record(
    cache: &crate::cache::Cache,
    rule: &StoredRule,
    job: u32,
    outcomes: &[(u64, String)],
) -> Result<()> {
    let mut tx = cache.pool().begin().await?;
    for (id, o) in outcomes {
        sqlx::query(
            "UPDATE rule_runs SET job_id = ?, outcome = ? WHERE rule_id = ? AND version = ? AND ticket_id = ?",
        )
        .bind(job as i64)
        .bind(o)
        .bind(rule.id as i64)
        .bind(rule.version as i64)
        .bind(*id as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The demo's two example rules (off), so a new user sees what a rule looks like; a rule of the
/// same name is left as the lead made it.
pub(crate) async fn add_examples(cache: &crate::cache::Cache, sim: &trengo_sim::Sim) -> Result<()> {
    let (tag, team, field) = {
        let w = sim.state().world();
        let tag = |n: &str| {
            w.labels
                .values()
                .find(|l| l.name == n)
                .map(|l| l.id.to_string())
        };
        let team = w
            .teams
            .values()
            .find(|t| t.name == "Billing")
            .map(|t| t.id.to_string());
        let field = |n: &str| {
            w.fields
                .values()
                .find(|f| f.title == n)
                .map(|f| f.id.to_string())
        };
        (
            [tag("refund"), tag("vip")],
            team,
            [field("VIP"), field("Priority")],
        )
    };
    let (Some(refund), Some(vip), Some(billing), Some(vip_field), Some(prio)) = (
        tag[0].clone(),
        tag[1].clone(),
        team,
        field[0].clone(),
        field[1].clone(),
    ) else {
        return Ok(());
    };
    let examples = [
        Rule {
            name: "Refunds to Billing".into(),
            all: true,
            conditions: vec![
                Condition::TextContains {
                    words: vec!["refund".into(), "terugbetaling".into(), "chargeback".into()],
                },
                Condition::Status {
                    status: "open".into(),
                },
                Condition::Team { team_id: None },
            ],
            actions: vec![
                Action::AddTag { tag_id: refund },
                Action::AssignTeam { team_id: billing },
            ],
        },
        Rule {
            name: "VIPs first".into(),
            all: true,
            conditions: vec![
                Condition::ContactField {
                    field_id: vip_field,
                    op: FieldOp::Equals,
                    values: vec!["yes".into()],
                },
                Condition::Status {
                    status: "open".into(),
                },
                Condition::LacksTag {
                    tag_id: vip.clone(),
                },
            ],
            actions: vec![
                Action::AddTag { tag_id: vip },
                Action::SetTicketField {
                    field_id: prio,
                    value: "High".into(),
                },
            ],
        },
    ];
    for r in examples {
        sqlx::query(
            "INSERT INTO rules (name, json, enabled, version, updated_at) VALUES (?, ?, 0, 1, ?)
             ON CONFLICT (name COLLATE NOCASE) DO NOTHING",
        )
        .bind(&r.name)
        .bind(serde_json::to_string(&r).unwrap_or_default())
        .bind(Utc::now().timestamp())
        .execute(cache.pool())
        .await?;
    }
    Ok(())
}

// ---- storage (the workspace's cache file) ----

/// Every rule, by name.
pub(crate) async fn list(cache: &crate::cache::Cache, dir: &Directory) -> Result<Vec<StoredRule>> {
    let rows: Vec<(i64, String, i64, i64)> =
        sqlx::query_as("SELECT id, json, enabled, version FROM rules ORDER BY name COLLATE NOCASE")
            .fetch_all(cache.pool())
            .await?;
    let mut out = vec![];
    for (id, json, enabled, version) in rows {
        let Ok(rule) = serde_json::from_str::<Rule>(&json) else {
            tracing::warn!(rule = id, "a stored rule could not be read");
            continue;
        };
        out.push(StoredRule {
            id: id as u32,
            summary: summary(&rule, dir),
            rule,
            enabled: enabled != 0,
            version: version as u32,
            log: log(cache, id as u32).await?,
        });
    }
    Ok(out)
}

/// The rule of this name (any case).
pub(crate) async fn find(
    cache: &crate::cache::Cache,
    dir: &Directory,
    name: &str,
) -> Result<StoredRule> {
    let all = list(cache, dir).await?;
    let names: Vec<String> = all.iter().map(|r| r.rule.name.clone()).collect();
    all.into_iter()
        .find(|r| r.rule.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            Error::NotFound(format!(
                "there is no rule {:?} (the rules: {})",
                name.trim(),
                if names.is_empty() {
                    "none yet".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })
}

/// Saves a rule, checked first; one of the same name is replaced (its version goes up, so a live
/// rule applies anew).
pub(crate) async fn save(
    cache: &crate::cache::Cache,
    dir: &Directory,
    rule: &Rule,
) -> Result<StoredRule> {
    rule.compile(dir)?;
    let mut r = rule.clone();
    r.name = r.name.trim().to_string();
    r.actions = normalize_actions(&r.actions, dir)?;
    sqlx::query(
        "INSERT INTO rules (name, json, enabled, version, updated_at) VALUES (?, ?, 0, 1, ?)
         ON CONFLICT (name COLLATE NOCASE) DO UPDATE SET json = excluded.json, version = rules.version + 1,
           updated_at = excluded.updated_at,
           enabled_at = CASE WHEN rules.enabled = 1 THEN excluded.updated_at ELSE rules.enabled_at END",
    )
    .bind(&r.name)
    .bind(serde_json::to_string(&r).unwrap_or_default())
    .bind(Utc::now().timestamp())
    .execute(cache.pool())
    .await?;
    find(cache, dir, &r.name).await
}

pub(crate) async fn set_enabled(
    cache: &crate::cache::Cache,
    dir: &Directory,
    name: &str,
    on: bool,
) -> Result<StoredRule> {
    let r = find(cache, dir, name).await?;
    let now = Utc::now().timestamp();
    sqlx::query(
        "UPDATE rules SET enabled = ?, updated_at = ?, enabled_at = CASE WHEN ? THEN ? ELSE enabled_at END WHERE id = ?",
    )
    .bind(on as i64)
    .bind(now)
    .bind(on && !r.enabled)
    .bind(now)
    .bind(r.id as i64)
        .execute(cache.pool())
        .await?;
    find(cache, dir, name).await
}

pub(crate) async fn remove(cache: &crate::cache::Cache, dir: &Directory, name: &str) -> Result<()> {
    let r = find(cache, dir, name).await?;
    sqlx::query("DELETE FROM rules WHERE id = ?")
        .bind(r.id as i64)
        .execute(cache.pool())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Directory {
        let mut d = Directory::default();
        d.labels.insert(1, ("refund".into(), None));
        d.labels.insert(2, ("vip".into(), None));
        d.teams.insert(201, "Billing".into());
        d.users.insert(7, ("Robin".into(), None));
        d.channels.insert(801, "Support email".into());
        d.fields.push(trengo_unified::Field {
            id: "9".into(),
            name: "vip".into(),
            label: "VIP".into(),
            field_type: trengo_unified::FieldKind::Checkbox,
            options: vec![],
            is_required: false,
            is_user_defined: true,
            entity_type: trengo_unified::EntityType::Contact,
            remote_data: None,
        });
        d.fields.push(trengo_unified::Field {
            id: "12".into(),
            name: "priority".into(),
            label: "Priority".into(),
            field_type: trengo_unified::FieldKind::Dropdown,
            options: vec![],
            is_required: false,
            is_user_defined: true,
            entity_type: trengo_unified::EntityType::Ticket,
            remote_data: None,
        });
        d
    }

    fn rule(all: bool, conditions: Vec<Condition>) -> Rule {
        Rule {
            name: "r".into(),
            all,
            conditions,
            actions: vec![Action::AddTag { tag_id: "1".into() }],
        }
    }

    fn ticket() -> RuleTicket {
        RuleTicket {
            id: 1,
            text: fold("Vraag over TERUGBETALING\nIk wil mijn geld terug"),
            channel: Some(801),
            team: None,
            user: Some(7),
            tags: vec![2],
            status: "ASSIGNED".into(),
            contact_fields: [("9".to_string(), "1".to_string())].into(),
            ticket_fields: HashMap::new(),
            created_at: Some(1_000),
            updated_at: Some(2_000),
            last_inbound: Some(true),
        }
    }

    fn m(c: Condition) -> bool {
        rule(true, vec![c])
            .compile(&dir())
            .unwrap()
            .matches(&ticket(), 1_000 + 5 * 3600)
    }

    #[test]
    fn each_condition_reads_its_part_of_the_ticket() {
        let words = |w: &[&str]| Condition::TextContains {
            words: w.iter().map(|s| s.to_string()).collect(),
        };
        assert!(m(words(&["refund", "terugbetaling"])));
        assert!(m(words(&["Terugbetåling"])), "accents and case are ignored");
        assert!(!m(words(&["chargeback"])));
        assert!(m(Condition::TextMatches {
            pattern: r"geld\s+terug".into()
        }));
        assert!(m(Condition::Channel {
            channel_id: "801".into()
        }));
        assert!(m(Condition::Team { team_id: None }));
        assert!(!m(Condition::Team {
            team_id: Some("201".into())
        }));
        assert!(m(Condition::Assignee {
            user_id: Some("7".into())
        }));
        assert!(m(Condition::HasTag { tag_id: "2".into() }));
        assert!(m(Condition::LacksTag { tag_id: "1".into() }));
        assert!(m(Condition::Status {
            status: "open".into()
        }));
        assert!(!m(Condition::Status {
            status: "unassigned".into()
        }));
        assert!(m(Condition::ContactField {
            field_id: "9".into(),
            op: FieldOp::Equals,
            values: vec!["Yes".into()]
        }));
        assert!(m(Condition::TicketField {
            field_id: "12".into(),
            op: FieldOp::IsEmpty,
            values: vec![]
        }));
        assert!(m(Condition::OlderThan { hours: 4 }));
        assert!(m(Condition::LastFromCustomer));
        assert!(!m(Condition::OlderThan { hours: 6 }));
    }

    #[test]
    fn all_of_and_any_of() {
        let no = Condition::HasTag { tag_id: "1".into() };
        let yes = Condition::HasTag { tag_id: "2".into() };
        let d = dir();
        let t = ticket();
        assert!(!rule(true, vec![yes.clone(), no.clone()])
            .compile(&d)
            .unwrap()
            .matches(&t, 0));
        assert!(rule(false, vec![yes, no])
            .compile(&d)
            .unwrap()
            .matches(&t, 0));
    }

    #[test]
    fn a_bad_rule_is_refused_with_its_name_and_condition() {
        let d = dir();
        let e = rule(
            true,
            vec![
                Condition::HasTag { tag_id: "2".into() },
                Condition::TextMatches {
                    pattern: "(refund".into(),
                },
            ],
        )
        .compile(&d)
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.contains("rule \"r\", condition 2") && e.contains("regex"),
            "{e}"
        );
        let e = rule(
            true,
            vec![Condition::Team {
                team_id: Some("999".into()),
            }],
        )
        .compile(&d)
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("no team with id 999"), "{e}");
        let e = rule(true, vec![]).compile(&d).err().unwrap().to_string();
        assert!(e.contains("at least one condition"), "{e}");
        let e = parse_rules("[{\"name\": 3}]", &d).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn the_fresh_read_decides_the_parts_that_change() {
        let d = dir();
        let c = rule(
            true,
            vec![
                Condition::TextContains {
                    words: vec!["refund".into()],
                },
                Condition::Team { team_id: None },
            ],
        )
        .compile(&d)
        .unwrap();
        let mut s = TicketState {
            status: "OPEN".into(),
            ..TicketState::default()
        };
        assert!(c.still_matches(&s));
        s.team = Some(201);
        assert!(
            !c.still_matches(&s),
            "moved to a team since: no longer matches"
        );
    }
}
