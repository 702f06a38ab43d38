//! # trengo-unified: Trengo in the shape of unified ticketing APIs
//!
//! [`Unified`] lists and reads Tickets, TicketStatus, Comments, Contacts, Attachments, Fields,
//! Tags, Teams, Users, Groups and Roles ([`model`]), offers the writes the product needs, and passes
//! raw calls through to Trengo ([`Unified::proxy`]). Mapping from Trengo's records is pure
//! ([`mapping`]); lists page with an opaque [`cursor`].

pub mod cursor;
pub mod error;
pub mod mapping;
pub mod model;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use chrono::Duration as ChronoDuration;
use futures::TryStreamExt;
use serde::Serialize;
use serde_json::Value;
use trengo_api::model as tm;
use trengo_api::{Assignee, Client, NewTicketContact, RawResponse, TicketQuery};

pub use error::{Error, ErrorKind, Result};
pub use mapping::Directory;
pub use model::*;
/// The Trengo client underneath, for what the unified shape does not cover.
pub use trengo_api as api;

use cursor::Position;

/// Trengo's page size.
pub const TRENGO_PAGE: u32 = 25;
/// Incremental reads look this far behind `updated_after`.
pub const OVERLAP_SECS: i64 = 120;
/// A call that filters locally reads at most this many Trengo pages before it hands out a cursor.
const MAX_PAGES_PER_CALL: u64 = 40;

/// The resources, by the names the CLI and the UI use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Tickets,
    TicketStatus,
    Comments,
    Contacts,
    Attachments,
    Fields,
    Tags,
    Teams,
    Users,
    Groups,
    Roles,
}

impl Resource {
    pub const ALL: [Resource; 11] = [
        Resource::Tickets,
        Resource::TicketStatus,
        Resource::Comments,
        Resource::Contacts,
        Resource::Attachments,
        Resource::Fields,
        Resource::Tags,
        Resource::Teams,
        Resource::Users,
        Resource::Groups,
        Resource::Roles,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Resource::Tickets => "tickets",
            Resource::TicketStatus => "ticket_status",
            Resource::Comments => "comments",
            Resource::Contacts => "contacts",
            Resource::Attachments => "attachments",
            Resource::Fields => "fields",
            Resource::Tags => "tags",
            Resource::Teams => "teams",
            Resource::Users => "users",
            Resource::Groups => "groups",
            Resource::Roles => "roles",
        }
    }

    pub fn parse(s: &str) -> Result<Resource> {
        Resource::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown resource {s:?}; one of: {}",
                    Resource::ALL
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

/// A change to a ticket; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TicketUpdate {
    /// `open` (reopen) or `closed`.
    pub status: Option<String>,
    pub team_id: Option<String>,
    pub assignee_id: Option<String>,
}

/// Trengo in the unified shape. Cheap to clone.
#[derive(Clone)]
pub struct Unified {
    client: Client,
    dir: Arc<RwLock<Directory>>,
}

fn id_of(kind: &str, id: &str) -> Result<u64> {
    id.trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| Error::invalid(format!("{kind} id {id:?} is not a Trengo id (a number)")))
}

fn limit_of(p: &ListParams) -> Result<usize> {
    match p.limit {
        None => Ok(TRENGO_PAGE as usize),
        Some(0) => Err(Error::invalid("limit must be at least 1")),
        Some(n) if n > 1_000 => Err(Error::invalid("limit must be at most 1000")),
        Some(n) => Ok(n as usize),
    }
}

fn to_values<T: Serialize>(p: Page<T>) -> Page<Value> {
    Page {
        result: p
            .result
            .into_iter()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect(),
        next_cursor: p.next_cursor,
        prev_cursor: p.prev_cursor,
    }
}

