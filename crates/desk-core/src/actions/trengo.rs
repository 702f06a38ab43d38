//! An action as Trengo is asked it: sent, a ticket or contact read as actions see it, and what a
//! write left shown in the cache.

use super::*;
use crate::cache::Cache;
use crate::error::Result;
use trengo_unified::api::{self, Assignee, Client};
use trengo_unified::mapping::Directory;

/// Sends `a` for the ticket (or contact) `target`; a note answers with the id of the message
/// Trengo made.
pub(crate) async fn send(
    client: &Client,
    target: u64,
    a: &Action,
) -> Result<Option<u64>, api::Error> {
    let id = a.id().unwrap_or(0);
    let r = match a {
        Action::AddNote { text, .. } => {
            return client
                .post_message(target, text, true, &[])
                .await
                .map(|m| Some(m.id))
        }
        Action::DeleteNote { .. } => match client.delete_message(target, id).await {
            // Gone already (deleted by someone, or by this job before its answer was lost), or
            // Trengo has no such route: the ticket's messages tell which.
            Err(api::Error::NotFound { path, message }) => {
                if note_still_there(client, target, id).await? {
                    Err(api::Error::Http {
                        status: 404,
                        path,
                        message: format!("Trengo did not delete the note ({message}): this workspace's API may not offer deleting a message, so the note stays"),
                        body: None,
                    })
                } else {
                    Ok(())
                }
            }
            r => r,
        },
        Action::SetTicketField { value, .. } => {
            client.set_ticket_custom_field(target, id, value).await
        }
        Action::DeleteTicket => match client.delete_ticket(target).await {
            // Gone already.
            Err(api::Error::NotFound { .. }) => Ok(()),
            r => r,
        },
        // Made by the runner's own step (it records the ids as they become known).
        Action::CreateTicket { .. } => Err(api::Error::Invalid(
            "a ticket is made by the new-ticket step".into(),
        )),
        Action::AddTag { .. } => client.attach_label(target, id).await,
        Action::RemoveTag { .. } => client.detach_label(target, id).await,
        Action::AssignTeam { .. } => client
            .assign_ticket(target, Assignee::Team(id), None)
            .await
            .map(drop),
        Action::AssignUser { .. } => client
            .assign_ticket(target, Assignee::User(id), None)
            .await
            .map(drop),
        Action::Close => client.close_ticket(target, None).await.map(drop),
        Action::Reopen => client.reopen_ticket(target).await.map(drop),
        Action::Merge {
            target_seen,
            source_seen,
            ..
        } => {
            if let Some(seen) = target_seen {
                let t = client.ticket(target).await?;
                if crate::actions::merge_mark(&t) != *seen {
                    return Err(api::Error::Invalid(format!(
                        "#{target} changed since the preview (now {}; the preview saw {seen}): nothing was merged",
                        crate::actions::merge_mark(&t)
                    )));
                }
            }
            match client.ticket(id).await {
                Err(api::Error::NotFound { .. }) => Err(api::Error::Invalid(format!(
                    "#{id} no longer exists (merged or deleted since the preview): nothing was sent"
                ))),
                Err(e) => Err(e),
                Ok(s) if crate::actions::merge_mark(&s) != *source_seen => {
                    Err(api::Error::Invalid(format!(
                        "#{id} changed since the preview (now {}; the preview saw {source_seen}): it was not merged",
                        crate::actions::merge_mark(&s)
                    )))
                }
                Ok(_) => client.merge_tickets(target, id).await,
            }
        }
        Action::MarkSpam => client.mark_spam(target).await.map(drop),
        Action::UnmarkSpam => client.unmark_spam(target).await.map(drop),
        Action::SetField { value, .. } => client.set_contact_custom_field(target, id, value).await,
    };
    r.map(|()| None)
}

