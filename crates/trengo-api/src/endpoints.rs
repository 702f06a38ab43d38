//! Every endpoint of ../shared/trengo-api.md §4, typed. Requests queue in the client's lane
//! (see [`Client::lane`]).

use futures::Stream;
use http::Method;
use serde_json::{json, Value};

use crate::client::{ApiRequest, Client};
use crate::error::Result;
use crate::model::*;

/// Filters for `GET /tickets`. There is no team filter in Trengo's API.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketQuery {
    pub status: Option<TicketStatus>,
    pub users: Vec<u64>,
    pub channels: Vec<u64>,
    pub labels: Vec<u64>,
    pub contact_id: Option<u64>,
    pub term: Option<String>,
    pub sort: Option<TicketSort>,
    pub last_message_type: Option<MessageType>,
    /// Only tickets changed after this time, unix seconds (`updated_at_gt`, sent as Trengo's
    /// Amsterdam wall clock): a guess of the
    /// API notes, honoured by some workspaces and ignored by others (probe it first).
    pub updated_after: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketSort {
    /// The oldest last message first (`sort=date`: Trengo orders by the last message's date).
    OldestFirst,
    /// The newest last message first (`sort=-date`); a ticket with no message yet by its making.
    NewestFirst,
}

impl TicketQuery {
    /// The query, its time filters as wall-clock time in `zone` (the workspace's, as Trengo
    /// compares them with its own zone-less times).
    pub fn pairs(&self, zone: chrono_tz::Tz) -> Vec<(String, String)> {
        let mut q = vec![];
        if let Some(s) = &self.status {
            q.push(("status".into(), s.as_str().to_string()));
        }
        for (key, ids) in [
            ("users[]", &self.users),
            ("channels[]", &self.channels),
            ("labels[]", &self.labels),
        ] {
            q.extend(ids.iter().map(|id| (key.to_string(), id.to_string())));
        }
        if let Some(c) = self.contact_id {
            q.push(("contact_id".into(), c.to_string()));
        }
        if let Some(t) = self
            .term
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            q.push(("term".into(), t.to_string()));
        }
        match self.sort {
            Some(TicketSort::OldestFirst) => q.push(("sort".into(), "date".into())),
            Some(TicketSort::NewestFirst) => q.push(("sort".into(), "-date".into())),
            None => {}
        }
        if let Some(t) = &self.last_message_type {
            q.push(("last_message_type".into(), t.as_str().to_string()));
        }
        if let Some(t) = self
            .updated_after
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        {
            // Trengo compares it with its own zone-less times.
            q.push((
                "updated_at_gt".into(),
                crate::de::format_wall_clock(t, zone),
            ));
        }
        q
    }
}

/// Who a ticket is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    User(u64),
    Team(u64),
}

/// `POST /tickets`: to an existing contact, or to an identifier (email, phone) Trengo resolves.
#[derive(Debug, Clone, PartialEq)]
pub enum NewTicketContact {
    Id(u64),
    Identifier(String),
}

impl Client {
    // ---- directory ----

    /// The token's owner.
    pub async fn me(&self) -> Result<User> {
        self.call(ApiRequest::get("/users/me", "/users/me")).await
    }

    pub async fn users(&self, page: u64) -> Result<ListPage<User>> {
        self.page("/users", "/users", &[], page).await
    }

