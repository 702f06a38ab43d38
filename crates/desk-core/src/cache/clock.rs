//! What the cache records of a ticket's clock, for the SLA radar: who wrote last, since when the
//! customer has been waiting for us, whether (and when first) we replied. A list page tells only
//! the latest message and its direction; a thread read tells it all.

use trengo_unified::model as u;

/// Who wrote a message, as a waiting clock sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    Customer,
    Us,
    /// An internal note: not a reply, the customer's clock runs on.
    Note,
}

impl Writer {
    pub fn of(m: &u::Comment) -> Writer {
        match (&m.author, m.is_internal) {
            (_, true) => Writer::Note,
            (u::ActorRef::Contact(_), false) => Writer::Customer,
            (_, false) => Writer::Us,
        }
    }

    /// The word the cache keeps in `tickets.last_from` (a note keeps none).
    pub fn word(self) -> Option<&'static str> {
        match self {
            Writer::Customer => Some("customer"),
            Writer::Us => Some("us"),
            Writer::Note => None,
        }
    }
}

/// A ticket's clock as a thread shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThreadClock {
    /// Who wrote the latest message that is not a note.
    pub last_from: Option<&'static str>,
    /// The customer's first message after our last reply (unix seconds); `None`: not waiting.
    pub waiting_since: Option<i64>,
    /// Our first reply.
    pub first_reply_at: Option<i64>,
    /// How long the clock stood still (from our reply to the customer's next message) before
    /// the wait under way.
    pub paused_secs: i64,
    /// Our reply that stopped the clock, while the last message is ours.
    pub paused_from: Option<i64>,
}

/// The clock of a whole thread (in any order).
pub fn thread_clock(comments: &[u::Comment]) -> ThreadClock {
    let mut msgs: Vec<(i64, Writer)> = comments
        .iter()
        .filter_map(|m| Some((m.created_at?.timestamp(), Writer::of(m))))
        .collect();
    msgs.sort_by_key(|(at, _)| *at);
    let mut clock = ThreadClock::default();
    for (at, from) in msgs {
        match from {
            Writer::Customer => {
                clock.waiting_since.get_or_insert(at);
                if let Some(from) = clock.paused_from.take() {
                    clock.paused_secs += (at - from).max(0);
                }
            }
            Writer::Us => {
                clock.waiting_since = None;
                clock.first_reply_at.get_or_insert(at);
                clock.paused_from.get_or_insert(at);
            }
            Writer::Note => continue,
        }
        clock.last_from = from.word();
    }
    clock
}

/// What a list page (or a show read) tells of the clock: `(last_from, waiting_since, replied,
/// first_reply_at)` as this read saw them; the cache merges them with what it knew.
pub fn list_clock(t: &u::Ticket) -> (Option<&'static str>, Option<i64>, Option<bool>, Option<i64>) {
    let at = t.last_message_at.map(|x| x.timestamp());
    match (t.last_message_inbound, t.last_message_note, at) {
        (Some(true), false, Some(at)) => {
            // One message in the thread, and it is the customer's: no reply yet.
            let first = t.message_count == Some(1);
            (Some("customer"), Some(at), first.then_some(false), None)
        }
        (Some(false), false, Some(at)) => (Some("us"), None, Some(true), Some(at)),
        _ => (None, None, None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn msg(at: i64, from: Writer) -> u::Comment {
        let author = match from {
            Writer::Customer => u::ActorRef::Contact(u::ContactRef {
                id: "1".into(),
                name: None,
                email: None,
                phone: None,
            }),
            _ => u::ActorRef::System,
        };
        u::Comment {
            id: at.to_string(),
            ticket: u::Ref {
                id: "9".into(),
                name: None,
            },
            author,
            body: String::new(),
            html_body: None,
            is_internal: from == Writer::Note,
            is_private: false,
            channel: None,
            attachments: vec![],
            created_at: chrono::Utc.timestamp_opt(at, 0).single(),
            remote_data: None,
        }
    }

    #[test]
    fn the_wait_starts_at_the_first_message_after_our_last_reply() {
        use Writer::*;
        let t = [
            msg(100, Customer),
            msg(200, Us),
            msg(300, Customer),
            msg(350, Note),
            msg(400, Customer),
        ];
        let c = thread_clock(&t);
        assert_eq!(c.waiting_since, Some(300));
        assert_eq!(c.first_reply_at, Some(200));
        assert_eq!(c.last_from, Some("customer"));
        // It stood still from our reply (200) to their next message (300).
        assert_eq!((c.paused_secs, c.paused_from), (100, None));
        // Our reply stops it; a note after it does not start it.
        let c = thread_clock(&[
            msg(100, Customer),
            msg(200, Us),
            msg(250, Note),
            msg(260, Us),
        ]);
        assert_eq!((c.waiting_since, c.last_from), (None, Some("us")));
        assert_eq!((c.paused_secs, c.paused_from), (0, Some(200)));
        // Never answered: waiting since the first message, no reply.
        let c = thread_clock(&[msg(50, Customer), msg(60, Note)]);
        assert_eq!((c.waiting_since, c.first_reply_at), (Some(50), None));
    }
}
