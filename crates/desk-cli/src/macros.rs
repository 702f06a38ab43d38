//! `macros …`: several changes in one job, saved by name.

use clap::{Args, Subcommand};
use desk_core::jobs::Action;
use desk_core::macros::{Macro, MacroStep, StoredMacro};
use desk_core::{Desk, Error};

use crate::jobs::{choose, confirm, print_plan, run_job};
use crate::{resolve, term, Out};

/// A value asked when the macro runs instead of saved with it.
const ASK: &str = "?";

#[derive(Subcommand)]
pub enum MacrosCmd {
    /// The saved macros in order (the first nine sit on the app's keys 1–9).
    List,
    /// Save a macro (one of the same name is replaced). A value of `?` is asked when it runs:
    ///   macros add --name "Refund done" --add-tag refund --note "Refunded {contact.name}" --close
    Add(AddArgs),
    /// A macro's steps and what it asks.
    Show {
        name: String,
    },
    /// Run a macro on tickets as one job (one undo): `macros run NAME (--ids FILE | filters) [--yes]`.
    Run(RunArgs),
    /// Move a macro to a place in the order (its key in the app follows).
    Move {
        name: String,
        to: u32,
    },
    Remove {
        name: String,
    },
    /// Every macro as JSON (what `import` reads).
    Export,
    /// Macros from a JSON file (`export`'s), all checked first: one bad macro saves none.
    Import {
        file: String,
    },
}

#[derive(Args)]
pub struct AddArgs {
    #[arg(long)]
    name: String,
    #[arg(long = "add-tag")]
    add_tag: Vec<String>,
    #[arg(long = "remove-tag")]
    remove_tag: Vec<String>,
    #[arg(long = "move-team")]
    move_team: Option<String>,
    /// A user's email, or `?`.
    #[arg(long)]
    assign: Option<String>,
    /// A ticket field: NAME=VALUE, or NAME=? to ask.
    #[arg(long = "set-field")]
    set_field: Vec<String>,
    /// An internal note; placeholders: {contact.name}, {contact.email}, {ticket.id},
    /// {ticket.subject}, {me.name}, {field:NAME}; `?` asks for the text.
    #[arg(long)]
    note: Option<String>,
    #[arg(long, conflicts_with = "reopen")]
    close: bool,
    #[arg(long)]
    reopen: bool,
    #[arg(long)]
    spam: bool,
    /// In the app: after running on the open ticket, open the next one.
    #[arg(long)]
    then_next: bool,
}

#[derive(Args)]
pub struct RunArgs {
    name: String,
    #[command(flatten)]
    filter: crate::FilterArgs,
    /// A file of ticket ids (`-`: standard input).
    #[arg(long)]
    ids: Option<String>,
    /// The values the macro asks, in its order (see `macros show`).
    #[arg(long = "value")]
    values: Vec<String>,
    #[arg(long, short = 'y')]
    yes: bool,
}

async fn steps(desk: &Desk, a: &AddArgs) -> Result<Vec<MacroStep>, Error> {
    let step = |action: Action, ask: bool| MacroStep { action, ask };
    let mut out = vec![];
    for t in &a.add_tag {
        out.push(match t.as_str() {
            ASK => step(
                Action::AddTag {
                    tag_id: String::new(),
                },
                true,
            ),
            _ => step(
                Action::AddTag {
                    tag_id: resolve(desk, "tag", t).await?,
                },
                false,
            ),
        });
    }
    for t in &a.remove_tag {
        out.push(match t.as_str() {
            ASK => step(
                Action::RemoveTag {
                    tag_id: String::new(),
                },
                true,
            ),
            _ => step(
                Action::RemoveTag {
                    tag_id: resolve(desk, "tag", t).await?,
                },
                false,
            ),
        });
    }
    if let Some(t) = &a.move_team {
        out.push(match t.as_str() {
            ASK => step(
                Action::AssignTeam {
                    team_id: String::new(),
                },
                true,
            ),
            _ => step(
                Action::AssignTeam {
                    team_id: resolve(desk, "team", t).await?,
                },
                false,
            ),
        });
    }
    if let Some(u) = &a.assign {
        out.push(match u.as_str() {
            ASK => step(
                Action::AssignUser {
                    user_id: String::new(),
                },
                true,
            ),
            _ => step(
                Action::AssignUser {
                    user_id: resolve(desk, "user", u).await?,
                },
                false,
            ),
        });
    }
    for f in &a.set_field {
        let (name, value) = crate::split_assignment(f)?;
        let ask = value == ASK;
        let action = desk
            .tickets()
            .field_change(
                name,
                if ask { "" } else { value },
                desk_core::EntityType::Ticket,
            )
            .await?;
        out.push(step(action, ask));
    }
    if let Some(n) = &a.note {
        let ask = n == ASK;
        out.push(step(
            Action::AddNote {
                text: if ask { String::new() } else { n.clone() },
                note_id: None,
            },
            ask,
        ));
    }
    for (on, action) in [
        (a.close, Action::Close),
        (a.reopen, Action::Reopen),
        (a.spam, Action::MarkSpam),
    ] {
        if on {
            out.push(step(action, false));
        }
    }
    Ok(out)
}

