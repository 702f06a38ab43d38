//! What is kept per workspace (in its cache file; never the token): the Trengo address, the
//! signed-in user, the lead's teams, the poll interval, the sync's share and the notifications.

use serde::{Deserialize, Serialize};

use crate::view::UserItem;

/// What is kept per workspace (in its cache file; never the token).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkspaceSettings {
    pub base_url: String,
    /// The token's owner, from `/users/me`.
    pub user: Option<UserItem>,
    /// The teams whose new tickets concern this user; `None`: the teams they belong to.
    pub my_team_ids: Option<Vec<String>>,
    /// How often the assignment watcher polls, in seconds.
    pub poll_interval_secs: u32,
    #[serde(default)]
    pub notify: NotifySettings,
    /// The background sync's share of Trengo's budget, percent (5–100); `None`: a quarter.
    #[serde(default)]
    pub sync_share_percent: Option<u32>,
}

/// Which desktop notifications, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NotifySettings {
    /// A ticket assigned to me.
    pub me: bool,
    /// A new ticket in one of my teams.
    pub team: bool,
    /// Quiet hours, local time: no notifications from `quiet_from` (hour, 0–23) until `quiet_to`.
    pub quiet_from: Option<u8>,
    pub quiet_to: Option<u8>,
    pub sound: bool,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            me: true,
            team: true,
            quiet_from: None,
            quiet_to: None,
            sound: false,
        }
    }
}

impl NotifySettings {
    /// Whether `hour` (local, 0–23) lies in the quiet hours (which may cross midnight).
    pub fn quiet_at(&self, hour: u8) -> bool {
        match (self.quiet_from, self.quiet_to) {
            (Some(f), Some(t)) if f == t => false,
            (Some(f), Some(t)) if f < t => hour >= f && hour < t,
            (Some(f), Some(t)) => hour >= f || hour < t,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NotifySettings;

    #[test]
    fn quiet_hours_may_cross_midnight() {
        let night = NotifySettings {
            quiet_from: Some(22),
            quiet_to: Some(7),
            ..NotifySettings::default()
        };
        assert!(night.quiet_at(23) && night.quiet_at(0) && night.quiet_at(6));
        assert!(!night.quiet_at(7) && !night.quiet_at(12));
        let lunch = NotifySettings {
            quiet_from: Some(12),
            quiet_to: Some(13),
            ..NotifySettings::default()
        };
        assert!(lunch.quiet_at(12) && !lunch.quiet_at(13));
        assert!(!NotifySettings::default().quiet_at(3));
    }
}
