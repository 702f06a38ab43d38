//! Where tokens live: the OS keyring (service `trengo-desk`, one entry per workspace), or memory
//! in tests. Nothing else ever holds a token at rest.

use std::collections::HashMap;
use std::sync::Mutex;

pub use trengo_unified::api::Token;

use crate::error::{Error, Result};

pub const KEYRING_SERVICE: &str = "trengo-desk";

/// A place for secrets, by key (a workspace id, or a lookup source's header).
pub trait SecretStore: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<Token>>;
    fn set(&self, key: &str, secret: &Token) -> Result<()>;
    fn delete(&self, key: &str) -> Result<()>;
    /// What kind of store this is, for diagnostics.
    fn describe(&self) -> &'static str;
}

/// The OS keyring: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new() -> KeyringStore {
        KeyringStore {
            service: KEYRING_SERVICE.to_string(),
        }
    }

    /// Another service name (tests keep their entries apart).
    pub fn with_service(service: &str) -> KeyringStore {
        KeyringStore {
            service: service.to_string(),
        }
    }

    fn entry(&self, key: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, key)
            .map_err(|e| Error::Secret(format!("could not open the keyring entry: {e}")))
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        KeyringStore::new()
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<Token>> {
        match self.entry(key)?.get_password() {
            Ok(p) => Ok(Some(Token::new(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::Secret(format!(
                "could not read from the keyring: {e}"
            ))),
        }
    }

    fn set(&self, key: &str, secret: &Token) -> Result<()> {
        self.entry(key)?
            .set_password(secret.expose())
            .map_err(|e| Error::Secret(format!("could not store in the keyring: {e}")))
    }

    fn delete(&self, key: &str) -> Result<()> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(Error::Secret(format!(
                "could not delete from the keyring: {e}"
            ))),
        }
    }

    fn describe(&self) -> &'static str {
        "OS keyring"
    }
}

/// Secrets in memory, for tests and the demo.
#[derive(Default)]
pub struct MemoryStore(Mutex<HashMap<String, Token>>);

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Token>> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned())
    }
    fn set(&self, key: &str, secret: &Token) -> Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string(), secret.clone());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
        Ok(())
    }
    fn describe(&self) -> &'static str {
        "memory"
    }
}
