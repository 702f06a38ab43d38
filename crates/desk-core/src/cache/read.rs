//! Reading the cache for the window and the CLI: the directory, the ticket list's search and
//! counts, a ticket's whole context, how fresh the cache is, and names found by name.

use super::*;
use crate::error::{Error, Result};
use crate::{ContactId, FieldId, TeamId, TicketId, UserId};
use chrono::Utc;
use sqlx::Row;
use std::collections::HashMap;
use trengo_unified::model as u;
use trengo_unified::Directory;

impl Cache {
    /// Names for the unified mapping, from the cache.
    pub async fn directory(&self) -> Result<Directory> {
        let mut d = Directory::default();
        for r in sqlx::query("SELECT id, name, email FROM users")
            .fetch_all(&self.pool)
            .await?
        {
            d.users
                .insert(r.get::<i64, _>(0) as u64, (r.get(1), r.get(2)));
        }
        for r in sqlx::query("SELECT team_id, user_id FROM team_members")
            .fetch_all(&self.pool)
            .await?
        {
            d.user_teams
                .entry(r.get::<i64, _>(1) as u64)
                .or_default()
                .push(r.get::<i64, _>(0) as u64);
        }
        for r in sqlx::query("SELECT id, name FROM teams")
            .fetch_all(&self.pool)
            .await?
        {
            d.teams.insert(r.get::<i64, _>(0) as u64, r.get(1));
        }
        for r in sqlx::query("SELECT id, name, color FROM tags")
            .fetch_all(&self.pool)
            .await?
        {
            d.labels
                .insert(r.get::<i64, _>(0) as u64, (r.get(1), r.get(2)));
        }
        for r in sqlx::query("SELECT id, name FROM channels")
            .fetch_all(&self.pool)
            .await?
        {
            d.channels.insert(r.get::<i64, _>(0) as u64, r.get(1));
        }
        for (json,) in sqlx::query_as::<_, (String,)>("SELECT json FROM fields ORDER BY id")
            .fetch_all(&self.pool)
            .await?
        {
            if let Ok(f) = serde_json::from_str(&json) {
                d.fields.push(f);
            }
        }
        Ok(d)
    }

