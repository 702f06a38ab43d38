//! Tickets one at a time: the list's search, a ticket's whole context (from the cache, or read
//! fresh), and each single action (tags, team, assignee, status, fields, a note, a new ticket) as a
//! one-item job: read first, sent only if needed, recorded and undoable.

use chrono::Utc;
use trengo_unified::api::Lane;
use trengo_unified::{mapping, Directory};

use crate::actions::{describe, normalize_actions};
use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::context::Context;
use crate::error::Problem;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::model::{ordered, Action, ItemState, JobKind, JobState};
use crate::jobs::{ActionDone, NewTicket, NoteAdded, TicketCreated};
use crate::jobs::{ItemSeed, JobItemView, JobView, NewJob};
use crate::view::{SearchResult, TicketContext, TicketFilter, TicketRow};

mod merge;
pub use merge::{MergePreview, MergeSide};

/// A thread read this recently is shown as it is: moving back and forth costs no requests.
pub const THREAD_FRESH_SECS: i64 = 30;

/// A ticket opened: fresh from Trengo, or from the cache with the reason it is not fresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OpenedTicket {
    pub context: TicketContext,
    pub fresh: bool,
    pub problem: Option<Problem>,
}

/// Tickets one at a time: the list's search, a ticket's whole context, and each single action as a one-item job.
pub struct Tickets<'a> {
    cx: &'a Context,
}

impl<'a> Tickets<'a> {
    pub(crate) fn new(cx: &'a Context) -> Self {
        Tickets { cx }
    }

    /// One line of the list for a ticket, from the cache.
    pub async fn row(&self, id: &str) -> Result<Option<TicketRow>> {
        let mut row = self
            .cx
            .cache
            .ticket_row(&crate::context::ticket_num(id)?.to_string())
            .await?;
        if let Some(r) = row.as_mut() {
            super::Sla::new(self.cx)
                .annotate(std::slice::from_mut(r))
                .await?;
        }
        Ok(row)
    }

    /// A page of the tickets a filter takes, each with its SLA chip.
    pub async fn search(&self, f: &TicketFilter) -> Result<SearchResult> {
        let sla = super::Sla::new(self.cx);
        if super::Sla::decides(f) {
            return sla.search(f).await;
        }
        let mut r = self.cx.cache.search(f).await?;
        sla.annotate(&mut r.rows).await?;
        Ok(r)
    }

