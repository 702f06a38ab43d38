//! What single actions and jobs give back (a note posted, a ticket made, an action done) and
//! what a new ticket asks for; the words a job's title and errors use.

use serde::{Deserialize, Serialize};

use super::model::LineProblem;
use super::JobView;
use crate::view::TicketRow;

/// How many items a job works on at once: more as the window allows more (the budget decides
/// how fast they go; the server's latency how many a worker does).
pub(crate) fn workers(limit: u32) -> usize {
    (limit / 15).clamp(4, 16) as usize
}

/// An internal note, posted: as the thread shows it, and the job that posted it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NoteAdded {
    pub message: crate::view::MessageView,
    pub job: JobView,
}

/// A new ticket, made: its id, its row as the cache now has it, and the job that made it (undo
/// deletes it while nobody has touched it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TicketCreated {
    pub ticket_id: crate::TicketId,
    /// `None` when the cache could not take it yet.
    pub row: Option<TicketRow>,
    pub job: JobView,
}

/// A new ticket as a person fills it in: ids for team, user and tags (the CLI resolves names
/// first), fields by label, slug or id.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NewTicket {
    /// The channel's id or name.
    pub channel: String,
    /// An email address, a phone number (starting with + or 0) or a contact id.
    pub contact: String,
    pub subject: String,
    /// Posted as an internal note on the new ticket (Trengo Desk sends nothing to customers).
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub fields: Vec<FieldInput>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldInput {
    pub field: String,
    pub value: String,
}

/// A single action, done: the ticket as it now stands, and the job that recorded it (undo it
/// with [`Desk::undo_job`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ActionDone {
    pub job: JobView,
    /// `None` when the cache does not hold the ticket.
    pub row: Option<TicketRow>,
    /// False when Trengo already showed it so: nothing was sent, nothing to undo.
    pub changed: bool,
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Pasted lines that are not ids, named one by one up to a limit, then counted.
pub(crate) fn list_problems(problems: &[LineProblem], limit: usize) -> String {
    let mut out: Vec<String> = problems
        .iter()
        .take(limit)
        .map(|p| format!("line {} {:?}: {}", p.line, p.text, p.reason))
        .collect();
    if problems.len() > limit {
        out.push(format!("and {} more", problems.len() - limit));
    }
    out.join("; ")
}
