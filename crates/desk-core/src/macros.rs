//! Macros: a named list of changes run on the open ticket or a selection as one job with one
//! undo. A step may leave its value blank, to be asked when the macro runs (typed by the field's
//! definition); a note may carry placeholders filled per ticket ({contact.name}, {field:Plan}).

use serde::{Deserialize, Serialize};
use trengo_unified::mapping::Directory;

use crate::actions::{describe, validate_actions, Action};
use crate::error::{Error, Result};

pub mod store;

/// How many macros sit on the keys 1–9.
pub const KEYED: usize = 9;

/// One step of a macro: a change, or (with `ask`) a change whose value is asked at run time
/// (its id or value in `action` is then empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MacroStep {
    pub action: Action,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ask: bool,
}

/// A macro as it is saved, exported and imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Macro {
    pub name: String,
    pub steps: Vec<MacroStep>,
    /// After running on the open ticket, open the next one in the list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub then_next: bool,
}

/// What a step asks at run time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AskKind {
    Tag,
    Team,
    User,
    Note,
    /// A ticket field's value, typed by its definition (a dropdown's options, a date, a number).
    Field {
        field: crate::view::FieldDef,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MacroAsk {
    /// The step (from 1) whose value this is.
    pub step: u32,
    /// "Assign to", "Plan".
    pub label: String,
    pub ask: AskKind,
}

/// A saved macro with its place on the keys and its steps in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StoredMacro {
    pub id: u32,
    /// 1–9 for the first nine, in their order.
    pub key: Option<u32>,
    #[serde(rename = "macro")]
    pub def: Macro,
    pub steps: Vec<String>,
    pub asks: Vec<MacroAsk>,
}

/// The placeholders a note may carry.
pub const PLACEHOLDERS: [&str; 6] = [
    "{contact.name}",
    "{contact.email}",
    "{ticket.id}",
    "{ticket.subject}",
    "{me.name}",
    "{field:NAME}",
];

/// What a note's placeholders are filled from, for one ticket.
#[derive(Debug, Clone, Default)]
pub struct Fill {
    pub ticket_id: u64,
    pub subject: String,
    pub contact_name: String,
    pub contact_email: String,
    pub me: String,
    /// Ticket fields by their label, lower case.
    pub fields: std::collections::HashMap<String, String>,
}

