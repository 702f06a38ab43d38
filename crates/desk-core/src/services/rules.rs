//! The rules service: rules saved per workspace, previewed on the cache, run as jobs, and the live
//! ones applied to tickets as they arrive.

use std::sync::Arc;

use trengo_unified::api::Lane;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::jobs::JobView;

/// The workspace's rules: saved, previewed on the cache, run as jobs, and the live ones applied as tickets arrive.
pub struct Rules<'a> {
    cx: &'a Context,
}

impl<'a> Rules<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Rules { cx }
    }

    /// The jobs a rule's runs are.
    fn jobs(&self) -> super::Jobs<'a> {
        super::Jobs::new(self.cx)
    }

    /// A mark of the cache's tickets: it changes whenever a ticket does.
    pub(crate) async fn stamp(&self) -> Result<String> {
        crate::rules::stamp(&self.cx.cache).await
    }

    /// The workspace's auto-tagging rules, by name.
    pub async fn list(&self) -> Result<Vec<crate::rules::StoredRule>> {
        let dir = self.cx.cache.directory().await?;
        crate::rules::list(&self.cx.cache, &dir).await
    }

    pub async fn find(&self, name: &str) -> Result<crate::rules::StoredRule> {
        let dir = self.cx.cache.directory().await?;
        crate::rules::find(&self.cx.cache, &dir, name).await
    }

    /// Saves a rule (checked against the workspace first); one of the same name is replaced.
    pub async fn save(&self, rule: &crate::rules::Rule) -> Result<crate::rules::StoredRule> {
        let dir = self.cx.cache.directory().await?;
        crate::rules::save(&self.cx.cache, &dir, rule).await
    }

    pub async fn remove(&self, name: &str) -> Result<()> {
        let dir = self.cx.cache.directory().await?;
        crate::rules::remove(&self.cx.cache, &dir, name).await
    }

    /// Switches a rule on or off.
    pub async fn enable(&self, name: &str, on: bool) -> Result<crate::rules::StoredRule> {
        let dir = self.cx.cache.directory().await?;
        crate::rules::set_enabled(&self.cx.cache, &dir, name, on).await
    }

    /// What a rule (saved or being written) matches now, by the cache: instant, no request.
    pub async fn preview(&self, rule: &crate::rules::Rule) -> Result<crate::rules::RulePreview> {
        let dir = self.cx.cache.directory().await?;
        let tickets = self.tickets(&dir).await?;
        let now = chrono::Utc::now().timestamp();
        let sla = self.sla_now([rule], now).await?;
        crate::rules::preview(&self.cx.cache, &dir, rule, &tickets, &sla, now).await
    }

    /// Where the open tickets stand on their SLA targets at `now`, read only when one of these
    /// rules has a condition on it.
    async fn sla_now<'r>(
        &self,
        rules: impl IntoIterator<Item = &'r crate::rules::Rule>,
        now: i64,
    ) -> Result<crate::rules::SlaNow> {
        let wanted = rules.into_iter().any(|r| {
            r.conditions
                .iter()
                .any(|c| matches!(c, crate::rules::Condition::Sla { .. }))
        });
        if !wanted {
            return Ok(Default::default());
        }
        super::Sla::new(self.cx).targets(now).await
    }

    /// The cache's open tickets as rules read them: read again only when the cache changed.
    pub(crate) async fn tickets(
        &self,
        dir: &trengo_unified::Directory,
    ) -> Result<Arc<Vec<crate::rules::RuleTicket>>> {
        let stamp = crate::rules::stamp(&self.cx.cache).await?;
        let mut held = self.cx.rule_tickets_memo.lock().await;
        if let Some((s, t)) = held.as_ref() {
            if *s == stamp {
                return Ok(t.clone());
            }
        }
        let t = Arc::new(crate::rules::load(&self.cx.cache, dir).await?);
        *held = Some((stamp, t.clone()));
        Ok(t)
    }

    /// Runs a saved rule once over what it matches now, as a job (run it with
    /// [`Desk::run_job`]): each ticket is read fresh, changed only if it still matches in the parts
    /// that change (team, assignee, tags, status, ticket fields), and undoable.
    pub async fn create_job(&self, name: &str) -> Result<JobView> {
        let stored = self.find(name).await?;
        let p = self.preview(&stored.rule).await?;
        if p.ids.is_empty() {
            return Err(Error::Invalid(format!(
                "rule {:?} matches no open ticket in the cache (sync first if tickets are new)",
                stored.rule.name
            )));
        }
        let sel = crate::jobs::Selection::Pasted {
            text: p.ids.join("\n"),
        };
        self.jobs()
            .create_for(&sel, &stored.rule.actions, Some(&stored.rule))
            .await
    }

    /// One pass of the live rules (the app's watcher and `watch` call it after each look): the
    /// newest tickets are read into the cache (one request), then each rule that is on takes the
    /// open tickets made or changed since it was switched on that match and that this version of
    /// it never took, and applies itself to them as a job in the bulk lane (after clicks; each
    /// ticket read fresh and checked it still matches). A ticket is taken at most once per rule
    /// version, so rules never set each other off in a loop.
    pub async fn apply_live(&self) -> Result<Vec<crate::rules::LiveRun>> {
        self.apply_live_at(chrono::Utc::now().timestamp()).await
    }

    /// [`Self::apply_live`] as at `now` (unix seconds), the moment the SLA conditions are judged
    /// at (tests move it on instead of waiting).
    pub async fn apply_live_at(&self, now: i64) -> Result<Vec<crate::rules::LiveRun>> {
        let dir = self.cx.cache.directory().await?;
        let live = crate::rules::live(&self.cx.cache, &dir).await?;
        if live.is_empty() {
            return Ok(vec![]);
        }
        let client = self.cx.client()?.lane(Lane::Watcher);
        let r = client
            .tickets(&trengo_unified::api::TicketQuery::default(), 1)
            .await;
        let newest = self.cx.seen(
            "reading the newest tickets",
            r.map_err(trengo_unified::Error::from),
        )?;
        self.cx
            .cache
            .put_api_tickets(&newest.data, &dir, client.base_url())
            .await?;
        let tickets = self.tickets(&dir).await?;
        let sla = self.sla_now(live.iter().map(|(r, _)| &r.rule), now).await?;
        let mut out = vec![];
        for (rule, since) in live {
            let ids =
                crate::rules::take(&self.cx.cache, &dir, &rule, since, &tickets, &sla, now).await?;
            if ids.is_empty() {
                continue;
            }
            if rule.rule.balance.is_some() {
                let w = super::Workload::new(self.cx);
                out.push(w.hand_out(&rule, &ids, &tickets, now).await?);
                continue;
            }
            let sel = crate::jobs::Selection::Pasted {
                text: ids
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            let job = self
                .jobs()
                .create_for(&sel, &rule.rule.actions, Some(&rule.rule))
                .await?;
            let end = self.jobs().run(job.id, &|_| {}).await?;
            let outcomes = self
                .jobs()
                .items(job.id, None)
                .await?
                .into_iter()
                .map(|i| {
                    let t = crate::TicketId::parse(&i.ticket_id)?;
                    Ok((t.number(), i.state.as_str().to_string()))
                })
                .collect::<Result<Vec<(u64, String)>>>()?;
            crate::rules::record(&self.cx.cache, &rule, Some(job.id), &outcomes).await?;
            out.push(crate::rules::LiveRun {
                rule: rule.rule.name.clone(),
                job: job.id,
                jobs: vec![job.id],
                unassigned: 0,
                matched: ids.len() as u32,
                changed: end.done,
                skipped: end.skipped + end.conflicts,
                failed: end.failed,
            });
        }
        Ok(out)
    }

    /// A live rule's log: matched since it was switched on, changed, skipped, failed.
    pub async fn log(&self, name: &str) -> Result<crate::rules::RuleLog> {
        let r = self.find(name).await?;
        crate::rules::log(&self.cx.cache, r.id).await
    }

    /// Every rule as JSON (a list of rules): `rules import` reads it back.
    pub async fn export(&self) -> Result<String> {
        let rules: Vec<crate::rules::Rule> =
            self.list().await?.into_iter().map(|r| r.rule).collect();
        Ok(serde_json::to_string_pretty(&rules).unwrap_or_default())
    }

    /// Saves every rule of a rules file, all checked first: one bad rule saves none.
    pub async fn import(&self, json: &str) -> Result<Vec<crate::rules::StoredRule>> {
        let dir = self.cx.cache.directory().await?;
        let rules = crate::rules::parse_rules(json, &dir)?;
        let mut out = vec![];
        for r in &rules {
            out.push(crate::rules::save(&self.cx.cache, &dir, r).await?);
        }
        Ok(out)
    }
}
