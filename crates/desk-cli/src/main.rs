//! `trengo-desk-cli`: Trengo Desk without a window, for scripts and terminals.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

#[macro_use]
mod term;
mod args;
mod enrich;
mod jobs;
mod rules;

use clap::{Args, Parser, Subcommand};
use desk_core::view::{TicketContext, TicketFilter, TicketRow};
use desk_core::{Desk, DeskConfig, Error, KeyringStore, Token};
use serde::Serialize;

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
    /// Add an internal note to a ticket.
    Note { id: String, text: Vec<String> },
    /// Auto-tagging rules: list, add, show, preview, run, enable, disable, remove, export, import.
    Rules {
        #[command(subcommand)]
        cmd: rules::RulesCmd,
    },
    /// Create a ticket for a contact (found or made on the channel), routed, tagged and filled in,
    /// as one resumable job; `jobs undo N` deletes it while nobody has touched it.
    Create {
        /// An email address, a phone number (starting with + or 0) or a contact id.
        #[arg(long)]
        contact: String,
        /// The channel's name or id (`directory` lists them).
        #[arg(long)]
        channel: String,
        #[arg(long)]
        subject: String,
        /// Posted as an internal note on the new ticket (nothing is sent to the customer).
        #[arg(long)]
        message: Option<String>,
        #[arg(long)]
        team: Option<String>,
        /// The user's email.
        #[arg(long)]
        user: Option<String>,
        /// A tag by name (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// NAME=VALUE for a ticket field (repeatable).
        #[arg(long = "field")]
        fields: Vec<String>,
    },
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
            sort: None,
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

struct Out {
    json: bool,
}

impl Out {
    fn json<T: Serialize>(&self, v: &T) {
        outln!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    }

    /// A single action's result: the ticket as it now stands, and the job that can undo it.
    fn done(&self, d: &desk_core::jobs::ActionDone) {
        if self.json {
            return self.json(d);
        }
        if let Some(r) = &d.row {
            self.row(r);
        }
        if d.changed {
            errln!(
                "{} (job {}; `trengo-desk-cli jobs undo {}` takes it back)",
                d.job.title,
                d.job.id,
                d.job.id
            );
        } else {
            errln!("{}: already so in Trengo, nothing was sent", d.job.title);
        }
    }

    fn row(&self, r: &TicketRow) {
        if self.json {
            return self.json(r);
        }
        let tags: Vec<&str> = r.tags.iter().map(|t| t.name.as_str()).collect();
        outln!(
            "#{:<10} {:<9} {:<44} {:<22} {:<18} {:<18} {}",
            r.id,
            r.status,
            cut(
                r.subject
                    .as_deref()
                    .or(r.preview.as_deref())
                    .unwrap_or("(no subject)"),
                44
            ),
            cut(
                r.contact.as_ref().map(|c| c.name.as_str()).unwrap_or("—"),
                22
            ),
            cut(r.team.as_ref().map(|c| c.name.as_str()).unwrap_or("—"), 18),
            cut(
                r.assignee.as_ref().map(|c| c.name.as_str()).unwrap_or("—"),
                18
            ),
            tags.join(", ")
        );
    }

