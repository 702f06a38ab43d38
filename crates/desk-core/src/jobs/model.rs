//! What a bulk job does, without any I/O: actions, a ticket's state as far as they touch it, pasted
//! ids, and the plan that undoes a job.

use serde::{Deserialize, Serialize};

use trengo_unified::api::model::{Ticket, TicketStatus};

/// One change to a ticket. Ids are Trengo's, as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    AddTag {
        tag_id: String,
    },
    RemoveTag {
        tag_id: String,
    },
    AssignTeam {
        team_id: String,
    },
    AssignUser {
        user_id: String,
    },
    Close,
    Reopen,
    /// A contact's custom field (enrichment); an empty value clears it.
    SetField {
        field_id: String,
        value: String,
    },
    /// Look the customer up and set the contact's fields that differ (enrichment); replaced by
    /// `SetField`s when the item runs.
    Enrich {
        customer_id: String,
    },
}

impl Action {
    pub(crate) fn id(&self) -> Option<u64> {
        match self {
            Action::AddTag { tag_id } | Action::RemoveTag { tag_id } => tag_id.parse().ok(),
            Action::AssignTeam { team_id } => team_id.parse().ok(),
            Action::AssignUser { user_id } => user_id.parse().ok(),
            Action::SetField { field_id, .. } => field_id.parse().ok(),
            Action::Close | Action::Reopen | Action::Enrich { .. } => None,
        }
    }
}

/// A ticket as far as bulk actions touch it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TicketState {
    pub tags: Vec<u64>,
    pub team: Option<u64>,
    pub user: Option<u64>,
    /// Trengo's: `OPEN`, `ASSIGNED`, `CLOSED`, `INVALID`.
    pub status: String,
    /// A contact's custom fields by field id (enrichment).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fields: std::collections::BTreeMap<String, String>,
}

impl TicketState {
    pub fn from_api(t: &Ticket) -> TicketState {
        let status = match &t.status {
            TicketStatus::Open => "OPEN".to_string(),
            TicketStatus::Assigned => "ASSIGNED".to_string(),
            TicketStatus::Closed => "CLOSED".to_string(),
            TicketStatus::Invalid => "INVALID".to_string(),
            TicketStatus::Other(s) => s.clone(),
        };
        let mut tags: Vec<u64> = t.labels.iter().map(|l| l.id).collect();
        tags.sort_unstable();
        TicketState {
            tags,
            team: t.team_id,
            user: t.user_id,
            status,
            fields: Default::default(),
        }
    }

    /// A contact's custom fields by id, from `custom_field_data` (by id) and
    /// `formatted_custom_field_data` (by title, through `titles`: title → id).
    pub fn from_contact(
        c: &trengo_unified::api::model::Contact,
        titles: &std::collections::HashMap<String, String>,
    ) -> TicketState {
        let text = trengo_unified::mapping::value_text;
        let mut fields = std::collections::BTreeMap::new();
        for (title, v) in &c.formatted_custom_field_data {
            if let (Some(id), Some(t)) = (titles.get(title), text(v)) {
                fields.insert(id.clone(), t);
            }
        }
        if let Some(m) = &c.custom_field_data {
            for (id, v) in m {
                if let Some(t) = text(v) {
                    fields.insert(id.clone(), t);
                }
            }
        }
        TicketState {
            fields,
            ..TicketState::default()
        }
    }

    fn is_open(&self) -> bool {
        self.status == "OPEN" || self.status == "ASSIGNED"
    }

    /// Whether the ticket is already as `a` would leave it.
    pub fn satisfies(&self, a: &Action) -> bool {
        match a {
            Action::AddTag { .. } => a.id().is_some_and(|t| self.tags.contains(&t)),
            Action::RemoveTag { .. } => a.id().is_some_and(|t| !self.tags.contains(&t)),
            Action::AssignTeam { .. } => a.id().is_some() && self.team == a.id(),
            Action::AssignUser { .. } => a.id().is_some() && self.user == a.id(),
            Action::Close => self.status == "CLOSED",
            Action::Reopen => self.is_open(),
            Action::SetField { field_id, value } => same_text(
                self.fields.get(field_id).map(|v| v.trim()).unwrap_or(""),
                value.trim(),
            ),
            Action::Enrich { .. } => false,
        }
    }

