//! The local cache: one SQLite file per workspace (WAL), migrations embedded. Writers take one
//! transaction per page of a sync, so a crash leaves the cache consistent; readers never wait on
//! Trengo.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};
use trengo_unified::model as u;

use crate::error::{Error, Result};
use crate::view::*;

#[derive(Clone)]
pub struct Cache {
    pool: SqlitePool,
    path: PathBuf,
    /// A shared lock on `<cache>.open` while the cache is open in this process, so it is never
    /// moved aside from under a process that uses it (see `migrate::move_aside`).
    _open: std::sync::Arc<std::fs::File>,
}

pub fn ts(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp())
}

pub fn iso(t: Option<i64>) -> Option<String> {
    t.and_then(|t| DateTime::from_timestamp(t, 0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Unix seconds from an RFC 3339 time.
pub fn parse_unix(rfc3339: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp())
}

fn id(s: &str) -> i64 {
    s.parse().unwrap_or(-1)
}

fn shorten(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut out: String = one_line.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// A free-text query for FTS5: each word a quoted prefix, all required.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| {
            !c.is_alphanumeric() && c != '@' && c != '.' && c != '+' && c != '-' && c != '_'
        })
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Cache {
    /// Opens (creating if needed) the cache file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Cache> {
        if let Some(dir) = path.parent() {
            crate::files::private_dir(dir)?;
        }
        // 0600 before SQLite makes it (its -wal and -shm files take its permissions).
        crate::files::private_file(path)?;
        // One process at a time sets up a cache and migrates it; another waits, then finds
        // nothing to do.
        let lock = crate::migrate::lock(&crate::migrate::side_file(path, ".lock")).await?;
        // By path, never through a URL: `%20`, `?` or `#` in a folder name are just characters.
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every commit is on disk before the next request leaves: a job's record of a note or
            // a new ticket survives a power cut, so it is never sent twice.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-32000")
            .pragma("mmap_size", "268435456");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|e| crate::migrate::unusable(path, e.into()))?;
        crate::migrate::run(&pool)
            .await
            .map_err(|e| crate::migrate::unusable(path, e))?;
        drop(lock);
        let open = crate::files::private_file_handle(&crate::migrate::side_file(path, ".open"))?;
        open.lock_shared()
            .map_err(|e| Error::Invalid(format!("could not mark the cache as open: {e}")))?;
        Ok(Cache {
            _open: std::sync::Arc::new(open),
            pool,
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing cache file as it is, for reading only: no migration (a cache made by a
    /// newer version reads as far as its tables are known), nothing written to it.
    pub async fn open_read_only(path: &Path) -> Result<Cache> {
        if !path.exists() {
            return Err(Error::NotFound(format!(
                "there is no cache at {}",
                path.display()
            )));
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(opts)
            .await?;
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sqlite_master")
            .fetch_one(&pool)
            .await
            .map_err(|e| crate::migrate::unusable(path, e.into()))?;
        let open = crate::files::private_file_handle(&crate::migrate::side_file(path, ".open"))?;
        open.lock_shared()
            .map_err(|e| Error::Invalid(format!("could not mark the cache as open: {e}")))?;
        Ok(Cache {
            _open: std::sync::Arc::new(open),
            pool,
            path: path.to_path_buf(),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Empties every table but the named ones (and the schema's own bookkeeping), in one
    /// transaction. Works while another connection, even another process, still has the file
    /// open, which deleting the file does not.
    pub async fn clear_except(&self, keep: &[&str]) -> Result<()> {
        // IMMEDIATE: the write lock first, so no other writer commits between the list and the
        // deletes (a plain BEGIN would fail with a busy snapshot instead of waiting).
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Every table empties, so the references hold again by the commit.
        sqlx::query("PRAGMA defer_foreign_keys = ON")
            .execute(&mut *tx)
            .await?;
        let tables: Vec<(String,)> = sqlx::query_as(
            r"SELECT t.name FROM sqlite_master t
              WHERE t.type = 'table'
                AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\'
                AND t.name NOT LIKE '\_sqlx%' ESCAPE '\'
                AND NOT EXISTS (
                  SELECT 1 FROM sqlite_master v
                  WHERE v.type = 'table' AND v.sql LIKE 'CREATE VIRTUAL TABLE%'
                    AND t.name LIKE v.name || '\_%' ESCAPE '\')",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (name,) in tables {
            // The change counter is bookkeeping, not data: it goes on counting.
            if !keep.contains(&name.as_str()) && name != "cache_gen" {
                sqlx::query(&format!("DELETE FROM \"{}\"", name.replace('"', "\"\"")))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // Ids start again too (jobs from 1), but the kept tables' own.
        let placeholders = vec!["?"; keep.len()].join(", ");
        let mut reset = String::from("DELETE FROM sqlite_sequence");
        if !keep.is_empty() {
            reset.push_str(&format!(" WHERE name NOT IN ({placeholders})"));
        }
        let mut q = sqlx::query(&reset);
        for name in keep {
            q = q.bind(*name);
        }
        q.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- settings ----

    pub async fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(v,)| serde_json::from_str(&v).ok()))
    }

    pub async fn set_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let v = serde_json::to_string(value).map_err(|e| Error::Invalid(e.to_string()))?;
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(v)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- writes (inside a transaction the caller holds) ----

    pub async fn put_user(c: &mut SqliteConnection, x: &u::User, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, name, email, role, is_active, is_online, json, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET name=excluded.name, email=excluded.email, role=excluded.role,
               is_active=excluded.is_active, is_online=excluded.is_online, json=excluded.json, synced_at=excluded.synced_at",
        )
        .bind(id(&x.id))
        .bind(&x.name)
        .bind(x.emails.first())
        .bind(x.roles.first().map(|r| r.id.clone()))
        .bind(x.is_active)
        .bind(x.is_online)
        .bind(serde_json::to_string(x).unwrap_or_default())
        .bind(now)
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    pub async fn put_team(c: &mut SqliteConnection, x: &u::Team, now: i64) -> Result<()> {
        sqlx::query("INSERT INTO teams (id, name, json, synced_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, json=excluded.json, synced_at=excluded.synced_at")
            .bind(id(&x.id))
            .bind(&x.name)
            .bind(serde_json::to_string(x).unwrap_or_default())
            .bind(now)
            .execute(&mut *c)
            .await?;
        sqlx::query("DELETE FROM team_members WHERE team_id = ?")
            .bind(id(&x.id))
            .execute(&mut *c)
            .await?;
        for m in &x.member_ids {
            sqlx::query("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES (?, ?)")
                .bind(id(&x.id))
                .bind(id(m))
                .execute(&mut *c)
                .await?;
        }
        Ok(())
    }

    pub async fn put_tag(c: &mut SqliteConnection, x: &u::Tag, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO tags (id, name, color, active, json, synced_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET name=excluded.name, color=excluded.color, active=excluded.active, json=excluded.json, synced_at=excluded.synced_at",
        )
        .bind(id(&x.id))
        .bind(&x.name)
        .bind(&x.color)
        .bind(x.status == u::TagStatus::Active)
        .bind(serde_json::to_string(x).unwrap_or_default())
        .bind(now)
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    /// One tag into the directory (a tag just made), outside a sync.
    pub async fn put_tag_now(&self, x: &u::Tag) -> Result<()> {
        let mut c = self.pool.acquire().await?;
        Cache::put_tag(&mut c, x, chrono::Utc::now().timestamp()).await
    }

    pub async fn put_field(c: &mut SqliteConnection, x: &u::Field, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO fields (id, name, label, entity_type, field_type, json, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET name=excluded.name, label=excluded.label, entity_type=excluded.entity_type,
               field_type=excluded.field_type, json=excluded.json, synced_at=excluded.synced_at",
        )
        .bind(id(&x.id))
        .bind(&x.name)
        .bind(&x.label)
        .bind(x.entity_type.as_str())
        .bind(x.field_type.as_str())
        .bind(serde_json::to_string(x).unwrap_or_default())
        .bind(now)
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    pub async fn put_channel(
        c: &mut SqliteConnection,
        cid: u64,
        name: &str,
        kind: Option<&str>,
        json: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO channels (id, name, kind, json, synced_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, kind=excluded.kind, json=excluded.json, synced_at=excluded.synced_at")
            .bind(cid as i64)
            .bind(name)
            .bind(kind)
            .bind(json)
            .bind(now)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    pub async fn put_ticket_result(
        c: &mut SqliteConnection,
        rid: u64,
        name: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO ticket_results (id, name, synced_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, synced_at=excluded.synced_at")
            .bind(rid as i64)
            .bind(name)
            .bind(now)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    /// Drops directory rows a complete read did not see (deleted in Trengo).
    pub async fn drop_unseen(c: &mut SqliteConnection, table: &str, since: i64) -> Result<u64> {
        let table = match table {
            "users" | "teams" | "tags" | "fields" | "channels" | "ticket_results" => table,
            other => return Err(Error::Invalid(format!("not a directory table: {other}"))),
        };
        if table == "teams" {
            sqlx::query("DELETE FROM team_members WHERE team_id IN (SELECT id FROM teams WHERE synced_at < ?)").bind(since).execute(&mut *c).await?;
        }
        let r = sqlx::query(&format!("DELETE FROM {table} WHERE synced_at < ?"))
            .bind(since)
            .execute(&mut *c)
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn put_contact(c: &mut SqliteConnection, x: &u::Contact, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO contacts (id, name, email, phone, identifier, json, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET name=excluded.name, email=excluded.email, phone=excluded.phone,
               identifier=excluded.identifier, json=excluded.json, synced_at=excluded.synced_at",
        )
        .bind(id(&x.id))
        .bind(&x.name)
        .bind(x.emails.first().map(|e| e.email.clone()))
        .bind(x.phones.first().map(|p| p.number.clone()))
        .bind(&x.details)
        .bind(serde_json::to_string(&u::Contact { remote_data: None, ..x.clone() }).unwrap_or_default())
        .bind(now)
        .execute(&mut *c)
        .await?;
        // The contact index: its field values, for lookups by any field.
        sqlx::query("DELETE FROM contact_fields WHERE contact_id = ?")
            .bind(id(&x.id))
            .execute(&mut *c)
            .await?;
        for (field, v) in &x.custom_fields {
            let value = v.as_text();
            if value.trim().is_empty() {
                continue;
            }
            sqlx::query(
                "INSERT OR REPLACE INTO contact_fields (contact_id, field, value, norm) VALUES (?, ?, ?, ?)",
            )
            .bind(id(&x.id))
            .bind(field)
            .bind(&value)
            .bind(value.trim().to_lowercase())
            .execute(&mut *c)
            .await?;
        }
        Ok(())
    }

    /// Contacts whose field `field` (its name) holds `value` (any case, trimmed).
    pub async fn contacts_by_field(&self, field: &str, value: &str) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT contact_id FROM contact_fields WHERE field = ? AND norm = ? ORDER BY contact_id",
        )
        .bind(field)
        .bind(value.trim().to_lowercase())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Contacts with this email or phone (as the index holds them).
    pub async fn contacts_by_address(
        &self,
        email: Option<&str>,
        phone_digits: Option<&str>,
    ) -> Result<Vec<i64>> {
        let mut out: Vec<i64> = vec![];
        if let Some(e) = email.map(str::trim).filter(|e| !e.is_empty()) {
            out.extend(
                sqlx::query_scalar::<_, i64>(
                    "SELECT id FROM contacts WHERE email = ? COLLATE NOCASE",
                )
                .bind(e)
                .fetch_all(&self.pool)
                .await?,
            );
        }
        if let Some(d) = phone_digits.filter(|d| d.len() >= 6) {
            let rows: Vec<(i64, Option<String>)> =
                sqlx::query_as("SELECT id, phone FROM contacts WHERE phone IS NOT NULL")
                    .fetch_all(&self.pool)
                    .await?;
            out.extend(rows.into_iter().filter_map(|(i, p)| {
                let pd: String = p?.chars().filter(char::is_ascii_digit).collect();
                (pd.ends_with(d) || d.ends_with(&pd) && pd.len() >= 6).then_some(i)
            }));
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Writes a ticket, its tags and its search entry. `contact` is the full contact when the
    /// caller has it (ticket lists embed it).
    pub async fn put_ticket(
        c: &mut SqliteConnection,
        t: &u::Ticket,
        in_working_set: bool,
        now: i64,
    ) -> Result<()> {
        let tid = id(&t.id);
        let preview = t.description.as_deref().map(|d| shorten(d, 200));
        let mut lean = u::Ticket {
            remote_data: None,
            ..t.clone()
        };
        // A show read (`GET /tickets/{id}`) carries no `latest_message`: what a list page knew of
        // the last message (when, whose, its text) stays.
        if lean.last_message_at.is_none() {
            let old: Option<String> =
                sqlx::query_scalar("SELECT json FROM ticket_json WHERE id = ?")
                    .bind(tid)
                    .fetch_optional(&mut *c)
                    .await?;
            if let Some(old) = old.and_then(|j| serde_json::from_str::<u::Ticket>(&j).ok()) {
                lean.last_message_at = old.last_message_at;
                lean.last_message_inbound = lean.last_message_inbound.or(old.last_message_inbound);
                lean.description = lean.description.or(old.description);
            }
        }
        // The clock (the SLA radar's): a customer's message keeps the wait that was running (a
        // later list page shows a later message of the same wait); ours ends it; a note, or a
        // read that shows no latest message, leaves it as it was.
        let (last_from, waiting_since, replied, first_reply_at) = clock::list_clock(&lean);
        // Our reply stops the resolution clock from its time; the customer's next message starts
        // it again, and the stop's length is added to the ticket's pauses.
        let paused_from = (last_from == Some("us"))
            .then(|| lean.last_message_at.map(|x| x.timestamp()))
            .flatten();
        sqlx::query(
            "INSERT INTO tickets (id, status, status_kind, subject, preview, contact_id, channel_id, user_id, team_id,
                 created_at, updated_at, assigned_at, closed_at, last_message_at, in_working_set, synced_at,
                 last_from, waiting_since, replied, first_reply_at, paused_from)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET status=excluded.status, status_kind=excluded.status_kind, subject=excluded.subject,
               preview=COALESCE(excluded.preview, tickets.preview), contact_id=excluded.contact_id, channel_id=excluded.channel_id,
               user_id=excluded.user_id, team_id=excluded.team_id, created_at=excluded.created_at, updated_at=excluded.updated_at,
               assigned_at=excluded.assigned_at, closed_at=excluded.closed_at,
               last_message_at=COALESCE(excluded.last_message_at, tickets.last_message_at),
               in_working_set=excluded.in_working_set, synced_at=excluded.synced_at, needs_check=0,
               waiting_since=CASE excluded.last_from
                 WHEN 'customer' THEN CASE WHEN tickets.last_from = 'customer' AND tickets.waiting_since IS NOT NULL
                   THEN MIN(tickets.waiting_since, excluded.waiting_since) ELSE excluded.waiting_since END
                 WHEN 'us' THEN NULL
                 ELSE tickets.waiting_since END,
               replied=CASE WHEN excluded.replied = 1 OR tickets.replied = 1 THEN 1 ELSE COALESCE(tickets.replied, excluded.replied) END,
               first_reply_at=COALESCE(tickets.first_reply_at, excluded.first_reply_at),
               paused_secs=CASE WHEN excluded.last_from = 'customer' AND tickets.last_from = 'us'
                   AND tickets.paused_from IS NOT NULL
                 THEN tickets.paused_secs + MAX(0, excluded.waiting_since - tickets.paused_from)
                 ELSE tickets.paused_secs END,
               paused_from=CASE excluded.last_from
                 WHEN 'us' THEN CASE WHEN tickets.last_from = 'us' AND tickets.paused_from IS NOT NULL
                   THEN MIN(tickets.paused_from, excluded.paused_from) ELSE excluded.paused_from END
                 WHEN 'customer' THEN NULL
                 ELSE tickets.paused_from END,
               last_from=COALESCE(excluded.last_from, tickets.last_from)",
        )
        .bind(tid)
        .bind(&t.status.raw)
        .bind(t.status.kind.as_str())
        .bind(&t.name)
        .bind(&preview)
        .bind(t.contact.as_ref().map(|x| id(&x.id)))
        .bind(t.channel.as_ref().map(|x| id(&x.id)))
        .bind(t.assignees.first().map(|x| id(&x.id)))
        .bind(t.team.as_ref().map(|x| id(&x.id)))
        .bind(ts(t.created_at))
        .bind(ts(t.updated_at))
        .bind(ts(t.assigned_at))
        .bind(ts(t.completed_at))
        .bind(ts(t.last_message_at))
        .bind(in_working_set)
        .bind(now)
        .bind(last_from)
        .bind(waiting_since)
        .bind(replied)
        .bind(first_reply_at)
        .bind(paused_from)
        .execute(&mut *c)
        .await?;
        sqlx::query("INSERT INTO ticket_json (id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json")
            .bind(tid)
            .bind(serde_json::to_string(&lean).unwrap_or_default())
            .execute(&mut *c)
            .await?;
        // Only the tags that changed are written: a ticket read again unchanged moves nothing (the
        // change counter's triggers).
        let keep: Vec<i64> = t.tags.iter().map(|g| id(&g.id)).collect();
        sqlx::query(
            "DELETE FROM ticket_tags WHERE ticket_id = ? AND tag_id NOT IN (SELECT value FROM json_each(?))",
        )
        .bind(tid)
        .bind(serde_json::to_string(&keep).unwrap_or_default())
        .execute(&mut *c)
        .await?;
        for g in &t.tags {
            sqlx::query("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag_id) VALUES (?, ?)")
                .bind(tid)
                .bind(id(&g.id))
                .execute(&mut *c)
                .await?;
        }
        let (cname, cemail, cident) = match &t.contact {
            Some(x) => (x.name.clone(), x.email.clone(), x.phone.clone()),
            None => (None, None, None),
        };
        sqlx::query("DELETE FROM ticket_fts WHERE rowid = ?")
            .bind(tid)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "INSERT INTO ticket_fts (rowid, subject, preview, contact_name, contact_email, contact_identifier)
             SELECT ?, ?, (SELECT preview FROM tickets WHERE id = ?), ?, ?, COALESCE(?, (SELECT identifier FROM contacts WHERE id = ?))",
        )
        .bind(tid)
        .bind(&t.name)
        .bind(tid)
        .bind(cname)
        .bind(cemail)
        .bind(cident)
        .bind(t.contact.as_ref().map(|x| id(&x.id)))
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    pub async fn put_messages(
        c: &mut SqliteConnection,
        ticket_id: &str,
        comments: &[u::Comment],
        now: i64,
    ) -> Result<()> {
        let tid = id(ticket_id);
        sqlx::query("DELETE FROM messages WHERE ticket_id = ?")
            .bind(tid)
            .execute(&mut *c)
            .await?;
        for m in comments {
            let lean = u::Comment {
                remote_data: None,
                ..m.clone()
            };
            sqlx::query("INSERT OR REPLACE INTO messages (id, ticket_id, created_at, is_internal, json, synced_at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(id(&m.id))
                .bind(tid)
                .bind(ts(m.created_at))
                .bind(m.is_internal)
                .bind(serde_json::to_string(&lean).unwrap_or_default())
                .bind(now)
                .execute(&mut *c)
                .await?;
        }
        // The whole thread: the clock is known exactly.
        let k = clock::thread_clock(comments);
        sqlx::query(
            "UPDATE tickets SET messages_synced_at = ?, last_from = COALESCE(?, last_from), waiting_since = ?,
                 replied = ?, first_reply_at = ?, paused_secs = ?, paused_from = ? WHERE id = ?",
        )
            .bind(now)
            .bind(k.last_from)
            .bind(k.waiting_since)
            .bind(k.first_reply_at.is_some())
            .bind(k.first_reply_at)
            .bind(k.paused_secs)
            .bind(k.paused_from)
            .bind(tid)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    pub async fn set_sync_state(
        c: &mut SqliteConnection,
        resource: &str,
        high_water: Option<i64>,
        items: u32,
        pages: u32,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sync_state (resource, high_water, last_complete_at, items, pages) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(resource) DO UPDATE SET high_water=COALESCE(excluded.high_water, sync_state.high_water),
               last_complete_at=excluded.last_complete_at, items=excluded.items, pages=excluded.pages",
        )
        .bind(resource)
        .bind(high_water)
        .bind(now)
        .bind(items as i64)
        .bind(pages as i64)
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    // ---- reads ----

    pub async fn high_water(&self, resource: &str) -> Result<Option<i64>> {
        let r: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT high_water FROM sync_state WHERE resource = ?")
                .bind(resource)
                .fetch_optional(&self.pool)
                .await?;
        Ok(r.and_then(|(h,)| h))
    }

    /// The ids of tickets currently in the working set.
    pub async fn working_set_ids(&self) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM tickets WHERE in_working_set = 1")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(i,)| i).collect())
    }

    /// Marks tickets as out of the working set, to be re-read (see [`Cache::tickets_to_check`]).
    pub async fn mark_left_working_set(&self, ids: &[i64]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for i in ids {
            sqlx::query("UPDATE tickets SET in_working_set = 0, needs_check = 1 WHERE id = ?")
                .bind(i)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Tickets that left the working set and were not re-read yet, the longest waiting first.
    pub async fn tickets_to_check(&self, limit: u32) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM tickets WHERE needs_check = 1 ORDER BY synced_at, id LIMIT ?",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(i,)| i).collect())
    }

    /// The ticket fields the cache holds for these tickets, by field id (as Trengo writes them).
    pub(crate) async fn ticket_field_values(
        &self,
        ids: &[u64],
        dir: &trengo_unified::Directory,
    ) -> Result<Vec<(u64, std::collections::BTreeMap<String, String>)>> {
        #[derive(serde::Deserialize)]
        struct Fields {
            #[serde(default)]
            custom_fields: std::collections::BTreeMap<String, u::FieldValue>,
        }
        let by_name: HashMap<&str, &str> = dir
            .fields
            .iter()
            .filter(|f| f.entity_type == u::EntityType::Ticket)
            .map(|f| (f.name.as_str(), f.id.as_str()))
            .collect();
        let mut out = vec![];
        for chunk in ids.chunks(500) {
            let ph = vec!["?"; chunk.len()].join(",");
            let sql = format!("SELECT id, json FROM ticket_json WHERE id IN ({ph})");
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for i in chunk {
                q = q.bind(*i as i64);
            }
            for (id, j) in q.fetch_all(&self.pool).await? {
                let Ok(f) = serde_json::from_str::<Fields>(&j) else {
                    continue;
                };
                let fields = f
                    .custom_fields
                    .iter()
                    .filter_map(|(name, v)| {
                        let id = by_name.get(name.as_str())?;
                        let text = v.as_text();
                        (!text.is_empty()).then(|| (id.to_string(), text))
                    })
                    .collect();
                out.push((id as u64, fields));
            }
        }
        Ok(out)
    }

    /// A ticket deleted in Trengo leaves the cache with its thread, tags and search entry.
    pub async fn delete_ticket(&self, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            "DELETE FROM messages WHERE ticket_id = ?",
            "DELETE FROM ticket_tags WHERE ticket_id = ?",
            "DELETE FROM ticket_json WHERE id = ?",
            "DELETE FROM ticket_fts WHERE rowid = ?",
            "DELETE FROM tickets WHERE id = ?",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A ticket re-read (or gone from Trengo) needs no more checking.
    pub async fn checked(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE tickets SET needs_check = 0 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Changes a cached ticket in place (after Trengo accepted the change); `false` when the cache
    /// does not hold it.
    pub async fn update_ticket(
        &self,
        ticket_id: &str,
        f: impl FnOnce(&mut u::Ticket),
    ) -> Result<bool> {
        let Some(mut t) = self.ticket(ticket_id).await? else {
            return Ok(false);
        };
        f(&mut t);
        let now = chrono::Utc::now();
        t.updated_at = Some(now);
        let in_ws = t.status.kind == u::StatusKind::Open;
        let mut tx = self.pool.begin().await?;
        Cache::put_ticket(&mut tx, &t, in_ws, now.timestamp()).await?;
        tx.commit().await?;
        Ok(true)
    }
}

pub mod clock;
mod read;

pub use read::message_view;

#[cfg(test)]
mod tests;