    pub async fn directory_lists(&self) -> Result<DirectoryLists> {
        let mut members: HashMap<TeamId, Vec<UserId>> = HashMap::new();
        let mut user_teams: HashMap<UserId, Vec<TeamId>> = HashMap::new();
        for r in sqlx::query("SELECT team_id, user_id FROM team_members ORDER BY team_id, user_id")
            .fetch_all(&self.pool)
            .await?
        {
            let (t, u): (TeamId, UserId) = (r.get(0), r.get(1));
            members.entry(t.clone()).or_default().push(u.clone());
            user_teams.entry(u).or_default().push(t);
        }
        let users =
            sqlx::query("SELECT id, name, email, role FROM users ORDER BY name COLLATE NOCASE")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|r| {
                    let i: UserId = r.get(0);
                    UserItem {
                        team_ids: user_teams.remove(&i).unwrap_or_default(),
                        id: i,
                        name: r.get(1),
                        email: r.get(2),
                        role: r.get(3),
                    }
                })
                .collect();
        let teams = sqlx::query(
            "SELECT t.id, t.name, (SELECT COUNT(*) FROM tickets k WHERE k.team_id = t.id AND k.in_working_set = 1 AND k.status_kind = 'open')
             FROM teams t ORDER BY t.name COLLATE NOCASE",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            let i: TeamId = r.get(0);
            TeamItem { member_ids: members.remove(&i).unwrap_or_default(), id: i, name: r.get(1), open_count: r.get::<i64, _>(2) as u32 }
        })
        .collect();
        let tags =
            sqlx::query("SELECT id, name, color, active FROM tags ORDER BY name COLLATE NOCASE")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|r| TagItem {
                    id: r.get(0),
                    name: r.get(1),
                    color: r.get(2),
                    active: r.get(3),
                })
                .collect();
        let fields = sqlx::query_as::<_, (String,)>("SELECT json FROM fields ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .filter_map(|(j,)| serde_json::from_str::<u::Field>(&j).ok())
            .map(|f| FieldDef::from(&f))
            .collect();
        let channels = sqlx::query("SELECT id, name FROM channels ORDER BY name COLLATE NOCASE")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| Named {
                id: r.get::<i64, _>(0).to_string(),
                name: r.get(1),
            })
            .collect();
        Ok(DirectoryLists {
            users,
            teams,
            tags,
            fields,
            channels,
        })
    }

    pub(crate) fn filter_sql(f: &TicketFilter) -> Result<(String, Vec<FilterArg>)> {
        let mut w = vec![];
        let mut args = vec![];
        match f.status.unwrap_or_default() {
            StatusFilter::Open => {
                w.push("t.in_working_set = 1 AND t.status_kind = 'open'".to_string())
            }
            StatusFilter::Unassigned => {
                w.push("t.in_working_set = 1 AND t.status = 'OPEN'".to_string())
            }
            StatusFilter::Assigned => {
                w.push("t.in_working_set = 1 AND t.status = 'ASSIGNED'".to_string())
            }
            StatusFilter::Closed => w.push("t.status_kind = 'closed'".to_string()),
            StatusFilter::Spam => w.push("t.status_kind = 'spam'".to_string()),
            StatusFilter::Any => {}
        }
        let num = |v: &str, what: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| Error::Invalid(format!("{what} {v:?} is not an id")))
        };
        if let Some(t) = &f.team_id {
            // One team, or several separated by commas ("my teams").
            let ids: Vec<&str> = t
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect();
            if ids.is_empty() {
                return Err(Error::Invalid("no team given".into()));
            }
            w.push(format!("t.team_id IN ({})", vec!["?"; ids.len()].join(",")));
            for i in ids {
                args.push(FilterArg::Int(num(i, "team")?));
            }
        }
        if let Some(a) = &f.assignee_id {
            w.push("t.user_id = ?".into());
            args.push(FilterArg::Int(num(a, "assignee")?));
        }
        if let Some(g) = &f.tag_id {
            w.push("t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag_id = ?)".into());
            args.push(FilterArg::Int(num(g, "tag")?));
        }
        if let Some(c) = &f.channel_id {
            w.push("t.channel_id = ?".into());
            args.push(FilterArg::Int(num(c, "channel")?));
        }
        if let Some(p) = &f.period {
            let (from, before) = p.instants()?;
            let col = match p.kind {
                crate::view::PeriodKind::Created => "t.created_at",
                crate::view::PeriodKind::Closed => "t.closed_at",
            };
            w.push(format!("{col} >= ? AND {col} < ?"));
            args.push(FilterArg::Int(from));
            args.push(FilterArg::Int(before));
        }
        if let Some(q) = f.text.as_deref().and_then(fts_query) {
            w.push("t.id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)".into());
            args.push(FilterArg::Text(q));
        }
        let clause = if w.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", w.join(" AND "))
        };
        Ok((clause, args))
    }

    /// Tickets matching a filter, one page, with the total.
    pub async fn search(&self, f: &TicketFilter) -> Result<SearchResult> {
        let (clause, args) = Self::filter_sql(f)?;
        let order = order_sql(f.sort);
        let limit = if f.limit == 0 { 50 } else { f.limit.min(500) };
        // The page of ids first, from an index alone; names are joined for those rows only.
        let sql = format!(
            "SELECT t.id, t.subject, t.preview, t.status, t.status_kind, t.contact_id, c.name, t.team_id, tm.name, t.user_id, us.name,
                    t.channel_id, ch.name, t.created_at, t.updated_at, t.in_working_set, t.waiting_since
             FROM (SELECT t.id FROM tickets t {clause} ORDER BY {order} LIMIT ? OFFSET ?) page
             JOIN tickets t ON t.id = page.id
             LEFT JOIN contacts c ON c.id = t.contact_id
             LEFT JOIN teams tm ON tm.id = t.team_id
             LEFT JOIN users us ON us.id = t.user_id
             LEFT JOIN channels ch ON ch.id = t.channel_id
             ORDER BY {order}"
        );
        let mut q = sqlx::query(&sql);
        for a in &args {
            q = a.bind(q);
        }
        let rows = q
            .bind(limit as i64)
            .bind(f.offset as i64)
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<TicketRow> = rows.iter().map(row_of).collect();
        self.attach_tags(&mut out).await?;
        let total = self.count(f).await?;
        Ok(SearchResult {
            rows: out,
            total,
            offset: f.offset,
        })
    }

    /// How many tickets match a filter.
    pub async fn count(&self, f: &TicketFilter) -> Result<u32> {
        let (clause, args) = Self::filter_sql(f)?;
        let count_sql = format!("SELECT COUNT(*) FROM tickets t {clause}");
        let mut cq = sqlx::query_scalar::<_, i64>(&count_sql);
        for a in &args {
            cq = a.bind_scalar(cq);
        }
        Ok(cq.fetch_one(&self.pool).await? as u32)
    }

    /// When the ticket of a filter read longest ago was read (unix seconds); `None`: no ticket.
    pub async fn oldest_read(&self, f: &TicketFilter) -> Result<Option<i64>> {
        let (clause, args) = Self::filter_sql(f)?;
        let sql = format!("SELECT COALESCE(MIN(t.synced_at), -1) FROM tickets t {clause}");
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for a in &args {
            q = a.bind_scalar(q);
        }
        Ok(Some(q.fetch_one(&self.pool).await?).filter(|t| *t >= 0))
    }

    /// Every ticket id matching a filter, in the filter's order, as numbers: one value from
    /// SQLite (a JSON list), not a row per ticket, so 100,000 come in a few milliseconds.
    pub async fn search_id_list(&self, f: &TicketFilter) -> Result<Vec<i64>> {
        let (clause, args) = Self::filter_sql(f)?;
        let order = order_sql(f.sort);
        let sql = format!(
            "SELECT COALESCE(json_group_array(id), '[]') FROM (SELECT t.id FROM tickets t {clause} ORDER BY {order})"
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for a in &args {
            q = match a {
                FilterArg::Int(i) => q.bind(*i),
                FilterArg::Text(t) => q.bind(t.clone()),
            };
        }
        let json = q.fetch_one(&self.pool).await?;
        serde_json::from_str(&json)
            .map_err(|e| Error::Invalid(format!("the cache's ticket list could not be read: {e}")))
    }

    /// Every ticket id matching a filter (for a bulk selection of "all N matching").
    pub async fn search_ids(&self, f: &TicketFilter) -> Result<Vec<String>> {
        let (clause, args) = Self::filter_sql(f)?;
        let sql =
            format!("SELECT t.id FROM tickets t {clause} ORDER BY t.updated_at DESC, t.id DESC");
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for a in &args {
            q = a.bind_scalar(q);
        }
        Ok(q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|i| i.to_string())
            .collect())
    }

    pub(crate) async fn attach_tags(&self, rows: &mut [TicketRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<TicketId> = rows.iter().map(|r| r.id.clone()).collect();
        let placeholders = vec!["?"; ids.len()].join(",");
        let sql = format!(
            "SELECT tt.ticket_id, g.id, g.name, g.color FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.ticket_id IN ({placeholders}) ORDER BY g.name COLLATE NOCASE"
        );
        let mut q = sqlx::query(&sql);
        for i in &ids {
            q = q.bind(i);
        }
        let mut by_ticket: HashMap<i64, Vec<TagChip>> = HashMap::new();
        for r in q.fetch_all(&self.pool).await? {
            by_ticket.entry(r.get(0)).or_default().push(TagChip {
                id: r.get(1),
                name: r.get(2),
                color: r.get(3),
            });
        }
        for row in rows.iter_mut() {
            row.tags = by_ticket.remove(&id(&row.id)).unwrap_or_default();
        }
        Ok(())
    }

    pub async fn ticket_row(&self, ticket_id: &str) -> Result<Option<TicketRow>> {
        let r = sqlx::query(
            "SELECT t.id, t.subject, t.preview, t.status, t.status_kind, t.contact_id, c.name, t.team_id, tm.name, t.user_id, us.name,
                    t.channel_id, ch.name, t.created_at, t.updated_at, t.in_working_set, t.waiting_since
             FROM tickets t
             LEFT JOIN contacts c ON c.id = t.contact_id
             LEFT JOIN teams tm ON tm.id = t.team_id
             LEFT JOIN users us ON us.id = t.user_id
             LEFT JOIN channels ch ON ch.id = t.channel_id
             WHERE t.id = ?",
        )
        .bind(id(ticket_id))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let mut rows = vec![row_of(&r)];
        self.attach_tags(&mut rows).await?;
        Ok(rows.pop())
    }

    /// The list lines of these tickets, in this order (those not cached left out).
    /// The same contact's other open tickets made within `window` seconds of this one, newest
    /// first.
    pub(crate) async fn same_contact_open(&self, id: i64, window: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT o.id FROM tickets t JOIN tickets o ON o.contact_id = t.contact_id AND o.id <> t.id
              WHERE t.id = ? AND o.status_kind = 'open' AND ABS(COALESCE(o.created_at, 0) - COALESCE(t.created_at, 0)) <= ?
              ORDER BY o.created_at DESC LIMIT 20",
        )
        .bind(id)
        .bind(window)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn rows_by_ids(&self, ids: &[i64]) -> Result<Vec<TicketRow>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = sqlx::query(
            "SELECT t.id, t.subject, t.preview, t.status, t.status_kind, t.contact_id, c.name, t.team_id, tm.name, t.user_id, us.name,
                    t.channel_id, ch.name, t.created_at, t.updated_at, t.in_working_set, t.waiting_since
             FROM tickets t
             LEFT JOIN contacts c ON c.id = t.contact_id
             LEFT JOIN teams tm ON tm.id = t.team_id
             LEFT JOIN users us ON us.id = t.user_id
             LEFT JOIN channels ch ON ch.id = t.channel_id
             WHERE t.id IN (SELECT value FROM json_each(?))",
        )
        .bind(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
        .fetch_all(&self.pool)
        .await?;
        let mut by_id: HashMap<TicketId, TicketRow> =
            rows.iter().map(row_of).map(|r| (r.id.clone(), r)).collect();
        let mut out: Vec<TicketRow> = ids
            .iter()
            .filter_map(|i| by_id.remove(i.to_string().as_str()))
            .collect();
        self.attach_tags(&mut out).await?;
        Ok(out)
    }

    /// The unified ticket as cached.
    pub async fn ticket(&self, ticket_id: &str) -> Result<Option<u::Ticket>> {
        let r: Option<(String,)> = sqlx::query_as("SELECT json FROM ticket_json WHERE id = ?")
            .bind(id(ticket_id))
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.and_then(|(j,)| serde_json::from_str(&j).ok()))
    }

    pub async fn contact(&self, contact_id: &str) -> Result<Option<u::Contact>> {
        let r: Option<(String,)> = sqlx::query_as("SELECT json FROM contacts WHERE id = ?")
            .bind(id(contact_id))
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.and_then(|(j,)| serde_json::from_str(&j).ok()))
    }

    /// A ticket with its contact card and thread, from the cache alone.
    pub async fn ticket_context(&self, ticket_id: &str) -> Result<Option<TicketContext>> {
        let Some(row) = self.ticket_row(ticket_id).await? else {
            return Ok(None);
        };
        let t = self.ticket(ticket_id).await?;
        let meta: (Option<i64>, i64) =
            sqlx::query_as("SELECT messages_synced_at, synced_at FROM tickets WHERE id = ?")
                .bind(id(ticket_id))
                .fetch_one(&self.pool)
                .await?;
        let all: Vec<u::Field> = sqlx::query_as::<_, (String,)>(
            "SELECT json FROM fields WHERE entity_type IN ('contact', 'ticket') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .filter_map(|(j,)| serde_json::from_str(&j).ok())
        .collect();
        let (ticket_fields, fields): (Vec<u::Field>, Vec<u::Field>) = all
            .into_iter()
            .partition(|f| f.entity_type == u::EntityType::Ticket);
        let contact = match row.contact.as_ref() {
            Some(c) => self.contact(&c.id).await?.map(|c| card(&c, &fields)),
            None => None,
        };
        let empty = Default::default();
        let values = t.as_ref().map(|t| &t.custom_fields).unwrap_or(&empty);
        let ticket_fields = field_lines(values, &ticket_fields);
        let mut messages: Vec<MessageView> = sqlx::query_as::<_, (String,)>(
            "SELECT json FROM messages WHERE ticket_id = ? ORDER BY created_at, id",
        )
        .bind(id(ticket_id))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .filter_map(|(j,)| serde_json::from_str::<u::Comment>(&j).ok())
        .map(|m| message_view(&m))
        .collect();
        if messages.is_empty() {
            // Only the latest message is known until the thread is read.
            if let Some(t) = &t {
                if let Some(d) = &t.description {
                    messages.push(MessageView {
                        id: format!("{}-latest", t.id),
                        kind: MessageKind::Inbound,
                        author: None,
                        body: d.clone(),
                        created_at: t.last_message_at.map(|x| x.to_rfc3339()),
                        attachments: vec![],
                    });
                }
            }
        }
        Ok(Some(TicketContext {
            ticket_url: t.and_then(|t| t.ticket_url),
            ticket: row,
            contact,
            fields: ticket_fields,
            messages,
            messages_synced_at: iso(meta.0),
            synced_at: iso(Some(meta.1)),
        }))
    }

    pub async fn freshness(&self) -> Result<Freshness> {
        let last: Option<(Option<i64>,)> = sqlx::query_as(
            // Synced once both the directory and the whole working set have been read.
            "SELECT CASE WHEN COUNT(*) = 2 THEN MIN(last_complete_at) END FROM sync_state WHERE resource IN ('users', 'tickets')",
        )
        .fetch_optional(&self.pool)
        .await?;
        let last = last.and_then(|(x,)| x);
        let complete: (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sync_state WHERE resource = 'tickets'")
                .fetch_one(&self.pool)
                .await?;
        let (cached, ws): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(in_working_set), 0) FROM tickets")
                .fetch_one(&self.pool)
                .await?;
        let now = Utc::now().timestamp();
        Ok(Freshness {
            last_sync_at: iso(last),
            age_secs: last.map(|l| (now - l).max(0) as u32),
            tickets_cached: cached as u32,
            working_set: ws as u32,
            working_set_complete: complete.0 > 0,
        })
    }

    /// A record's id and name by `key` (case-insensitive) or by id.
    pub(crate) async fn find_named(
        &self,
        table: &str,
        key_column: &str,
        key: &str,
    ) -> Result<Option<Named>> {
        let sql = format!("SELECT id, name FROM {table} WHERE {key_column} = ? COLLATE NOCASE OR CAST(id AS TEXT) = ?");
        let r: Option<(i64, String)> = sqlx::query_as(&sql)
            .bind(key)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(|(i, name)| Named {
            id: i.to_string(),
            name,
        }))
    }

    /// By name, case-insensitive (or id).
    pub async fn find_team(&self, name: &str) -> Result<Option<Named>> {
        self.find_named("teams", "name", name).await
    }

    /// By name, case-insensitive (or id).
    pub async fn find_tag(&self, name: &str) -> Result<Option<Named>> {
        self.find_named("tags", "name", name).await
    }

    /// By email (or id).
    pub async fn find_user(&self, email: &str) -> Result<Option<Named>> {
        self.find_named("users", "email", email).await
    }
}