    pub fn all_users(&self) -> impl Stream<Item = Result<User>> + Send + 'static {
        self.paginate("/users", "/users", vec![])
    }

    pub async fn user(&self, id: u64) -> Result<User> {
        self.call(ApiRequest::get("/users/{id}", format!("/users/{id}")))
            .await
    }

    pub async fn teams(&self, page: u64) -> Result<ListPage<Team>> {
        self.page("/teams", "/teams", &[], page).await
    }

    pub fn all_teams(&self) -> impl Stream<Item = Result<Team>> + Send + 'static {
        self.paginate("/teams", "/teams", vec![])
    }

    pub async fn team(&self, id: u64) -> Result<Team> {
        self.call(ApiRequest::get("/teams/{id}", format!("/teams/{id}")))
            .await
    }

    pub async fn labels(&self, page: u64) -> Result<ListPage<Label>> {
        self.page("/labels", "/labels", &[], page).await
    }

    pub fn all_labels(&self) -> impl Stream<Item = Result<Label>> + Send + 'static {
        self.paginate("/labels", "/labels", vec![])
    }

    pub async fn label(&self, id: u64) -> Result<Label> {
        self.call(ApiRequest::get("/labels/{id}", format!("/labels/{id}")))
            .await
    }

    pub async fn create_label(&self, name: &str, color: Option<&str>) -> Result<Label> {
        let mut body = json!({"name": name});
        if let Some(c) = color {
            body["color"] = json!(c);
        }
        self.call_create(ApiRequest::write(
            Method::POST,
            "/labels",
            "/labels",
            Some(body),
            false,
        ))
        .await
    }

    /// Renames, recolours or (un)archives a label; fields left `None` stay as they are.
    pub async fn update_label(
        &self,
        id: u64,
        name: Option<&str>,
        color: Option<&str>,
        archived: Option<bool>,
    ) -> Result<Option<Label>> {
        let mut body = serde_json::Map::new();
        if let Some(n) = name {
            body.insert("name".into(), json!(n));
        }
        if let Some(c) = color {
            body.insert("color".into(), json!(c));
        }
        if let Some(a) = archived {
            body.insert("archived".into(), json!(a));
        }
        self.call_write(ApiRequest::write(
            Method::PUT,
            "/labels/{id}",
            format!("/labels/{id}"),
            Some(Value::Object(body)),
            true,
        ))
        .await
    }

    pub async fn delete_label(&self, id: u64) -> Result<()> {
        self.call_write::<Value>(ApiRequest::write(
            Method::DELETE,
            "/labels/{id}",
            format!("/labels/{id}"),
            None,
            true,
        ))
        .await
        .map(drop)
    }

    pub async fn custom_fields(&self, page: u64) -> Result<ListPage<CustomField>> {
        self.page("/custom_fields", "/custom_fields", &[], page)
            .await
    }

    pub fn all_custom_fields(&self) -> impl Stream<Item = Result<CustomField>> + Send + 'static {
        self.paginate("/custom_fields", "/custom_fields", vec![])
    }

    pub async fn channels(&self, page: u64) -> Result<ListPage<Channel>> {
        self.page("/channels", "/channels", &[], page).await
    }

    pub fn all_channels(&self) -> impl Stream<Item = Result<Channel>> + Send + 'static {
        self.paginate("/channels", "/channels", vec![])
    }

    pub async fn ticket_results(&self, page: u64) -> Result<ListPage<TicketResult>> {
        self.page("/ticket_results", "/ticket_results", &[], page)
            .await
    }

    // ---- tickets ----

    /// One page (25) of tickets, newest first unless the query says otherwise.
    pub async fn tickets(&self, q: &TicketQuery, page: u64) -> Result<ListPage<Ticket>> {
        self.page("/tickets", "/tickets", &q.pairs(self.zone().tz()), page)
            .await
    }

    pub fn all_tickets(
        &self,
        q: &TicketQuery,
    ) -> impl Stream<Item = Result<Ticket>> + Send + 'static {
        self.paginate("/tickets", "/tickets", q.pairs(self.zone().tz()))
    }

    pub async fn ticket(&self, id: u64) -> Result<Ticket> {
        self.call(ApiRequest::get("/tickets/{id}", format!("/tickets/{id}")))
            .await
    }

    /// Creates a ticket, assigned to the token's owner. Not repeated when its outcome is unknown.
    pub async fn create_ticket(
        &self,
        channel_id: u64,
        contact: NewTicketContact,
        subject: Option<&str>,
    ) -> Result<Ticket> {
        let mut body = json!({"channel_id": channel_id});
        match contact {
            NewTicketContact::Id(id) => body["contact_id"] = json!(id),
            NewTicketContact::Identifier(s) => body["contact_identifier"] = json!(s),
        }
        if let Some(s) = subject {
            body["subject"] = json!(s);
        }
        self.call_create(ApiRequest::write(
            Method::POST,
            "/tickets",
            "/tickets",
            Some(body),
            false,
        ))
        .await
    }

    /// Assigns to a user or a team. A `note` also posts an internal note, which makes the call
    /// not safe to repeat.
    pub async fn assign_ticket(
        &self,
        id: u64,
        to: Assignee,
        note: Option<&str>,
    ) -> Result<Option<Ticket>> {
        let mut body = match to {
            Assignee::User(u) => json!({"type": "user", "user_id": u}),
            Assignee::Team(t) => json!({"type": "team", "team_id": t}),
        };
        if let Some(n) = note {
            body["note"] = json!(n);
        }
        let req = ApiRequest::write(
            Method::POST,
            "/tickets/{id}/assign",
            format!("/tickets/{id}/assign"),
            Some(body),
            note.is_none(),
        );
        self.call_write(req).await
    }

    pub async fn close_ticket(
        &self,
        id: u64,
        ticket_result_id: Option<u64>,
    ) -> Result<Option<Ticket>> {
        let body = match ticket_result_id {
            Some(r) => json!({"ticket_result_id": r}),
            None => json!({}),
        };
        self.call_write(ApiRequest::write(
            Method::POST,
            "/tickets/{id}/close",
            format!("/tickets/{id}/close"),
            Some(body),
            true,
        ))
        .await
    }

    pub async fn reopen_ticket(&self, id: u64) -> Result<Option<Ticket>> {
        self.call_write(ApiRequest::write(
            Method::POST,
            "/tickets/{id}/reopen",
            format!("/tickets/{id}/reopen"),
            Some(json!({})),
            true,
        ))
        .await
    }

    /// Attaches one label; attaching one already there changes nothing.
    pub async fn attach_label(&self, id: u64, label_id: u64) -> Result<()> {
        let req = ApiRequest::write(
            Method::POST,
            "/tickets/{id}/labels",
            format!("/tickets/{id}/labels"),
            Some(json!({"label_id": label_id})),
            true,
        );
        self.call_write::<Value>(req).await.map(drop)
    }

    pub async fn detach_label(&self, id: u64, label_id: u64) -> Result<()> {
        let req = ApiRequest::write(
            Method::DELETE,
            "/tickets/{id}/labels/{label_id}",
            format!("/tickets/{id}/labels/{label_id}"),
            None,
            true,
        );
        self.call_write::<Value>(req).await.map(drop)
    }

    /// One page of a ticket's messages (Trengo's order: newest first).
    pub async fn messages(&self, ticket_id: u64, page: u64) -> Result<ListPage<Message>> {
        self.page(
            "/tickets/{id}/messages",
            &format!("/tickets/{ticket_id}/messages"),
            &[],
            page,
        )
        .await
    }

    pub fn all_messages(
        &self,
        ticket_id: u64,
    ) -> impl Stream<Item = Result<Message>> + Send + 'static {
        self.paginate(
            "/tickets/{id}/messages",
            format!("/tickets/{ticket_id}/messages"),
            vec![],
        )
    }

    /// Posts an internal note (`internal = true`) or a reply. Never repeated once it may have
    /// arrived: a lost answer is [`crate::Error::UnknownOutcome`].
    pub async fn post_message(
        &self,
        ticket_id: u64,
        message: &str,
        internal: bool,
        attachment_ids: &[u64],
    ) -> Result<Message> {
        let mut body = json!({"message": message});
        if internal {
            body["internal_note"] = json!(true);
        }
        if !attachment_ids.is_empty() {
            body["attachment_ids"] = json!(attachment_ids);
        }
        let req = ApiRequest::write(
            Method::POST,
            "/tickets/{id}/messages",
            format!("/tickets/{ticket_id}/messages"),
            Some(body),
            false,
        );
        // Trengo wraps the new message: `{"message": {id, …, created_at, created_at_time, …}}`.
        let answer: Value = self.call_create(req).await?;
        let mut m = match answer {
            Value::Object(mut o) if o.get("message").is_some_and(Value::is_object) => {
                o.remove("message").unwrap_or_default()
            }
            other => other,
        };
        crate::de::raw_write_times(&mut m);
        let tz = self.zone().tz();
        crate::de::with_zone(tz, || serde_json::from_value(m)).map_err(|e| crate::Error::Decode {
            path: format!("/tickets/{ticket_id}/messages"),
            status: 200,
            message: format!(
                "the change was applied, but the answer is not the message expected ({e})"
            ),
            excerpt: String::new(),
        })
    }

    /// Sets a ticket custom field; an empty value clears it.
    pub async fn set_ticket_custom_field(
        &self,
        ticket_id: u64,
        field_id: u64,
        value: &str,
    ) -> Result<()> {
        let req = ApiRequest::write(
            Method::POST,
            "/tickets/{id}/custom_fields",
            format!("/tickets/{ticket_id}/custom_fields"),
            Some(json!({"custom_field_id": field_id, "value": value})),
            true,
        );
        self.call_write::<Value>(req).await.map(drop)
    }

    /// Merges `source` into `target`.
    pub async fn merge_tickets(&self, target: u64, source: u64) -> Result<()> {
        let req = ApiRequest::write(
            Method::POST,
            "/tickets/{id}/merge",
            format!("/tickets/{target}/merge"),
            Some(json!({"source_ticket_id": source})),
            false,
        );
        self.call_write::<Value>(req).await.map(drop)
    }

    pub async fn mark_spam(&self, id: u64) -> Result<()> {
        self.call_write::<Value>(ApiRequest::write(
            Method::POST,
            "/tickets/{id}/spam",
            format!("/tickets/{id}/spam"),
            Some(json!({})),
            true,
        ))
        .await
        .map(drop)
    }

    pub async fn unmark_spam(&self, id: u64) -> Result<()> {
        self.call_write::<Value>(ApiRequest::write(
            Method::DELETE,
            "/tickets/{id}/spam",
            format!("/tickets/{id}/spam"),
            None,
            true,
        ))
        .await
        .map(drop)
    }

    pub async fn delete_ticket(&self, id: u64) -> Result<()> {
        self.call_write::<Value>(ApiRequest::write(
            Method::DELETE,
            "/tickets/{id}",
            format!("/tickets/{id}"),
            None,
            true,
        ))
        .await
        .map(drop)
    }

    /// Deletes one message of a ticket (an internal note this app posted). Not in Trengo's
    /// published reference (trengo-api.md lists no message deletion): a 404 or 405 answer means
    /// the workspace does not allow it, and the caller says so.
    pub async fn delete_message(&self, ticket_id: u64, message_id: u64) -> Result<()> {
        self.call_write::<Value>(ApiRequest::write(
            Method::DELETE,
            "/tickets/{id}/messages/{message_id}",
            format!("/tickets/{ticket_id}/messages/{message_id}"),
            None,
            true,
        ))
        .await
        .map(drop)
    }

    // ---- contacts ----

    /// One page (25) of contacts; `term` searches name, email, phone and identifier.
    pub async fn contacts(&self, term: Option<&str>, page: u64) -> Result<ListPage<Contact>> {
        let q: Vec<(String, String)> = term
            .map(|t| vec![("term".to_string(), t.to_string())])
            .unwrap_or_default();
        self.page("/contacts", "/contacts", &q, page).await
    }

    pub fn all_contacts(
        &self,
        term: Option<&str>,
    ) -> impl Stream<Item = Result<Contact>> + Send + 'static {
        let q = term
            .map(|t| vec![("term".to_string(), t.to_string())])
            .unwrap_or_default();
        self.paginate("/contacts", "/contacts", q)
    }

    pub async fn contact(&self, id: u64, include_notes: bool) -> Result<Contact> {
        let mut req = ApiRequest::get("/contacts/{id}", format!("/contacts/{id}"));
        if include_notes {
            req = req.query(vec![("include".into(), "notes".into())]);
        }
        self.call(req).await
    }

    /// Creates a contact on a channel, or returns the one with that identifier.
    pub async fn create_contact(
        &self,
        channel_id: u64,
        identifier: &str,
        name: Option<&str>,
    ) -> Result<Contact> {
        let mut body = json!({"identifier": identifier});
        if let Some(n) = name {
            body["name"] = json!(n);
        }
        let req = ApiRequest::write(
            Method::POST,
            "/channels/{id}/contacts",
            format!("/channels/{channel_id}/contacts"),
            Some(body),
            true,
        );
        self.call_create(req).await
    }

    pub async fn update_contact(
        &self,
        id: u64,
        name: &str,
        contact_group_ids: Option<&[u64]>,
    ) -> Result<Option<Contact>> {
        let mut body = json!({"name": name});
        if let Some(g) = contact_group_ids {
            body["contact_group_ids"] = json!(g);
        }
        self.call_write(ApiRequest::write(
            Method::PUT,
            "/contacts/{id}",
            format!("/contacts/{id}"),
            Some(body),
            true,
        ))
        .await
    }

    /// Sets one custom field on one contact; an empty value clears it.
    pub async fn set_contact_custom_field(
        &self,
        contact_id: u64,
        field_id: u64,
        value: &str,
    ) -> Result<()> {
        let req = ApiRequest::write(
            Method::POST,
            "/contacts/{id}/custom_fields",
            format!("/contacts/{contact_id}/custom_fields"),
            Some(json!({"custom_field_id": field_id, "value": value})),
            true,
        );
        self.call_write::<Value>(req).await.map(drop)
    }
}
