//! One function per command of the CLI that reads or changes the inbox (jobs, rules and
//! enrichment have modules of their own).

use crate::*;
use desk_core::view::{SlaFilter, TicketSort};

pub(crate) async fn logout(desk: &Desk, forget_lookup_secrets: &bool) -> Result<u8, Error> {
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
    Ok(0)
}

pub(crate) async fn refresh(desk: &Desk, out: &Out, secs: &u64) -> Result<u8, Error> {
    let r = desk
        .sync()
        .refresh(
            std::time::Duration::from_secs(*secs),
            &|_| {},
            &std::sync::atomic::AtomicBool::new(false),
        )
        .await?;
    // As the app's radar does after each look: the inbox's levels into the local history.
    desk.trends()
        .snapshot(chrono::Utc::now().timestamp())
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
    Ok(0)
}

pub(crate) async fn sync_inbox(
    desk: &Desk,
    out: &Out,
    cli: &Cli,
    contacts: &bool,
) -> Result<u8, Error> {
    let r = crate::sync(desk, cli.json).await?;
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
    Ok(0)
}

pub(crate) async fn ticket(desk: &Desk, out: &Out, id: &str, cached: &bool) -> Result<u8, Error> {
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
    Ok(0)
}

pub(crate) async fn new_tag(
    desk: &Desk,
    out: &Out,
    name: &[String],
    color: &Option<String>,
) -> Result<u8, Error> {
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
    Ok(0)
}

pub(crate) async fn assign(
    desk: &Desk,
    out: &Out,
    id: &str,
    team: &Option<String>,
    user: &Option<String>,
) -> Result<u8, Error> {
    let row = match (team, user) {
        (Some(t), _) => {
            desk.tickets()
                .assign_team(id, &resolve(desk, "team", t).await?)
                .await?
        }
        (None, Some(u)) => {
            desk.tickets()
                .assign_user(id, &resolve(desk, "user", u).await?)
                .await?
        }
        (None, None) => return Err(Error::Invalid("give --team NAME or --user EMAIL".into())),
    };
    out.done(&row);
    Ok(0)
}

pub(crate) async fn create(desk: &Desk, out: &Out, a: &CreateArgs) -> Result<u8, Error> {
    let CreateArgs {
        contact,
        channel,
        subject,
        message,
        team,
        user,
        tags,
        fields,
    } = a;
    let mut req = desk_core::jobs::NewTicket {
        channel: channel.clone(),
        contact: contact.clone(),
        subject: subject.clone(),
        message: message.clone(),
        ..Default::default()
    };
    if let Some(t) = team {
        req.team = Some(resolve(desk, "team", t).await?);
    }
    if let Some(u) = user {
        req.user = Some(resolve(desk, "user", u).await?);
    }
    for t in tags {
        req.tags.push(resolve(desk, "tag", t).await?);
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
    Ok(0)
}

pub(crate) async fn note(desk: &Desk, out: &Out, id: &str, text: &[String]) -> Result<u8, Error> {
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
    Ok(0)
}

pub(crate) async fn directory(desk: &Desk, out: &Out) -> Result<u8, Error> {
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
    Ok(0)
}

pub(crate) async fn unified(desk: &Desk, cmd: &UnifiedCmd) -> Result<u8, Error> {
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
    Ok(0)
}

pub(crate) async fn watch(desk: &Desk, interval: &Option<u64>) -> Result<u8, Error> {
    if desk.directory().freshness().await?.last_sync_at.is_none() {
        // The teams you belong to come from the directory.
        crate::sync(desk, true).await?;
    }
    let stdout = std::io::stdout();
    let mut first = true;
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
                "unassigned": r.unassigned,
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
        if std::mem::take(&mut first) {
            errln!(
                "watching: each ticket newly assigned to you or your teams prints as a JSON line (a look every {} s; Ctrl-C stops)",
                wait.as_secs()
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tokio::signal::ctrl_c() => return Ok(0),
        }
    }
}

pub(crate) async fn proxy(
    desk: &Desk,
    out: &Out,
    method: &str,
    path: &str,
    data: &Option<String>,
    query: &[(String, String)],
) -> Result<u8, Error> {
    let m = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Error::Invalid(format!("{method:?} is not an HTTP method")))?;
    let body = match data {
        Some(d) => Some(
            serde_json::from_str(d)
                .map_err(|e| Error::Invalid(format!("--data is not JSON: {e}")))?,
        ),
        None => None,
    };
    let r = desk.raw().proxy(m, path, query.to_vec(), body).await?;
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
    Ok(0)
}

