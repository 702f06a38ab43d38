//! `bulk …` and `jobs …`: durable bulk changes from the terminal.

use std::io::{IsTerminal, Read, Write};

use clap::{Args, Subcommand};
use desk_core::jobs::{Action, ItemState, JobPlan, JobProgress, JobState, JobView, Selection};
use desk_core::{Desk, Error};

use crate::{resolve, term, Out};

/// Exit code of a job that ended with failed items.
pub const EXIT_FAILED_ITEMS: u8 = 9;

#[derive(Args)]
#[command(after_help = "\
Choose tickets with --ids FILE (or - for standard input), or with the filter flags, which go \
before the action:
  trengo-desk-cli bulk tag --tag migrated --ids ids.txt --yes
  trengo-desk-cli bulk --team Billing --status open assign-team --team Sales
The filter is resolved against the local cache when the job is created (every match, not a page).")]
pub struct BulkArgs {
    /// The tickets matching these, as `tickets` finds them.
    #[command(flatten)]
    filter: crate::FilterArgs,
    /// A file of ticket ids, #ids or Trengo ticket URLs (one per line, or separated by commas or
    /// spaces); `-` reads standard input.
    #[arg(long, global = true)]
    ids: Option<String>,
    /// Run without asking.
    #[arg(long, short = 'y', global = true)]
    yes: bool,
    #[command(subcommand)]
    action: BulkAction,
}

#[derive(Subcommand)]
enum BulkAction {
    /// Add a tag.
    Tag {
        #[arg(long)]
        tag: String,
    },
    /// Remove a tag.
    Untag {
        #[arg(long)]
        tag: String,
    },
    /// Move to a team.
    AssignTeam {
        #[arg(long)]
        team: String,
    },
    /// Assign to a user (by email).
    AssignUser {
        #[arg(long)]
        user: String,
    },
    /// Close.
    Close,
    /// Reopen.
    Reopen,
    /// Mark as spam (undo takes the mark off).
    Spam,
    /// Take the spam mark off.
    Unspam,
    /// Post an internal note on each ticket (undo deletes the notes this job posted).
    Note {
        /// The note; `-` reads it from standard input.
        #[arg(long)]
        text: String,
    },
    /// Set a ticket field: NAME=VALUE (the field by label, slug or id; an empty value clears it).
    SetField {
        /// NAME=VALUE
        assignment: String,
    },
}

