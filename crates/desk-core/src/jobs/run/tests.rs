//! Tests of the module above.

use super::lease::fresh_at;
use super::*;

#[test]
fn a_heartbeat_counts_within_the_lease_and_not_from_the_future() {
    let now = 1_000_000_000;
    assert!(fresh_at(now, Some(now - 5_000)));
    assert!(!fresh_at(now, Some(now - LEASE_MS - 1)));
    assert!(!fresh_at(now, None));
    // Written before the clock was set back an hour: not fresh for that hour.
    assert!(!fresh_at(now, Some(now + 3_600_000)));
    assert!(fresh_at(now, Some(now + 1_000)));
}