    /// The state after Trengo applied `a` (trengo-api.md, "Effects").
    pub fn apply(&mut self, a: &Action) {
        match a {
            Action::AddTag { .. } => {
                if let Some(t) = a.id() {
                    if !self.tags.contains(&t) {
                        self.tags.push(t);
                        self.tags.sort_unstable();
                    }
                }
            }
            Action::RemoveTag { .. } => {
                if let Some(t) = a.id() {
                    self.tags.retain(|x| *x != t);
                }
            }
            Action::AssignTeam { .. } => self.team = a.id(),
            Action::AssignUser { .. } => {
                self.user = a.id();
                self.status = "ASSIGNED".into();
            }
            Action::Close => self.status = "CLOSED".into(),
            Action::SetField { field_id, value } => {
                if value.is_empty() {
                    self.fields.remove(field_id);
                } else {
                    self.fields.insert(field_id.clone(), value.clone());
                }
            }
            Action::Enrich { .. } => {}
            Action::Reopen => {
                self.status = if self.user.is_some() {
                    "ASSIGNED"
                } else {
                    "OPEN"
                }
                .into()
            }
        }
    }
}

/// Whether two field values mean the same, however Trengo writes them back: `700` and `700.0`,
/// `1` and `true`.
fn same_text(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return (x - y).abs() < 1e-9;
    }
    let truth = |s: &str| match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" => Some(false),
        _ => None,
    };
    matches!((truth(a), truth(b)), (Some(x), Some(y)) if x == y)
}

/// What happened to one action of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Sent and applied (or found applied after an unknown outcome).
    Done,
    /// The ticket was already so; nothing was sent.
    Already,
}

/// Checks a job's actions against each other.
pub fn validate_actions(actions: &[Action]) -> Result<(), String> {
    if actions.is_empty() {
        return Err("choose at least one change".into());
    }
    for (i, a) in actions.iter().enumerate() {
        if matches!(a, Action::SetField { .. } | Action::Enrich { .. }) {
            return Err(format!(
                "change {}: contact fields are set by enrichment, not by a bulk job",
                i + 1
            ));
        }
        if !matches!(a, Action::Close | Action::Reopen) && a.id().is_none() {
            return Err(format!("change {}: {a:?} does not name a valid id", i + 1));
        }
        for b in &actions[..i] {
            let clash = a == b
                || match (a, b) {
                    (Action::AddTag { tag_id: x }, Action::RemoveTag { tag_id: y })
                    | (Action::RemoveTag { tag_id: x }, Action::AddTag { tag_id: y }) => x == y,
                    (Action::AssignTeam { .. }, Action::AssignTeam { .. })
                    | (Action::AssignUser { .. }, Action::AssignUser { .. }) => true,
                    (Action::Close, Action::Reopen) | (Action::Reopen, Action::Close) => true,
                    _ => false,
                };
            if clash {
                return Err(format!(
                    "changes {} and {} contradict or repeat each other",
                    actions.iter().position(|x| x == b).unwrap_or(0) + 1,
                    i + 1
                ));
            }
        }
    }
    Ok(())
}

/// The order a job applies its actions in: assignee first (it reopens a closed ticket), then team,
/// tags, and close or reopen last.
pub fn ordered(actions: &[Action]) -> Vec<Action> {
    let rank = |a: &Action| match a {
        Action::AssignUser { .. } => 0,
        Action::AssignTeam { .. } => 1,
        Action::AddTag { .. } | Action::RemoveTag { .. } => 2,
        Action::Close | Action::Reopen => 3,
        Action::SetField { .. } | Action::Enrich { .. } => 4,
    };
    let mut v = actions.to_vec();
    v.sort_by_key(rank);
    v
}