/// The placeholders in `text`, each as written between braces, or an error naming the unknown one.
pub fn placeholders(text: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let name = after[..close].trim();
        let known = matches!(
            name,
            "contact.name" | "contact.email" | "ticket.id" | "ticket.subject" | "me.name"
        ) || name
            .strip_prefix("field:")
            .is_some_and(|f| !f.trim().is_empty());
        if !known {
            return Err(format!(
                "{{{name}}} is not a placeholder (use {})",
                PLACEHOLDERS.join(", ")
            ));
        }
        out.push(name.to_string());
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// `text` with its placeholders filled for one ticket (a value the cache does not know is left
/// empty).
pub fn render(text: &str, f: &Fill) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = after[..close].trim();
        let value = match name {
            "contact.name" => f.contact_name.clone(),
            "contact.email" => f.contact_email.clone(),
            "ticket.id" => f.ticket_id.to_string(),
            "ticket.subject" => f.subject.clone(),
            "me.name" => f.me.clone(),
            n => match n.strip_prefix("field:") {
                Some(label) => f
                    .fields
                    .get(&label.trim().to_lowercase())
                    .cloned()
                    .unwrap_or_default(),
                None => rest[open..open + close + 2].to_string(),
            },
        };
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether any note among the steps has placeholders (each ticket then gets its own text).
pub fn personal(actions: &[Action]) -> bool {
    actions.iter().any(|a| match a {
        Action::AddNote { text, .. } => placeholders(text).is_ok_and(|p| !p.is_empty()),
        _ => false,
    })
}

impl Macro {
    /// Checks the macro against the workspace; an error names the macro and the step.
    pub fn check(&self, dir: &Directory) -> Result<()> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("a macro needs a name".into()));
        }
        if name.chars().count() > 80 {
            return Err(Error::Invalid(format!(
                "macro {name:?}: the name is longer than 80 characters"
            )));
        }
        if self.steps.is_empty() {
            return Err(Error::Invalid(format!("macro {name:?} has no step")));
        }
        let at = |i: usize, e: Error| -> Error {
            let text = e.to_string();
            let why = text
                .split_once(": ")
                .filter(|(h, _)| h.starts_with("change "))
                .map(|(_, w)| w.to_string())
                .unwrap_or(text);
            let msg = format!("macro {name:?}, step {}: {why}", i + 1);
            match e {
                Error::NotFound(_) => Error::NotFound(msg),
                _ => Error::Invalid(msg),
            }
        };
        for (i, s) in self.steps.iter().enumerate() {
            if let Action::Merge { .. } = &s.action {
                return Err(at(
                    i,
                    Error::Invalid(
                        "tickets are merged from the panel or `merge`, after a preview".into(),
                    ),
                ));
            }
            if let Action::AddNote { text, .. } = &s.action {
                if let Err(why) = placeholders(text) {
                    return Err(at(i, Error::Invalid(why)));
                }
            }
            if s.ask {
                ask_of(&s.action, dir).map_err(|e| at(i, e))?;
            } else {
                validate_actions(std::slice::from_ref(&s.action), dir).map_err(|e| at(i, e))?;
            }
        }
        // Steps that contradict or repeat each other, with each asked value stood in for.
        let stand_in = self.stand_in(dir);
        validate_actions(&stand_in, dir).map_err(|e| {
            Error::Invalid(format!(
                "macro {name:?}: {}",
                e.to_string().replace("changes ", "steps ")
            ))
        })
    }

    /// The steps with each asked value filled by one the workspace has (to check the whole).
    fn stand_in(&self, dir: &Directory) -> Vec<Action> {
        let first = |ids: Vec<u64>| ids.into_iter().min().unwrap_or(0).to_string();
        self.steps
            .iter()
            .map(|s| match (&s.action, s.ask) {
                (Action::AddTag { .. }, true) => Action::AddTag {
                    tag_id: first(dir.labels.keys().copied().collect()),
                },
                (Action::RemoveTag { .. }, true) => Action::RemoveTag {
                    tag_id: first(dir.labels.keys().copied().collect()),
                },
                (Action::AssignTeam { .. }, true) => Action::AssignTeam {
                    team_id: first(dir.teams.keys().copied().collect()),
                },
                (Action::AssignUser { .. }, true) => Action::AssignUser {
                    user_id: first(dir.users.keys().copied().collect()),
                },
                (Action::AddNote { note_id, .. }, true) => Action::AddNote {
                    text: "asked".into(),
                    note_id: note_id.clone(),
                },
                (Action::SetTicketField { field_id, .. }, true) => Action::SetTicketField {
                    field_id: field_id.clone(),
                    value: String::new(),
                },
                (a, _) => a.clone(),
            })
            .collect()
    }

    /// What the macro asks when it runs, in step order.
    pub fn asks(&self, dir: &Directory) -> Vec<MacroAsk> {
        self.steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.ask)
            .filter_map(|(i, s)| {
                let ask = ask_of(&s.action, dir).ok()?;
                let label = match &ask {
                    AskKind::Tag if matches!(s.action, Action::RemoveTag { .. }) => {
                        "Remove tag".to_string()
                    }
                    AskKind::Tag => "Add tag".into(),
                    AskKind::Team => "Move to team".into(),
                    AskKind::User => "Assign to".into(),
                    AskKind::Note => "Note".into(),
                    AskKind::Field { field } => field.label.clone(),
                };
                Some(MacroAsk {
                    step: i as u32 + 1,
                    label,
                    ask,
                })
            })
            .collect()
    }

    /// The steps with the answers put in (one per ask, in order), checked like a job's changes.
    pub fn actions(&self, answers: &[String], dir: &Directory) -> Result<Vec<Action>> {
        let name = self.name.trim();
        let wanted = self.steps.iter().filter(|s| s.ask).count();
        if answers.len() != wanted {
            return Err(Error::Invalid(format!(
                "macro {name:?} asks {wanted} value{}; {} given",
                if wanted == 1 { "" } else { "s" },
                answers.len()
            )));
        }
        let mut given = answers.iter();
        let mut out = vec![];
        for (i, s) in self.steps.iter().enumerate() {
            let mut a = s.action.clone();
            if s.ask {
                let v = given
                    .next()
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default();
                if v.is_empty() && !matches!(a, Action::SetTicketField { .. }) {
                    return Err(Error::Invalid(format!(
                        "macro {name:?}, step {}: give a value",
                        i + 1
                    )));
                }
                match &mut a {
                    Action::AddTag { tag_id } | Action::RemoveTag { tag_id } => *tag_id = v,
                    Action::AssignTeam { team_id } => *team_id = v,
                    Action::AssignUser { user_id } => *user_id = v,
                    Action::AddNote { text, .. } => *text = v,
                    Action::SetTicketField { value, .. } => *value = v,
                    _ => {}
                }
            }
            out.push(a);
        }
        validate_actions(&out, dir).map_err(|e| {
            Error::Invalid(format!(
                "macro {name:?}: {}",
                e.to_string().replace("change ", "step ")
            ))
        })?;
        Ok(out)
    }

    /// The steps in words ("Add tag refund", "Assign to …", asked values as "…").
    pub fn describe(&self, dir: &Directory) -> Vec<String> {
        self.steps
            .iter()
            .map(|s| {
                if !s.ask {
                    return describe(&s.action, dir);
                }
                match &s.action {
                    Action::AddTag { .. } => "Add a tag (asked)".into(),
                    Action::RemoveTag { .. } => "Remove a tag (asked)".into(),
                    Action::AssignTeam { .. } => "Move to a team (asked)".into(),
                    Action::AssignUser { .. } => "Assign to someone (asked)".into(),
                    Action::AddNote { .. } => "Add a note (asked)".into(),
                    Action::SetTicketField { field_id, .. } => format!(
                        "Set {} (asked)",
                        dir.field_by_id(field_id)
                            .map(|f| f.label.clone())
                            .unwrap_or_else(|| format!("field {field_id}"))
                    ),
                    a => describe(a, dir),
                }
            })
            .collect()
    }
}

