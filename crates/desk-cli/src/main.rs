//! `trengo-desk-cli`: Trengo Desk without a window, for scripts and terminals.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[macro_use]
mod term;
mod args;
mod cmds;
mod enrich;
mod jobs;
mod macros;
mod out;
mod rules;
mod sla;
mod trends;
mod workload;

use clap::{Args, Parser, Subcommand};
use desk_core::view::{TicketContext, TicketFilter, TicketRow};
use desk_core::{Desk, DeskConfig, Error, KeyringStore, Token};
use out::Out;

const AFTER_HELP: &str = "\
Exit codes: 0 done; 1 failed; 2 bad usage; 3 no token (run login); 4 Trengo unreachable (offline);
5 not found; 6 refused input; 7 Trengo refused the token; 8 outcome unknown (check before retrying);
9 a bulk job finished with failed items (see `jobs show ID --failed`).

The token comes from TRENGO_TOKEN when set, else from the OS keyring (stored by `login`).
TRENGO_RATE_WINDOW_SECS tells the request budget a simulator's rate-limit window (Trengo's: 60).";

#[derive(Parser)]
#[command(name = "trengo-desk-cli", version, about = "Trengo Desk from the terminal: sync, search, look at and act on tickets", after_help = AFTER_HELP)]
struct Cli {
    /// Use the embedded demo workspace (a simulated Trengo in this process).
    #[arg(long, global = true)]
    demo: bool,
    /// Trengo's API base URL.
    #[arg(
        long,
        global = true,
        env = "TRENGO_BASE_URL",
        default_value = "https://app.trengo.com/api/v2"
    )]
    base_url: String,
    /// Where the local cache lives (default: the OS data directory).
    #[arg(long, global = true, env = "TRENGO_DESK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Which connected account (see `workspaces`): its id, its user's email or name. Default: the
    /// one used last on the base URL's host (or TRENGO_TOKEN's own).
    #[arg(long, global = true, env = "TRENGO_DESK_WORKSPACE")]
    workspace: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Read the cache as it is, changing nothing and asking Trengo nothing: a cache made by a
    /// newer version, or one kept as it was. Only commands that read the cache run.
    #[arg(long, global = true)]
    read_only: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum FieldCmd {
    /// Set one field (by label, slug or id) to a value checked against its type; an empty value
    /// clears it. Recorded as a job: `jobs undo N` takes it back.
    Set {
        #[arg(long, conflicts_with = "contact", required_unless_present = "contact")]
        ticket: Option<String>,
        #[arg(long)]
        contact: Option<String>,
        /// NAME=VALUE
        assignment: String,
    },
}

/// `NAME=VALUE` split at the first `=`, both trimmed; the error says what was expected.
/// A file's text, or standard input's for `-` (rules, SLA policies and macros files).
pub(crate) fn read_file(file: &str) -> Result<String, Error> {
    if file == "-" {
        Ok(std::io::read_to_string(std::io::stdin())?)
    } else {
        std::fs::read_to_string(file).map_err(|e| Error::Invalid(format!("{file}: {e}")))
    }
}

