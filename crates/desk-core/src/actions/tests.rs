//! Tests of the module above.

use super::*;

fn tag(id: u64) -> Action {
    Action::AddTag {
        tag_id: id.to_string(),
    }
}

#[test]
fn already_so_and_effects_follow_trengo() {
    let mut s = TicketState {
        tags: vec![1],
        team: Some(201),
        user: None,
        status: "CLOSED".into(),
        ..TicketState::default()
    };
    assert!(s.satisfies(&tag(1)) && !s.satisfies(&tag(2)));
    s.apply(&Action::AssignUser {
        user_id: "3601".into(),
    });
    assert_eq!(s.status, "ASSIGNED", "assigning a user reopens");
    s.apply(&Action::Close);
    s.apply(&Action::Reopen);
    assert_eq!(s.status, "ASSIGNED");
}

#[test]
fn parts_compare_what_an_action_touches() {
    let a = TicketState {
        tags: vec![1, 2],
        team: Some(201),
        status: "OPEN".into(),
        ..TicketState::default()
    };
    let mut b = a.clone();
    b.tags = vec![2];
    assert!(!a.same_part(&b, &tag(1)));
    assert!(a.same_part(&b, &tag(2)));
    b.status = "ASSIGNED".into();
    assert!(a.same_part(&b, &Action::Close), "open is open");
    let mut f = TicketState::default();
    f.fields.insert("9".into(), "700".into());
    let mut g = TicketState::default();
    g.fields.insert("9".into(), "700.0".into());
    let set = Action::SetField {
        field_id: "9".into(),
        value: "1".into(),
    };
    assert!(f.same_part(&g, &set));
}

#[test]
fn contradicting_or_unknown_actions_are_refused() {
    let mut dir = Directory::default();
    dir.labels.insert(1, ("a".into(), None));
    dir.teams.insert(201, "Billing".into());
    assert!(validate_actions(&[], &dir).is_err());
    assert!(validate_actions(&[tag(1), Action::RemoveTag { tag_id: "1".into() }], &dir).is_err());
    assert!(validate_actions(&[Action::Close, Action::Reopen], &dir).is_err());
    let unknown = validate_actions(&[tag(7)], &dir).unwrap_err();
    assert!(
        unknown.to_string().contains("no tag with id 7"),
        "{unknown}"
    );
    assert_eq!(unknown.code(), crate::ErrorCode::NotFound);
    assert!(validate_actions(
        &[
            tag(1),
            Action::AssignTeam {
                team_id: "x".into()
            }
        ],
        &dir
    )
    .is_err());
    assert!(validate_actions(
        &[
            tag(1),
            Action::AssignTeam {
                team_id: "201".into()
            }
        ],
        &dir
    )
    .is_ok());
}

#[test]
fn a_row_after_an_action_is_what_the_action_does() {
    use crate::view::{Named, StatusKind, TicketRow, TicketStatus};
    let mut dir = Directory::default();
    dir.users.insert(7, ("Robin".into(), None));
    dir.teams.insert(3, "Billing".into());
    dir.labels.insert(9, ("vip".into(), Some("#ff0000".into())));
    let row = TicketRow {
        id: crate::TicketId::new(1),
        subject: None,
        preview: None,
        status: TicketStatus::Open,
        status_kind: StatusKind::Open,
        contact: None,
        team: None,
        assignee: None,
        channel: None,
        tags: vec![],
        created_at: None,
        updated_at: None,
        in_working_set: true,
        waiting_since: None,
        sla: None,
    };
    let r = row_after(
        &row,
        &Action::AssignUser {
            user_id: "7".into(),
        },
        &dir,
    );
    assert_eq!(
        r.status,
        TicketStatus::Assigned,
        "assigning a user assigns the ticket"
    );
    assert_eq!(r.assignee.as_ref().map(|n| n.name.as_str()), Some("Robin"));
    let r = row_after(&r, &Action::Close, &dir);
    assert_eq!(
        (r.status, r.status_kind),
        (TicketStatus::Closed, StatusKind::Closed)
    );
    let r = row_after(&r, &Action::Reopen, &dir);
    assert_eq!(
        r.status,
        TicketStatus::Assigned,
        "reopened with its user: assigned"
    );
    let r = row_after(&row, &Action::Reopen, &dir);
    assert_eq!(
        r.status,
        TicketStatus::Open,
        "reopened without a user: open"
    );
    let r = row_after(&row, &Action::AddTag { tag_id: "9".into() }, &dir);
    assert_eq!(r.tags[0].name, "vip");
    assert_eq!(r.tags[0].color.as_deref(), Some("#ff0000"));
    let r = row_after(&r, &Action::RemoveTag { tag_id: "9".into() }, &dir);
    assert!(r.tags.is_empty());
    let r = row_after(
        &row,
        &Action::AssignTeam {
            team_id: "3".into(),
        },
        &dir,
    );
    assert_eq!(
        r.team,
        Some(Named {
            id: "3".into(),
            name: "Billing".into()
        })
    );
}