pub(crate) enum FilterArg {
    Int(i64),
    Text(String),
}

impl FilterArg {
    fn bind<'q>(&'q self, q: Q<'q>) -> Q<'q> {
        match self {
            FilterArg::Int(i) => q.bind(*i),
            FilterArg::Text(s) => q.bind(s.as_str()),
        }
    }
    fn bind_scalar<'q>(&'q self, q: QS<'q>) -> QS<'q> {
        match self {
            FilterArg::Int(i) => q.bind(*i),
            FilterArg::Text(s) => q.bind(s.as_str()),
        }
    }
}

/// The SQL order of a list's sort. The SLA's order is the radar's (the tickets service sorts by
/// it); here, recency.
fn order_sql(sort: Option<TicketSort>) -> &'static str {
    match sort.unwrap_or_default() {
        TicketSort::Updated | TicketSort::NextBreach => "t.updated_at DESC, t.id DESC",
        TicketSort::Waiting => "t.waiting_since IS NULL, t.waiting_since ASC, t.id ASC",
        TicketSort::UpdatedAsc => "t.updated_at ASC, t.id ASC",
        TicketSort::Created => "t.id DESC",
        TicketSort::CreatedAsc => "t.id ASC",
    }
}

pub(crate) type Q<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

pub(crate) type QS<'q> =
    sqlx::query::QueryScalar<'q, sqlx::Sqlite, i64, sqlx::sqlite::SqliteArguments<'q>>;

