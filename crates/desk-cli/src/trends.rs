//! `trends`: the local history of the inbox, as JSON (`series`, each with its `points`), CSV or
//! a table.

use clap::Args;
use desk_core::services::trends::{to_csv, TrendQuery};
use desk_core::trends::{TrendDim, TrendMetric, TrendReport};
use desk_core::{Desk, Error};

use crate::{resolve, Out};

#[derive(Args)]
pub struct TrendArgs {
    /// The last this many days, today included (1: today, by the hour).
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// Of one team (name or id).
    #[arg(long, conflicts_with_all = ["tag", "channel", "agent"])]
    team: Option<String>,
    /// Of one tag (name or id).
    #[arg(long, conflicts_with_all = ["channel", "agent"])]
    tag: Option<String>,
    /// Of one channel (name or id).
    #[arg(long, conflicts_with = "agent")]
    channel: Option<String>,
    /// Of one agent (email or id).
    #[arg(long)]
    agent: Option<String>,
    /// The numbers as CSV (formula-safe), on standard output.
    #[arg(long)]
    csv: bool,
}

async fn query(desk: &Desk, a: &TrendArgs) -> Result<TrendQuery, Error> {
    let (dim, key) = if let Some(t) = &a.team {
        (TrendDim::Team, Some(resolve(desk, "team", t).await?))
    } else if let Some(t) = &a.tag {
        (TrendDim::Tag, Some(resolve(desk, "tag", t).await?))
    } else if let Some(c) = &a.channel {
        let lists = desk.directory().lists().await?;
        let ch = lists
            .channels
            .iter()
            .find(|x| x.id == c.trim() || x.name.eq_ignore_ascii_case(c.trim()))
            .ok_or_else(|| {
                Error::NotFound(format!("there is no channel {c:?} in this workspace"))
            })?;
        (TrendDim::Channel, Some(ch.id.clone()))
    } else if let Some(u) = &a.agent {
        (TrendDim::Agent, Some(resolve(desk, "user", u).await?))
    } else {
        (TrendDim::All, None)
    };
    Ok(TrendQuery {
        days: a.days,
        dim,
        key,
    })
}

fn table(r: &TrendReport) {
    let cols = [
        TrendMetric::Open,
        TrendMetric::Waiting,
        TrendMetric::AtRisk,
        TrendMetric::Created,
        TrendMetric::Closed,
        TrendMetric::FirstReplyMins,
        TrendMetric::ResolutionHours,
    ];
    let of = |m: TrendMetric| r.series.iter().find(|s| s.metric == m);
    let Some(first) = of(TrendMetric::Open) else {
        return;
    };
    outln!(
        "{:<22}{}",
        first.name.split(" · ").next().unwrap_or(""),
        cols.iter()
            .map(|m| format!("{:>18}", m.words()))
            .collect::<String>()
    );
    for (i, p) in first.points.iter().enumerate() {
        let cells: String = cols
            .iter()
            .map(|m| {
                let v = of(*m).and_then(|s| {
                    s.points
                        .iter()
                        .find(|q| q.at == p.at)
                        .or_else(|| (s.grain == first.grain).then(|| &s.points[i]))
                        .and_then(|q| q.value)
                });
                format!(
                    "{:>18}",
                    v.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
                )
            })
            .collect();
        outln!("{:<22}{cells}", p.at);
    }
}

pub async fn trends(desk: &Desk, out: &Out, a: &TrendArgs) -> Result<u8, Error> {
    let q = query(desk, a).await?;
    let now = chrono::Utc::now().timestamp();
    let r = desk.trends().report(&q, now).await?;
    if a.csv {
        print!("{}", to_csv(&r));
        return Ok(0);
    }
    if out.json {
        out.json(&r);
        return Ok(0);
    }
    table(&r);
    errln!(
        "— : the app was not looking then. History from {}.",
        r.history_from
            .as_deref()
            .unwrap_or("now on (nothing kept yet)")
    );
    Ok(0)
}
