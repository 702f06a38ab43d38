//! One item of a job: read fresh, each step sent only if still needed, a lost answer checked
//! before anything is sent again, and where it ended recorded.

use super::*;
use crate::actions;
use crate::error::Result;
use crate::jobs::model::{Action, ErrorCode, ItemState, StepOutcome, TicketState};
use crate::jobs::{json, FRESH_SECS};
use chrono::Utc;
use std::time::{Duration, Instant};
use trengo_unified::api::{self, Client};

impl Runner<'_> {
    /// Records the item as it stands (`state` pending until it ends).
    pub(super) async fn save(
        &self,
        job: i64,
        it: &Item,
        state: ItemState,
        reason: Option<&str>,
        code: Option<ErrorCode>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE job_items SET ticket_id = ?, plan = ?, before = ?, before_at = ?, step = ?, in_flight = ?, outcomes = ?, state = ?, reason = ?, code = ?, requests = ?, updated_at = ?
             WHERE job_id = ? AND seq = ? AND EXISTS (SELECT 1 FROM jobs WHERE id = ? AND runner_token = ?)",
        )
        .bind(it.target as i64)
        .bind(json(&it.plan))
        .bind(it.before.as_ref().map(json))
        .bind(it.before.as_ref().map(|_| Utc::now().timestamp()))
        .bind(it.step as i64)
        .bind(it.in_flight as i64)
        .bind(json(&it.outcomes))
        .bind(state.as_str())
        .bind(reason)
        .bind(code.map(ErrorCode::as_str))
        .bind(it.requests as i64)
        .bind(Utc::now().timestamp())
        .bind(job)
        .bind(it.seq)
        .bind(job)
        .bind(&self.token)
        .execute(&self.store.pool)
        .await
        .and_then(|r| {
            if r.rows_affected() == 1 {
                Ok(())
            } else {
                Err(sqlx::Error::Protocol(format!(
                    "job {job} is no longer this process's to run"
                )))
            }
        })?;
        Ok(())
    }

    pub(super) async fn read(
        &self,
        sh: &Shared<'_>,
        client: &Client,
        it: &mut Item,
    ) -> std::result::Result<TicketState, Class> {
        let notes = it
            .checks_note()
            .then(|| since_on_trengos_clock(sh.created_local, client));
        let count = it.counts_messages();
        it.requests += 1 + (notes.is_some() || count) as u32;
        actions::read(client, it.target, it.on_contact(), &self.dir, notes, count)
            .await
            .map_err(|e| classify(&e))
    }

    /// A part changed since by someone, in words: "team Sales now (the job left team Billing)".
    fn changed_since(
        &self,
        cur: &TicketState,
        exp: &TicketState,
        a: &Action,
        undo: bool,
    ) -> String {
        let basis = if undo {
            "the job left"
        } else {
            "the preview showed"
        };
        format!(
            "{} now ({basis} {})",
            cur.describe_part(a, &self.dir),
            exp.describe_part(a, &self.dir)
        )
    }

    /// Runs one item to its end, or to a pause in its flow. `Ok(None)`: it ended (done, skipped,
    /// or with conflicts).
    pub(super) async fn run_item(
        &self,
        sh: &Shared<'_>,
        client: &Client,
        it: &mut Item,
        fresh: Option<(TicketState, Instant)>,
    ) -> Result<Option<Flow>> {
        let job = sh.job;
        if it.creating().is_some() {
            if let Some(flow) = self.create_step(sh, client, it).await? {
                return Ok(Some(flow));
            }
        }
        let page_state = fresh
            .filter(|(_, at)| at.elapsed() < Duration::from_secs(FRESH_SECS))
            .filter(|_| it.page_eligible())
            .map(|(s, _)| s);
        // The record as it is in Trengo now: from this job's own list page moments ago, or read
        // (notes alone need no read: they are posted, never found already so).
        let read = page_state.is_some() || !it.messages_only();
        let mut cur = match page_state {
            Some(s) => s,
            None if !read => TicketState::default(),
            None => match self.read(sh, client, it).await {
                Ok(s) => s,
                Err(c) => return self.interrupt(job, it, c).await,
            },
        };
        if it.step == it.first_step() && !it.in_flight {
            it.before = Some(cur.clone());
            if sh.guard.as_ref().is_some_and(|g| !g.still_matches(&cur)) {
                // A colleague changed it since the preview: the rule does not apply now.
                it.outcomes = vec![StepOutcome::Already; it.plan.len()];
                it.step = it.plan.len();
                self.save(
                    job,
                    it,
                    ItemState::Skipped,
                    Some("no longer matches the rule (changed since the preview)"),
                    None,
                )
                .await?;
                if read {
                    if let Err(e) =
                        actions::show_ticket(self.cache, &self.dir, it.target, &cur).await
                    {
                        tracing::warn!(error = %e, "the cache could not take the ticket");
                    }
                }
                return Ok(None);
            }
        }
        if it.in_flight {
            it.settle_note(&cur);
            it.in_flight = false;
            if cur.satisfies(&it.plan[it.step]) {
                it.outcomes.push(StepOutcome::Done);
                it.step += 1;
            }
        }
        self.save(job, it, ItemState::Pending, None, None).await?;
        while it.step < it.plan.len() {
            let a = it.plan[it.step].clone();
            if cur.satisfies(&a) {
                it.outcomes.push(StepOutcome::Already);
                it.step += 1;
                continue;
            }
            if let Some(exp) = &it.expect {
                if !cur.same_part(exp, &a) {
                    // Changed since by someone: undo leaves it.
                    it.conflicts
                        .push(self.changed_since(&cur, exp, &a, sh.undo));
                    it.outcomes.push(StepOutcome::Conflict);
                    it.step += 1;
                    continue;
                }
            }
            self.not_news(&a, it.target).await;
            let mut tries = 0;
            loop {
                tries += 1;
                it.in_flight = true;
                it.requests += 1;
                self.save(job, it, ItemState::Pending, None, None).await?;
                let err = match actions::send(client, it.target, &a).await {
                    Ok(made) => {
                        if let (Some(id), Action::AddNote { text, .. }) = (made, &a) {
                            it.plan[it.step] = Action::AddNote {
                                text: text.clone(),
                                note_id: Some(id.to_string()),
                            };
                        }
                        None
                    }
                    Err(e) => Some(classify(&e)),
                };
                match err {
                    None => {
                        cur.apply(&a);
                        break;
                    }
                    Some(Class::Unknown(why)) => {
                        // Read the record back: applied or not?
                        match self.read(sh, client, it).await {
                            Ok(s) => {
                                let notes = std::mem::take(&mut cur.notes);
                                cur = s;
                                it.settle_note(&cur);
                                let found = cur.satisfies(&it.plan[it.step]);
                                cur.notes = notes;
                                if found {
                                    break;
                                }
                                if tries >= MAX_TRIES {
                                    return self
                                        .interrupt(
                                            job,
                                            it,
                                            Class::Definite(ErrorCode::TrengoError, why),
                                        )
                                        .await;
                                }
                                let backoff = Duration::from_millis(200 * (1 << tries.min(5)));
                                tokio::time::sleep(backoff).await;
                            }
                            Err(c) => return self.interrupt(job, it, c).await,
                        }
                    }
                    Some(c) => {
                        // Trengo said it did not apply it, or it was never sent.
                        it.in_flight = false;
                        return self.interrupt(job, it, c).await;
                    }
                }
            }
            it.in_flight = false;
            it.outcomes.push(StepOutcome::Done);
            it.step += 1;
        }
        self.finish(job, it, client, read, &cur).await?;
        Ok(None)
    }

    /// An assignment this job makes is not news to the lead who made it: the watcher is told.
    async fn not_news(&self, a: &Action, target: u64) {
        if a.is_assignment() {
            if let Err(e) = self.cache.suppress_assignment(target as i64).await {
                tracing::warn!(error = %e, "the watcher could not be told of an assignment");
            }
        }
    }

    /// Records where an item ended (done, already so, or with conflicts), and shows the record
    /// in the cache as Trengo has it now (as read, with what was applied).
    async fn finish(
        &self,
        job: i64,
        it: &Item,
        client: &Client,
        read: bool,
        cur: &TicketState,
    ) -> Result<()> {
        let (state, reason) = if !it.conflicts.is_empty() {
            (ItemState::Conflict, Some(it.conflicts.join("; ")))
        } else if it.outcomes.contains(&StepOutcome::Done) {
            (ItemState::Done, None)
        } else {
            (ItemState::Skipped, Some("already so".to_string()))
        };
        self.save(job, it, state, reason.as_deref(), None).await?;
        let made = it.first_step() > 0;
        let deleted = state == ItemState::Done && it.plan.contains(&Action::DeleteTicket);
        let r = if deleted {
            self.cache.delete_ticket(it.target as i64).await
        } else if made {
            // A ticket this job made: the cache takes it whole (the list shows it at once).
            match client.ticket(it.target).await {
                Ok(t) => {
                    self.cache
                        .put_api_tickets(&[t], &self.dir, client.base_url())
                        .await
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the new ticket could not be read back");
                    Ok(())
                }
            }
        } else if it.on_contact() {
            if state == ItemState::Done {
                actions::show_contact(self.cache, &self.dir, it.target, &it.plan).await
            } else {
                Ok(())
            }
        } else if read {
            actions::show_ticket(self.cache, &self.dir, it.target, cur).await
        } else {
            Ok(())
        };
        if let Err(e) = r {
            tracing::warn!(error = %e, "the cache could not take the change");
        }
        Ok(())
    }

    /// The new-ticket step: the contact (found or made on the channel), then the ticket. Each id
    /// is recorded as soon as it is known, and a create whose answer was lost is looked for
    /// (the contact's newest tickets, the same subject and channel, made since the job began)
    /// before it is sent again. `Ok(None)`: the ticket exists and the item's target is it.
    pub(super) async fn create_step(
        &self,
        sh: &Shared<'_>,
        client: &Client,
        it: &mut Item,
    ) -> Result<Option<Flow>> {
        let job = sh.job;
        let Some(Creating {
            channel,
            contact,
            subject,
            contact_id,
            ..
        }) = it.creating()
        else {
            return Ok(None);
        };
        let cid = match contact_id {
            Some(c) => c,
            None => {
                it.requests += 1;
                match find_or_make_contact(client, channel, &contact).await {
                    Ok(c) => {
                        it.record_created(Some(c), None);
                        self.save(job, it, ItemState::Pending, None, None).await?;
                        c
                    }
                    Err(e) => return self.interrupt(job, it, classify(&e)).await,
                }
            }
        };
        let mut tries = 0;
        let tid = loop {
            if let Some(t) = it.creating().and_then(|c| c.ticket_id) {
                break t;
            }
            if it.in_flight {
                it.requests += 1;
                match find_created(
                    client,
                    cid,
                    channel,
                    &subject,
                    since_on_trengos_clock(sh.created_local, client),
                )
                .await
                {
                    Ok(Some(t)) => {
                        it.record_created(None, Some(t));
                        it.in_flight = false;
                        continue;
                    }
                    // Not made: send it again.
                    Ok(None) => it.in_flight = false,
                    Err(e) => return self.interrupt(job, it, classify(&e)).await,
                }
            }
            tries += 1;
            if tries > MAX_TRIES {
                return self
                    .interrupt(
                        job,
                        it,
                        Class::Definite(
                            ErrorCode::TrengoError,
                            "Trengo did not confirm the new ticket after several tries".into(),
                        ),
                    )
                    .await;
            }
            it.in_flight = true;
            it.requests += 1;
            self.save(job, it, ItemState::Pending, None, None).await?;
            let r = client
                .create_ticket(channel, api::NewTicketContact::Id(cid), Some(&subject))
                .await;
            match r {
                Ok(t) => {
                    it.record_created(None, Some(t.id));
                    it.in_flight = false;
                }
                Err(e) => match classify(&e) {
                    // Made or not: looked for before it is sent again.
                    Class::Unknown(_) => {
                        tokio::time::sleep(Duration::from_millis(200 * (1 << tries.min(5)))).await;
                    }
                    c => {
                        it.in_flight = false;
                        return self.interrupt(job, it, c).await;
                    }
                },
            }
        };
        it.target = tid;
        it.outcomes.push(StepOutcome::Done);
        it.step += 1;
        self.save(job, it, ItemState::Pending, None, None).await?;
        Ok(None)
    }

    /// Ends an item's turn on an error: failed for good, or left pending (in flight stays as it
    /// is, so an unknown outcome is checked next time).
    pub(super) async fn interrupt(
        &self,
        job: i64,
        it: &mut Item,
        c: Class,
    ) -> Result<Option<Flow>> {
        match c {
            Class::Definite(code, why) => {
                it.in_flight = false;
                self.save(job, it, ItemState::Failed, Some(&why), Some(code))
                    .await?;
                Ok(Some(Flow::Failed))
            }
            Class::Unknown(why) => {
                // The read-back itself failed in an unknown way: keep it for the next run.
                self.save(job, it, ItemState::Pending, None, None).await?;
                Ok(Some(Flow::Stop(format!(
                    "#{} could not be checked: {why}",
                    it.target
                ))))
            }
            Class::Requeue => {
                self.save(job, it, ItemState::Pending, None, None).await?;
                Ok(Some(Flow::Requeue))
            }
            Class::Stop(code, why) => {
                self.save(job, it, ItemState::Pending, None, Some(code))
                    .await?;
                Ok(Some(Flow::Stop(why)))
            }
            Class::Lost(why) => Ok(Some(Flow::Stop(why))),
        }
    }
}