/// The actions that take a ticket back from what a job did to what it was, and what cannot be
/// taken back (Trengo's API cannot clear a ticket's user or team).
pub fn undo_plan(
    before: &TicketState,
    plan: &[Action],
    outcomes: &[StepOutcome],
) -> (Vec<Action>, Vec<String>) {
    let mut after = before.clone();
    let mut touched_tags = vec![];
    let mut any = false;
    for (a, o) in plan.iter().zip(outcomes) {
        if *o == StepOutcome::Done {
            after.apply(a);
            any = true;
            if let Action::AddTag { .. } | Action::RemoveTag { .. } = a {
                touched_tags.extend(a.id());
            }
        }
    }
    let mut steps = vec![];
    let mut notes = vec![];
    if !any {
        return (steps, notes);
    }
    // Contact fields: each one the job set goes back to its value before (or is cleared).
    let mut set_fields: Vec<&String> = plan
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| **o == StepOutcome::Done)
        .filter_map(|(a, _)| match a {
            Action::SetField { field_id, .. } => Some(field_id),
            _ => None,
        })
        .collect();
    set_fields.dedup();
    for f in set_fields {
        steps.push(Action::SetField {
            field_id: f.clone(),
            value: before.fields.get(f).cloned().unwrap_or_default(),
        });
    }
    if plan
        .iter()
        .all(|a| matches!(a, Action::SetField { .. } | Action::Enrich { .. }))
    {
        return (steps, notes);
    }
    if after.user != before.user {
        match before.user {
            Some(u) => steps.push(Action::AssignUser {
                user_id: u.to_string(),
            }),
            None => notes.push("stays assigned: Trengo's API cannot remove a ticket's user".into()),
        }
    }
    if after.team != before.team {
        match before.team {
            Some(t) => steps.push(Action::AssignTeam {
                team_id: t.to_string(),
            }),
            None => {
                notes.push("stays in its team: Trengo's API cannot remove a ticket's team".into())
            }
        }
    }
    touched_tags.sort_unstable();
    touched_tags.dedup();
    for t in touched_tags {
        match (before.tags.contains(&t), after.tags.contains(&t)) {
            (true, false) => steps.push(Action::AddTag {
                tag_id: t.to_string(),
            }),
            (false, true) => steps.push(Action::RemoveTag {
                tag_id: t.to_string(),
            }),
            _ => {}
        }
    }
    let mut sim = after.clone();
    for s in &steps {
        sim.apply(s);
    }
    if sim.is_open() != before.is_open() {
        steps.push(if before.is_open() {
            Action::Reopen
        } else {
            Action::Close
        });
    }
    (steps, notes)
}

/// A pasted line that is not a ticket id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LineProblem {
    /// 1-based.
    pub line: u32,
    pub text: String,
    pub reason: String,
}

/// Ticket ids read from pasted text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PastedIds {
    /// In the order pasted, without repeats.
    pub ids: Vec<u64>,
    pub problems: Vec<LineProblem>,
    /// Ids pasted more than once (kept once).
    pub duplicates: u32,
}

/// Reads ticket ids: plain ids, `#123`, or Trengo ticket URLs, one per line or separated by commas,
/// semicolons, tabs or spaces. Anything else is a problem named by its line.
pub fn parse_ticket_ids(text: &str) -> PastedIds {
    let mut out = PastedIds::default();
    let mut seen = std::collections::HashSet::new();
    for (n, line) in text.lines().enumerate() {
        for tok in line
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|t| !t.is_empty())
        {
            match ticket_id_of(tok) {
                Some(id) => {
                    if seen.insert(id) {
                        out.ids.push(id);
                    } else {
                        out.duplicates += 1;
                    }
                }
                None => out.problems.push(LineProblem {
                    line: n as u32 + 1,
                    text: tok.chars().take(80).collect(),
                    reason: "not a ticket id, #id or Trengo ticket URL".into(),
                }),
            }
        }
    }
    out
}