    /// A ticket's context from the cache alone (works offline).
    pub async fn context(&self, id: &str) -> Result<TicketContext> {
        let mut cx = self.cx.cache.ticket_context(id).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "ticket {id} is not in the local cache; sync, or open it while online"
            ))
        })?;
        super::Sla::new(self.cx)
            .annotate(std::slice::from_mut(&mut cx.ticket))
            .await?;
        Ok(cx)
    }

    /// Reads a ticket, its contact and its whole thread from Trengo (Interactive lane) into the
    /// cache, and returns the context. Offline, the cached context with the offline error.
    pub async fn refresh(&self, id: &str) -> Result<TicketContext> {
        let tid = crate::context::ticket_num(id)?;
        let id = &tid.to_string();
        let u = self.cx.unified()?;
        let _turn = self.cx.ticket_turn().await;
        let c = u.client().lane(Lane::Interactive);
        let t = self.cx.seen(
            "opening the ticket",
            c.ticket(tid).await.map_err(trengo_unified::Error::from),
        )?;
        let contact = match t.contact_ref() {
            Some(cid) => Some(
                self.cx.seen(
                    "reading the contact",
                    c.contact(cid, false)
                        .await
                        .map_err(trengo_unified::Error::from),
                )?,
            ),
            None => None,
        };
        let mut messages = vec![];
        let mut page = 1;
        loop {
            let pg = self.cx.seen(
                "reading the thread",
                c.messages(tid, page)
                    .await
                    .map_err(trengo_unified::Error::from),
            )?;
            messages.extend(pg.data.iter().cloned());
            match pg.next_page(page) {
                Some(n) => page = n,
                None => break,
            }
        }
        let dir = u.directory();
        let now = Utc::now().timestamp();
        let in_ws = matches!(
            t.status,
            trengo_unified::api::model::TicketStatus::Open
                | trengo_unified::api::model::TicketStatus::Assigned
        );
        let mut tx = self.cx.cache.pool().begin().await?;
        if let Some(ct) = &contact {
            Cache::put_contact(&mut tx, &mapping::contact(ct, &dir, false), now).await?;
        }
        let mut ut = mapping::ticket(&t, &dir, u.client().base_url(), false);
        if ut.description.is_none() {
            ut.description = messages
                .iter()
                .max_by_key(|m| m.created_at)
                .and_then(|m| m.message.as_deref())
                .map(mapping::plain_text);
        }
        Cache::put_ticket(&mut tx, &ut, in_ws, now).await?;
        let comments: Vec<_> = messages
            .iter()
            .map(|m| mapping::comment(m, tid, &dir, false))
            .collect();
        Cache::put_messages(&mut tx, id, &comments, now).await?;
        tx.commit().await?;
        self.context(id).await
    }

    pub async fn add_tag(&self, ticket: &str, tag_id: &str) -> Result<ActionDone> {
        self.act(
            ticket,
            Action::AddTag {
                tag_id: crate::TagId::parse(tag_id)?.to_string(),
            },
        )
        .await
    }

    pub async fn remove_tag(&self, ticket: &str, tag_id: &str) -> Result<ActionDone> {
        self.act(
            ticket,
            Action::RemoveTag {
                tag_id: crate::TagId::parse(tag_id)?.to_string(),
            },
        )
        .await
    }

    pub async fn assign_team(&self, ticket: &str, team_id: &str) -> Result<ActionDone> {
        self.act(
            ticket,
            Action::AssignTeam {
                team_id: crate::TeamId::parse(team_id)?.to_string(),
            },
        )
        .await
    }

    pub async fn assign_user(&self, ticket: &str, user_id: &str) -> Result<ActionDone> {
        self.act(
            ticket,
            Action::AssignUser {
                user_id: crate::UserId::parse(user_id)?.to_string(),
            },
        )
        .await
    }

    pub async fn close(&self, ticket: &str) -> Result<ActionDone> {
        self.act(ticket, Action::Close).await
    }

    pub async fn reopen(&self, ticket: &str) -> Result<ActionDone> {
        self.act(ticket, Action::Reopen).await
    }

    /// Marks a ticket as spam, as a one-ticket job (undo takes the mark off).
    pub async fn spam(&self, ticket: &str) -> Result<ActionDone> {
        self.act(ticket, Action::MarkSpam).await
    }

    /// Takes a ticket's spam mark off.
    pub async fn unspam(&self, ticket: &str) -> Result<ActionDone> {
        self.act(ticket, Action::UnmarkSpam).await
    }

    /// The row as it will be once `action` is done (see [`crate::actions::row_after`]): what
    /// the window shows while Trengo is asked.
    pub async fn after(&self, row: &TicketRow, action: &Action) -> Result<TicketRow> {
        let dir = self.cx.cache.directory().await?;
        Ok(crate::actions::row_after(row, action, &dir))
    }

    /// The ticket's page in Trengo's web app, to open in a browser: from the cache (never from
    /// the page), and only an http(s) address.
    pub async fn web_url(&self, ticket: &str) -> Result<String> {
        let url = self
            .context(ticket)
            .await?
            .ticket_url
            .ok_or_else(|| Error::NotFound("This ticket has no web address.".into()))?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Error::Invalid(
                "This ticket's web address is not http(s).".into(),
            ));
        }
        Ok(url)
    }

    /// Posts an internal note; it is never sent twice (a lost answer says so instead).
    /// An attachment's address, checked: it is one of this ticket's attachments (as cached) and
    /// on an allowed host ([`attachment_host_allowed`]).
    pub async fn attachment_to_open(&self, ticket: &str, url: &str) -> Result<String> {
        let ctx = self.context(ticket).await?;
        let known = ctx
            .messages
            .iter()
            .flat_map(|m| &m.attachments)
            .any(|a| a.url.as_deref() == Some(url));
        if !known {
            return Err(Error::NotFound(format!(
                "ticket #{ticket} has no attachment at that address"
            )));
        }
        attachment_host_allowed(url, &self.cx.base_url).map_err(Error::Invalid)?;
        Ok(url.to_string())
    }

    /// An internal note on one ticket, as a one-item job (like [`Desk::act`]): recorded, shown
    /// in Activity, and undoable (undo deletes the note, where Trengo allows it). The thread in the
    /// cache shows it at once.
    pub async fn add_note(&self, ticket: &str, text: &str) -> Result<NoteAdded> {
        let tid = crate::context::ticket_num(ticket)?;
        let done = self
            .act(
                ticket,
                Action::AddNote {
                    text: text.trim().to_string(),
                    note_id: None,
                },
            )
            .await?;
        let note_id = self
            .cx
            .job_store()
            .first_plan(done.job.id as i64)
            .await?
            .into_iter()
            .find_map(|a| match a {
                Action::AddNote { note_id, .. } => note_id,
                _ => None,
            })
            .unwrap_or_else(|| format!("{}-note-{}", tid, done.job.id));
        let me = self.cx.me().await.ok();
        let c = trengo_unified::Comment {
            id: note_id.clone(),
            ticket: trengo_unified::Ref {
                id: tid.to_string(),
                name: None,
            },
            author: match &me {
                Some(u) => trengo_unified::ActorRef::User(trengo_unified::UserRef {
                    id: u.id.to_string(),
                    name: Some(u.name.clone()),
                    email: u.email.clone(),
                }),
                None => trengo_unified::ActorRef::System,
            },
            body: text.trim().to_string(),
            html_body: None,
            is_internal: true,
            is_private: false,
            channel: None,
            attachments: vec![],
            created_at: Some(Utc::now()),
            remote_data: None,
        };
        let now = Utc::now().timestamp();
        sqlx::query("INSERT OR REPLACE INTO messages (id, ticket_id, created_at, is_internal, json, synced_at) VALUES (?, ?, ?, 1, ?, ?)")
            .bind(note_id.parse::<i64>().unwrap_or(-(done.job.id as i64)))
            .bind(tid as i64)
            .bind(c.created_at.map(|t| t.timestamp()))
            .bind(serde_json::to_string(&c).unwrap_or_default())
            .bind(now)
            .execute(self.cx.cache.pool())
            .await?;
        Ok(NoteAdded {
            message: crate::cache::message_view(&c),
            job: done.job,
        })
    }

    /// One action on one ticket, as a one-item job in the interactive lane: the ticket is read
    /// from Trengo, the action sent only if the read shows it is needed, and the job recorded
    /// (shown in Activity, undoable). A failure comes back as the error Trengo gave.
    pub async fn act(&self, ticket: &str, action: Action) -> Result<ActionDone> {
        let id = crate::context::ticket_num(ticket)?;
        let _turn = self.cx.ticket_turn().await;
        let dir = self.cx.cache().directory().await?;
        let action = normalize_actions(std::slice::from_ref(&action), &dir)?.remove(0);
        self.act_one(id, format!("#{id}"), action, &dir).await
    }

    /// Sets one of a contact's fields (by id, slug or label) the way [`Desk::act`] changes a
    /// ticket: a one-item job, read first, undoable. The value is checked against the field's type
    /// before anything is sent; empty clears it.
    pub async fn set_contact_field(
        &self,
        contact: &str,
        field: &str,
        value: &str,
    ) -> Result<ActionDone> {
        let id: u64 = contact
            .trim()
            .trim_start_matches('#')
            .parse()
            .map_err(|_| Error::Invalid(format!("{contact:?} is not a contact id (a number)")))?;
        let _turn = self.cx.ticket_turn().await;
        let dir = self.cx.cache().directory().await?;
        let action = Self::field_action(&dir, field, value, trengo_unified::EntityType::Contact)?;
        self.act_one(id, format!("contact #{id}"), action, &dir)
            .await
    }

    /// Records a one-item job and runs it in the interactive lane (a click waits for it): its id,
    /// how it ended, and its item.
    async fn run_one(
        &self,
        kind: JobKind,
        title: &str,
        selection: String,
        target: u64,
        plan: Vec<Action>,
        dir: &Directory,
    ) -> Result<(i64, JobView, JobItemView)> {
        self.cx.unified()?;
        let store = self.cx.job_store();
        let job = store
            .create(NewJob {
                kind,
                title: title.to_string(),
                actions: plan.clone(),
                selection,
                problems: vec![],
                undo_of: None,
                source: None,
                page_plan: None,
                guard: None,
                items: vec![ItemSeed {
                    target,
                    plan,
                    expect: None,
                }],
            })
            .await?;
        let view = super::Jobs::new(self.cx)
            .run_in(job as u32, Lane::Interactive, 1, &|_| {})
            .await?;
        let item = store
            .items(job, None, dir)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("job {job} has no item")))?;
        Ok((job, view, item))
    }

    /// A new ticket for a contact on a channel, routed to a team or a user, tagged and filled in,
    /// with an internal note for the agents (nothing is sent to the customer): one job whose
    /// steps are recorded as they happen, so a resumed job never makes a second ticket. All of it
    /// is checked before anything is sent. Undo deletes the ticket while nobody has touched it.
    pub async fn create_ticket(&self, req: &NewTicket) -> Result<TicketCreated> {
        let dir = self.cx.cache().directory().await?;
        let (title, plan) = Self::new_ticket_plan(&dir, req)?;
        let (job, view, item) = self
            .run_one(
                JobKind::Create,
                &title,
                "a new ticket".into(),
                0,
                plan,
                &dir,
            )
            .await?;
        let ticket_id = item.ticket_id.clone();
        match item.state {
            ItemState::Done | ItemState::Skipped => Ok(TicketCreated {
                row: self.cx.cache().ticket_row(&ticket_id).await?,
                ticket_id: crate::TicketId::parse(&ticket_id)?,
                job: view,
            }),
            ItemState::Pending if ticket_id != "0" => Err(Error::Refused {
                code: item.code.unwrap_or(ErrorCode::TrengoError),
                message: format!(
                    "ticket #{ticket_id} was made, but the job stopped before it was done ({}); `jobs resume {job}` finishes it",
                    view.reason.unwrap_or_default()
                ),
            }),
            _ => Err(Error::Refused {
                code: item.code.unwrap_or(ErrorCode::TrengoError),
                message: item
                    .reason
                    .or(view.reason)
                    .unwrap_or_else(|| format!("{title} was not done")),
            }),
        }
    }

    /// The steps of a new ticket, every input checked (channel, contact, subject, team, user,
    /// tags, field values) with an error that names what is wrong.
    fn new_ticket_plan(dir: &Directory, req: &NewTicket) -> Result<(String, Vec<Action>)> {
        let ch = req.channel.trim();
        let channel = dir
            .channels
            .iter()
            .find(|(id, name)| id.to_string() == ch || name.eq_ignore_ascii_case(ch))
            .map(|(id, _)| *id)
            .ok_or_else(|| {
                let mut names: Vec<&str> = dir.channels.values().map(String::as_str).collect();
                names.sort_unstable();
                Error::NotFound(format!(
                    "channel: there is no channel {ch:?} in this workspace (its channels: {})",
                    names.join(", ")
                ))
            })?;
        let subject = req.subject.trim().to_string();
        if subject.is_empty()
            || subject.chars().any(char::is_control)
            || subject.chars().count() > 255
        {
            return Err(Error::Invalid(format!(
                "subject: {subject:?} must be one line of 1 to 255 characters"
            )));
        }
        let contact = req.contact.trim();
        let shaped = contact.contains('@') && !contact.contains(char::is_whitespace)
            || crate::jobs::run::contact_id_of(contact).is_some()
            || ((contact.starts_with('+') || contact.starts_with('0'))
                && contact
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-()".contains(c))
                && contact.chars().filter(char::is_ascii_digit).count() >= 6);
        if !shaped {
            return Err(Error::Invalid(format!(
                "contact: {contact:?} is not an email address, a phone number (starting with + or 0) or a contact id"
            )));
        }
        let mut rest = vec![];
        if let Some(t) = req.team.as_deref().filter(|t| !t.is_empty()) {
            rest.push(Action::AssignTeam {
                team_id: t.to_string(),
            });
        }
        if let Some(u) = req.user.as_deref().filter(|u| !u.is_empty()) {
            rest.push(Action::AssignUser {
                user_id: u.to_string(),
            });
        }
        for t in &req.tags {
            rest.push(Action::AddTag { tag_id: t.clone() });
        }
        for f in &req.fields {
            let a =
                Self::field_action(dir, &f.field, &f.value, trengo_unified::EntityType::Ticket)?;
            if !matches!(&a, Action::SetTicketField { value, .. } if value.is_empty()) {
                rest.push(a);
            }
        }
        if let Some(m) = req.message.as_deref().filter(|m| !m.trim().is_empty()) {
            rest.push(Action::AddNote {
                text: m.trim().to_string(),
                note_id: None,
            });
        }
        if !rest.is_empty() {
            rest = normalize_actions(&rest, dir)?;
        }
        let create = Action::CreateTicket {
            channel_id: channel.to_string(),
            contact: contact.to_string(),
            subject,
            contact_id: None,
            ticket_id: None,
        };
        let title = describe(&create, dir);
        let mut plan = vec![create];
        plan.extend(ordered(&rest));
        Ok((title, plan))
    }

    /// Sets one of a ticket's fields (by id, slug or label) as a one-item job ([`Desk::act`]).
    pub async fn set_ticket_field(
        &self,
        ticket: &str,
        field: &str,
        value: &str,
    ) -> Result<ActionDone> {
        let dir = self.cx.cache().directory().await?;
        let action = Self::field_action(&dir, field, value, trengo_unified::EntityType::Ticket)?;
        self.act(ticket, action).await
    }

    /// A field change for `entity` from what a person typed: the field by id, slug or label, the
    /// value checked against its type (the error names the field and the reason).
    pub async fn field_change(
        &self,
        field: &str,
        value: &str,
        entity: trengo_unified::EntityType,
    ) -> Result<Action> {
        let dir = self.cx.cache().directory().await?;
        Self::field_action(&dir, field, value, entity)
    }

    fn field_action(
        dir: &Directory,
        field: &str,
        value: &str,
        entity: trengo_unified::EntityType,
    ) -> Result<Action> {
        let what = entity.as_str();
        let f =
            dir.find_field(field.trim())
                .filter(|f| f.entity_type == entity)
                .ok_or_else(|| {
                    let known: Vec<&str> = dir
                        .fields
                        .iter()
                        .filter(|f| f.entity_type == entity)
                        .map(|f| f.label.as_str())
                        .collect();
                    Error::NotFound(format!(
                    "there is no {what} field {field:?} in this workspace (its {what} fields: {})",
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                ))
                })?;
        let value = crate::values::field_text(value, &crate::view::FieldDef::from(f))
            .map_err(|why| Error::Invalid(format!("{}: {why}", f.label)))?;
        let field_id = f.id.clone();
        Ok(if entity == trengo_unified::EntityType::Contact {
            Action::SetField { field_id, value }
        } else {
            Action::SetTicketField { field_id, value }
        })
    }

    async fn act_one(
        &self,
        id: u64,
        selection: String,
        action: Action,
        dir: &Directory,
    ) -> Result<ActionDone> {
        let title = describe(&action, dir);
        let (job, view, item) = self
            .run_one(JobKind::Action, &title, selection, id, vec![action], dir)
            .await?;
        let store = self.cx.job_store();
        self.cx.note_online(item.code != Some(ErrorCode::Offline));
        match item.state {
            ItemState::Done | ItemState::Skipped | ItemState::Conflict => Ok(ActionDone {
                changed: item.state == ItemState::Done,
                row: self.cx.cache().ticket_row(&id.to_string()).await?,
                job: view,
            }),
            ItemState::Failed => Err(Error::Refused {
                code: item.code.unwrap_or(ErrorCode::TrengoError),
                message: item.reason.unwrap_or_else(|| format!("{title} failed")),
            }),
            ItemState::Pending | ItemState::Cancelled => {
                // Not sent (offline, token refused): a click is not replayed later by surprise,
                // unless its write may have landed (then the job checks it when it resumes).
                if store.cancel_untried(job).await? == 1 {
                    store
                        .force_state(job, JobState::Cancelled, view.reason.as_deref())
                        .await?;
                }
                Err(match item.code {
                    Some(ErrorCode::Offline) | None => Error::Offline {
                        action: title.to_lowercase(),
                    },
                    Some(code) => Error::Refused {
                        code,
                        message: view
                            .reason
                            .unwrap_or_else(|| format!("{title} was not done")),
                    },
                })
            }
        }
    }

    /// A ticket for the panel: its thread as read moments ago, else read fresh from Trengo;
    /// offline (or rate limited), the cached one with the reason.
    pub async fn open(&self, id: &str) -> Result<OpenedTicket> {
        if let Ok(ctx) = self.context(id).await {
            let read_at = ctx
                .messages_synced_at
                .as_deref()
                .and_then(crate::cache::parse_unix);
            let now = chrono::Utc::now().timestamp();
            if read_at.is_some_and(|t| now - t < THREAD_FRESH_SECS) {
                return Ok(OpenedTicket {
                    context: ctx,
                    fresh: true,
                    problem: None,
                });
            }
        }
        match self.refresh(id).await {
            Ok(context) => Ok(OpenedTicket {
                context,
                fresh: true,
                problem: None,
            }),
            Err(e) if e.is_offline() || e.code() == ErrorCode::RateLimited => Ok(OpenedTicket {
                context: self.context(id).await?,
                fresh: false,
                problem: Some(e.into()),
            }),
            Err(e) => Err(e),
        }
    }
}