/// Pages over a static list.
fn static_page<T: Clone>(resource: &str, params: &ListParams, all: Vec<T>) -> Result<Page<T>> {
    let limit = limit_of(params)?;
    let start = match &params.cursor {
        Some(c) => cursor::decode(resource, params, c)?.offset,
        None => 0,
    };
    let result: Vec<T> = all.iter().skip(start).take(limit).cloned().collect();
    let end = start + result.len();
    let next_cursor = (end < all.len()).then(|| {
        cursor::encode(
            resource,
            params,
            Position {
                page: 1,
                offset: end,
            },
        )
    });
    Ok(Page {
        result,
        next_cursor,
        prev_cursor: None,
    })
}

impl Unified {
    pub fn new(client: Client) -> Unified {
        Unified {
            client,
            dir: Arc::new(RwLock::new(Directory::default())),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A clone whose requests go in another lane of the budget.
    pub fn lane(&self, lane: trengo_api::Lane) -> Unified {
        Unified {
            client: self.client.lane(lane),
            dir: self.dir.clone(),
        }
    }

    pub fn directory(&self) -> Directory {
        self.dir.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Names for refs, e.g. from a local cache.
    pub fn set_directory(&self, d: Directory) {
        *self.dir.write().unwrap_or_else(|e| e.into_inner()) = d;
    }

    /// Reads users, teams, labels, channels and fields from Trengo (a few requests).
    #[tracing::instrument(skip(self))]
    pub async fn refresh_directory(&self) -> Result<Directory> {
        let c = &self.client;
        let (users, teams, labels, channels, fields) = tokio::try_join!(
            c.all_users().try_collect::<Vec<_>>(),
            c.all_teams().try_collect::<Vec<_>>(),
            c.all_labels().try_collect::<Vec<_>>(),
            c.all_channels().try_collect::<Vec<_>>(),
            c.all_custom_fields().try_collect::<Vec<_>>(),
        )?;
        // The zone most users keep is preferred where Trengo's clock fits several.
        c.set_zone_hint_from(&users);
        let d = Directory::from_api(&users, &teams, &labels, &channels, &fields);
        self.set_directory(d.clone());
        Ok(d)
    }

    async fn ensure_directory(&self) -> Result<()> {
        let empty = self
            .dir
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .users
            .is_empty();
        if empty {
            self.refresh_directory().await?;
        }
        Ok(())
    }

    /// Reads Trengo pages from the cursor's position, maps and filters them, and stops at `limit`.
    async fn paged<U, F, Fut>(
        &self,
        resource: &str,
        params: &ListParams,
        fetch: F,
    ) -> Result<Page<U>>
    where
        F: Fn(u64) -> Fut,
        Fut: Future<Output = Result<(Vec<U>, bool)>>,
    {
        let limit = limit_of(params)?;
        let mut pos = match &params.cursor {
            Some(c) => cursor::decode(resource, params, c)?,
            None => Position { page: 1, offset: 0 },
        };
        let mut result = Vec::with_capacity(limit.min(1_000));
        let mut pages = 0;
        loop {
            let (items, has_next) = fetch(pos.page).await?;
            pages += 1;
            let available = items.len();
            for (i, item) in items.into_iter().enumerate().skip(pos.offset) {
                result.push(item);
                if result.len() == limit {
                    let next = if i + 1 < available {
                        Some(Position {
                            page: pos.page,
                            offset: i + 1,
                        })
                    } else if has_next {
                        Some(Position {
                            page: pos.page + 1,
                            offset: 0,
                        })
                    } else {
                        None
                    };
                    return Ok(Page {
                        result,
                        next_cursor: next.map(|p| cursor::encode(resource, params, p)),
                        prev_cursor: None,
                    });
                }
            }
            if !has_next || available == 0 {
                return Ok(Page {
                    result,
                    next_cursor: None,
                    prev_cursor: None,
                });
            }
            pos = Position {
                page: pos.page + 1,
                offset: 0,
            };
            if pages >= MAX_PAGES_PER_CALL {
                return Ok(Page {
                    result,
                    next_cursor: Some(cursor::encode(resource, params, pos)),
                    prev_cursor: None,
                });
            }
        }
    }

    fn updated_since(params: &ListParams) -> Option<chrono::DateTime<chrono::Utc>> {
        params
            .updated_after
            .map(|t| t - ChronoDuration::seconds(OVERLAP_SECS))
    }

    // ---- tickets ----

    fn ticket_query(params: &ListParams) -> Result<(TicketQuery, bool)> {
        let mut q = TicketQuery::default();
        let mut open_only = false;
        if let Some(s) = params.status.as_deref() {
            match s.to_ascii_lowercase().as_str() {
                // Trengo has no filter for OPEN and ASSIGNED together: filtered here.
                "open" => open_only = true,
                "closed" => q.status = Some(tm::TicketStatus::Closed),
                "spam" | "invalid" => q.status = Some(tm::TicketStatus::Invalid),
                "assigned" => q.status = Some(tm::TicketStatus::Assigned),
                "unassigned" | "new" => q.status = Some(tm::TicketStatus::Open),
                other => {
                    return Err(Error::invalid(format!(
                    "unknown ticket status {other:?}: open, closed, spam, assigned or unassigned"
                )))
                }
            }
        }
        let ids = |v: &Option<String>, what: &str| -> Result<Vec<u64>> {
            v.as_deref()
                .map(|s| id_of(what, s))
                .transpose()
                .map(|o| o.into_iter().collect())
        };
        q.users = ids(&params.assignee_id, "assignee")?;
        q.labels = ids(&params.tag_id, "tag")?;
        q.channels = ids(&params.channel_id, "channel")?;
        q.contact_id = params
            .contact_id
            .as_deref()
            .map(|s| id_of("contact", s))
            .transpose()?;
        q.term = params.search.clone();
        Ok((q, open_only))
    }

    #[tracing::instrument(skip(self))]
    pub async fn list_tickets(&self, params: &ListParams) -> Result<Page<Ticket>> {
        self.ensure_directory().await?;
        let (q, open_only) = Self::ticket_query(params)?;
        let since = Self::updated_since(params);
        let keep = !params.without_remote_data;
        let dir = self.directory();
        let base = self.client.base_url().to_string();
        self.paged("tickets", params, |page| {
            let (q, dir, base) = (q.clone(), &dir, &base);
            async move {
                let pg = self.client.tickets(&q, page).await?;
                let has_next = pg.has_next();
                let items = pg
                    .data
                    .iter()
                    .filter(|t| {
                        !open_only
                            || matches!(
                                t.status,
                                tm::TicketStatus::Open | tm::TicketStatus::Assigned
                            )
                    })
                    .filter(|t| since.is_none_or(|s| t.updated_at.is_none_or(|u| u >= s)))
                    .map(|t| mapping::ticket(t, dir, base, keep))
                    .collect();
                Ok((items, has_next))
            }
        })
        .await
    }

    pub async fn get_ticket(&self, id: &str) -> Result<Ticket> {
        self.ensure_directory().await?;
        let t = self.client.ticket(id_of("ticket", id)?).await?;
        Ok(mapping::ticket(
            &t,
            &self.directory(),
            self.client.base_url(),
            true,
        ))
    }

    pub fn ticket_statuses(&self, params: &ListParams) -> Result<Page<TicketStatus>> {
        static_page("ticket_status", params, mapping::ticket_statuses())
    }

    // ---- comments and attachments ----

    fn ticket_of(params: &ListParams, what: &str) -> Result<u64> {
        let t = params
            .ticket_id
            .as_deref()
            .ok_or_else(|| Error::invalid(format!("{what} are read per ticket: give ticket_id")))?;
        id_of("ticket", t)
    }

    pub async fn list_comments(&self, params: &ListParams) -> Result<Page<Comment>> {
        self.ensure_directory().await?;
        let ticket = Self::ticket_of(params, "comments")?;
        let keep = !params.without_remote_data;
        let dir = self.directory();
        self.paged("comments", params, |page| {
            let dir = &dir;
            async move {
                let pg = self.client.messages(ticket, page).await?;
                Ok((
                    pg.data
                        .iter()
                        .map(|m| mapping::comment(m, ticket, dir, keep))
                        .collect(),
                    pg.has_next(),
                ))
            }
        })
        .await
    }

    pub async fn list_attachments(&self, params: &ListParams) -> Result<Page<Attachment>> {
        let ticket = Self::ticket_of(params, "attachments")?;
        self.paged("attachments", params, |page| async move {
            let pg = self.client.messages(ticket, page).await?;
            let items = pg
                .data
                .iter()
                .flat_map(|m| {
                    m.attachments.iter().map(move |a| {
                        mapping::attachment(a, Some(ticket), Some(m.id), m.created_at)
                    })
                })
                .collect();
            Ok((items, pg.has_next()))
        })
        .await
    }

    // ---- contacts ----

    pub async fn list_contacts(&self, params: &ListParams) -> Result<Page<Contact>> {
        self.ensure_directory().await?;
        let keep = !params.without_remote_data;
        let dir = self.directory();
        let term = params.search.clone();
        self.paged("contacts", params, |page| {
            let (dir, term) = (&dir, term.clone());
            async move {
                let pg = self.client.contacts(term.as_deref(), page).await?;
                Ok((
                    pg.data
                        .iter()
                        .map(|c| mapping::contact(c, dir, keep))
                        .collect(),
                    pg.has_next(),
                ))
            }
        })
        .await
    }

    pub async fn get_contact(&self, id: &str) -> Result<Contact> {
        self.ensure_directory().await?;
        let c = self.client.contact(id_of("contact", id)?, false).await?;
        Ok(mapping::contact(&c, &self.directory(), true))
    }

    // ---- directory resources ----

    pub async fn list_fields(&self, params: &ListParams) -> Result<Page<Field>> {
        let entity = params.entity_type.clone().map(|e| EntityType::parse(&e));
        let keep = !params.without_remote_data;
        self.paged("fields", params, |page| {
            let entity = entity.clone();
            async move {
                let pg = self.client.custom_fields(page).await?;
                let items = pg
                    .data
                    .iter()
                    .map(|f| mapping::field(f, keep))
                    .filter(|f| entity.as_ref().is_none_or(|e| &f.entity_type == e))
                    .collect();
                Ok((items, pg.has_next()))
            }
        })
        .await
    }

    pub async fn list_tags(&self, params: &ListParams) -> Result<Page<Tag>> {
        let keep = !params.without_remote_data;
        self.paged("tags", params, |page| async move {
            let pg = self.client.labels(page).await?;
            Ok((
                pg.data.iter().map(|l| mapping::tag(l, keep)).collect(),
                pg.has_next(),
            ))
        })
        .await
    }

    pub async fn list_teams(&self, params: &ListParams) -> Result<Page<Team>> {
        let keep = !params.without_remote_data;
        self.paged("teams", params, |page| async move {
            let pg = self.client.teams(page).await?;
            Ok((
                pg.data.iter().map(|t| mapping::team(t, keep)).collect(),
                pg.has_next(),
            ))
        })
        .await
    }

    pub async fn list_groups(&self, params: &ListParams) -> Result<Page<Group>> {
        let keep = !params.without_remote_data;
        self.paged("groups", params, |page| async move {
            let pg = self.client.teams(page).await?;
            Ok((
                pg.data.iter().map(|t| mapping::group(t, keep)).collect(),
                pg.has_next(),
            ))
        })
        .await
    }

    pub async fn list_users(&self, params: &ListParams) -> Result<Page<User>> {
        self.ensure_directory().await?;
        let keep = !params.without_remote_data;
        let dir = self.directory();
        self.paged("users", params, |page| {
            let dir = &dir;
            async move {
                let pg = self.client.users(page).await?;
                Ok((
                    pg.data
                        .iter()
                        .map(|u| mapping::user(u, dir, keep))
                        .collect(),
                    pg.has_next(),
                ))
            }
        })
        .await
    }

    pub fn list_roles(&self, params: &ListParams) -> Result<Page<Role>> {
        static_page("roles", params, mapping::roles())
    }

    /// Any resource as JSON, for the CLI and the proxy-minded.
    pub async fn list_json(&self, resource: Resource, params: &ListParams) -> Result<Page<Value>> {
        Ok(match resource {
            Resource::Tickets => to_values(self.list_tickets(params).await?),
            Resource::TicketStatus => to_values(self.ticket_statuses(params)?),
            Resource::Comments => to_values(self.list_comments(params).await?),
            Resource::Contacts => to_values(self.list_contacts(params).await?),
            Resource::Attachments => to_values(self.list_attachments(params).await?),
            Resource::Fields => to_values(self.list_fields(params).await?),
            Resource::Tags => to_values(self.list_tags(params).await?),
            Resource::Teams => to_values(self.list_teams(params).await?),
            Resource::Users => to_values(self.list_users(params).await?),
            Resource::Groups => to_values(self.list_groups(params).await?),
            Resource::Roles => to_values(self.list_roles(params)?),
        })
    }

    /// One record of any resource as JSON.
    pub async fn get_json(&self, resource: Resource, id: &str) -> Result<Value> {
        let v = |r: Result<Value, serde_json::Error>| {
            r.map_err(|e| Error::local(ErrorKind::Decode, e.to_string()))
        };
        let not_found = |what: &str| Error {
            kind: ErrorKind::NotFound,
            status: None,
            message: format!("no {what} with id {id}"),
            ..Error::local(ErrorKind::NotFound, "")
        };
        match resource {
            Resource::Tickets => v(serde_json::to_value(self.get_ticket(id).await?)),
            Resource::Contacts => v(serde_json::to_value(self.get_contact(id).await?)),
            Resource::Users => {
                self.ensure_directory().await?;
                let u = self.client.user(id_of("user", id)?).await?;
                v(serde_json::to_value(mapping::user(
                    &u,
                    &self.directory(),
                    true,
                )))
            }
            Resource::Teams => v(serde_json::to_value(mapping::team(
                &self.client.team(id_of("team", id)?).await?,
                true,
            ))),
            Resource::Groups => v(serde_json::to_value(mapping::group(
                &self.client.team(id_of("group", id)?).await?,
                true,
            ))),
            Resource::Tags => v(serde_json::to_value(mapping::tag(
                &self.client.label(id_of("tag", id)?).await?,
                true,
            ))),
            Resource::Fields => {
                let all: Vec<_> = self
                    .client
                    .all_custom_fields()
                    .try_collect()
                    .await
                    .map_err(Error::from)?;
                let f = all
                    .iter()
                    .find(|f| f.id.to_string() == id)
                    .ok_or_else(|| not_found("field"))?;
                v(serde_json::to_value(mapping::field(f, true)))
            }
            Resource::TicketStatus => {
                let s = mapping::ticket_statuses()
                    .into_iter()
                    .find(|s| s.id.eq_ignore_ascii_case(id))
                    .ok_or_else(|| not_found("ticket status"))?;
                v(serde_json::to_value(s))
            }
            Resource::Roles => {
                let r = mapping::roles()
                    .into_iter()
                    .find(|r| r.id.eq_ignore_ascii_case(id))
                    .ok_or_else(|| not_found("role"))?;
                v(serde_json::to_value(r))
            }
            Resource::Comments | Resource::Attachments => Err(Error::invalid(format!(
                "{} are read through their ticket: list them with ticket_id",
                resource.name()
            ))),
        }
    }

    // ---- writes ----

    /// Changes status, team and/or assignee, and returns the ticket as it now stands.
    #[tracing::instrument(skip(self))]
    pub async fn update_ticket(&self, id: &str, u: &TicketUpdate) -> Result<Ticket> {
        let tid = id_of("ticket", id)?;
        if let Some(team) = &u.team_id {
            self.client
                .assign_ticket(tid, Assignee::Team(id_of("team", team)?), None)
                .await?;
        }
        if let Some(user) = &u.assignee_id {
            self.client
                .assign_ticket(tid, Assignee::User(id_of("user", user)?), None)
                .await?;
        }
        match u.status.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => {}
            Some("closed") => {
                self.client.close_ticket(tid, None).await?;
            }
            Some("open") => {
                self.client.reopen_ticket(tid).await?;
            }
            Some(other) => {
                return Err(Error::invalid(format!(
                    "a ticket's status can be set to open or closed, not {other:?}"
                )))
            }
        }
        self.get_ticket(id).await
    }

    pub async fn add_tags(&self, ticket_id: &str, tag_ids: &[String]) -> Result<Ticket> {
        let tid = id_of("ticket", ticket_id)?;
        for t in tag_ids {
            self.client.attach_label(tid, id_of("tag", t)?).await?;
        }
        self.get_ticket(ticket_id).await
    }

    pub async fn remove_tags(&self, ticket_id: &str, tag_ids: &[String]) -> Result<Ticket> {
        let tid = id_of("ticket", ticket_id)?;
        for t in tag_ids {
            self.client.detach_label(tid, id_of("tag", t)?).await?;
        }
        self.get_ticket(ticket_id).await
    }

    /// A new ticket to a contact id, or to an email/phone Trengo resolves to a contact.
    pub async fn create_ticket(
        &self,
        channel_id: &str,
        contact: &str,
        subject: Option<&str>,
    ) -> Result<Ticket> {
        let who = match contact.parse::<u64>() {
            Ok(id) => NewTicketContact::Id(id),
            Err(_) => NewTicketContact::Identifier(contact.to_string()),
        };
        let t = self
            .client
            .create_ticket(id_of("channel", channel_id)?, who, subject)
            .await?;
        self.get_ticket(&t.id.to_string()).await
    }

    /// Posts an internal note (or, with `internal = false`, a reply).
    pub async fn create_comment(
        &self,
        ticket_id: &str,
        body: &str,
        internal: bool,
    ) -> Result<Comment> {
        if body.trim().is_empty() {
            return Err(Error::invalid("the comment is empty"));
        }
        self.ensure_directory().await?;
        let tid = id_of("ticket", ticket_id)?;
        let m = self.client.post_message(tid, body, internal, &[]).await?;
        Ok(mapping::comment(&m, tid, &self.directory(), true))
    }

    fn field_for(&self, key: &str, entity: EntityType) -> Result<Field> {
        let d = self.directory();
        let f = d
            .find_field(key)
            .filter(|f| f.entity_type == entity)
            .cloned();
        f.ok_or_else(|| {
            Error::invalid(format!(
                "no {} field {key:?} in this workspace",
                entity.as_str()
            ))
        })
    }

    /// Sets contact custom fields (by field id, name or label) and returns the contact as it now stands.
    pub async fn set_contact_fields(
        &self,
        contact_id: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<Contact> {
        self.ensure_directory().await?;
        let cid = id_of("contact", contact_id)?;
        for (k, v) in values {
            let f = self.field_for(k, EntityType::Contact)?;
            self.client
                .set_contact_custom_field(cid, id_of("field", &f.id)?, v)
                .await?;
        }
        self.get_contact(contact_id).await
    }

    pub async fn set_ticket_fields(
        &self,
        ticket_id: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<Ticket> {
        self.ensure_directory().await?;
        let tid = id_of("ticket", ticket_id)?;
        for (k, v) in values {
            let f = self.field_for(k, EntityType::Ticket)?;
            self.client
                .set_ticket_custom_field(tid, id_of("field", &f.id)?, v)
                .await?;
        }
        self.get_ticket(ticket_id).await
    }

    /// The raw Trengo call, paced, retried and logged like every other.
    pub async fn proxy(
        &self,
        method: http::Method,
        path: &str,
        query: Vec<(String, String)>,
        body: Option<Value>,
    ) -> Result<RawResponse> {
        Ok(self.client.raw(method, path, query, body).await?)
    }
}