pub(crate) fn split_assignment(s: &str) -> Result<(&str, &str), Error> {
    match s.split_once('=') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim(), v.trim())),
        _ => Err(Error::Invalid(format!(
            "{s:?}: give the field as NAME=VALUE, e.g. Priority=High (an empty VALUE clears it)"
        ))),
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Store a token (read from standard input) in the OS keyring, after checking it with Trengo;
    /// its account becomes a workspace of its own (and the current one).
    Login,
    /// The Trengo accounts connected on this machine; the current one is marked.
    Workspaces,
    /// The local cache file.
    Cache {
        #[command(subcommand)]
        cmd: CacheCmd,
    },
    /// Forget the stored token (the cache stays).
    Logout {
        /// Remove the lookup sources' secrets from the OS keyring too.
        #[arg(long)]
        forget_lookup_secrets: bool,
    },
    /// What the app does in the background every 30 s: the tickets changed since the last look
    /// where Trengo can list them, else the views' first pages and the next pages of the
    /// rotation (for `--secs` seconds), within the sync's share of the budget.
    Refresh {
        /// How long the rotation may read on.
        #[arg(long, default_value_t = 0)]
        secs: u64,
    },
    /// Sync users, teams, tags, fields and the open tickets into the local cache.
    Sync {
        /// Also read every contact of the workspace into the contact index (25 a request; 2,000
        /// contacts take about 40 s at Trengo's pace).
        #[arg(long)]
        contacts: bool,
    },
    /// Search the cached tickets (`--view NAME` starts from a saved view).
    Tickets(TicketArgs),
    /// Saved views: list them with their counts, save a filter as one, or delete one.
    Views {
        #[command(subcommand)]
        cmd: Option<ViewsCmd>,
    },
    /// A ticket with its contact and thread (read from Trengo when online).
    Ticket {
        id: String,
        /// Only what the cache has; do not ask Trengo.
        #[arg(long)]
        cached: bool,
    },
    /// Add a tag to a ticket.
    Tag {
        id: String,
        #[arg(long)]
        tag: String,
    },
    /// Create a tag in Trengo (if Trengo has one of that name, in any case, it is used).
    NewTag {
        name: Vec<String>,
        /// `#rrggbb`; one is picked from the name if left out.
        #[arg(long)]
        color: Option<String>,
    },
    /// Remove a tag from a ticket.
    Untag {
        id: String,
        #[arg(long)]
        tag: String,
    },
    /// Assign a ticket to a team or a user.
    Assign {
        id: String,
        #[arg(long, conflicts_with = "user", required_unless_present = "user")]
        team: Option<String>,
        /// The user's email.
        #[arg(long)]
        user: Option<String>,
    },
    /// Close a ticket.
    Close { id: String },
    /// Reopen a ticket.
    Reopen { id: String },
    /// Merge tickets of one contact into TARGET (each read fresh first; Trengo deletes the
    /// merged ones, so it cannot be undone)
    Merge {
        target: String,
        #[arg(required = true)]
        sources: Vec<String>,
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Mark a ticket as spam (`jobs undo N` takes the mark off)
    Spam { id: String },
    /// Take a ticket's spam mark off
    Unspam { id: String },
    /// Add an internal note to a ticket.
    Note { id: String, text: Vec<String> },
    /// Auto-tagging rules: list, add, show, preview, run, enable, disable, remove, export, import.
    Rules {
        #[command(subcommand)]
        cmd: rules::RulesCmd,
    },
    /// Macros: several changes in one job, saved by name: list, add, show, run, move, remove,
    /// export, import.
    Macros {
        #[command(subcommand)]
        cmd: macros::MacrosCmd,
    },
    /// SLA policies (the radar): list, add, show, enable, disable, move, remove, export, import, replay.
    Sla {
        #[command(subcommand)]
        cmd: sla::SlaCmd,
    },
    /// The workload board: per team and agent, open, waiting, oldest wait, at risk, breached,
    /// assigned today, availability and limits (`--json`); `workload limit AGENT N` sets a limit.
    Workload {
        #[command(subcommand)]
        cmd: Option<workload::WorkloadCmd>,
    },
    /// The inbox over time, from the history kept locally: open, waiting, at risk, created,
    /// closed, reply times (`--json`: `series` with `points`; `--csv`).
    Trends(trends::TrendArgs),
    /// Create a ticket for a contact (found or made on the channel), routed, tagged and filled in,
    /// as one resumable job; `jobs undo N` deletes it while nobody has touched it.
    Create(CreateArgs),

    /// A ticket's or a contact's custom fields: `field set --ticket ID NAME=VALUE`.
    Field {
        #[command(subcommand)]
        cmd: FieldCmd,
    },
    /// Users, teams, tags, fields and channels from the cache.
    Directory,
    /// The unified resources, straight from Trengo.
    Unified {
        #[command(subcommand)]
        cmd: UnifiedCmd,
    },
    /// Print one JSON line per ticket newly assigned to you or your teams, until interrupted.
    Watch {
        /// Seconds between polls (default: the workspace setting, 20).
        #[arg(long)]
        interval: Option<u64>,
    },
    /// Change many tickets in one durable job: tag, untag, assign-team, assign-user, close, reopen.
    Bulk(jobs::BulkArgs),
    /// Bulk jobs: list, show, resume, retry, undo, cancel.
    Jobs {
        #[command(subcommand)]
        cmd: jobs::JobsCmd,
    },
    /// Fill contact fields from a lookup source: preview by default, --apply to write.
    Enrich {
        #[arg(long)]
        source: String,
        /// A file of customer ids (one per line, or separated by commas, semicolons, tabs or
        /// spaces); `-` reads standard input.
        #[arg(long)]
        ids: String,
        /// Write the changed fields (a durable job, undoable with `jobs undo`).
        #[arg(long)]
        apply: bool,
        #[arg(long, short = 'y')]
        yes: bool,
        /// Write the job's report (CSV) here.
        #[arg(long)]
        report: Option<String>,
    },
    /// Lookup sources for enrichment: list, add, test.
    Sources {
        #[command(subcommand)]
        cmd: enrich::SourcesCmd,
    },
    /// Any Trengo call, paced and retried like the rest: METHOD PATH [--data JSON] [--query k=v].
    Proxy {
        method: String,
        path: String,
        #[arg(long)]
        data: Option<String>,
        #[arg(long = "query", value_parser = parse_kv)]
        query: Vec<(String, String)>,
    },
}