fn show(m: &StoredMacro) {
    let key = m.key.map(|k| format!(" [key {k}]")).unwrap_or_default();
    outln!(
        "{}{key}{}",
        term::clean(&m.def.name),
        if m.def.then_next {
            " (then the next ticket)"
        } else {
            ""
        }
    );
    for (i, s) in m.steps.iter().enumerate() {
        outln!("  {}. {}", i + 1, term::clean(s));
    }
    for a in &m.asks {
        outln!("  asks: {} (step {})", term::clean(&a.label), a.step);
    }
}

/// The asked values as the macro takes them: a tag, team or user by its name (or email).
async fn answers(desk: &Desk, m: &StoredMacro, values: &[String]) -> Result<Vec<String>, Error> {
    use desk_core::macros::AskKind;
    let mut out = vec![];
    for (i, v) in values.iter().enumerate() {
        let kind = match m.asks.get(i).map(|a| &a.ask) {
            Some(AskKind::Tag) => Some("tag"),
            Some(AskKind::Team) => Some("team"),
            Some(AskKind::User) => Some("user"),
            _ => None,
        };
        out.push(match kind {
            Some(k) => resolve(desk, k, v).await?,
            None => v.clone(),
        });
    }
    Ok(out)
}

pub async fn macros(desk: &Desk, out: &Out, cmd: &MacrosCmd) -> Result<u8, Error> {
    match cmd {
        MacrosCmd::List => {
            let all = desk.macros().list().await?;
            if out.json {
                out.json(&all);
            } else if all.is_empty() {
                outln!("No macro yet: macros add --name NAME …");
            } else {
                all.iter().for_each(show);
            }
        }
        MacrosCmd::Add(a) => {
            let m = Macro {
                name: a.name.clone(),
                steps: steps(desk, a).await?,
                then_next: a.then_next,
            };
            let saved = desk.macros().save(&m).await?;
            if out.json {
                out.json(&saved);
            } else {
                show(&saved);
            }
        }
        MacrosCmd::Show { name } => {
            let m = desk.macros().find(name).await?;
            if out.json {
                out.json(&m);
            } else {
                show(&m);
            }
        }
        MacrosCmd::Run(a) => {
            let sel = choose(desk, &a.filter, a.ids.as_deref()).await?;
            let values = answers(desk, &desk.macros().find(&a.name).await?, &a.values).await?;
            let plan = desk.macros().plan(&a.name, &sel, &values).await?;
            print_plan(&plan.job);
            if let Some(n) = &plan.example_note {
                errln!("  the first ticket's note: {}", term::clean(n));
            }
            let stdin_used = a.ids.as_deref() == Some("-");
            if !confirm(
                &format!("Run it on {} tickets?", plan.job.tickets),
                a.yes,
                stdin_used,
            )? {
                errln!("Nothing was changed.");
                return Ok(0);
            }
            let job = desk.macros().create(&a.name, &sel, &values).await?;
            errln!(
                "job {} recorded; if it is interrupted, any later command resumes it",
                job.id
            );
            return run_job(desk, out, job.id).await;
        }
        MacrosCmd::Move { name, to } => {
            let all = desk.macros().place(name, *to).await?;
            all.iter().for_each(show);
        }
        MacrosCmd::Remove { name } => {
            desk.macros().remove(name).await?;
            errln!("removed");
        }
        MacrosCmd::Export => outln!("{}", desk.macros().export().await?),
        MacrosCmd::Import { file } => {
            let saved = desk.macros().import(&crate::read_file(file)?).await?;
            errln!("{} macros saved", saved.len());
        }
    }
    Ok(0)
}