pub(crate) fn named(idv: Option<i64>, name: Option<String>) -> Option<Named> {
    idv.map(|i| Named {
        id: i.to_string(),
        name: name.unwrap_or_else(|| format!("#{i}")),
    })
}

pub(crate) fn row_of(r: &sqlx::sqlite::SqliteRow) -> TicketRow {
    TicketRow {
        id: r.get(0),
        subject: r.get(1),
        preview: r.get(2),
        status: TicketStatus::parse(r.get(3)),
        status_kind: StatusKind::parse(r.get(4)),
        contact: named(r.get(5), r.get(6)),
        team: named(r.get(7), r.get(8)),
        assignee: named(r.get(9), r.get(10)),
        channel: named(r.get(11), r.get(12)),
        tags: vec![],
        created_at: iso(r.get(13)),
        updated_at: iso(r.get(14)),
        in_working_set: r.get(15),
        // A closed ticket keeps no one waiting.
        waiting_since: (r.get::<&str, _>(4) == "open")
            .then(|| iso(r.get(16)))
            .flatten(),
        sla: None,
    }
}

/// A field's value as a person reads it: a checkbox says Yes or No, not 1 or 0.
pub(crate) fn shown(v: &u::FieldValue, f: &u::Field) -> String {
    let t = v.as_text();
    if f.field_type.as_str() == "checkbox" {
        return match t.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => "Yes".into(),
            "0" | "false" | "no" | "" => "No".into(),
            _ => t,
        };
    }
    t
}