/// The `tickets` search flags, also the filter of `bulk`.
#[derive(Args, Clone)]
struct FilterArgs {
    /// open (default), unassigned, assigned, closed, spam, any (Trengo's OPEN, ASSIGNED, CLOSED
    /// and INVALID work too, in any case).
    #[arg(long)]
    status: Option<String>,
    /// A team's name (after `bulk assign-team`: --in-team).
    #[arg(long, alias = "in-team")]
    team: Option<String>,
    /// A tag's name (after `bulk tag` or `bulk untag`: --has-tag).
    #[arg(long, alias = "has-tag")]
    tag: Option<String>,
    /// The assignee's email.
    #[arg(long)]
    assignee: Option<String>,
    /// Words to find in subject, latest message, contact name, email or phone.
    #[arg(long)]
    text: Option<String>,
}

impl FilterArgs {
    fn is_set(&self) -> bool {
        self.status.is_some()
            || self.team.is_some()
            || self.tag.is_some()
            || self.assignee.is_some()
            || self.text.is_some()
    }

    /// The filter over the cache, names resolved to ids.
    async fn filter(&self, desk: &Desk, offset: u32, limit: u32) -> Result<TicketFilter, Error> {
        let by = |kind: &'static str, v: &Option<String>| {
            let v = v.clone();
            async move {
                match v {
                    Some(t) => resolve(desk, kind, &t).await.map(Some),
                    None => Ok(None),
                }
            }
        };
        Ok(TicketFilter {
            status: self
                .status
                .as_deref()
                .map(desk_core::view::StatusFilter::parse)
                .transpose()?,
            team_id: by("team", &self.team).await?,
            tag_id: by("tag", &self.tag).await?,
            assignee_id: by("user", &self.assignee).await?,
            text: self.text.clone(),
            sla: None,
            sort: None,
            channel_id: None,
            period: None,
            offset,
            limit,
        })
    }
}

#[derive(Args, Clone)]
struct TicketArgs {
    /// A saved view's name (any case); the other filters narrow it.
    #[arg(long)]
    view: Option<String>,
    #[command(flatten)]
    filter: FilterArgs,
    /// Only tickets at risk of breaching their SLA.
    #[arg(long = "at-risk", conflicts_with = "breached")]
    at_risk: bool,
    /// Only tickets that breached their SLA.
    #[arg(long)]
    breached: bool,
    /// updated (default), updated_asc, created, created_asc, next-breach, waiting.
    #[arg(long)]
    sort: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long, default_value_t = 0)]
    offset: u32,
}

#[derive(Subcommand)]
enum ViewsCmd {
    /// Every saved view with how many cached tickets it holds (the default).
    List,
    /// Save the filter as a view named NAME (the app's sidebar shows it too).
    Save {
        name: String,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Delete the view named NAME.
    Delete { name: String },
}

#[derive(Subcommand)]
enum UnifiedCmd {
    /// tickets, ticket_status, comments, contacts, attachments, fields, tags, teams, users, groups, roles
    List {
        resource: String,
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        cursor: Option<String>,
        /// For comments and attachments.
        #[arg(long)]
        ticket: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        search: Option<String>,
    },
    Get {
        resource: String,
        id: String,
    },
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?} is not key=value"))
}

