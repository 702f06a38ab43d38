//! `sla`: the SLA radar's policies from the command line: write one, list and show them, switch
//! them on or off, order them, and move them between machines as JSON.

use clap::{Args, Subcommand};
use desk_core::sla::{AtRisk, BusinessHours, DayHours, FieldIs, SlaPolicy, SlaScope};
use desk_core::{Desk, Error};

use crate::{split_assignment, Out};

#[derive(Subcommand)]
pub enum SlaCmd {
    /// The policies in the order they are tried (the first that covers a ticket wins).
    List,
    /// Write a policy (targets in minutes; around the clock unless --hours is given).
    Add(Box<AddArgs>),
    /// What a policy would have done over the cached tickets, before saving it: how many it
    /// would have breached, per target and team (the same flags as `add`; a saved policy by
    /// `--name` alone). Nothing is saved.
    Replay(Box<AddArgs>),
    /// One policy.
    Show {
        name: String,
    },
    /// Switch a policy on.
    Enable {
        name: String,
    },
    /// Switch a policy off (kept, not applied).
    Disable {
        name: String,
    },
    /// Put a policy at a place in the order (1: tried first).
    Move {
        name: String,
        position: u32,
    },
    Remove {
        name: String,
    },
    /// Every policy as JSON, to standard output.
    Export,
    /// Policies from a JSON file (`sla export`'s), all checked first: one bad policy saves none.
    Import {
        file: String,
        /// Replace policies of the same name (else they are refused).
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Args)]
pub struct AddArgs {
    #[arg(long)]
    name: String,
    /// Minutes until our first reply is due.
    #[arg(long = "first-reply")]
    first_reply: Option<u32>,
    /// Minutes until our next reply is due, from the customer's first message after ours.
    #[arg(long = "next-reply")]
    next_reply: Option<u32>,
    /// Minutes until the ticket should be closed (the clock pauses while the last message is ours).
    #[arg(long)]
    resolution: Option<u32>,
    /// At risk from this many minutes before a target is due (default 15).
    #[arg(long = "at-risk")]
    at_risk: Option<u32>,
    /// At risk once this share (%) of a target has run (instead of --at-risk).
    #[arg(long = "at-risk-percent", conflicts_with = "at_risk")]
    at_risk_percent: Option<u32>,
    /// Only tickets of this team.
    #[arg(long)]
    team: Option<String>,
    /// Only tickets of this channel.
    #[arg(long)]
    channel: Option<String>,
    /// Only tickets with this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Only tickets whose ticket or contact field has this value: NAME=VALUE.
    #[arg(long)]
    field: Option<String>,
    /// Open hours, repeatable: "mon-fri 09:00-17:00", "sat 10:00-14:00" (needs --time-zone).
    #[arg(long)]
    hours: Vec<String>,
    /// The zone of the open hours, e.g. Europe/Amsterdam.
    #[arg(long = "time-zone")]
    time_zone: Option<String>,
    /// A day closed all day (YYYY-MM-DD), repeatable.
    #[arg(long)]
    holiday: Vec<String>,
    /// Save it switched off.
    #[arg(long)]
    off: bool,
    /// Replace a policy of the same name.
    #[arg(long)]
    replace: bool,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// "mon-fri 09:00-17:00" → one span per day.
fn hours_of(spec: &str) -> Result<Vec<DayHours>, Error> {
    let bad = |why: &str| Error::Invalid(format!("--hours {spec:?}: {why}"));
    let (days, span) = spec
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("write days and hours, e.g. \"mon-fri 09:00-17:00\""))?;
    let (from, to) = span
        .trim()
        .split_once('-')
        .ok_or_else(|| bad("the hours are FROM-TO, e.g. 09:00-17:00"))?;
    let index = |d: &str| {
        let d = d.trim().to_ascii_lowercase();
        DAYS.iter()
            .position(|x| d.len() >= 3 && (d.starts_with(x)))
            .ok_or_else(|| bad(&format!("{d:?} is not a weekday (mon … sun)")))
    };
    let mut out = vec![];
    for part in days.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (index(a)?, index(b)?),
            None => (index(part)?, index(part)?),
        };
        if b < a {
            return Err(bad("a range of days runs from Monday to Sunday"));
        }
        for d in &DAYS[a..=b] {
            out.push(DayHours {
                day: d.to_string(),
                from: from.trim().to_string(),
                to: to.trim().to_string(),
            });
        }
    }
    Ok(out)
}

fn policy_of(a: &AddArgs) -> Result<SlaPolicy, Error> {
    let hours = if a.hours.is_empty() {
        if a.time_zone.is_some() || !a.holiday.is_empty() {
            return Err(Error::Invalid(
                "--time-zone and --holiday go with --hours (without them the clock runs around the clock)".into(),
            ));
        }
        None
    } else {
        let tz = a.time_zone.clone().ok_or_else(|| {
            Error::Invalid("--hours needs --time-zone, e.g. --time-zone Europe/Amsterdam".into())
        })?;
        let mut days = vec![];
        for h in &a.hours {
            days.extend(hours_of(h)?);
        }
        Some(BusinessHours {
            time_zone: tz,
            days,
            holidays: a.holiday.clone(),
        })
    };
    let field = match &a.field {
        Some(f) => {
            let (name, value) = split_assignment(f)?;
            Some(FieldIs {
                name: name.to_string(),
                value: value.to_string(),
            })
        }
        None => None,
    };
    Ok(SlaPolicy {
        name: a.name.clone(),
        enabled: !a.off,
        first_reply: a.first_reply,
        next_reply: a.next_reply,
        resolution: a.resolution,
        at_risk: match (a.at_risk, a.at_risk_percent) {
            (_, Some(p)) => AtRisk::Percent(p),
            (Some(m), None) => AtRisk::Minutes(m),
            (None, None) => AtRisk::default(),
        },
        scope: SlaScope {
            team: a.team.clone(),
            channel: a.channel.clone(),
            tag: a.tag.clone(),
            field,
        },
        hours,
    })
}

