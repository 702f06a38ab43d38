//! The personal access token: opaque, and never shown.

use std::fmt;

/// A Trengo personal access token. `Debug` and `Display` print `Token(***)`; only the request
/// builder reads it, through [`Token::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into().trim().to_string())
    }

    /// The secret itself. Call it only to put it on the wire or into the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A short, stable fingerprint (not reversible) to tell tokens apart in logs and keys.
    pub fn fingerprint(&self) -> String {
        let mut h: u64 = 0xCBF2_9CE4_8422_2325;
        for b in self.0.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01B3);
        }
        format!("{:08x}", (h >> 32) as u32)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_itself() {
        let t = Token::new("eyJhbGciOiJSUzI1NiJ9.secret-part");
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert_eq!(format!("{t}"), "***");
        assert!(!format!("{:?}", Some(&t)).contains("secret"));
        assert_ne!(t.fingerprint(), Token::new("other").fingerprint());
    }
}
