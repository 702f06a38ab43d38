//! Workspaces: one per Trengo account (the base URL's host and the token's user, from
//! `/users/me`), each with its own cache file, keyring entry, request-budget file, lookup sources
//! and jobs, so two accounts on one host never share any of them. A small registry in the data
//! directory lists them and says which one was used last.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One account this machine has connected to (no secret in it: the token is in the keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkspaceEntry {
    /// `app.trengo.com~3601`: the host, and the token's user.
    pub id: String,
    pub base_url: String,
    pub user_id: crate::UserId,
    pub user_name: String,
    pub email: Option<String>,
    /// RFC 3339.
    pub last_used: String,
    /// A salted fingerprint of the token last used with it (not the token: it cannot be turned
    /// back into one), so a script's `TRENGO_TOKEN` finds its workspace without asking Trengo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "specta", specta(skip))]
    pub token_hint: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Registry {
    pub current: Option<String>,
    pub workspaces: Vec<WorkspaceEntry>,
    /// Random, made on this machine: what token fingerprints are salted with.
    #[serde(default)]
    pub salt: String,
    /// Where a damaged `workspaces.json` was kept when this one was read (it is never silently
    /// replaced).
    #[serde(skip)]
    pub damaged: Option<PathBuf>,
    /// Why the file could not be read at all (it is then never written over).
    #[serde(skip)]
    pub unreadable: Option<String>,
}

