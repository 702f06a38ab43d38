//! What a job is, without any I/O: its kinds and states, what happened to each step, pasted
//! ids, and the plan that undoes a job. What an action itself does lives in [`crate::actions`].

use serde::{Deserialize, Serialize};

pub use crate::error::ErrorCode;

pub use crate::actions::{ordered, validate_actions, Action, TicketState};

word_enum!(
    /// Where a job is.
    JobState {
        Pending = "pending",
        Running = "running",
        Paused = "paused",
        /// Stopped before its end for a reason (offline, token refused, taken over).
        Interrupted = "interrupted",
        Cancelled = "cancelled",
        Done = "done",
    }
);

word_enum!(
    /// What made a job.
    JobKind {
        /// One action on one ticket, from the ticket panel or the CLI.
        Action = "action",
        /// Many tickets at once.
        Bulk = "bulk",
        /// The job that takes another one back.
        Undo = "undo",
        /// Contact fields from a lookup source.
        Enrich = "enrich",
        /// A new ticket for a contact, routed, tagged and filled in.
        Create = "create",
    }
);

word_enum!(
    /// Where one item (one ticket or contact) of a job is.
    ItemState {
        Pending = "pending",
        Done = "done",
        /// Already as the job would leave it: nothing was sent.
        Skipped = "skipped",
        Failed = "failed",
        Cancelled = "cancelled",
        /// Undo found it changed since (by anyone) in a part the job touched, and left that part.
        Conflict = "conflict",
    }
);

impl JobState {
    /// Whether the job will change nothing more unless someone resumes or retries it.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Cancelled)
    }
}

/// What happened to one action of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Sent and applied (or found applied after an unknown outcome).
    Done,
    /// The record was already so; nothing was sent.
    Already,
    /// Undo only: the part was changed since by someone else; left as it is.
    Conflict,
}

/// What undoing one item takes: the steps back, what the record must still show for each step to
/// be sent (the state the job left), and what cannot be taken back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UndoPlan {
    pub steps: Vec<Action>,
    pub expect: TicketState,
    pub notes: Vec<String>,
}

/// The steps that take a record back from what a job did to what it was, the state the job left
/// (undo reverts a part only while it still stands so), and what cannot be taken back (Trengo's
/// API cannot clear a ticket's user or team).
pub fn undo_plan(before: &TicketState, plan: &[Action], outcomes: &[StepOutcome]) -> UndoPlan {
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
        return UndoPlan::default();
    }
    if plan
        .iter()
        .zip(outcomes)
        .any(|(a, o)| matches!(a, Action::Merge { .. }) && *o == StepOutcome::Done)
    {
        notes.push("a merge cannot be undone: Trengo deleted the merged ticket".into());
    }
    // A ticket the job made goes as a whole, and only while it is as the job left it.
    if let (Some(Action::CreateTicket { .. }), Some(StepOutcome::Done)) =
        (plan.first(), outcomes.first())
    {
        return UndoPlan {
            steps: vec![Action::DeleteTicket],
            expect: after,
            notes,
        };
    }
    // Fields: each one the job set goes back to its value before (or is cleared).
    let mut set_fields: Vec<(&String, bool)> = plan
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| **o == StepOutcome::Done)
        .filter_map(|(a, _)| match a {
            Action::SetField { field_id, .. } => Some((field_id, true)),
            Action::SetTicketField { field_id, .. } => Some((field_id, false)),
            _ => None,
        })
        .collect();
    set_fields.dedup();
    for (f, contact) in set_fields {
        let (field_id, value) = (f.clone(), before.fields.get(f).cloned().unwrap_or_default());
        steps.push(if contact {
            Action::SetField { field_id, value }
        } else {
            Action::SetTicketField { field_id, value }
        });
    }
    // Notes: each one the job posted is deleted.
    for (a, o) in plan.iter().zip(outcomes) {
        if let (Action::AddNote { note_id, .. }, StepOutcome::Done) = (a, o) {
            match note_id {
                Some(id) => steps.push(Action::DeleteNote {
                    note_id: id.clone(),
                }),
                None => notes.push("a note whose message id was never known stays".into()),
            }
        }
    }
    if plan.iter().all(Action::on_contact) {
        return UndoPlan {
            steps,
            expect: after,
            notes,
        };
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
    if sim.is_spam() != before.is_spam() {
        let back = if before.is_spam() {
            Action::MarkSpam
        } else {
            Action::UnmarkSpam
        };
        sim.apply(&back);
        steps.push(back);
    }
    if sim.is_open() != before.is_open() && !before.is_spam() {
        steps.push(if before.is_open() {
            Action::Reopen
        } else {
            Action::Close
        });
    }
    UndoPlan {
        steps,
        expect: after,
        notes,
    }
}

pub use crate::view::LineProblem;

/// Ticket ids read from pasted text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PastedIds {
    /// In the order pasted, without repeats.
    pub ids: Vec<u64>,
    pub problems: Vec<LineProblem>,
    /// Ids pasted more than once (kept once).
    pub duplicates: u32,
}

/// Pasted ticket ids as the list's selection shows them (ids as strings, for TypeScript).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PastedTickets {
    pub ids: Vec<String>,
    pub problems: Vec<LineProblem>,
    /// Ids pasted more than once (kept once).
    pub duplicates: u32,
}

impl PastedTickets {
    /// Reads pasted ids, `#ids` and Trengo ticket URLs (the same reading as a bulk job's).
    pub fn read(text: &str) -> PastedTickets {
        let p = parse_ticket_ids(text);
        PastedTickets {
            ids: p.ids.iter().map(u64::to_string).collect(),
            problems: p.problems,
            duplicates: p.duplicates,
        }
    }
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
        let UndoPlan {
            steps,
            notes,
            expect,
        } = undo_plan(&before, &plan, &outcomes);
        assert_eq!(expect.team, Some(202), "the state the job left");
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
        let none = undo_plan(&before, &[tag(5)], &[StepOutcome::Already]);
        assert!(none.steps.is_empty());
    }
}