/// A policy in one line.
pub fn line(p: &SlaPolicy) -> String {
    let mut targets = vec![];
    for (what, m) in [
        ("first reply", p.first_reply),
        ("next reply", p.next_reply),
        ("resolution", p.resolution),
    ] {
        if let Some(m) = m {
            targets.push(format!("{what} {}", crate::out::minutes(m as i64)));
        }
    }
    let mut scope = vec![];
    if let Some(t) = &p.scope.team {
        scope.push(format!("team {t}"));
    }
    if let Some(c) = &p.scope.channel {
        scope.push(format!("channel {c}"));
    }
    if let Some(t) = &p.scope.tag {
        scope.push(format!("tag {t}"));
    }
    if let Some(f) = &p.scope.field {
        scope.push(format!("{} = {}", f.name, f.value));
    }
    let risk = match p.at_risk {
        AtRisk::Minutes(m) => format!("at risk {m} min before"),
        AtRisk::Percent(pc) => format!("at risk at {pc}%"),
    };
    let hours = match &p.hours {
        None => "around the clock".to_string(),
        Some(h) => format!("{} open days, {}", h.days.len(), h.time_zone),
    };
    format!(
        "{:<4} {:<24} {} · {} · {} · {}",
        if p.enabled { "on" } else { "off" },
        p.name,
        targets.join(", "),
        if scope.is_empty() {
            "every ticket".into()
        } else {
            scope.join(", ")
        },
        risk,
        hours
    )
}

pub async fn sla(desk: &Desk, out: &Out, cmd: &SlaCmd) -> Result<u8, Error> {
    let sla = desk.sla();
    match cmd {
        SlaCmd::List => {
            let all = sla.list().await?;
            if out.json {
                out.json(&all);
            } else if all.is_empty() {
                errln!("no SLA policies yet: `sla add --name Standard --first-reply 60 --next-reply 240`");
            } else {
                for (i, p) in all.iter().enumerate() {
                    outln!("{}. {}", i + 1, line(p));
                }
                let c = sla.counts().await?;
                errln!("now: {} at risk, {} breached", c.at_risk, c.breached);
                for p in &c.problems {
                    errln!("not applied: {p}");
                }
            }
        }
        SlaCmd::Add(a) => {
            let p = policy_of(a)?;
            sla.save(&p, a.replace).await?;
            let saved = sla.show(&p.name).await?;
            if out.json {
                out.json(&saved);
            } else {
                outln!("{}", line(&saved));
                let c = sla.counts().await?;
                errln!(
                    "saved; with every policy on: {} at risk, {} breached now (`tickets --at-risk`, `tickets --breached`)",
                    c.at_risk, c.breached
                );
            }
        }
        SlaCmd::Replay(a) => {
            let no_targets =
                a.first_reply.is_none() && a.next_reply.is_none() && a.resolution.is_none();
            let p = if no_targets {
                sla.show(&a.name).await?
            } else {
                policy_of(a)?
            };
            let r = sla.replay(&p, chrono::Utc::now().timestamp()).await?;
            if out.json {
                out.json(&r);
            } else {
                outln!("{}: {}", p.name, r.summary);
                for (what, t) in [
                    ("first reply", &r.first_reply),
                    ("next reply", &r.next_reply),
                    ("resolution", &r.resolution),
                ] {
                    if t.covered > 0 {
                        outln!("  {what}: {} of {} late", t.breached, t.covered);
                    }
                }
                for t in &r.by_team {
                    outln!("  {}: {} of {} breached", t.team, t.breached, t.covered);
                }
                errln!(
                    "(replayed over {} cached tickets in {} ms; nothing saved)",
                    r.tickets_cached,
                    r.took_ms
                );
            }
        }
        SlaCmd::Show { name } => {
            let p = sla.show(name).await?;
            if out.json {
                out.json(&p);
            } else {
                outln!("{}", line(&p));
                if let Some(h) = &p.hours {
                    for d in &h.days {
                        outln!("  {} {}–{}", d.day, d.from, d.to);
                    }
                    for d in &h.holidays {
                        outln!("  closed {d}");
                    }
                }
            }
        }
        SlaCmd::Enable { name } => sla.set_enabled(name, true).await?,
        SlaCmd::Disable { name } => sla.set_enabled(name, false).await?,
        SlaCmd::Move { name, position } => sla.move_to(name, *position).await?,
        SlaCmd::Remove { name } => sla.remove(name).await?,
        SlaCmd::Export => outln!("{}", sla.export().await?),
        SlaCmd::Import { file, replace } => {
            let json = crate::read_file(file)?;
            let n = sla.import(&json, *replace).await?;
            errln!("{n} SLA policies saved");
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_read_as_a_lead_writes_them() {
        let h = hours_of("mon-fri 09:00-17:00").unwrap();
        assert_eq!(h.len(), 5);
        assert_eq!((h[4].day.as_str(), h[4].to.as_str()), ("fri", "17:00"));
        assert_eq!(hours_of("sat,sun 10:00-14:00").unwrap().len(), 2);
        let e = hours_of("fri-mon 09:00-17:00").unwrap_err().to_string();
        assert!(e.contains("--hours \"fri-mon 09:00-17:00\""), "{e}");
        assert!(hours_of("weekdays").is_err());
    }
}
