//! Trengo's clock as the client sees it: the zone its zone-less times are in (learned from the
//! `Date` header against what a write just stamped) and how far its clock is from ours.

use super::*;
use crate::zone::{self, ZoneClock, ZoneInfo};
use http::Method;
use serde_json::Value;
use std::sync::atomic::Ordering;

impl Client {
    /// The zone this workspace's zone-less times are read in, and whether Trengo's clock showed
    /// it (see [`crate::zone`]).
    pub fn zone(&self) -> ZoneInfo {
        self.clock().info()
    }

    /// Starts from a zone learned before (kept with the workspace).
    pub fn set_zone(&self, info: ZoneInfo) {
        self.clock().set(info);
    }

    /// The user's own zone (`/users/me`'s `timezone`), preferred where two zones fit what
    /// Trengo's clock shows.
    pub fn set_zone_hint(&self, tz_name: &str) {
        self.clock().set_hint(tz_name.parse().ok());
    }

    /// `f` hears what the zone is each time Trengo's clock shows something new of it (first
    /// learned, another zone or offset, or confirmed again an hour or more after the last time),
    /// so the workspace can keep it.
    pub fn on_zone_learned(&self, f: ZoneListener) {
        *self
            .inner
            .on_zone
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(f);
    }

    /// The zone most of the workspace's users keep, as the hint of [`Self::set_zone_hint`].
    pub fn set_zone_hint_from(&self, users: &[crate::model::User]) {
        let mut zones: std::collections::BTreeMap<&str, usize> = Default::default();
        for z in users.iter().filter_map(|u| u.timezone.as_deref()) {
            *zones.entry(z).or_default() += 1;
        }
        if let Some((z, _)) = zones.into_iter().max_by_key(|(_, n)| *n) {
            self.set_zone_hint(z);
        }
    }

    pub(super) fn clock(&self) -> std::sync::MutexGuard<'_, ZoneClock> {
        self.inner
            .zone
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How far Trengo's clock runs ahead of this machine's (negative: behind), from its last
    /// answer's `Date` header, to the second; `None` before the first answer. Whether a note or a
    /// ticket was made "since the job began" is judged on Trengo's clock with it, however wrong
    /// the desktop's is.
    pub fn trengo_clock_skew(&self) -> Option<chrono::Duration> {
        let ms = self.inner.skew_ms.load(Ordering::Relaxed);
        (ms != i64::MIN).then(|| chrono::Duration::milliseconds(ms))
    }

    /// Learns Trengo's clock from every answer's `Date` header, and the zone from what it
    /// answered: a write to a ticket is remembered with the answer's `Date`; a later read of
    /// that ticket compares its zone-less `updated_at`.
    pub(super) fn learn(&self, req: &ApiRequest, a: &Answer) {
        let Some(at) = zone::date_header(&a.headers) else {
            return;
        };
        // The header is whole seconds, stamped before the answer travelled: the skew is known
        // to a second or so.
        let skew = at.timestamp_millis() + 500 - chrono::Utc::now().timestamp_millis();
        self.inner.skew_ms.store(skew, Ordering::Relaxed);
        if !(200..300).contains(&a.status) {
            return;
        }
        if req.method != Method::GET {
            if let Some(id) = zone::ticket_of_path(&req.path) {
                self.clock().wrote(id, at);
            }
            return;
        }
        if !matches!(req.template, "/tickets/{id}" | "/tickets") || !self.clock().pending() {
            return;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&a.body) else {
            return;
        };
        let (before, after) = {
            let mut clock = self.clock();
            let before = clock.info();
            let items = match crate::de::unwrap_data(v) {
                Value::Object(mut page) if page.get("data").is_some_and(Value::is_array) => {
                    match page.remove("data") {
                        Some(Value::Array(items)) => items,
                        _ => vec![],
                    }
                }
                t => vec![t],
            };
            let mut learned = false;
            for t in &items {
                // Every item: each is a write of ours to learn from once.
                learned |= clock.observe(t, at);
            }
            if !learned {
                return;
            }
            (before, clock.info())
        };
        let news = before.name != after.name
            || before.offset_minutes != after.offset_minutes
            || before.learned_at.is_none_or(|t| {
                after
                    .learned_at
                    .is_some_and(|a| (a - t).num_minutes() >= 60)
            });
        let listener = self
            .inner
            .on_zone
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let (true, Some(f)) = (news, listener) {
            f(after);
        }
    }
}