    fn context(&self, c: &TicketContext) {
        if self.json {
            return self.json(c);
        }
        let t = &c.ticket;
        outln!(
            "#{}  {}  ·  {}",
            t.id,
            t.subject.as_deref().unwrap_or("(no subject)"),
            t.status
        );
        outln!(
            "team: {}   assignee: {}   channel: {}",
            name(&t.team),
            name(&t.assignee),
            name(&t.channel)
        );
        outln!(
            "tags: {}",
            if t.tags.is_empty() {
                "—".into()
            } else {
                t.tags
                    .iter()
                    .map(|g| g.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        if let Some(u) = &c.ticket_url {
            outln!("open in Trengo: {u}");
        }
        if !c.fields.is_empty() {
            outln!("\nticket fields:");
            for f in &c.fields {
                outln!("  {:<18} {}", f.label, f.value.as_deref().unwrap_or("—"));
            }
        }
        if let Some(k) = &c.contact {
            outln!(
                "\ncontact: {} ({})",
                k.name,
                k.identifier.as_deref().unwrap_or("—")
            );
            for f in &k.fields {
                outln!("  {:<18} {}", f.label, f.value.as_deref().unwrap_or("—"));
            }
        }
        outln!("\nthread:");
        for m in &c.messages {
            let who = m.author.as_deref().unwrap_or("");
            let label = match m.kind.as_str() {
                "note" => "NOTE (internal)",
                "outbound" => "outbound",
                _ => "inbound",
            };
            outln!(
                "  ▸ {label} {} {who}",
                m.created_at.as_deref().unwrap_or("")
            );
            for line in m.body.lines() {
                outln!("      {line}");
            }
        }
        if c.messages_synced_at.is_none() {
            outln!("  (only the latest message is cached; open it online for the whole thread)");
        }
    }
}

fn name(n: &Option<desk_core::view::Named>) -> String {
    n.as_ref()
        .map(|x| x.name.clone())
        .unwrap_or_else(|| "—".into())
}

fn cut(s: &str, max: usize) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        s
    } else {
        let mut o: String = s.chars().take(max - 1).collect();
        o.push('…');
        o
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
                    &p.phase
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

#[derive(Subcommand)]
enum CacheCmd {
    /// Move the workspace's cache aside (a damaged one, or one a newer version made): the next
    /// start makes a new one and reads the inbox again; the moved file keeps its jobs' records.
    MoveAside,
}

async fn run(cli: Cli) -> Result<u8, Error> {
    let out = Out { json: cli.json };
    // These need no open workspace: login opens (or makes) the token's own.
    match &cli.cmd {
        Cmd::Login if !cli.demo => {
            let mut token = String::new();
            std::io::stdin().read_to_string(&mut token)?;
            let token = Token::new(token.trim());
            if token.is_empty() {
                return Err(Error::Invalid(
                    "no token on standard input: echo \"$TOKEN\" | trengo-desk-cli login".into(),
                ));
            }
            let (desk, me) = Desk::sign_in(config(&cli, None)?, token).await?;
            if out.json {
                out.json(&me);
            } else {
                outln!(
                    "Connected as {} ({}) in workspace {}; the token is in the OS keyring.",
                    me.name,
                    me.email.as_deref().unwrap_or("no email"),
                    desk.session().workspace()
                );
            }
            return Ok(0);
        }
        Cmd::Cache {
            cmd: CacheCmd::MoveAside,
        } if !cli.demo => {
            let to = Desk::move_cache_aside(cli.data_dir.as_deref(), cli.workspace.as_deref())?;
            outln!(
                "The cache is now {}; the next command starts a new one.",
                to.display()
            );
            return Ok(0);
        }
        Cmd::Workspaces => {
            let list = Desk::workspaces(cli.data_dir.as_deref());
            if out.json {
                out.json(&list);
            } else if list.is_empty() {
                outln!("No workspace yet: echo \"$TOKEN\" | trengo-desk-cli login");
            } else {
                for (i, w) in list.iter().enumerate() {
                    outln!(
                        "{} {:<32} {:<28} {}",
                        if i == 0 { "*" } else { " " },
                        w.id,
                        w.email.as_deref().unwrap_or(&w.user_name),
                        w.base_url
                    );
                }
            }
            return Ok(0);
        }
        _ => {}
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
        | Cmd::Note { .. }
        | Cmd::Field { .. }
        | Cmd::Create { .. }
        | Cmd::NewTag { .. }
        | Cmd::Bulk(_)
        | Cmd::Enrich { apply: true, .. }
        | Cmd::Watch { .. }
        | Cmd::Sync { .. }
        | Cmd::Refresh { .. } => true,
        Cmd::Rules { cmd } => matches!(cmd, rules::RulesCmd::Run { .. }),
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
    match &cli.cmd {
        Cmd::Bulk(a) => return jobs::bulk(&desk, &out, a).await,
        Cmd::Rules { cmd } => return rules::rules(&desk, &out, cmd).await,
        Cmd::Jobs { cmd } => return jobs::jobs(&desk, &out, cmd).await,
        Cmd::Enrich {
            source,
            ids,
            apply,
            yes,
            report,
        } => {
            return enrich::enrich(&desk, &out, source, ids, *apply, *yes, report.as_deref()).await
        }
        Cmd::Sources { cmd } => return enrich::sources(&desk, &out, cmd).await,
        Cmd::Login | Cmd::Workspaces => {
            return Err(Error::Invalid("the demo workspace needs no login".into()))
        }
        Cmd::Cache { .. } => {
            return Err(Error::Invalid(
                "the demo workspace starts a fresh cache each time".into(),
            ))
        }
        Cmd::Logout {
            forget_lookup_secrets,
        } => {
            let kept = if *forget_lookup_secrets {
                0
            } else {
                desk.enrich().lookup_secret_count().await?
            };
            desk.session().logout(*forget_lookup_secrets).await?;
            outln!("The token is forgotten; the cache stays for reading.");
            if kept > 0 {
                outln!("{kept} lookup secret(s) stay in the OS keyring: logout --forget-lookup-secrets removes them.");
            } else if *forget_lookup_secrets {
                outln!("The lookup sources' secrets are removed from the OS keyring too.");
            }
        }
        Cmd::Refresh { secs } => {
            let r = desk
                .sync()
                .refresh(
                    std::time::Duration::from_secs(*secs),
                    &|_| {},
                    &std::sync::atomic::AtomicBool::new(false),
                )
                .await?;
            if out.json {
                out.json(&r);
            } else {
                outln!(
                    "Refreshed in {} mode: {} tickets read with {} requests ({} rotation pages{}).",
                    match r.mode {
                        Some(desk_core::SyncMode::Incremental) => "incremental",
                        _ => "rotation",
                    },
                    r.tickets,
                    r.requests,
                    r.rotation_pages,
                    if r.whole_read {
                        "; a whole pass over the working set ended"
                    } else {
                        ""
                    }
                );
            }
        }
        Cmd::Sync { contacts } => {
            let r = sync(&desk, cli.json).await?;
            for s in &r.skipped {
                errln!("skipped {s}");
            }
            let ix = if *contacts {
                let tty = std::io::stderr().is_terminal() && !cli.json;
                let ix = desk
                    .sync()
                    .finish_contact_index(&|ix: &desk_core::sync::ContactIndex| {
                        if tty {
                            eprint!("\r\x1b[2Kcontacts: {} read in this pass", ix.pass_seen);
                            let _ = std::io::stderr().flush();
                        }
                    })
                    .await?;
                if tty {
                    errln!();
                }
                Some(ix)
            } else {
                None
            };
            if out.json {
                out.json(&serde_json::json!({"sync": r, "contacts": ix}));
            } else {
                outln!(
                    "Synced {} tickets ({} left the working set, {} deleted in Trengo) in {:.1} s with {} requests.",
                    r.tickets, r.left_working_set, r.deleted, r.seconds, r.requests
                );
                if let Some(ix) = ix {
                    outln!("Contact index complete: {} contacts.", ix.indexed);
                }
            }
        }
        Cmd::Tickets(a) => {
            let mut f = a.filter.filter(&desk, a.offset, a.limit).await?;
            if let Some(name) = &a.view {
                let v = desk.views().find(name).await?.filter;
                f = TicketFilter {
                    status: f.status.or(v.status),
                    team_id: f.team_id.or(v.team_id),
                    tag_id: f.tag_id.or(v.tag_id),
                    assignee_id: f.assignee_id.or(v.assignee_id),
                    text: match (f.text, v.text) {
                        (Some(a), Some(b)) => Some(format!("{b} {a}")),
                        (a, b) => a.or(b),
                    },
                    sort: v.sort,
                    ..f
                };
            }
            let r = desk.tickets().search(&f).await?;
            if out.json {
                out.json(&r);
            } else {
                for row in &r.rows {
                    out.row(row);
                }
                let fresh = desk.directory().freshness().await?;
                errln!(
                    "{} of {} matching · cache synced {}",
                    r.rows.len(),
                    r.total,
                    fresh
                        .age_secs
                        .map(|s| format!("{} min ago", s / 60))
                        .unwrap_or_else(|| "never (run sync)".into())
                );
            }
        }
        Cmd::Ticket { id, cached } => {
            let ctx = if *cached || !desk.session().has_token() {
                desk.tickets().context(id).await?
            } else {
                match desk.tickets().refresh(id).await {
                    Ok(c) => c,
                    Err(e) if e.is_offline() => {
                        errln!("offline: showing the cached ticket");
                        desk.tickets().context(id).await?
                    }
                    Err(e) => return Err(e),
                }
            };
            out.context(&ctx);
        }
        Cmd::NewTag { name, color } => {
            let r = desk
                .directory()
                .create_tag(&name.join(" "), color.as_deref())
                .await?;
            if out.json {
                out.json(&r);
            } else if r.created {
                outln!("tag {} {:?} created", r.tag.id, r.tag.name);
            } else {
                outln!("tag {} {:?} was already in Trengo", r.tag.id, r.tag.name);
            }
        }
        Cmd::Tag { id, tag } => out.done(
            &desk
                .tickets()
                .add_tag(id, &resolve(&desk, "tag", tag).await?)
                .await?,
        ),
        Cmd::Untag { id, tag } => out.done(
            &desk
                .tickets()
                .remove_tag(id, &resolve(&desk, "tag", tag).await?)
                .await?,
        ),
        Cmd::Assign { id, team, user } => {
            let row = match (team, user) {
                (Some(t), _) => {
                    desk.tickets()
                        .assign_team(id, &resolve(&desk, "team", t).await?)
                        .await?
                }
                (None, Some(u)) => {
                    desk.tickets()
                        .assign_user(id, &resolve(&desk, "user", u).await?)
                        .await?
                }
                (None, None) => {
                    return Err(Error::Invalid("give --team NAME or --user EMAIL".into()))
                }
            };
            out.done(&row);
        }
        Cmd::Close { id } => out.done(&desk.tickets().close(id).await?),
        Cmd::Reopen { id } => out.done(&desk.tickets().reopen(id).await?),
        Cmd::Create {
            contact,
            channel,
            subject,
            message,
            team,
            user,
            tags,
            fields,
        } => {
            let mut req = desk_core::jobs::NewTicket {
                channel: channel.clone(),
                contact: contact.clone(),
                subject: subject.clone(),
                message: message.clone(),
                ..Default::default()
            };
            if let Some(t) = team {
                req.team = Some(resolve(&desk, "team", t).await?);
            }
            if let Some(u) = user {
                req.user = Some(resolve(&desk, "user", u).await?);
            }
            for t in tags {
                req.tags.push(resolve(&desk, "tag", t).await?);
            }
            for f in fields {
                let (field, value) = split_assignment(f)?;
                req.fields.push(desk_core::jobs::FieldInput {
                    field: field.into(),
                    value: value.into(),
                });
            }
            let made = desk.tickets().create_ticket(&req).await?;
            if out.json {
                out.json(&made);
            } else {
                if let Some(r) = &made.row {
                    out.row(r);
                }
                errln!(
                    "ticket #{} created (job {}; `trengo-desk-cli jobs undo {}` deletes it while nobody has touched it)",
                    made.ticket_id, made.job.id, made.job.id
                );
            }
        }
        Cmd::Field {
            cmd:
                FieldCmd::Set {
                    ticket,
                    contact,
                    assignment,
                },
        } => {
            let (name, value) = split_assignment(assignment)?;
            let done = match (ticket, contact) {
                (Some(t), _) => desk.tickets().set_ticket_field(t, name, value).await?,
                (None, Some(c)) => desk.tickets().set_contact_field(c, name, value).await?,
                (None, None) => {
                    return Err(Error::Invalid("give --ticket ID or --contact ID".into()))
                }
            };
            out.done(&done);
        }
        Cmd::Note { id, text } => {
            let m = desk.tickets().add_note(id, &text.join(" ")).await?;
            if out.json {
                out.json(&m);
            } else {
                outln!("Note added to #{id}.");
                errln!(
                    "job {}; `trengo-desk-cli jobs undo {}` deletes it",
                    m.job.id,
                    m.job.id
                );
            }
        }
        Cmd::Views { cmd } => match cmd.as_ref().unwrap_or(&ViewsCmd::List) {
            ViewsCmd::List => {
                let views = desk.views().list().await?;
                if out.json {
                    out.json(&views);
                } else if views.is_empty() {
                    errln!("no saved views yet: `views save NAME --status … --team …`");
                } else {
                    for v in &views {
                        outln!("{:>6}  {}", v.count, v.name);
                    }
                }
            }
            ViewsCmd::Save { name, filter } => {
                if !filter.is_set() {
                    return Err(Error::Invalid(
                        "a saved view needs at least one filter (--status, --team, --tag, --assignee or --text)".into(),
                    ));
                }
                let f = filter.filter(&desk, 0, 0).await?;
                let v = desk.views().save(name, &f).await?;
                if out.json {
                    out.json(&v);
                } else {
                    outln!("saved view {:?}: {} tickets now", v.name, v.count);
                }
            }
            ViewsCmd::Delete { name } => {
                let v = desk.views().find(name).await?;
                desk.views().delete(v.id).await?;
                if !out.json {
                    outln!("deleted view {:?}", v.name);
                }
            }
        },
        Cmd::Directory => {
            let d = desk.directory().lists().await?;
            if out.json {
                out.json(&d);
            } else {
                outln!("teams:");
                for t in &d.teams {
                    outln!(
                        "  {:<24} {:>4} open   {} members",
                        t.name,
                        t.open_count,
                        t.member_ids.len()
                    );
                }
                outln!("users:");
                for u in &d.users {
                    outln!(
                        "  {:<28} {:<36} {}",
                        u.name,
                        u.email.as_deref().unwrap_or("—"),
                        u.role.as_deref().unwrap_or("")
                    );
                }
                outln!(
                    "tags: {}",
                    d.tags
                        .iter()
                        .map(|t| t.name.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let z = desk.session().trengo_zone().await?;
                outln!(
                    "times: Trengo's zone-less times are read as {} wall clock (with its DST rules); ISO times as given · {}",
                    z.name,
                    match (z.learned_at, z.offset_minutes) {
                        (Some(at), Some(off)) => format!(
                            "learned from Trengo's clock {} (UTC{}{}:{:02})",
                            at.format("%Y-%m-%d %H:%M UTC"),
                            if off < 0 { '-' } else { '+' },
                            off.abs() / 60,
                            off.abs() % 60
                        ),
                        _ => "assumed, as real answers show (Trengo's clock confirms it after this app's first change to a ticket)".to_string(),
                    }
                );
                let f = desk.sync().freshness().await?;
                outln!(
                    "sync: {} · at most {}% of the budget in the background{}{}",
                    f.mode
                        .map_or("not probed yet (the app's first refresh probes it)", |m| m
                            .describe()),
                    f.share_percent,
                    f.views_age_secs
                        .map(|s| format!(" · views read {s} s ago"))
                        .unwrap_or_default(),
                    f.whole_read_secs
                        .map(|s| format!(" · last whole pass took {s} s"))
                        .unwrap_or_default(),
                );
                let ix = desk.sync().contact_index().await?;
                outln!(
                    "contacts: {} indexed{}",
                    ix.indexed,
                    if ix.complete {
                        format!(
                            " (complete, read {})",
                            ix.complete_at.as_deref().unwrap_or("")
                        )
                    } else {
                        " (the index is still being read: sync --contacts finishes it)".into()
                    }
                );
                outln!("fields:");
                for f in &d.fields {
                    outln!(
                        "  {:<20} {:<8} {:<9} {}",
                        f.label,
                        f.entity_type,
                        f.field_type,
                        f.options.join(" | ")
                    );
                }
            }
        }
        Cmd::Unified { cmd } => {
            let v: serde_json::Value = match cmd {
                UnifiedCmd::List {
                    resource,
                    limit,
                    cursor,
                    ticket,
                    status,
                    search,
                } => {
                    let params = trengo_unified_params(
                        *limit,
                        cursor.clone(),
                        ticket.clone(),
                        status.clone(),
                        search.clone(),
                    );
                    let r = desk.raw().list(resource, &params).await?;
                    serde_json::to_value(r).unwrap_or_default()
                }
                UnifiedCmd::Get { resource, id } => desk.raw().get(resource, id).await?,
            };
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Cmd::Watch { interval } => {
            if desk.directory().freshness().await?.last_sync_at.is_none() {
                // The teams you belong to come from the directory.
                sync(&desk, true).await?;
            }
            let stdout = std::io::stdout();
            loop {
                // Live rules run here too, so a headless machine keeps them on.
                for r in desk.rules().apply_live().await? {
                    let line = serde_json::json!({
                        "rule": r.rule,
                        "job": r.job,
                        "matched": r.matched,
                        "changed": r.changed,
                        "skipped": r.skipped,
                        "failed": r.failed,
                    });
                    let mut out = stdout.lock();
                    writeln!(out, "{}", term::clean(&line.to_string()))?;
                    out.flush()?;
                }
                for a in desk.watcher().poll().await? {
                    let line = serde_json::json!({
                        "ticket_id": a.ticket_id,
                        "kind": a.kind,
                        "team": a.team.map(|t| t.name),
                        "contact": a.contact,
                        "subject": a.subject,
                        "preview": a.preview,
                    });
                    let mut out = stdout.lock();
                    writeln!(out, "{}", term::clean(&line.to_string()))?;
                    out.flush()?;
                }
                let wait = match interval {
                    Some(s) => std::time::Duration::from_secs((*s).max(1)),
                    None => desk.watcher().interval().await,
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = tokio::signal::ctrl_c() => return Ok(0),
                }
            }
        }
        Cmd::Proxy {
            method,
            path,
            data,
            query,
        } => {
            let m = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| Error::Invalid(format!("{method:?} is not an HTTP method")))?;
            let body = match data {
                Some(d) => Some(
                    serde_json::from_str(d)
                        .map_err(|e| Error::Invalid(format!("--data is not JSON: {e}")))?,
                ),
                None => None,
            };
            let r = desk.raw().proxy(m, path, query.clone(), body).await?;
            if out.json {
                out.json(&serde_json::json!({"status": r.status, "body": r.body}));
            } else {
                errln!("HTTP {}", r.status);
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&r.body).unwrap_or_default()
                );
            }
            if r.status >= 400 {
                return Err(Error::Invalid(format!("Trengo answered {}", r.status)));
            }
        }
    }
    Ok(0)
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
