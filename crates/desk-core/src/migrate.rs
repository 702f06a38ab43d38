//! The cache's schema: migrations run once, under a lock every process opening the cache shares,
//! and caches made by builds whose migration was later edited are brought up to date.
//!
//! Two processes opening a new cache at once (the app and a CLI) used to race on the migrations
//! ("table settings already exists", "database is locked"). Now the first takes an exclusive
//! lock on `<cache>.lock` (0600), migrates, and lets go; the other waits, then finds nothing to
//! do. Shipped migrations never change (a test pins their checksums); the one that was edited
//! after it shipped, `20261201000005_rules.sql`, is repaired in caches made by the two builds
//! that had its earlier texts.

use std::path::Path;

use sqlx::SqlitePool;

use crate::error::{Error, Result};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The rules migration's text, as it ships now.
const RULES_SQL: &str = include_str!("../migrations/20261201000005_rules.sql");
const RULES_VERSION: i64 = 20261201000005;

/// What the rules migration's two earlier texts lacked, by their checksums (SHA-384).
fn rules_repairs() -> [(&'static str, String); 2] {
    let (head, counter) = RULES_SQL
        .split_once("\n-- A counter every change")
        .expect("the rules migration as shipped");
    let log = head
        .split_once("-- A live rule's log")
        .and_then(|(_, rest)| rest.split_once("ALTER TABLE jobs"))
        .map(|(log, _)| log)
        .expect("the rules migration as shipped");
    let counter = format!("-- A counter every change{counter}");
    [
        // The first text: no `enabled_at`, no `rule_runs`, no change counter.
        (
            "a5555a51e11378c68727cc669c9d099d28846e4eec3c6496ea0da3e2d01e15551aa41b4ee42abd88019b9f0a2073f136",
            format!(
                "ALTER TABLE rules ADD COLUMN enabled_at INTEGER;\n-- A live rule's log{log}\n{counter}"
            ),
        ),
        // The second: no change counter.
        (
            "38019fdf812b2b5f469bd2689ad64080589dff21100fc9353e0c01657bb5197e0aac6afd8f592c58574f0dbee8473caa",
            counter,
        ),
    ]
}

/// Every migration as shipped: `(version, description, SHA-384 checksum in hex)`.
pub fn checksums() -> Vec<(i64, String, String)> {
    MIGRATOR
        .iter()
        .map(|m| (m.version, m.description.to_string(), hex(&m.checksum)))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An exclusive lock on `path` (made 0600 if new), held until dropped; waits for another
/// process's.
pub(crate) async fn lock(path: &Path) -> Result<std::fs::File> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let f = crate::files::private_file_handle(&path)?;
        f.lock()
            .map_err(|e| Error::Invalid(format!("could not lock {}: {e}", path.display())))?;
        Ok(f)
    })
    .await
    .map_err(|e| Error::Invalid(format!("the lock task failed: {e}")))?
}