/// What an asked step asks, or why it cannot ask.
fn ask_of(a: &Action, dir: &Directory) -> Result<AskKind> {
    Ok(match a {
        Action::AddTag { .. } | Action::RemoveTag { .. } => AskKind::Tag,
        Action::AssignTeam { .. } => AskKind::Team,
        Action::AssignUser { .. } => AskKind::User,
        Action::AddNote { .. } => AskKind::Note,
        Action::SetTicketField { field_id, .. } => {
            let f = dir
                .field_by_id(field_id)
                .filter(|f| f.entity_type == trengo_unified::EntityType::Ticket)
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "there is no ticket field with id {field_id} in this workspace (sync if it is new)"
                    ))
                })?;
            AskKind::Field {
                field: crate::view::FieldDef::from(f),
            }
        }
        other => {
            return Err(Error::Invalid(format!(
                "{} takes no value to ask",
                describe(other, dir)
            )))
        }
    })
}

/// A macros file: every macro checked, names once each; an error names the macro and the step.
pub fn parse(json: &str, dir: &Directory) -> Result<Vec<Macro>> {
    let macros: Vec<Macro> = serde_json::from_str(json).map_err(|e| {
        Error::Invalid(format!(
            "the macros file is not a list of macros: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let mut seen = std::collections::HashSet::new();
    for m in &macros {
        m.check(dir)?;
        if !seen.insert(m.name.trim().to_lowercase()) {
            return Err(Error::Invalid(format!(
                "macro {:?} is in the file twice",
                m.name.trim()
            )));
        }
    }
    Ok(macros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_named() {
        let f = Fill {
            ticket_id: 42,
            subject: "Refund".into(),
            contact_name: "Ana".into(),
            me: "Robin".into(),
            fields: [("plan".to_string(), "Pro".to_string())].into(),
            ..Fill::default()
        };
        assert_eq!(
            render(
                "Hi {contact.name}, #{ticket.id} on {field:Plan} by {me.name}{contact.email}.",
                &f
            ),
            "Hi Ana, #42 on Pro by Robin."
        );
        assert_eq!(render("a {b", &f), "a {b");
        let e = placeholders("Dear {customer}").unwrap_err();
        assert!(e.contains("{customer} is not a placeholder"), "{e}");
        assert_eq!(
            placeholders("{ contact.name } {field:Order id}").unwrap(),
            vec!["contact.name", "field:Order id"]
        );
    }
}