pub(crate) fn card(c: &u::Contact, fields: &[u::Field]) -> ContactCard {
    ContactCard {
        id: ContactId::from_trengo(&c.id),
        name: c
            .name
            .clone()
            .unwrap_or_else(|| format!("Contact {}", c.id)),
        emails: c.emails.iter().map(|e| e.email.clone()).collect(),
        phones: c.phones.iter().map(|p| p.number.clone()).collect(),
        identifier: c.details.clone(),
        fields: field_lines(&c.custom_fields, fields),
    }
}

pub(crate) fn field_lines(
    values: &std::collections::BTreeMap<String, u::FieldValue>,
    fields: &[u::Field],
) -> Vec<FieldLine> {
    fields
        .iter()
        .map(|f| FieldLine {
            field_id: FieldId::from_trengo(&f.id),
            label: f.label.clone(),
            value: values.get(&f.name).map(|v| shown(v, f)),
            field_type: crate::view::FieldType::of(&f.field_type),
            options: f.options.iter().map(|o| o.value.clone()).collect(),
        })
        .collect()
}

pub fn message_view(m: &u::Comment) -> MessageView {
    let (kind, author) = match (&m.author, m.is_internal) {
        (u::ActorRef::User(x), true) => (MessageKind::Note, x.name.clone()),
        (u::ActorRef::User(x), false) => (MessageKind::Outbound, x.name.clone()),
        (u::ActorRef::Contact(x), _) => (MessageKind::Inbound, x.name.clone()),
        (u::ActorRef::System, true) => (MessageKind::Note, None),
        (u::ActorRef::System, false) => (MessageKind::Outbound, None),
    };
    MessageView {
        id: m.id.clone(),
        kind,
        author,
        body: m.body.clone(),
        created_at: m
            .created_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        attachments: m
            .attachments
            .iter()
            .map(|a| AttachmentView {
                name: a.file_name.clone().unwrap_or_else(|| "attachment".into()),
                url: a.file_url.clone(),
                content_type: a.content_type.clone(),
                size: a.size.map(|s| s.min(u32::MAX as u64) as u32),
            })
            .collect(),
    }
}
