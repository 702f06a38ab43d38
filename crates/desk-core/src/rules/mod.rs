//! Auto-tagging rules: a lead's business rules ("subject mentions refund, contact is a VIP: tag
//! refund, move to Billing"), previewed on the cache, run as jobs (fresh reads, undo), stored per
//! workspace.
//!
//! A rule's conditions read what the cache holds of a ticket: subject and latest message, channel,
//! team, assignee, tags, status, its contact's and its own custom fields, and its age. A preview is
//! the cache's view; a run reads each ticket from Trengo right before it changes it (the job
//! engine), so what the cache got wrong is never written.

use std::collections::HashMap;

use regex::Regex;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::actions::{describe, normalize_actions, Action, TicketState};
use crate::error::{Error, Result};
use crate::sla::{SlaFilter, SlaTarget, Standing};
use trengo_unified::Directory;

/// Where each open ticket stands on the targets of its SLA policy, by ticket id, at one moment
/// (what the `Sla` conditions read).
pub type SlaNow = HashMap<u64, Vec<Standing>>;

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
    /// By the SLA radar: a target of the ticket's policy is at risk, breached, or either
    /// (`due`); only this target where one is given (first reply, next reply, resolution).
    Sla {
        state: SlaFilter,
        #[serde(default)]
        target: Option<SlaTarget>,
    },
}

/// How a rule hands out tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum BalanceMode {
    /// The available agent with the most spare capacity (ties: the longest since their last
    /// assignment).
    #[default]
    Balanced,
    /// Each available agent in turn.
    RoundRobin,
}

/// A rule's assignment: to an agent of this team, by balance or in turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Balance {
    pub team_id: String,
    #[serde(default)]
    pub mode: BalanceMode,
}

/// A rule's assignment in words: "Assign by balance in team Billing".
pub fn describe_balance(b: &Balance, dir: &Directory) -> String {
    let team = b
        .team_id
        .trim()
        .parse::<u64>()
        .map(|t| crate::actions::team_name(dir, t))
        .unwrap_or_else(|_| b.team_id.clone());
    match b.mode {
        BalanceMode::Balanced => format!("Assign by balance in team {team}"),
        BalanceMode::RoundRobin => format!("Assign in turn in team {team}"),
    }
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
    /// Then assign to an agent of a team, by balance or in turn (a ticket somebody already holds
    /// is left alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Balance>,
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
    Sla(SlaFilter, Option<SlaTarget>),
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
    /// It assigns by balance: only a ticket nobody holds.
    unassigned: bool,
}

fn id_of(what: &str, rule: &str, n: usize, s: &str) -> Result<u64> {
    s.trim().parse().map_err(|_| {
        Error::Invalid(format!(
            "rule {rule:?}, condition {n}: {s:?} is not a {what} id"
        ))
    })
}

impl Rule {
    /// Its actions, checked and written as Trengo is sent them (none is fine where it assigns by
    /// balance).
    pub fn checked_actions(&self, dir: &Directory) -> Result<Vec<Action>> {
        if self.balance.is_some() && self.actions.is_empty() {
            return Ok(vec![]);
        }
        if self
            .actions
            .iter()
            .any(|a| matches!(a, Action::Merge { .. }))
        {
            return Err(Error::Invalid(format!(
                "rule {:?}: tickets are merged from the panel or `merge`, after a preview, never by a rule",
                self.name.trim()
            )));
        }
        normalize_actions(&self.actions, dir)
    }

