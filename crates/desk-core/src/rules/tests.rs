//! Tests of the module above.

use super::*;

fn dir() -> Directory {
    let mut d = Directory::default();
    d.labels.insert(1, ("refund".into(), None));
    d.labels.insert(2, ("vip".into(), None));
    d.teams.insert(201, "Billing".into());
    d.users.insert(7, ("Robin".into(), None));
    d.channels.insert(801, "Support email".into());
    d.fields.push(trengo_unified::Field {
        id: "9".into(),
        name: "vip".into(),
        label: "VIP".into(),
        field_type: trengo_unified::FieldKind::Checkbox,
        options: vec![],
        is_required: false,
        is_user_defined: true,
        entity_type: trengo_unified::EntityType::Contact,
        remote_data: None,
    });
    d.fields.push(trengo_unified::Field {
        id: "12".into(),
        name: "priority".into(),
        label: "Priority".into(),
        field_type: trengo_unified::FieldKind::Dropdown,
        options: vec![],
        is_required: false,
        is_user_defined: true,
        entity_type: trengo_unified::EntityType::Ticket,
        remote_data: None,
    });
    d
}

fn rule(all: bool, conditions: Vec<Condition>) -> Rule {
    Rule {
        name: "r".into(),
        balance: None,
        all,
        conditions,
        actions: vec![Action::AddTag { tag_id: "1".into() }],
    }
}

fn ticket() -> RuleTicket {
    RuleTicket {
        id: 1,
        text: fold("Vraag over TERUGBETALING\nIk wil mijn geld terug"),
        channel: Some(801),
        team: None,
        user: Some(7),
        tags: vec![2],
        status: "ASSIGNED".into(),
        contact_fields: [("9".to_string(), "1".to_string())].into(),
        ticket_fields: HashMap::new(),
        created_at: Some(1_000),
        updated_at: Some(2_000),
        last_inbound: Some(true),
    }
}

fn m(c: Condition) -> bool {
    rule(true, vec![c])
        .compile(&dir())
        .unwrap()
        .matches(&ticket(), 1_000 + 5 * 3600, &[])
}

#[test]
fn each_condition_reads_its_part_of_the_ticket() {
    let words = |w: &[&str]| Condition::TextContains {
        words: w.iter().map(|s| s.to_string()).collect(),
    };
    assert!(m(words(&["refund", "terugbetaling"])));
    assert!(m(words(&["Terugbetåling"])), "accents and case are ignored");
    assert!(!m(words(&["chargeback"])));
    assert!(m(Condition::TextMatches {
        pattern: r"geld\s+terug".into()
    }));
    assert!(m(Condition::Channel {
        channel_id: "801".into()
    }));
    assert!(m(Condition::Team { team_id: None }));
    assert!(!m(Condition::Team {
        team_id: Some("201".into())
    }));
    assert!(m(Condition::Assignee {
        user_id: Some("7".into())
    }));
    assert!(m(Condition::HasTag { tag_id: "2".into() }));
    assert!(m(Condition::LacksTag { tag_id: "1".into() }));
    assert!(m(Condition::Status {
        status: "open".into()
    }));
    assert!(!m(Condition::Status {
        status: "unassigned".into()
    }));
    assert!(m(Condition::ContactField {
        field_id: "9".into(),
        op: FieldOp::Equals,
        values: vec!["Yes".into()]
    }));
    assert!(m(Condition::TicketField {
        field_id: "12".into(),
        op: FieldOp::IsEmpty,
        values: vec![]
    }));
    assert!(m(Condition::OlderThan { hours: 4 }));
    assert!(m(Condition::LastFromCustomer));
    assert!(!m(Condition::OlderThan { hours: 6 }));
}

#[test]
fn all_of_and_any_of() {
    let no = Condition::HasTag { tag_id: "1".into() };
    let yes = Condition::HasTag { tag_id: "2".into() };
    let d = dir();
    let t = ticket();
    assert!(!rule(true, vec![yes.clone(), no.clone()])
        .compile(&d)
        .unwrap()
        .matches(&t, 0, &[]));
    assert!(rule(false, vec![yes, no])
        .compile(&d)
        .unwrap()
        .matches(&t, 0, &[]));
}

#[test]
fn a_bad_rule_is_refused_with_its_name_and_condition() {
    let d = dir();
    let e = rule(
        true,
        vec![
            Condition::HasTag { tag_id: "2".into() },
            Condition::TextMatches {
                pattern: "(refund".into(),
            },
        ],
    )
    .compile(&d)
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("rule \"r\", condition 2") && e.contains("regex"),
        "{e}"
    );
    let e = rule(
        true,
        vec![Condition::Team {
            team_id: Some("999".into()),
        }],
    )
    .compile(&d)
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("no team with id 999"), "{e}");
    let e = rule(true, vec![]).compile(&d).err().unwrap().to_string();
    assert!(e.contains("at least one condition"), "{e}");
    let e = parse_rules("[{\"name\": 3}]", &d).unwrap_err().to_string();
    assert!(e.contains("line 1"), "{e}");
}

#[test]
fn the_fresh_read_decides_the_parts_that_change() {
    let d = dir();
    let c = rule(
        true,
        vec![
            Condition::TextContains {
                words: vec!["refund".into()],
            },
            Condition::Team { team_id: None },
        ],
    )
    .compile(&d)
    .unwrap();
    let mut s = TicketState {
        status: "OPEN".into(),
        ..TicketState::default()
    };
    assert!(c.still_matches(&s));
    s.team = Some(201);
    assert!(
        !c.still_matches(&s),
        "moved to a team since: no longer matches"
    );
}
