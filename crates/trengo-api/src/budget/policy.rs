//! The window's rules: whose turn it is (interactive first, bulk and the sync within their
//! shares, a reserve kept for clicks), how a request counts, and a window kept within bounds
//! when the clock jumps.

use super::*;
use std::time::Duration;

/// The rules, without I/O: whether a request of `lane` may go at `now`, counting it if so.
/// `sync_share` is the sync lane's share of a window in percent.
pub(super) fn decide(
    w: &mut Window,
    lane: Lane,
    now: i64,
    cfg: &BudgetConfig,
    sync_share: u32,
) -> Turn {
    if let Some(b) = w.blocked_until {
        if now < b {
            return Turn::WaitUntil(b);
        }
        w.blocked_until = None;
    }
    if w.ends.is_some_and(|e| now >= e) {
        // The server's window is over for sure: the next one opens with a probe.
        let used = w.fg_used as f64;
        w.fg_rate = Some(w.fg_rate.map_or(used, |r| used.max((r + used) / 2.0)));
        w.generation += 1;
        w.used = 0;
        w.fg_used = 0;
        w.sync_used = 0;
        w.ends = None;
        w.probe = None;
    }
    if w.ends.is_none() {
        let probing = w.probe.is_some_and(|p| now - p < PROBE_TIMEOUT_MS);
        if probing {
            return Turn::WaitForProbe;
        }
        // The window's first request: its answer tells where the server's window stands.
        if w.used >= w.limit {
            // A window we never saw an answer for is full: wait out a whole window.
            let until = w.probe.unwrap_or(now) + window_ms(cfg) + margin_ms(cfg);
            w.ends = Some(until);
            return Turn::WaitUntil(until);
        }
        w.probe = Some(now);
        count(w, lane);
        return Turn::Go {
            generation: w.generation,
            probe: true,
        };
    }
    let ends = w.ends.unwrap_or(now);
    if lane == Lane::Sync && w.sync_used >= sync_cap(w.limit, sync_share) {
        // The sync's share of this window is spent: the rest is the lead's.
        return Turn::WaitUntil(ends);
    }
    let room = w.limit.saturating_sub(w.used);
    let held = if lane.foreground() {
        0
    } else {
        reserve_kept(w, now, cfg)
    };
    if room > held {
        count(w, lane);
        return Turn::Go {
            generation: w.generation,
            probe: false,
        };
    }
    if room == 0 || lane.foreground() {
        return Turn::WaitUntil(ends);
    }
    // The reserve shrinks as the window runs out: the background goes once it is below `room`.
    let window = window_ms(cfg) as f64;
    let nothing_held = ends - (window * 0.02) as i64;
    let share = interactive_share(w, cfg);
    let at = if room > floor_of(w.limit, cfg) && share > 0.0 {
        ends - ((room - 1) as f64 / share * window) as i64
    } else {
        nothing_held
    };
    Turn::WaitUntil(at.min(nothing_held).max(now + 1))
}

pub(super) fn count(w: &mut Window, lane: Lane) {
    w.used += 1;
    if lane.foreground() {
        w.fg_used += 1;
    }
    if lane == Lane::Sync {
        w.sync_used += 1;
    }
}

/// The shared window as another process wrote it, held to what any clock may say: its times are
/// that process's clock, which may run ahead of this one (skewed, or this one was suspended), so
/// no window ends more than a window from now, no block outlasts the longest `Retry-After`, and
/// no probe was sent in the future.
pub(super) fn bound(w: &mut Window, now: i64, cfg: &BudgetConfig) {
    let horizon = now + window_ms(cfg) + margin_ms(cfg);
    if w.ends.is_some_and(|e| e > horizon) {
        w.ends = Some(horizon);
    }
    let longest = now + crate::retry::MAX_RETRY_AFTER.as_millis() as i64;
    if w.blocked_until.is_some_and(|b| b > longest) {
        w.blocked_until = Some(longest);
    }
    if w.probe.is_some_and(|p| p > now) {
        w.probe = Some(now);
    }
}

pub(super) fn window_ms(cfg: &BudgetConfig) -> i64 {
    cfg.window.as_millis() as i64
}

pub(super) fn margin_ms(cfg: &BudgetConfig) -> i64 {
    cfg.margin
        .unwrap_or_else(|| {
            (cfg.window / 60).clamp(Duration::from_millis(10), Duration::from_secs(1))
        })
        .as_millis() as i64
}

/// One slot is always kept for a click (but in a window's last moments).
pub(super) fn floor_of(limit: u32, _cfg: &BudgetConfig) -> u32 {
    1.min(limit.saturating_sub(1))
}

/// Interactive calls a window is expected to hold: half again as many as the user made in a
/// window lately (at least a tenth of the limit), or before anything is known the configured
/// share (a quarter of the limit: a click every two seconds at Trengo's 120 a minute).
pub(super) fn interactive_share(w: &Window, cfg: &BudgetConfig) -> f64 {
    let now = w.fg_used as f64;
    match (cfg.reserve, w.fg_rate) {
        (Some(r), _) => (r as f64).max(1.5 * now),
        (None, None) => (w.limit as f64 / 4.0).max(1.5 * now),
        (None, Some(rate)) => (w.limit as f64 / 10.0).max(1.5 * rate.max(now)),
    }
}

/// What the background leaves for interactive calls in what is left of the window: the share
/// for the time that is left (so a click finds a slot at once, and what nobody clicked goes to the
/// background as the window runs out), at least one slot, and nothing in the window's last 2% (a
/// click then waits for the next window: a second at most at Trengo's minute).
pub(super) fn reserve_kept(w: &Window, now: i64, cfg: &BudgetConfig) -> u32 {
    let floor = floor_of(w.limit, cfg);
    let Some(ends) = w.ends else {
        return (interactive_share(w, cfg).ceil() as u32).min(w.limit.saturating_sub(1));
    };
    let left = ((ends - now) as f64 / window_ms(cfg).max(1) as f64).clamp(0.0, 1.0);
    if left < 0.02 {
        return 0;
    }
    let want = (interactive_share(w, cfg) * left).ceil() as u32;
    floor.max(want).min(w.limit.saturating_sub(1))
}