/// Whether a ticket's newest messages (three pages) still hold the message `id`; a ticket gone
/// holds none.
async fn note_still_there(client: &Client, ticket: u64, id: u64) -> Result<bool, api::Error> {
    for page in 1..=3 {
        let p = match client.messages(ticket, page).await {
            Ok(p) => p,
            Err(api::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        if p.data.iter().any(|m| m.id == id) {
            return Ok(true);
        }
        if !p.has_next() {
            break;
        }
    }
    Ok(false)
}

/// Reads the record an item changes, as it is in Trengo now. `notes_since` (unix seconds) also
/// reads the ticket's newest messages for the internal notes posted since then; `count_messages`
/// reads them to count them where the ticket's show does not (`messages_count: null`).
pub(crate) async fn read(
    client: &Client,
    target: u64,
    on_contact: bool,
    dir: &Directory,
    notes_since: Option<i64>,
    count_messages: bool,
) -> Result<TicketState, api::Error> {
    if on_contact {
        let titles: std::collections::HashMap<String, String> = dir
            .fields
            .iter()
            .map(|f| (f.label.clone(), f.id.clone()))
            .collect();
        return client
            .contact(target, false)
            .await
            .map(|c| TicketState::from_contact(&c, &titles));
    }
    let t = client.ticket(target).await?;
    let mut s = TicketState::from_api(&t);
    let count = count_messages && t.messages_count.is_none();
    if notes_since.is_some() || count {
        let page = client.messages(target, 1).await?;
        if count {
            // Newest first, a page at a time: more than a page is "more than the job left".
            s.messages = page.data.len() as u64 + page.has_next() as u64;
        }
        if let Some(since) = notes_since {
            s.notes = page
                .data
                .iter()
                .filter(|m| m.kind == api::model::MessageType::Note)
                .filter_map(|m| {
                    let at = m.created_at.map(|t| t.timestamp()).unwrap_or(i64::MAX);
                    (at >= since).then(|| SeenNote {
                        id: m.id,
                        text: m.message.clone().unwrap_or_default(),
                        at,
                    })
                })
                .collect();
        }
    }
    Ok(s)
}

/// Shows a ticket's state as Trengo now has it in the cached ticket, if the cache holds it.
pub(crate) async fn show_ticket(
    cache: &Cache,
    dir: &Directory,
    ticket: u64,
    s: &TicketState,
) -> Result<()> {
    let st: api::model::TicketStatus = s.status.parse().unwrap_or_else(|e| match e {});
    cache
        .update_ticket(&ticket.to_string(), |t| {
            t.tags = s
                .tags
                .iter()
                .map(|g| {
                    let (name, color) = dir.labels.get(g).cloned().unwrap_or_default();
                    trengo_unified::TagRef {
                        id: g.to_string(),
                        name,
                        color,
                    }
                })
                .collect();
            t.team = s.team.map(|g| dir.team_ref(g));
            t.assignees = s.user.map(|u| vec![dir.user_ref(u)]).unwrap_or_default();
            t.status = trengo_unified::mapping::status(&st);
            if !t.status.kind.eq(&trengo_unified::StatusKind::Closed) {
                t.completed_at = None;
            } else if t.completed_at.is_none() {
                t.completed_at = Some(chrono::Utc::now());
            }
            // Ticket fields as read (Trengo's ticket carries them all, by field id).
            for f in dir
                .fields
                .iter()
                .filter(|f| f.entity_type == trengo_unified::EntityType::Ticket)
            {
                match s.fields.get(&f.id) {
                    Some(v) => {
                        t.custom_fields.insert(
                            f.name.clone(),
                            trengo_unified::mapping::typed_value(&f.field_type, v),
                        );
                    }
                    None => {
                        t.custom_fields.remove(&f.name);
                    }
                }
            }
        })
        .await?;
    Ok(())
}

/// Shows the fields an item set in the cached contact, if the cache holds it.
pub(crate) async fn show_contact(
    cache: &Cache,
    dir: &Directory,
    contact: u64,
    plan: &[Action],
) -> Result<()> {
    let Some(mut c) = cache.contact(&contact.to_string()).await? else {
        return Ok(());
    };
    for a in plan {
        if let Action::SetField { field_id, value } = a {
            let Some(f) = dir.field_by_id(field_id) else {
                continue;
            };
            if value.is_empty() {
                c.custom_fields.remove(&f.name);
            } else {
                c.custom_fields.insert(
                    f.name.clone(),
                    trengo_unified::mapping::typed_value(&f.field_type, value),
                );
            }
        }
    }
    let mut tx = cache.pool().begin().await?;
    Cache::put_contact(&mut tx, &c, chrono::Utc::now().timestamp()).await?;
    tx.commit().await?;
    Ok(())
}