fn exit_code(e: &Error) -> u8 {
    use desk_core::ErrorCode as C;
    match e.code() {
        C::NeedsLogin => 3,
        C::Offline => 4,
        C::NotFound => 5,
        C::Validation | C::Invalid => 6,
        C::Unauthorized => 7,
        C::UnknownOutcome => 8,
        _ => 1,
    }
}

/// Whether a command only reads the cache (what `--read-only` runs).
fn reads_the_cache_only(cmd: &Cmd) -> bool {
    match cmd {
        Cmd::Tickets(_) | Cmd::Directory | Cmd::Trends(_) => true,
        Cmd::Ticket { cached, .. } => *cached,
        Cmd::Views { cmd } => cmd.is_none(),
        Cmd::Workload { cmd } => cmd.is_none(),
        Cmd::Jobs { cmd } => matches!(cmd, jobs::JobsCmd::List { .. } | jobs::JobsCmd::Show { .. }),
        Cmd::Rules { cmd } => matches!(
            cmd,
            rules::RulesCmd::List | rules::RulesCmd::Show { .. } | rules::RulesCmd::Export
        ),
        Cmd::Sla { cmd } => matches!(
            cmd,
            sla::SlaCmd::List | sla::SlaCmd::Show { .. } | sla::SlaCmd::Export
        ),
        Cmd::Macros { cmd } => matches!(
            cmd,
            macros::MacrosCmd::List | macros::MacrosCmd::Show { .. } | macros::MacrosCmd::Export
        ),
        _ => false,
    }
}

async fn open(cli: &Cli) -> Result<Desk, Error> {
    if cli.demo {
        let desk = Desk::open_demo(
            cli.data_dir.clone(),
            desk_core::DemoOptions {
                fresh: false,
                ..Default::default()
            },
        )
        .await?;
        if desk.directory().freshness().await?.last_sync_at.is_none()
            && !matches!(cli.cmd, Cmd::Sync { .. })
        {
            errln!("demo: first use, syncing the demo workspace (at Trengo's pace of 120 requests a minute)…");
            sync(&desk, cli.json).await?;
        }
        return Ok(desk);
    }
    let token = std::env::var("TRENGO_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(Token::new);
    Desk::open(config(cli, token)?).await
}

fn config(cli: &Cli, token: Option<Token>) -> Result<DeskConfig, Error> {
    Ok(DeskConfig {
        base_url: cli.base_url.clone(),
        workspace: cli.workspace.clone(),
        data_dir: cli.data_dir.clone(),
        token,
        secrets: Arc::new(KeyringStore::new()),
        budget: budget_from_env()?,
        read_only: cli.read_only,
    })
}

/// Trengo counts requests in one-minute windows; a simulator may count in shorter ones
/// (`TRENGO_RATE_WINDOW_SECS`), and the budget must know.
fn budget_from_env() -> Result<Option<desk_core::BudgetConfig>, Error> {
    let Ok(v) = std::env::var("TRENGO_RATE_WINDOW_SECS") else {
        return Ok(None);
    };
    let secs: f64 = v
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| *s >= 1.0)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "TRENGO_RATE_WINDOW_SECS={v:?} is not a number of seconds (at least 1)"
            ))
        })?;
    Ok(Some(desk_core::BudgetConfig {
        window: std::time::Duration::from_secs_f64(secs),
        ..Default::default()
    }))
}

async fn sync(desk: &Desk, json: bool) -> Result<desk_core::SyncReport, Error> {
    let tty = std::io::stderr().is_terminal() && !json;
    let progress = move |p: desk_core::SyncProgress| {
        if tty {
            eprint!(
                "\r\x1b[2Ksync: {} · page {} · {} items · {} requests",
                if p.resource.is_empty() {
                    p.phase.as_str()
                } else {
                    &p.resource
                },
                p.pages,
                p.items,
                p.requests
            );
            let _ = std::io::stderr().flush();
        }
    };
    let r = desk.sync().run(&progress, &AtomicBool::new(false)).await;
    if tty {
        errln!();
    }
    r
}