/// Brings the cache's schema up to date; the caller holds the migration lock.
pub(crate) async fn run(pool: &SqlitePool) -> Result<()> {
    repair_edited(pool).await?;
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// A cache whose rules migration ran from an earlier text gets what that text lacked, and the
/// migration's checksum as it ships now, so the migrator goes on from there.
async fn repair_edited(pool: &SqlitePool) -> Result<()> {
    let has_table: Option<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await?;
    if has_table.is_none() {
        return Ok(());
    }
    let recorded: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT checksum FROM _sqlx_migrations WHERE version = ?")
            .bind(RULES_VERSION)
            .fetch_optional(pool)
            .await?;
    let Some((recorded,)) = recorded else {
        return Ok(());
    };
    let recorded = hex(&recorded);
    let Some((_, sql)) = rules_repairs().into_iter().find(|(c, _)| *c == recorded) else {
        return Ok(());
    };
    let current = MIGRATOR
        .iter()
        .find(|m| m.version == RULES_VERSION)
        .map(|m| m.checksum.to_vec())
        .expect("the rules migration ships");
    tracing::warn!(
        version = RULES_VERSION,
        "the cache's rules migration ran from an earlier text: adding what it lacked"
    );
    // One string on one connection, all or nothing.
    let sql = format!(
        "BEGIN IMMEDIATE;\n{sql}\nUPDATE _sqlx_migrations SET checksum = X'{}' WHERE version = {RULES_VERSION};\nCOMMIT;",
        hex(&current)
    );
    sqlx::raw_sql(&sql).execute(pool).await?;
    Ok(())
}

/// A cache that cannot be opened as it is, said with what to do: never a dead end. Other errors
/// pass as they are.
pub(crate) fn unusable(path: &Path, e: Error) -> Error {
    use sqlx::migrate::MigrateError;
    let aside = "move it aside and start fresh (trengo-desk-cli cache move-aside, or the button in the app): Trengo Desk then reads your inbox again, and the moved file keeps its jobs' records";
    let migrate = match &e {
        Error::Migrate(m) => Some(m),
        Error::Cache(sqlx::Error::Migrate(m)) => Some(m.as_ref()),
        _ => None,
    };
    let sql = match &e {
        Error::Cache(s) => Some(s),
        Error::Migrate(MigrateError::Execute(s))
        | Error::Migrate(MigrateError::ExecuteMigration(s, _)) => Some(s),
        _ => None,
    };
    // SQLite's primary code (an extended one carries it in its low byte).
    let code = sql.and_then(|s| match s {
        sqlx::Error::Database(d) => d
            .code()
            .and_then(|c| c.parse::<i64>().ok())
            .map(|c| (c & 0xff).to_string()),
        _ => None,
    });
    let full = code.as_deref() == Some("13")
        || sql.is_some_and(|s| matches!(s, sqlx::Error::Io(io) if io.raw_os_error() == Some(28)));
    let message = if full {
        format!(
            "The disk holding the cache {} is full: free some space, then start Trengo Desk again.",
            path.display()
        )
    } else if let Some(MigrateError::VersionMissing(v)) = migrate {
        format!(
            "The cache {} was made by a newer version of Trengo Desk (its schema {v} is unknown to this one). Update Trengo Desk to open it; read it as it is with `trengo-desk-cli --read-only tickets` (nothing is changed); or {aside}.",
            path.display()
        )
    } else if let Some(MigrateError::VersionMismatch(v)) = migrate {
        format!(
            "The cache {} was made with another text of schema {v} than this version's. It cannot be used as it is: read it with `trengo-desk-cli --read-only tickets` (nothing is changed), or {aside}.",
            path.display()
        )
    } else if matches!(code.as_deref(), Some("26" | "11")) {
        format!(
            "The cache {} is damaged (SQLite: {}). It cannot be read: {aside}.",
            path.display(),
            sql.map(|s| s.to_string()).unwrap_or_default()
        )
    } else {
        return e;
    };
    tracing::error!(error = %e, path = %path.display(), "the cache cannot be used");
    Error::CacheUnusable { message }
}

/// `path` with `suffix` added to its file name (`cache.sqlite3` → `cache.sqlite3-wal`).
pub(crate) fn side_file(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    std::path::PathBuf::from(p)
}

/// Moves a cache file (and its `-wal` and `-shm`) aside as `<file>.unusable-<unix time>`, so the
/// next start makes a new one; the moved file keeps everything it held. Returns where it went.
pub fn move_aside(path: &Path) -> Result<std::path::PathBuf> {
    let stamp = chrono::Utc::now().timestamp();
    let with = |suffix: &str| side_file(path, suffix);
    let to = with(&format!(".unusable-{stamp}"));
    if !path.exists() {
        return Err(Error::NotFound(format!(
            "there is no cache at {}",
            path.display()
        )));
    }
    // Never from under a process that has it open (the app, or a CLI): it would go on writing
    // into the moved file.
    let open = crate::files::private_file_handle(&with(".open"))?;
    match open.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(Error::Busy(format!(
                "the cache {} is open in Trengo Desk or a CLI: close them first",
                path.display()
            )))
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
    }
    std::fs::rename(path, &to)?;
    for side in ["-wal", "-shm"] {
        let from = with(side);
        if from.exists() {
            let mut dest = to.as_os_str().to_owned();
            dest.push(side);
            std::fs::rename(&from, std::path::PathBuf::from(dest))?;
        }
    }
    Ok(to)
}