/// A file-name-safe id for the host at a base URL (and its port).
pub fn host_id(base_url: &str) -> String {
    let rest = base_url.split("://").nth(1).unwrap_or(base_url);
    let host = rest.split('/').next().unwrap_or(rest);
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The workspace id of an account: its host and its user.
pub fn account_id(base_url: &str, user_id: u64) -> String {
    format!("{}~{user_id}", host_id(base_url))
}

impl Registry {
    fn path(dir: &Path) -> PathBuf {
        dir.join("workspaces.json")
    }

    /// The registry in `dir`: empty when there is none yet. A file that cannot be read as one
    /// (damaged, or written by something else) is not thrown away: it is moved aside to
    /// `workspaces.json.damaged-<unix time>` (its path in [`Registry::damaged`]), under the lock
    /// every process shares, and the registry starts empty; each account's cache is still there,
    /// and is found again at its next sign-in. A file that cannot be read at all (permissions)
    /// is left alone, and nothing is written over it.
    pub fn load(dir: &Path) -> Registry {
        Self::load_inner(dir, false)
    }

    fn lock(dir: &Path) -> Result<std::fs::File> {
        crate::files::private_dir(dir)?;
        let lock = crate::files::private_file_handle(&dir.join("workspaces.json.lock"))?;
        lock.lock()
            .map_err(|e| Error::Invalid(format!("could not lock the list of workspaces: {e}")))?;
        Ok(lock)
    }

    fn load_inner(dir: &Path, locked: bool) -> Registry {
        let path = Self::path(dir);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Registry::default(),
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "the list of workspaces cannot be read");
                return Registry {
                    unreadable: Some(format!("{}: {e}", path.display())),
                    ..Registry::default()
                };
            }
        };
        if let Ok(r) = serde_json::from_slice::<Registry>(&bytes) {
            return r;
        }
        if !locked {
            // Moved aside only under the lock, after reading it again: another process may have
            // just written a good one.
            return match Self::lock(dir) {
                Ok(_lock) => Self::load_inner(dir, true),
                Err(_) => Registry {
                    unreadable: Some(format!("{} is damaged", path.display())),
                    ..Registry::default()
                },
            };
        }
        let aside = dir.join(format!(
            "workspaces.json.damaged-{}",
            chrono::Utc::now().timestamp_millis()
        ));
        let kept = std::fs::rename(&path, &aside).is_ok();
        tracing::warn!(
            kept = %aside.display(),
            "the list of workspaces could not be read; it is kept aside and a new one begins"
        );
        Registry {
            damaged: kept.then_some(aside),
            ..Registry::default()
        }
    }

    /// Reads the registry, changes it with `f` and writes it back, all under an exclusive lock
    /// every process shares, so two processes never lose each other's change. A list that could
    /// not be read at all is not written over.
    pub fn update<T>(dir: &Path, f: impl FnOnce(&mut Registry) -> T) -> Result<T> {
        let lock = Self::lock(dir)?;
        let mut reg = Self::load_inner(dir, true);
        if let Some(why) = &reg.unreadable {
            return Err(Error::Invalid(format!(
                "the list of workspaces cannot be read ({why}); it is left as it is"
            )));
        }
        let out = f(&mut reg);
        reg.save(dir)?;
        drop(lock);
        Ok(out)
    }

    /// The fingerprint of a token on this machine.
    pub fn hint(&mut self, token: &str) -> String {
        use std::hash::{BuildHasher, Hash, Hasher};
        if self.salt.is_empty() {
            // Random keys, new in every process: a salt nobody can guess.
            let seed = (std::time::SystemTime::now(), std::process::id());
            let a = std::collections::hash_map::RandomState::new().hash_one(seed);
            let b = std::collections::hash_map::RandomState::new().hash_one(a);
            self.salt = format!("{a:016x}{b:016x}");
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.salt.hash(&mut h);
        token.hash(&mut h);
        let a = h.finish();
        a.hash(&mut h);
        format!("{a:016x}{:016x}", h.finish())
    }

    /// The workspace a token was last used with on this host.
    pub fn by_hint(&self, host: &str, hint: &str) -> Option<&WorkspaceEntry> {
        self.workspaces
            .iter()
            .find(|w| w.token_hint.as_deref() == Some(hint) && host_id(&w.base_url) == host)
    }

    /// Written whole to a private temporary file, then moved over the old one; the data
    /// directory is made private (0700) on the way.
    pub fn save(&self, dir: &Path) -> Result<()> {
        crate::files::private_dir(dir)?;
        crate::files::write_atomic(
            &Self::path(dir),
            &serde_json::to_string_pretty(self).unwrap_or_default(),
        )
    }

    /// Keeps `salt` (the one this process fingerprinted a token with) where the list has none
    /// yet, so the fingerprint recorded with an entry can be found again.
    pub fn with_salt(&mut self, salt: &str) -> &mut Registry {
        if self.salt.is_empty() {
            self.salt = salt.to_string();
        }
        self
    }

    /// Adds or refreshes an entry and makes it the current one.
    pub fn touch(&mut self, e: WorkspaceEntry) {
        self.current = Some(e.id.clone());
        self.remember(e);
    }

    /// Adds or refreshes an entry; the current one stays as it is.
    pub fn remember(&mut self, mut e: WorkspaceEntry) {
        e.last_used = chrono::Utc::now().to_rfc3339();
        self.workspaces.retain(|w| w.id != e.id);
        self.workspaces.push(e);
        self.workspaces
            .sort_by(|a, b| b.last_used.cmp(&a.last_used));
    }

    /// An entry by its id, its user's email, or its user's name (any case).
    pub fn find(&self, key: &str) -> Result<&WorkspaceEntry> {
        let k = key.trim();
        let hits: Vec<&WorkspaceEntry> = self
            .workspaces
            .iter()
            .filter(|w| {
                w.id == k
                    || w.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(k))
                    || w.user_name.eq_ignore_ascii_case(k)
            })
            .collect();
        match hits.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::NotFound(format!(
                "no workspace {k:?} on this machine ({}); connect it first",
                self.names()
            ))),
            many => Err(Error::Invalid(format!(
                "{k:?} names {} workspaces; give the id: {}",
                many.len(),
                many.iter()
                    .map(|w| w.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The workspace to open for a host when none is named: the current one if it is on that
    /// host, else the host's most recently used.
    pub fn for_host(&self, host: &str) -> Option<&WorkspaceEntry> {
        let on_host = |w: &&WorkspaceEntry| host_id(&w.base_url) == host;
        self.current
            .as_ref()
            .and_then(|c| self.workspaces.iter().find(|w| &w.id == c))
            .filter(on_host)
            .or_else(|| self.workspaces.iter().find(on_host))
    }

    fn names(&self) -> String {
        if self.workspaces.is_empty() {
            return "none yet".into();
        }
        self.workspaces
            .iter()
            .map(|w| {
                format!(
                    "{} ({})",
                    w.id,
                    w.email.as_deref().unwrap_or(w.user_name.as_str())
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, email: &str) -> WorkspaceEntry {
        WorkspaceEntry {
            id: id.into(),
            base_url: format!("https://{}/api/v2", id.split('~').next().unwrap()),
            user_id: id.split('~').nth(1).unwrap().parse().unwrap(),
            user_name: email.split('@').next().unwrap().into(),
            email: Some(email.into()),
            last_used: String::new(),
            token_hint: None,
        }
    }

    #[test]
    fn accounts_on_one_host_are_apart_and_found_by_id_email_or_name() {
        assert_eq!(
            account_id("https://app.trengo.com/api/v2", 3601),
            "app.trengo.com~3601"
        );
        assert_eq!(host_id("http://127.0.0.1:8088/api/v2"), "127.0.0.1_8088");
        let mut r = Registry::default();
        r.touch(entry("app.trengo.com~1", "robin@acme.test"));
        r.touch(entry("app.trengo.com~2", "sam@other.test"));
        r.touch(entry("app.trengo.eu~3", "robin@eu.test"));
        assert_eq!(r.find("SAM@other.test").unwrap().id, "app.trengo.com~2");
        assert_eq!(r.find("app.trengo.com~1").unwrap().user_name, "robin");
        assert!(r
            .find("nobody")
            .unwrap_err()
            .to_string()
            .contains("app.trengo.eu~3"));
        // The current one is the eu account; on app.trengo.com the most recent is account 2.
        assert_eq!(r.for_host("app.trengo.com").unwrap().id, "app.trengo.com~2");
        assert_eq!(r.for_host("app.trengo.eu").unwrap().id, "app.trengo.eu~3");
        let dir = tempfile::tempdir().unwrap();
        r.save(dir.path()).unwrap();
        assert_eq!(Registry::load(dir.path()).workspaces.len(), 3);
    }
}