#[derive(Subcommand)]
pub enum JobsCmd {
    /// The latest jobs.
    List {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// A job with its items (or only the failed ones).
    Show {
        id: u32,
        #[arg(long)]
        failed: bool,
        /// Every item as CSV (id, state, changes, reason, requests): the job's report.
        #[arg(long)]
        csv: bool,
    },
    /// Run what is left of an interrupted or paused job.
    Resume { id: u32 },
    /// Try a job's failed items again.
    Retry { id: u32 },
    /// Take back what a job changed (a new job from the before-states).
    Undo {
        id: u32,
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Cancel a job that is not running: its pending items are recorded as cancelled.
    Cancel { id: u32 },
}

pub(crate) fn read_ids(path: &str) -> Result<String, Error> {
    let mut s = String::new();
    if path == "-" {
        std::io::stdin().read_to_string(&mut s)?;
    } else {
        s = std::fs::read_to_string(path)
            .map_err(|e| Error::Invalid(format!("--ids {path}: {e}")))?;
    }
    Ok(s)
}

async fn selection(desk: &Desk, a: &BulkArgs) -> Result<Selection, Error> {
    choose(desk, &a.filter, a.ids.as_deref()).await
}

/// The tickets `--ids FILE` or the filter flags stand for (one of the two).
pub(crate) async fn choose(
    desk: &Desk,
    filter: &crate::FilterArgs,
    ids: Option<&str>,
) -> Result<Selection, Error> {
    match (ids, filter.is_set()) {
        (Some(_), true) => Err(Error::Invalid(
            "give --ids or filter flags, not both".into(),
        )),
        (Some(p), false) => Ok(Selection::Pasted { text: read_ids(p)? }),
        (None, false) => Err(Error::Invalid(
            "choose the tickets: --ids FILE (- for standard input), or filter flags before the action (see --help)".into(),
        )),
        (None, true) => Ok(Selection::Filter {
            filter: filter.filter(desk, 0, 0).await?,
        }),
    }
}

async fn action(desk: &Desk, a: &BulkAction) -> Result<Action, Error> {
    Ok(match a {
        BulkAction::Tag { tag } => Action::AddTag {
            tag_id: resolve(desk, "tag", tag).await?,
        },
        BulkAction::Untag { tag } => Action::RemoveTag {
            tag_id: resolve(desk, "tag", tag).await?,
        },
        BulkAction::AssignTeam { team } => Action::AssignTeam {
            team_id: resolve(desk, "team", team).await?,
        },
        BulkAction::AssignUser { user } => Action::AssignUser {
            user_id: resolve(desk, "user", user).await?,
        },
        BulkAction::Close => Action::Close,
        BulkAction::Reopen => Action::Reopen,
        BulkAction::Spam => Action::MarkSpam,
        BulkAction::Unspam => Action::UnmarkSpam,
        BulkAction::Note { text } => Action::AddNote {
            text: if text == "-" {
                std::io::read_to_string(std::io::stdin()).map_err(|e| {
                    Error::Invalid(format!(
                        "the note could not be read from standard input: {e}"
                    ))
                })?
            } else {
                text.clone()
            },
            note_id: None,
        },
        BulkAction::SetField { assignment } => {
            let (name, value) = crate::split_assignment(assignment)?;
            desk.tickets()
                .field_change(name, value, desk_core::EntityType::Ticket)
                .await?
        }
    })
}

pub(crate) fn print_plan(p: &JobPlan) {
    errln!("{} — {}", p.title, p.selection);
    for c in &p.changes {
        errln!(
            "  {}: {} to change, {} already so (skipped)",
            c.label,
            c.change,
            c.already
        );
    }
    if p.unknown > 0 {
        errln!("  {} tickets are not in the cache", p.unknown);
    }
    let when = p
        .cache_read_at
        .as_deref()
        .map(|t| format!(" (as the cache read them at {t})"))
        .unwrap_or_default();
    errln!(
        "  the counts are the cache's{when}; each ticket is read from Trengo right before it is changed, and that read decides ({} reads{})",
        p.reads,
        if p.pages > 0 {
            format!(", {} of them list pages of 25", p.pages)
        } else {
            String::new()
        }
    );
    if let Some(n) = &p.undo_notice {
        errln!("  {n}");
    }
    if p.duplicates > 0 {
        errln!("  {} repeated ids are taken once", p.duplicates);
    }
    for x in &p.problems {
        errln!(
            "  line {}: {:?} is {}; it is left out",
            x.line,
            x.text,
            x.reason
        );
    }
    errln!(
        "  about {} requests, {} at the request budget",
        p.requests,
        duration(p.eta_secs)
    );
}

fn duration(secs: u32) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// Asks on the terminal; without one, `--yes` is required.
pub(crate) fn confirm(question: &str, yes: bool, stdin_used: bool) -> Result<bool, Error> {
    if yes {
        return Ok(true);
    }
    if stdin_used || !std::io::stdin().is_terminal() {
        return Err(Error::Invalid(
            "not asking without a terminal: add --yes to run it".into(),
        ));
    }
    eprint!("{} [y/N] ", term::clean(question));
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

/// Runs a job to its end with progress on a terminal, prints the result, and returns the exit
/// code. Ctrl-C pauses it cleanly (what is in flight finishes and is recorded); a second Ctrl-C
/// leaves at once (the job's record still says where it was).
pub async fn run_job(desk: &Desk, out: &Out, id: u32) -> Result<u8, Error> {
    let tty = std::io::stderr().is_terminal() && !out.json;
    let run = run_with_progress(desk, id, tty);
    tokio::pin!(run);
    let r = tokio::select! {
        r = &mut run => r,
        _ = tokio::signal::ctrl_c() => {
            if tty {
                errln!();
            }
            errln!("pausing job {id}: finishing what is in flight (Ctrl-C again to leave now)…");
            desk.jobs().pause(id).await?;
            tokio::select! {
                r = &mut run => r,
                _ = tokio::signal::ctrl_c() => {
                    errln!("left job {id} unfinished; `trengo-desk-cli jobs resume {id}` goes on");
                    return Ok(130);
                }
            }
        }
    };
    let v = r?;
    report(out, &v);
    if v.state == JobState::Paused {
        errln!("paused; `trengo-desk-cli jobs resume {id}` goes on");
    }
    Ok(exit_of(&v))
}

async fn run_with_progress(desk: &Desk, id: u32, tty: bool) -> Result<JobView, Error> {
    let progress = move |p: JobProgress| {
        if tty {
            eprint!(
                "\r\x1b[2Kjob {}: {}/{} · {} changed · {} already so · {} failed · {} requests · about {} left",
                p.job_id, p.finished, p.total, p.done, p.skipped, p.failed, p.requests, duration(p.eta_secs)
            );
            let _ = std::io::stderr().flush();
        }
    };
    let r = desk.jobs().run(id, &progress).await;
    if tty {
        errln!();
    }
    r
}

fn exit_of(v: &JobView) -> u8 {
    if v.failed > 0 {
        EXIT_FAILED_ITEMS
    } else if v.state == JobState::Interrupted {
        4
    } else {
        0
    }
}

fn report(out: &Out, v: &JobView) {
    if out.json {
        return out.json(v);
    }
    outln!(
        "job {} {}: {} changed, {} already so, {} failed, {} cancelled, {} pending, {} requests",
        v.id,
        v.state,
        v.done,
        v.skipped,
        v.failed,
        v.cancelled,
        v.pending,
        v.requests
    );
    if v.conflicts > 0 {
        outln!(
            "  {} changed since by someone else and left as they are: trengo-desk-cli jobs show {}",
            v.conflicts,
            v.id
        );
    }
    if let Some(r) = &v.reason {
        outln!("  stopped: {r}");
    }
    if v.failed > 0 {
        outln!(
            "  see the failures: trengo-desk-cli jobs show {} --failed; try them again: trengo-desk-cli jobs retry {}",
            v.id, v.id
        );
    }
    if v.can_undo {
        outln!("  undo: trengo-desk-cli jobs undo {}", v.id);
    }
}

pub async fn bulk(desk: &Desk, out: &Out, a: &BulkArgs) -> Result<u8, Error> {
    let act = action(desk, &a.action).await?;
    let sel = selection(desk, a).await?;
    let plan = desk.jobs().plan(&sel, std::slice::from_ref(&act)).await?;
    print_plan(&plan);
    let stdin_used = a.ids.as_deref() == Some("-");
    if !confirm(
        &format!("Run it on {} tickets?", plan.tickets),
        a.yes,
        stdin_used,
    )? {
        errln!("Nothing was changed.");
        return Ok(0);
    }
    let job = desk.jobs().create(&sel, &[act]).await?;
    errln!(
        "job {} recorded; if it is interrupted, any later command resumes it",
        job.id
    );
    run_job(desk, out, job.id).await
}

pub async fn jobs(desk: &Desk, out: &Out, cmd: &JobsCmd) -> Result<u8, Error> {
    match cmd {
        JobsCmd::List { limit } => {
            let list = desk.jobs().list(*limit).await?;
            if out.json {
                out.json(&list);
            } else {
                if list.is_empty() {
                    outln!("No jobs yet.");
                }
                for v in list {
                    outln!(
                        "{:>4}  {:<11} {:>5}/{:<5} {:>4} failed  {}  ({})",
                        v.id,
                        v.state,
                        v.done + v.skipped + v.failed + v.cancelled,
                        v.total,
                        v.failed,
                        v.title,
                        v.selection
                    );
                }
            }
        }
        JobsCmd::Show { id, csv: true, .. } => {
            print!("{}", term::clean(&desk.enrich().report_csv(*id).await?));
        }
        JobsCmd::Show { id, failed, .. } => {
            let v = desk.jobs().get(*id).await?;
            let items = desk
                .jobs()
                .items(*id, failed.then_some(ItemState::Failed))
                .await?;
            if out.json {
                out.json(&serde_json::json!({"job": v, "items": items}));
            } else {
                outln!("job {} · {} · {}", v.id, v.title, v.selection);
                report(out, &v);
                for p in &v.problems {
                    if p.line > 0 {
                        outln!("  line {}: {:?} was left out: {}", p.line, p.text, p.reason);
                    } else {
                        outln!("  {}: {}", p.text, p.reason);
                    }
                }
                for i in items {
                    outln!(
                        "  #{:<10} {:<9} {}{}",
                        i.ticket_id,
                        i.state,
                        i.steps.join("; "),
                        i.reason
                            .filter(|_| i.state != ItemState::Skipped)
                            .map(|r| format!(" — {r}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        JobsCmd::Resume { id } => return run_job(desk, out, *id).await,
        JobsCmd::Retry { id } => {
            let n = desk.jobs().retry_failed(*id).await?;
            errln!("job {id}: trying {n} failed items again");
            return run_job(desk, out, *id).await;
        }
        JobsCmd::Undo { id, yes } => {
            let v = desk.jobs().get(*id).await?;
            if !confirm(
                &format!("Undo job {id} ({}, {} tickets changed)?", v.title, v.done),
                *yes,
                false,
            )? {
                errln!("Nothing was changed.");
                return Ok(0);
            }
            let u = desk.jobs().undo(*id).await?;
            for p in &u.problems {
                errln!("  {}: {}", p.text, p.reason);
            }
            errln!("job {} recorded: {}", u.id, u.title);
            return run_job(desk, out, u.id).await;
        }
        JobsCmd::Cancel { id } => {
            let v = desk.jobs().cancel(*id).await?;
            report(out, &v);
        }
    }
    Ok(0)
}

/// Says in one line per job which jobs a dead process left unfinished (read-only commands go on
/// without them).
pub async fn mention_unfinished(desk: &Desk) -> Result<(), Error> {
    for id in desk.jobs().resumable().await? {
        errln!("job {id} is unfinished: `trengo-desk-cli jobs resume {id}`");
    }
    Ok(())
}

/// Runs every job a dead process left unfinished, before the command itself (reported on
/// standard error, so the command's output stays its own).
pub async fn resume_interrupted(desk: &Desk) -> Result<(), Error> {
    if !desk.session().has_token() {
        return Ok(());
    }
    for id in desk.jobs().resumable().await? {
        let v = desk.jobs().get(id).await?;
        errln!(
            "resuming job {id} ({}), which did not finish: {} of {} left",
            v.title,
            v.pending,
            v.total
        );
        match desk.jobs().run(id, &|_| {}).await {
            Ok(v) => errln!(
                "job {} {}: {} changed, {} already so, {} failed",
                v.id,
                v.state,
                v.done,
                v.skipped,
                v.failed
            ),
            Err(e) => errln!("job {id} could not be resumed now: {e}"),
        }
    }
    Ok(())
}