fn ticket_id_of(tok: &str) -> Option<u64> {
    let num = |s: &str| {
        (!s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
            .filter(|n| *n > 0)
    };
    if let Some(rest) = tok.strip_prefix('#') {
        return num(rest);
    }
    if tok.contains("://") {
        // …/tickets/123, …/tickets/123/…, or …#/tickets/123
        let no_query = tok.split(['?']).next().unwrap_or(tok);
        let segs: Vec<&str> = no_query.split(['/', '#']).collect();
        return segs
            .windows(2)
            .rev()
            .find(|w| w[0] == "tickets" || w[0] == "ticket")
            .and_then(|w| num(w[1]));
    }
    num(tok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(id: u64) -> Action {
        Action::AddTag {
            tag_id: id.to_string(),
        }
    }

    #[test]
    fn pasted_ids_in_every_form_and_junk_by_line() {
        let p = parse_ticket_ids(
            "318550001\n#318550002, 318550003;318550004\thttps://app.trengo.com/tickets/318550005\n\nnot-an-id\n318550001\nhttps://app.trengo.com/tickets/318550006?x=1 https://example.com/foo\n#12a",
        );
        assert_eq!(
            p.ids,
            vec![318550001, 318550002, 318550003, 318550004, 318550005, 318550006]
        );
        assert_eq!(p.duplicates, 1);
        let lines: Vec<(u32, &str)> = p
            .problems
            .iter()
            .map(|x| (x.line, x.text.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (4, "not-an-id"),
                (6, "https://example.com/foo"),
                (7, "#12a")
            ]
        );
    }

    #[test]
    fn already_so_and_effects_follow_trengo() {
        let mut s = TicketState {
            tags: vec![1],
            team: Some(201),
            user: None,
            status: "CLOSED".into(),
            ..TicketState::default()
        };
        assert!(s.satisfies(&tag(1)) && !s.satisfies(&tag(2)));
        s.apply(&Action::AssignUser {
            user_id: "3601".into(),
        });
        assert_eq!(s.status, "ASSIGNED", "assigning a user reopens");
        s.apply(&Action::Close);
        s.apply(&Action::Reopen);
        assert_eq!(s.status, "ASSIGNED");
    }

    #[test]
    fn undo_restores_only_what_the_job_changed() {
        let before = TicketState {
            tags: vec![5],
            team: Some(201),
            user: None,
            status: "CLOSED".into(),
            ..TicketState::default()
        };
        let plan = ordered(&[
            tag(7),
            Action::RemoveTag { tag_id: "5".into() },
            Action::AssignTeam {
                team_id: "202".into(),
            },
            Action::AssignUser {
                user_id: "3601".into(),
            },
        ]);
        let outcomes = vec![StepOutcome::Done; 4];
        let (steps, notes) = undo_plan(&before, &plan, &outcomes);
        assert_eq!(
            steps,
            vec![
                Action::AssignTeam {
                    team_id: "201".into()
                },
                tag(5),
                Action::RemoveTag { tag_id: "7".into() },
                Action::Close,
            ]
        );
        assert_eq!(notes.len(), 1, "the user cannot be removed: {notes:?}");
        // A skipped item has nothing to undo.
        let (none, _) = undo_plan(&before, &[tag(5)], &[StepOutcome::Already]);
        assert!(none.is_empty());
    }

    #[test]
    fn contradicting_actions_are_refused() {
        assert!(validate_actions(&[]).is_err());
        assert!(validate_actions(&[tag(1), Action::RemoveTag { tag_id: "1".into() }]).is_err());
        assert!(validate_actions(&[Action::Close, Action::Reopen]).is_err());
        assert!(validate_actions(&[
            tag(1),
            Action::AssignTeam {
                team_id: "x".into()
            }
        ])
        .is_err());
        assert!(validate_actions(&[
            tag(1),
            Action::AssignTeam {
                team_id: "201".into()
            }
        ])
        .is_ok());
    }
}
