//! Trengo's ids, one type per kind of record.
//!
//! A ticket's id cannot be passed where a contact's is wanted, and no id is a number parsed back
//! with a default: each is checked once, where it comes in (a file, a command line, the UI, a
//! cache row), and an id that is not one is an error that says so. Each travels as the decimal
//! string the unified model gives (`id: String`), so the JSON of the CLI and the UI is unchanged,
//! and reaches TypeScript as its own name (`TicketId`, an alias of `string`).

/// Declares an id type: a checked decimal string that reads as `&str` and as a number.
macro_rules! trengo_id {
    ($(#[$m:meta])* $name:ident, $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id Trengo gave, as a number.
            pub fn new(n: u64) -> $name {
                $name(n.to_string())
            }

            /// Reads an id as a person or a file writes it (`123`, ` #123 `); anything else is an
            /// error that quotes it and says what it is not.
            pub fn parse(s: &str) -> crate::Result<$name> {
                let d = s.trim().trim_start_matches('#');
                match digits(d) {
                    Some(n) => Ok($name::new(n)),
                    None => Err(crate::Error::Invalid(format!(
                        "{:?} is not a {} id (a Trengo id is a whole number, such as 1234)",
                        s.trim(),
                        $what
                    ))),
                }
            }

            /// An id as the cache keeps it (an integer column of Trengo's ids).
            pub fn from_cache(n: i64) -> $name {
                debug_assert!(n > 0, "{n} from the cache");
                $name::new(n.unsigned_abs())
            }

            /// An id the unified model gives (it writes Trengo's numbers as strings).
            pub fn from_trengo(s: &str) -> $name {
                debug_assert!(digits(s).is_some(), "{s:?} from the unified model");
                $name(s.to_string())
            }

            /// The id as Trengo's API takes it.
            pub fn number(&self) -> u64 {
                // Checked when made: only digits, and no more than a u64 holds.
                digits(&self.0).unwrap_or_default()
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<u64> for $name {
            fn from(n: u64) -> $name {
                $name::new(n)
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> crate::Result<$name> {
                $name::parse(s)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        /// Taken as JSON from the UI, a file or the cache: a string or a number.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                #[derive(serde::Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    N(u64),
                    S(String),
                }
                match Raw::deserialize(d)? {
                    Raw::N(n) => Ok($name::new(n)),
                    Raw::S(s) => $name::parse(&s).map_err(serde::de::Error::custom),
                }
            }
        }

        impl sqlx::Type<sqlx::Sqlite> for $name {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <i64 as sqlx::Type<sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                <i64 as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
                    || <String as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            }
        }

        /// A cache row's id column: Trengo's ids are kept as integers.
        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $name {
            fn decode(
                value: sqlx::sqlite::SqliteValueRef<'r>,
            ) -> Result<$name, sqlx::error::BoxDynError> {
                let n = <i64 as sqlx::Decode<sqlx::Sqlite>>::decode(value)?;
                u64::try_from(n)
                    .map($name::new)
                    .map_err(|_| format!("{n} is not a {} id", $what).into())
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Sqlite> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Sqlite as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                let n = i64::try_from(self.number())?;
                <i64 as sqlx::Encode<sqlx::Sqlite>>::encode(n, buf)
            }
        }
    };
}

/// A name for the id written in `text` (by `name`); text that is not such an id (a hand-edited
/// file, an old filter) is quoted as it was given.
pub(crate) fn name_or_quoted<I: std::str::FromStr>(
    text: &str,
    name: impl FnOnce(I) -> String,
) -> String {
    text.parse()
        .map(name)
        .unwrap_or_else(|_| format!("{:?}", text.trim()))
}

/// The whole number in `d` (only ASCII digits, no sign, not zero, no more than a u64 holds);
/// `None` otherwise.
fn digits(d: &str) -> Option<u64> {
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    d.parse().ok().filter(|n| *n > 0)
}

trengo_id!(
    /// A ticket's id.
    TicketId,
    "ticket"
);
trengo_id!(
    /// A contact's id.
    ContactId,
    "contact"
);
trengo_id!(
    /// A user's (an agent's) id.
    UserId,
    "user"
);
trengo_id!(
    /// A team's id.
    TeamId,
    "team"
);
trengo_id!(
    /// A tag's (Trengo's label's) id.
    TagId,
    "tag"
);
trengo_id!(
    /// A channel's id.
    ChannelId,
    "channel"
);
trengo_id!(
    /// A custom field's id.
    FieldId,
    "field"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_read_as_written_and_travels_as_a_string() {
        let id = TicketId::parse(" #1234 ").unwrap();
        assert_eq!(id, "1234");
        assert_eq!(id.number(), 1234);
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"1234\"");
        let back: TicketId = serde_json::from_str("1234").unwrap();
        assert_eq!(back, id);
        let back: TicketId = serde_json::from_str("\"1234\"").unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn what_is_not_an_id_is_an_error_that_quotes_it() {
        assert_eq!(ContactId::parse("012").unwrap(), "12");
        for bad in [
            "",
            "0",
            "000",
            "-3",
            "+3",
            "12a",
            "1.5",
            "99999999999999999999999",
        ] {
            let e = ContactId::parse(bad).unwrap_err().to_string();
            assert!(e.contains("is not a contact id"), "{bad}: {e}");
        }
        let e = serde_json::from_str::<TagId>("\"red\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"red\" is not a tag id"), "{e}");
    }
}
