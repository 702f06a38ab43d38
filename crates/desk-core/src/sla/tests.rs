use super::*;

fn dir() -> trengo_unified::Directory {
    let mut d = trengo_unified::Directory::default();
    d.teams.insert(1, "Billing".into());
    d.teams.insert(2, "Support".into());
    d.labels.insert(7, ("vip".into(), None));
    d
}

fn policy(name: &str, first: u32) -> SlaPolicy {
    SlaPolicy {
        name: name.into(),
        enabled: true,
        first_reply: Some(first),
        next_reply: Some(first * 2),
        resolution: None,
        at_risk: AtRisk::Minutes(10),
        scope: SlaScope::default(),
        hours: None,
    }
}

fn radar(ps: &[SlaPolicy]) -> Radar {
    let d = dir();
    Radar::new(
        ps.iter()
            .map(|p| p.check(&Names { dir: &d }).unwrap())
            .collect(),
    )
}

#[test]
fn the_first_matching_policy_wins_in_the_lead_s_order() {
    let mut vip = policy("VIP", 15);
    vip.scope.tag = Some("VIP".into());
    let mut billing = policy("Billing", 60);
    billing.scope.team = Some("billing".into());
    let all = policy("Everyone", 240);
    let mut r = radar(&[vip, billing, all]);
    let t = |team, tags: Vec<i64>| ClockFacts {
        id: 1,
        created_at: Some(0),
        team,
        tags,
        waiting_since: Some(0),
        replied: Some(false),
        ..Default::default()
    };
    assert_eq!(r.policy_of(&t(Some(1), vec![7])), Some(0));
    assert_eq!(r.policy_of(&t(Some(1), vec![])), Some(1));
    assert_eq!(r.policy_of(&t(Some(2), vec![])), Some(2));
    let s = r.standing(&t(Some(1), vec![]), 55 * 60).unwrap();
    assert_eq!(
        (s.state, s.target, s.due_at),
        (SlaState::AtRisk, SlaTarget::FirstReply, 3600)
    );
}

#[test]
fn the_waiting_clock_runs_from_the_customer_s_message_and_pauses_on_our_reply() {
    let mut r = radar(&[policy("P", 30)]);
    // Waiting since t=1000 after our earlier reply: the next reply target (60 min) runs from it.
    let mut t = ClockFacts {
        id: 1,
        created_at: Some(0),
        waiting_since: Some(1000),
        replied: Some(true),
        ..Default::default()
    };
    let s = r.standing(&t, 1000 + 30 * 60).unwrap();
    assert_eq!(
        (s.target, s.state),
        (SlaTarget::NextReply, SlaState::OnTrack)
    );
    assert_eq!(s.due_at, 1000 + 3600);
    assert_eq!(s.at_risk_at, 1000 + 3600 - 600);
    assert_eq!(
        r.standing(&t, 1000 + 3600).unwrap().state,
        SlaState::Breached
    );
    // Our reply: nothing is due, however long ago the ticket began.
    t.waiting_since = None;
    assert_eq!(r.standing(&t, 10_000_000), None);
}

#[test]
fn percent_at_risk_counts_business_time() {
    let mut p = policy("P", 60);
    p.at_risk = AtRisk::Percent(75);
    let mut r = radar(&[p]);
    let t = ClockFacts {
        id: 1,
        created_at: Some(0),
        waiting_since: Some(0),
        replied: Some(false),
        ..Default::default()
    };
    let s = r.standing(&t, 45 * 60).unwrap();
    assert_eq!((s.at_risk_at, s.state), (45 * 60, SlaState::AtRisk));
}

#[test]
fn errors_name_the_policy_and_the_part() {
    let d = dir();
    let names = Names { dir: &d };
    let err = |p: SlaPolicy| p.check(&names).unwrap_err().to_string();
    let mut p = policy("Gold", 0);
    assert!(err(p.clone()).contains("SLA policy \"Gold\": first reply: must be at least 1 minute"));
    p.first_reply = Some(5);
    p.next_reply = None;
    p.scope.team = Some("Bilink".into());
    assert!(
        err(p.clone()).contains("\"Gold\": team: \"Bilink\" is not a team"),
        "{}",
        err(p.clone())
    );
    p.scope.team = None;
    p.hours = Some(BusinessHours {
        time_zone: "Mars/Olympus".into(),
        days: vec![],
        holidays: vec![],
    });
    assert!(err(p.clone()).contains("\"Gold\": hours: \"Mars/Olympus\" is not a time zone"));
    p.hours = Some(BusinessHours {
        time_zone: "Europe/Amsterdam".into(),
        days: vec![DayHours {
            day: "mon".into(),
            from: "17:00".into(),
            to: "09:00".into(),
        }],
        holidays: vec![],
    });
    assert!(err(p.clone()).contains("mon opens at 17:00 but closes at 09:00"));
    p.hours = None;
    p.first_reply = None;
    assert!(err(p).contains("targets: none given"));
}