/// The contact a new ticket is for: a contact id is checked to exist; an email address or a phone
/// number is found or made on the channel (Trengo's call answers the existing contact, so it is
/// safe to send again).
async fn find_or_make_contact(
    client: &Client,
    channel: u64,
    contact: &str,
) -> std::result::Result<u64, api::Error> {
    let c = contact.trim();
    if let Some(id) = contact_id_of(c) {
        return client.contact(id, false).await.map(|k| k.id);
    }
    let mut tries = 0;
    loop {
        tries += 1;
        match client.create_contact(channel, c, None).await {
            Ok(k) => return Ok(k.id),
            Err(e) if matches!(classify(&e), Class::Unknown(_)) => {
                // Made or found, its answer lost: search for it before asking again.
                let same = |x: &Option<String>| {
                    x.as_deref()
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case(c))
                };
                let found = client.contacts(Some(c), 1).await?;
                if let Some(k) = found
                    .data
                    .iter()
                    .find(|k| same(&k.identifier) || same(&k.email) || same(&k.phone))
                {
                    return Ok(k.id);
                }
                if tries >= MAX_TRIES {
                    return Err(e);
                }
                tokio::time::sleep(Duration::from_millis(200 * (1 << tries))).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// A contact id as typed: digits (or `#` and digits) not starting with 0; a phone number starts
/// with `+` or `0`.
pub(crate) fn contact_id_of(s: &str) -> Option<u64> {
    let d = s.trim().trim_start_matches('#');
    (!d.is_empty() && !d.starts_with('0') && d.chars().all(|c| c.is_ascii_digit()))
        .then(|| d.parse().ok())
        .flatten()
}

/// `local` (unix seconds on this machine's clock) on Trengo's clock, less a minute: a desktop
/// clock that runs fast would otherwise put it after the note it looks for, and the note would
/// be posted again. Before Trengo's clock is known (no answer yet in this process), ten minutes.
pub(crate) fn since_on_trengos_clock(local: i64, client: &Client) -> i64 {
    match client.trengo_clock_skew() {
        Some(skew) => local + skew.num_seconds() - 60,
        None => local - 600,
    }
}

/// A ticket a lost create made: the contact's newest tickets, with this subject on this channel,
/// made since `since` (unix seconds).
async fn find_created(
    client: &Client,
    contact: u64,
    channel: u64,
    subject: &str,
    since: i64,
) -> std::result::Result<Option<u64>, api::Error> {
    let q = api::TicketQuery {
        contact_id: Some(contact),
        sort: Some(api::TicketSort::NewestFirst),
        ..api::TicketQuery::default()
    };
    let page = client.tickets(&q, 1).await?;
    Ok(page
        .data
        .iter()
        .filter(|t| t.channel_id.is_none_or(|c| c == channel))
        .filter(|t| t.subject.as_deref().map(str::trim) == Some(subject.trim()))
        .filter(|t| t.created_at.is_none_or(|at| at.timestamp() >= since))
        .map(|t| t.id)
        .max())
}