async fn find(desk: &Desk, kind: &str, v: &str) -> Result<Option<String>, Error> {
    let n = match kind {
        "team" => desk.directory().find_team(v).await?,
        "tag" => desk.directory().find_tag(v).await?,
        _ => desk.directory().find_user(v).await?,
    };
    Ok(n.map(|n| n.id))
}

async fn resolve(desk: &Desk, kind: &str, v: &str) -> Result<String, Error> {
    if let Some(id) = find(desk, kind, v).await? {
        return Ok(id);
    }
    // New in Trengo, or a fresh cache: the directory is a few requests away.
    if desk.session().has_token() {
        desk.sync().directory().await?;
        if let Some(id) = find(desk, kind, v).await? {
            return Ok(id);
        }
    }
    Err(Error::NotFound(format!(
        "there is no {kind} {v:?} in this workspace{}",
        if kind == "user" {
            " (give the user's email)"
        } else {
            ""
        }
    )))
}

/// `create`: a new ticket.
#[derive(Args)]
pub(crate) struct CreateArgs {
    /// An email address, a phone number (starting with + or 0) or a contact id.
    #[arg(long)]
    pub contact: String,
    /// The channel's name or id (`directory` lists them).
    #[arg(long)]
    pub channel: String,
    #[arg(long)]
    pub subject: String,
    /// Posted as an internal note on the new ticket (nothing is sent to the customer).
    #[arg(long)]
    pub message: Option<String>,
    #[arg(long)]
    pub team: Option<String>,
    /// The user's email.
    #[arg(long)]
    pub user: Option<String>,
    /// A tag by name (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// NAME=VALUE for a ticket field (repeatable).
    #[arg(long = "field")]
    pub fields: Vec<String>,
}

#[derive(Subcommand)]
enum CacheCmd {
    /// Move the workspace's cache aside (a damaged one, or one a newer version made): the next
    /// start makes a new one and reads the inbox again; the moved file keeps its jobs' records.
    MoveAside,
}

async fn run(cli: Cli) -> Result<u8, Error> {
    let out = Out { json: cli.json };
    // These need no open workspace: login opens (or makes) the token's own.
    if let Some(code) = cmds::without_workspace(&cli, &out).await? {
        return Ok(code);
    }
    if cli.read_only {
        if cli.demo || !reads_the_cache_only(&cli.cmd) {
            return Err(Error::Invalid(
                "--read-only runs only what reads the cache as it is: tickets, ticket --cached, directory, views, trends, workload, jobs list|show, and the list, show and export of rules, sla and macros".into(),
            ));
        }
        return dispatch(&cli, &out, &open(&cli).await?).await;
    }
    let desk = open(&cli).await?;
    // A job a killed process left unfinished goes on before a command that writes; a command
    // that only reads says so in one line and goes on.
    let writes = match &cli.cmd {
        Cmd::Tag { .. }
        | Cmd::Untag { .. }
        | Cmd::Assign { .. }
        | Cmd::Close { .. }
        | Cmd::Reopen { .. }
        | Cmd::Spam { .. }
        | Cmd::Unspam { .. }
        | Cmd::Merge { .. }
        | Cmd::Note { .. }
        | Cmd::Field { .. }
        | Cmd::Create(_)
        | Cmd::NewTag { .. }
        | Cmd::Bulk(_)
        | Cmd::Enrich { apply: true, .. }
        | Cmd::Watch { .. }
        | Cmd::Sync { .. }
        | Cmd::Refresh { .. } => true,
        Cmd::Rules { cmd } => matches!(cmd, rules::RulesCmd::Run { .. }),
        Cmd::Macros { cmd } => matches!(cmd, macros::MacrosCmd::Run(_)),
        Cmd::Jobs { cmd } => matches!(
            cmd,
            jobs::JobsCmd::Retry { .. } | jobs::JobsCmd::Undo { .. }
        ),
        Cmd::Proxy { method, .. } => !method.eq_ignore_ascii_case("GET"),
        _ => false,
    };
    let inspecting = matches!(
        cli.cmd,
        Cmd::Login
            | Cmd::Logout { .. }
            | Cmd::Sources { .. }
            | Cmd::Jobs {
                cmd: jobs::JobsCmd::List { .. }
                    | jobs::JobsCmd::Show { .. }
                    | jobs::JobsCmd::Cancel { .. }
                    | jobs::JobsCmd::Resume { .. }
            }
    );
    if writes {
        jobs::resume_interrupted(&desk).await?;
    } else if !inspecting && desk.session().has_token() {
        jobs::mention_unfinished(&desk).await?;
    }
    dispatch(&cli, &out, &desk).await
}