/// Whether an attachment's address may be opened: https, on the workspace's own host, or on
/// Trengo's file hosts (`trengo.com`, `trengo.eu` and their subdomains; `.test` names, which can
/// never be real hosts, are the simulator's). Never a local path or another scheme.
pub fn attachment_host_allowed(url: &str, base_url: &str) -> std::result::Result<(), String> {
    let u = url::Url::parse(url).map_err(|e| format!("{url:?} is not a web address ({e})"))?;
    let base = url::Url::parse(base_url).ok();
    let host = u.host_str().unwrap_or("").to_ascii_lowercase();
    let own = base
        .as_ref()
        .and_then(|b| b.host_str())
        .is_some_and(|h| h.eq_ignore_ascii_case(&host));
    let secure = u.scheme() == "https" || (own && u.scheme() == "http");
    if !secure {
        return Err(format!(
            "{url:?} is not an https address; only Trengo's own files are opened"
        ));
    }
    let trengo = ["trengo.com", "trengo.eu", "trengo.test"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")));
    if own || trengo {
        Ok(())
    } else {
        Err(format!(
            "{host} is neither this workspace's host nor one of Trengo's file hosts, so the attachment is not opened"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::attachment_host_allowed;

    #[test]
    fn attachments_open_only_from_trengo_or_the_workspace() {
        let base = "https://app.trengo.com/api/v2";
        for ok in [
            "https://assets.trengo.com/media/1/a.pdf",
            "https://trengo.eu/x",
            "https://app.trengo.com/files/2",
            "https://assets.trengo.test/media/3/b.png",
        ] {
            assert!(attachment_host_allowed(ok, base).is_ok(), "{ok}");
        }
        for bad in [
            "file:///etc/passwd",
            "http://assets.trengo.com/a",
            "https://evil.example/trengo.com",
            "https://trengo.com.evil.example/a",
            "javascript:alert(1)",
            "/tmp/x",
        ] {
            assert!(attachment_host_allowed(bad, base).is_err(), "{bad}");
        }
        assert!(
            attachment_host_allowed("http://127.0.0.1:9/f", "http://127.0.0.1:9/api/v2").is_ok()
        );
    }
}