    /// A balanced assignment names a team of the workspace and is the rule's only assignment.
    fn check_balance(&self, dir: &Directory) -> Result<()> {
        let r = self.name.trim();
        if let Some(b) = &self.balance {
            let known = b
                .team_id
                .trim()
                .parse::<u64>()
                .is_ok_and(|t| dir.teams.contains_key(&t));
            if !known {
                return Err(Error::NotFound(format!(
                    "rule {r:?}: the balanced assignment names no team of this workspace ({:?})",
                    b.team_id
                )));
            }
            if self
                .actions
                .iter()
                .any(|a| matches!(a, Action::AssignUser { .. }))
            {
                return Err(Error::Invalid(format!(
                    "rule {r:?}: it assigns by balance, so it cannot also assign to one agent"
                )));
            }
        }
        Ok(())
    }

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
        self.check_balance(dir)?;
        if self.balance.is_none() || !self.actions.is_empty() {
            normalize_actions(&self.actions, dir)
                .map_err(|e| Error::Invalid(format!("rule {r:?}: {e}")))?;
        }
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
                Condition::Sla { state, target } => Test::Sla(*state, *target),
            });
        }
        Ok(Compiled {
            all: self.all,
            tests,
            unassigned: self.balance.is_some(),
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
    pub fn all_matches<'t>(
        &self,
        tickets: &'t [RuleTicket],
        now: i64,
        sla: &SlaNow,
    ) -> Vec<&'t RuleTicket> {
        let on = |t: &RuleTicket| self.matches(t, now, sla_of(sla, t.id));
        if tickets.len() < 20_000 {
            return tickets.iter().filter(|t| on(t)).collect();
        }
        let (a, b) = tickets.split_at(tickets.len() / 2);
        std::thread::scope(|s| {
            let second = s.spawn(|| b.iter().filter(|t| on(t)).collect::<Vec<_>>());
            let mut first: Vec<&RuleTicket> = a.iter().filter(|t| on(t)).collect();
            first.extend(second.join().unwrap_or_default());
            first
        })
    }

    /// Whether any condition reads the SLA radar.
    pub fn uses_sla(&self) -> bool {
        self.tests.iter().any(|t| matches!(t, Test::Sla(..)))
    }

    /// Whether the ticket matches, at `now` (unix seconds), standing so on its SLA targets.
    pub fn matches(&self, t: &RuleTicket, now: i64, sla: &[Standing]) -> bool {
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
            Test::Sla(want, target) => sla
                .iter()
                .any(|s| want.takes(s.state) && target.is_none_or(|x| s.target == x)),
        };
        if self.unassigned && t.user.is_some() {
            return false;
        }
        if self.all {
            self.tests.iter().all(test)
        } else {
            self.tests.iter().any(test)
        }
    }
}

/// A ticket's standings in a [`SlaNow`] (none: no policy covers it, or its clock is paused).
pub fn sla_of(sla: &SlaNow, id: u64) -> &[Standing] {
    sla.get(&id).map(Vec::as_slice).unwrap_or(&[])
}

impl Compiled {
    /// Whether the ticket, as Trengo has it now (read fresh by the job), still matches in the
    /// parts that change: team, assignee, tags, status, ticket fields. Text, channel and age do not
    /// change, and contact fields are the cache's (a rule's job reads tickets, not contacts), so
    /// those stand as the preview found them; so do SLA standings, the radar's at the moment of
    /// the match (a live pass reads the newest tickets into the cache just before).
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
        if self.unassigned && s.user.is_some() {
            // Somebody holds it now (a colleague, or Trengo's own balancing): left alone.
            return false;
        }
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
        Condition::Sla { state, target } => format!(
            "SLA {}{}",
            state.words(),
            target
                .map(|t| format!(" ({})", t.words()))
                .unwrap_or_default()
        ),
    }
}

/// A rule in words.
pub fn summary(r: &Rule, dir: &Directory) -> String {
    let conds: Vec<String> = r
        .conditions
        .iter()
        .map(|c| describe_condition(c, dir))
        .collect();
    let mut acts: Vec<String> = r.actions.iter().map(|a| describe(a, dir)).collect();
    if let Some(b) = &r.balance {
        acts.push(describe_balance(b, dir));
    }
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

// ---- live rules ----

/// What one live pass did, per rule that matched something.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LiveRun {
    pub rule: String,
    /// The job that applied it (a balanced assignment: the last of its one-ticket jobs).
    pub job: u32,
    /// A balanced assignment's jobs, one per ticket assigned.
    #[serde(default)]
    pub jobs: Vec<u32>,
    pub matched: u32,
    pub changed: u32,
    pub skipped: u32,
    pub failed: u32,
    /// Tickets nobody could take (balanced assignment), left unassigned and logged.
    #[serde(default)]
    pub unassigned: u32,
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
    /// A balanced assignment's tickets nobody could take (offline, at their limit, no skill).
    #[serde(default)]
    pub unassigned: u32,
    /// The newest of those, and why: "#123 nobody fits: 2 offline, 1 at their limit".
    #[serde(default)]
    pub unassigned_why: Vec<String>,
}

// ---- storage (the workspace's cache file) ----

mod store;

pub(crate) use store::{
    add_examples, find, list, live, load, log, preview, record, remove, save, set_enabled, stamp,
    take,
};

#[cfg(test)]
mod tests;