/// Runs one command on an open workspace.
async fn dispatch(cli: &Cli, out: &Out, desk: &Desk) -> Result<u8, Error> {
    match &cli.cmd {
        Cmd::Bulk(a) => jobs::bulk(desk, out, a).await,
        Cmd::Rules { cmd } => rules::rules(desk, out, cmd).await,
        Cmd::Macros { cmd } => macros::macros(desk, out, cmd).await,
        Cmd::Sla { cmd } => sla::sla(desk, out, cmd).await,
        Cmd::Workload { cmd } => workload::workload(desk, out, cmd.as_ref()).await,
        Cmd::Trends(a) => trends::trends(desk, out, a).await,
        Cmd::Jobs { cmd } => jobs::jobs(desk, out, cmd).await,
        Cmd::Enrich {
            source,
            ids,
            apply,
            yes,
            report,
        } => return enrich::enrich(desk, out, source, ids, *apply, *yes, report.as_deref()).await,
        Cmd::Sources { cmd } => enrich::sources(desk, out, cmd).await,
        Cmd::Login | Cmd::Workspaces => {
            Err(Error::Invalid("the demo workspace needs no login".into()))
        }
        Cmd::Cache { .. } => Err(Error::Invalid(
            "the demo workspace starts a fresh cache each time".into(),
        )),
        Cmd::Logout {
            forget_lookup_secrets,
        } => cmds::logout(desk, forget_lookup_secrets).await,
        Cmd::Refresh { secs } => cmds::refresh(desk, out, secs).await,
        Cmd::Sync { contacts } => cmds::sync_inbox(desk, out, cli, contacts).await,
        Cmd::Tickets(a) => cmds::tickets(desk, out, a).await,
        Cmd::Ticket { id, cached } => cmds::ticket(desk, out, id, cached).await,
        Cmd::NewTag { name, color } => cmds::new_tag(desk, out, name, color).await,
        Cmd::Tag { id, tag } => {
            out.done(
                &desk
                    .tickets()
                    .add_tag(id, &resolve(desk, "tag", tag).await?)
                    .await?,
            );
            Ok(0)
        }
        Cmd::Untag { id, tag } => {
            out.done(
                &desk
                    .tickets()
                    .remove_tag(id, &resolve(desk, "tag", tag).await?)
                    .await?,
            );
            Ok(0)
        }
        Cmd::Assign { id, team, user } => cmds::assign(desk, out, id, team, user).await,
        Cmd::Close { id } | Cmd::Reopen { id } | Cmd::Spam { id } | Cmd::Unspam { id } => {
            cmds::status(desk, out, &cli.cmd, id).await
        }
        Cmd::Create(a) => cmds::create(desk, out, a).await,
        Cmd::Merge {
            target,
            sources,
            yes,
        } => cmds::merge(desk, out, target, sources, *yes).await,
        Cmd::Field {
            cmd:
                FieldCmd::Set {
                    ticket,
                    contact,
                    assignment,
                },
        } => cmds::field(desk, out, ticket.as_deref(), contact.as_deref(), assignment).await,
        Cmd::Note { id, text } => cmds::note(desk, out, id, text).await,
        Cmd::Views { cmd } => cmds::views(desk, out, cmd.as_ref()).await,
        Cmd::Directory => cmds::directory(desk, out).await,
        Cmd::Unified { cmd } => cmds::unified(desk, cmd).await,
        Cmd::Watch { interval } => cmds::watch(desk, interval).await,
        Cmd::Proxy {
            method,
            path,
            data,
            query,
        } => cmds::proxy(desk, out, method, path, data, query).await,
    }
}

fn trengo_unified_params(
    limit: Option<u32>,
    cursor: Option<String>,
    ticket: Option<String>,
    status: Option<String>,
    search: Option<String>,
) -> desk_core::ListParams {
    desk_core::ListParams {
        limit,
        cursor,
        ticket_id: ticket,
        status,
        search,
        ..Default::default()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(args::filters_before_action(std::env::args().collect()));
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TRENGO_DESK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}