pub(crate) async fn tickets(desk: &Desk, out: &Out, a: &TicketArgs) -> Result<u8, Error> {
    let mut f = a.filter.filter(desk, a.offset, a.limit).await?;
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
            sla: v.sla,
            sort: v.sort,
            ..f
        };
    }
    if a.at_risk {
        f.sla = Some(SlaFilter::AtRisk);
    } else if a.breached {
        f.sla = Some(SlaFilter::Breached);
    }
    if let Some(s) = &a.sort {
        f.sort = Some(TicketSort::parse(s)?);
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
    Ok(0)
}

pub(crate) async fn field(
    desk: &Desk,
    out: &Out,
    ticket: Option<&str>,
    contact: Option<&str>,
    assignment: &str,
) -> Result<u8, Error> {
    let (name, value) = split_assignment(assignment)?;
    let done = match (ticket, contact) {
        (Some(t), _) => desk.tickets().set_ticket_field(t, name, value).await?,
        (None, Some(c)) => desk.tickets().set_contact_field(c, name, value).await?,
        (None, None) => return Err(Error::Invalid("give --ticket ID or --contact ID".into())),
    };
    out.done(&done);
    Ok(0)
}

pub(crate) async fn views(desk: &Desk, out: &Out, cmd: Option<&ViewsCmd>) -> Result<u8, Error> {
    match cmd.unwrap_or(&ViewsCmd::List) {
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
            let f = filter.filter(desk, 0, 0).await?;
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
    };
    Ok(0)
}

/// Login, moving a cache aside and the list of workspaces: commands that open no workspace.
pub(crate) async fn without_workspace(cli: &Cli, out: &Out) -> Result<Option<u8>, Error> {
    match cli.cmd {
        Cmd::Login if !cli.demo => {
            let mut token = String::new();
            std::io::stdin().read_to_string(&mut token)?;
            let token = Token::new(token.trim());
            if token.is_empty() {
                return Err(Error::Invalid(
                    "no token on standard input: echo \"$TOKEN\" | trengo-desk-cli login".into(),
                ));
            }
            let (desk, me) = Desk::sign_in(config(cli, None)?, token).await?;
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
            Ok(Some(0))
        }
        Cmd::Cache {
            cmd: CacheCmd::MoveAside,
        } if !cli.demo => {
            let to = Desk::move_cache_aside(cli.data_dir.as_deref(), cli.workspace.as_deref())?;
            outln!(
                "The cache is now {}; the next command starts a new one.",
                to.display()
            );
            Ok(Some(0))
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
            Ok(Some(0))
        }
        _ => Ok(None),
    }
}

/// `merge TARGET SOURCE…`: each read fresh and shown, then merged as one job (not undoable).
pub(crate) async fn merge(
    desk: &Desk,
    out: &Out,
    target: &str,
    sources: &[String],
    yes: bool,
) -> Result<u8, Error> {
    let p = desk.tickets().merge_preview(target, sources).await?;
    let line = |s: &desk_core::services::tickets::MergeSide| {
        format!(
            "#{} {} · {} · {} · {} · tags [{}] · updated {}",
            s.id,
            crate::term::clean(s.subject.as_deref().unwrap_or("(no subject)")),
            crate::term::clean(s.contact.as_deref().unwrap_or("?")),
            s.status,
            s.team.as_deref().unwrap_or("no team"),
            s.tags.join(", "),
            s.updated_at.as_deref().unwrap_or("?")
        )
    };
    errln!("stays:  {}", line(&p.target));
    for s in &p.sources {
        errln!("merged: {}", line(s));
    }
    errln!("{}", p.warning);
    if !crate::jobs::confirm(
        &format!("Merge {} into #{}?", p.sources.len(), p.target.id),
        yes,
        false,
    )? {
        errln!("Nothing was changed.");
        return Ok(0);
    }
    let job = desk.tickets().merge(&p).await?;
    crate::jobs::run_job(desk, out, job.id).await
}

/// `close`, `reopen`, `spam`, `unspam`: one ticket's status, as a one-ticket job.
pub(crate) async fn status(desk: &Desk, out: &Out, cmd: &Cmd, id: &str) -> Result<u8, Error> {
    let t = desk.tickets();
    let done = match cmd {
        Cmd::Close { .. } => t.close(id).await?,
        Cmd::Reopen { .. } => t.reopen(id).await?,
        Cmd::Spam { .. } => t.spam(id).await?,
        _ => t.unspam(id).await?,
    };
    out.done(&done);
    Ok(0)
}
