//! Enrichment against the simulator and its demo lookup service: the lookup's failures, the id
//! kept in one path segment, matching that never guesses, the applied values equal to the
//! preview, apply equal to the preview under faults, and undo.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use desk_core::enrich::{
    demo_source, HeaderSpec, Mapping, MatchBy, SourceConfig, SourceKind, Transform,
};
use desk_core::Desk;
use trengo_sim::{Faults, Sim, Size};

async fn setup() -> (Sim, tempfile::TempDir, Desk) {
    common::synced(Size::Small).await
}

/// The demo source pointed at this simulator, its key given as a secret.
async fn add_demo_source(sim: &Sim, desk: &Desk, timeout_ms: u32) -> SourceConfig {
    // The simulator's customer system runs on this machine: the lead allows it.
    desk.enrich().allow_host(&sim.root_url()).await.unwrap();
    let mut s = demo_source(&sim.root_url());
    s.id_pattern = None;
    if let SourceKind::Http { timeout_ms: t, .. } = &mut s.kind {
        *t = timeout_ms;
    }
    desk.enrich()
        .save_source(
            &s,
            &[("X-Api-Key".into(), trengo_sim::DEFAULT_LOOKUP_KEY.into())],
        )
        .await
        .unwrap();
    s
}

/// Customer ids of contacts the cache holds, with the contact.
fn cached_customers(sim: &Sim, desk_contacts: &[u64]) -> Vec<(String, u64)> {
    let w = sim.state().world();
    desk_contacts
        .iter()
        .filter_map(|c| {
            w.contacts
                .get(c)
                .and_then(|x| x.fields.get(&501).map(|v| (v.clone(), *c)))
        })
        .collect()
}

async fn cached_contact_ids(desk: &Desk) -> Vec<u64> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM contacts ORDER BY id")
        .fetch_all(&common::db(desk).await)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i as u64)
        .collect()
}

fn fields_of(sim: &Sim, contact: u64) -> BTreeMap<u64, String> {
    sim.state().world().contacts[&contact].fields.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_reports_every_failure_by_line_and_apply_writes_exactly_the_preview() {
    let (sim, _dir, desk) = setup().await;
    let src = add_demo_source(&sim, &desk, 2_000).await;
    let contacts = cached_contact_ids(&desk).await;
    let mut known = cached_customers(&sim, &contacts);
    // Customer IDs held by one contact only.
    known.sort();
    let counts = known.iter().fold(BTreeMap::new(), |mut m, (c, _)| {
        *m.entry(c.clone()).or_insert(0) += 1;
        m
    });
    let unique: Vec<(String, u64)> = known
        .iter()
        .filter(|(c, _)| counts[c] == 1)
        .cloned()
        .collect();
    assert!(
        unique.len() >= 12,
        "enough cached customers: {}",
        unique.len()
    );

    // Two contacts with one Customer ID: ambiguous, never guessed.
    let (dup_id, a) = unique[10].clone();
    let b = unique[11].1;
    sim.state()
        .world()
        .set_contact_field(b, 501, dup_id.clone())
        .unwrap();
    desk.sync()
        .run(&|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    let cached_b: bool = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM contacts WHERE id = ?")
        .bind(b as i64)
        .fetch_one(&common::db(&desk).await)
        .await
        .unwrap()
        == 1;
    assert!(cached_b && a != b);

    // A customer the lookup knows but no contact has: unmatched.
    let http = reqwest::Client::new();
    let mut stranger = None;
    let everyone: std::collections::HashSet<String> = sim
        .state()
        .world()
        .contacts
        .values()
        .filter_map(|c| c.fields.get(&501).cloned())
        .collect();
    for no in 10_000..20_000 {
        let id = format!("C-{no}");
        if everyone.contains(&id) {
            continue;
        }
        let r = http
            .get(format!("{}/lookup/customers/{id}", sim.root_url()))
            .header("X-Api-Key", trengo_sim::DEFAULT_LOOKUP_KEY)
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            stranger = Some(id);
            break;
        }
    }
    let stranger = stranger.expect("a customer with no contact");

    let good: Vec<String> = unique[..10].iter().map(|(c, _)| c.clone()).collect();
    // A contact the cache does not hold, found by Trengo's search for the email the lookup gives.
    let uncached = {
        let w = sim.state().world();
        w.contacts
            .values()
            .filter(|c| !contacts.contains(&c.id) && c.email.is_some())
            .filter_map(|c| c.fields.get(&501).map(|v| (v.clone(), c.id)))
            .filter(|(v, _)| !known.iter().any(|(k, _)| k == v))
            .collect::<Vec<_>>()
    };
    let text = format!(
        "{}\n{}\nC-99999999\nsim-500; sim-html\tsim-huge\nsim-slow\n../x?y#z\n{dup_id}\n{stranger}\n{}\n{}",
        good[..5].join(","),
        good[5..].join(" "),
        good[0],
        uncached
            .iter()
            .take(5)
            .map(|(c, _)| c.clone())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let p = desk.enrich().preview(&src.name, &text).await.unwrap();
    // A few customers are on a plan Trengo's dropdown does not offer: that field alone is refused
    // (their other fields still go); about one in twenty is unknown to the company's system.
    let of_good: Vec<_> = p
        .issues
        .iter()
        .filter(|i| good.contains(&i.customer_id))
        .collect();
    assert!(of_good.iter().all(|i| (i.kind == "invalid"
        && i.field.as_deref() == Some("Plan")
        && i.reason.contains("is not one of the options of Plan"))
        || (i.kind == "lookup" && i.reason.contains("not found"))));
    let unknown_to_lookup = of_good.iter().filter(|i| i.kind == "lookup").count();
    let found_by_search = p
        .rows
        .iter()
        .filter(|r| uncached.iter().any(|(c, _)| *c == r.customer_id))
        .count();
    assert!(
        found_by_search > 0,
        "the search fallback found contacts: {:#?}",
        p.issues
    );
    assert_eq!(
        p.rows.len() - found_by_search + unknown_to_lookup,
        10,
        "{:#?}",
        p.issues
    );
    let issue = |id: &str| {
        p.issues
            .iter()
            .find(|i| i.customer_id == id)
            .unwrap_or_else(|| panic!("no issue for {id}: {:#?}", p.issues))
            .clone()
    };
    assert_eq!(issue("C-99999999").line, 3);
    assert!(issue("C-99999999").reason.contains("not found"));
    assert!(issue("sim-500").reason.contains("500"));
    assert_eq!(issue("sim-html").line, 4);
    assert!(
        issue("sim-html").reason.contains("not JSON"),
        "{:?}",
        issue("sim-html")
    );
    assert!(
        issue("sim-huge").reason.contains("cap"),
        "{:?}",
        issue("sim-huge")
    );
    assert!(
        issue("sim-slow").reason.contains("in time"),
        "{:?}",
        issue("sim-slow")
    );
    assert_eq!(issue(&dup_id).kind, "ambiguous");
    assert!(
        issue(&dup_id).reason.contains(&format!("#{a}"))
            && issue(&dup_id).reason.contains(&format!("#{b}"))
    );
    // The contact index is not complete yet: "not found" is not said.
    assert_eq!(issue(&stranger).kind, "not_indexed");
    assert!(issue(&stranger).reason.contains("indexed so far"));
    assert_eq!(p.duplicates.len(), 1);
    assert_eq!(p.duplicates[0].line, 9);
    // The odd id reached the lookup service as one encoded segment.
    assert!(
        sim.state()
            .lookups()
            .contains(&"/lookup/customers/%2E%2E%2Fx%3Fy%23z".to_string()),
        "{:?}",
        sim.state().lookups()
    );
    // One write per changed field, and a fresh read per contact before it is written.
    assert_eq!(p.requests, p.changes + p.contacts);
    assert!(p.changes > 0 && p.unchanged + p.changes > 0);

    let before: BTreeMap<u64, BTreeMap<u64, String>> = p
        .rows
        .iter()
        .map(|r| {
            let c: u64 = r.contact_id.parse().unwrap();
            (c, fields_of(&sim, c))
        })
        .collect();
    let job = desk.enrich().apply(&p).await.unwrap();
    assert_eq!(job.kind.as_str(), "enrich");
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!((end.state.as_str(), end.failed), ("done", 0), "{end:?}");
    // Trengo now holds exactly the previewed values, one write per changed field.
    for r in &p.rows {
        let c: u64 = r.contact_id.parse().unwrap();
        let now = fields_of(&sim, c);
        for f in &r.fields {
            if f.error.is_some() {
                // Refused on its own: left as it was, while the contact's other fields went.
                assert_eq!(
                    now.get(&f.field_id.parse().unwrap()),
                    before[&c].get(&f.field_id.parse().unwrap()),
                    "contact {c} field {}",
                    f.label
                );
                continue;
            }
            assert_eq!(
                now.get(&f.field_id.parse().unwrap()),
                Some(&f.new),
                "contact {c} field {}",
                f.label
            );
        }
    }
    assert!(
        p.rows
            .iter()
            .any(|r| r.fields.iter().any(|f| f.error.is_some())
                && r.fields.iter().any(|f| f.changed)),
        "a row with a refused field still wrote its others"
    );
    let writes = sim
        .state()
        .mutations()
        .iter()
        .filter(|m| m.applied && m.path.ends_with("/custom_fields"))
        .count() as u32;
    assert_eq!(writes, p.changes);

    // Undo puts every value back, clearing the ones that were empty.
    let undo = desk.jobs().undo(job.id).await.unwrap();
    let u = desk.jobs().run(undo.id, &|_| {}).await.unwrap();
    assert_eq!((u.state.as_str(), u.failed), ("done", 0), "{u:?}");
    for (c, fields) in &before {
        assert_eq!(&fields_of(&sim, *c), fields, "contact {c} is as before");
    }
    let csv = desk.enrich().report_csv(job.id).await.unwrap();
    assert!(csv.starts_with("id,state,changes,reason,requests\n"));
    assert_eq!(csv.lines().count(), 1 + job.total as usize);
}

#[tokio::test]
async fn a_value_a_field_refuses_is_reported_alone_and_the_csv_is_read_as_excel_writes_it() {
    let (sim, dir, desk) = setup().await;
    let contacts = cached_contact_ids(&desk).await;
    let known = cached_customers(&sim, &contacts);
    let csv = dir.path().join("crm.csv");
    // Excel's "CSV UTF-8" in a language with decimal commas: a byte-order mark, `;` between
    // fields, a quoted field holding the separator and a line break.
    std::fs::write(
        &csv,
        format!(
            "\u{feff}customer_id;plan;country;note\r\n{};Platinum;NL;\"a; b\r\nc\"\r\n{};pro;\" be \";x\r\n",
            known[0].0, known[1].0
        ),
    )
    .unwrap();
    let src = SourceConfig {
        name: "CRM export".into(),
        kind: SourceKind::Csv {
            path: csv.to_string_lossy().into(),
            key_column: "customer_id".into(),
        },
        id_pattern: Some("^C-[0-9]+$".into()),
        match_by: MatchBy::Field {
            field_id: "501".into(),
            email_path: None,
        },
        mappings: vec![
            Mapping {
                from: "plan".into(),
                field_id: "502".into(),
                transform: Transform::default(),
            },
            Mapping {
                from: "country".into(),
                field_id: "504".into(),
                transform: Transform {
                    trim: true,
                    upper: true,
                    date_format: None,
                },
            },
        ],
    };
    desk.enrich().save_source(&src, &[]).await.unwrap();
    let p = desk
        .enrich()
        .preview(
            "CRM export",
            &format!("{}\n{}\nnot-an-id", known[0].0, known[1].0),
        )
        .await
        .unwrap();
    assert_eq!(p.problems.len(), 1);
    assert_eq!(p.problems[0].line, 3);
    let bad = &p.issues[0];
    assert_eq!(
        (bad.line, bad.kind.as_str(), bad.field.as_deref()),
        (1, "invalid", Some("Plan"))
    );
    assert!(
        bad.reason
            .contains("\"Platinum\" is not one of the options of Plan"),
        "{bad:?}"
    );
    // Both rows: the first still writes its country.
    assert_eq!(p.rows.len(), 2);
    let first = &p.rows[0];
    assert!(first
        .fields
        .iter()
        .any(|f| f.label == "Plan" && f.error.is_some() && !f.changed));
    assert!(first
        .fields
        .iter()
        .any(|f| f.label == "Country" && f.error.is_none() && f.new == "NL"));
    let plan = p.rows[1].fields.iter().find(|f| f.label == "Plan").unwrap();
    assert_eq!(plan.new, "Pro", "options match regardless of case");
    let country = p.rows[1]
        .fields
        .iter()
        .find(|f| f.label == "Country")
        .unwrap();
    assert_eq!(country.new, "BE");
    // A relative path is kept absolute; a file over the cap is refused with its size.
    // (Tests run in the crate's folder: a file under the workspace's target/ is reachable.)
    let name = format!("rel-{}.csv", std::process::id());
    let target = std::path::Path::new("../../target").join(&name);
    std::fs::copy(&csv, &target).unwrap();
    let mut rel = src.clone();
    rel.name = "Relative".into();
    rel.kind = SourceKind::Csv {
        path: format!("../../target/{name}"),
        key_column: "customer_id".into(),
    };
    desk.enrich().save_source(&rel, &[]).await.unwrap();
    let _ = std::fs::remove_file(&target);
    match desk.enrich().source("Relative").await.unwrap().kind {
        SourceKind::Csv { path, .. } => {
            assert!(std::path::Path::new(&path).is_absolute(), "{path}")
        }
        k => panic!("{k:?}"),
    }

    // A secret header is required, and lives in the secret store only.
    desk.enrich().allow_host(&sim.root_url()).await.unwrap();
    let mut http = demo_source(&sim.root_url());
    http.name = "No key".into();
    let err = desk.enrich().save_source(&http, &[]).await.unwrap_err();
    assert!(err.to_string().contains("X-Api-Key"), "{err}");
    if let SourceKind::Http { headers, .. } = &mut http.kind {
        headers.push(HeaderSpec {
            name: "X-Trace".into(),
            value: Some("desk".into()),
            secret: false,
        });
    }
    if let SourceKind::Http { headers, .. } = &mut http.kind {
        // A value given inside the config for a secret header is not kept there.
        headers[0].value = Some("leaked-value".into());
    }
    desk.enrich()
        .save_source(&http, &[("X-Api-Key".into(), "s3cret-value".into())])
        .await
        .unwrap();
    let json: Vec<String> = sqlx::query_scalar("SELECT json FROM enrich_sources")
        .fetch_all(&common::db(&desk).await)
        .await
        .unwrap();
    assert!(json
        .iter()
        .all(|j| !j.contains("s3cret-value") && !j.contains("leaked-value")));
    // Pointing the source elsewhere asks for the secret again.
    if let SourceKind::Http { url, .. } = &mut http.kind {
        *url = "https://elsewhere.example.com/c/{id}".into();
    }
    let err = desk.enrich().save_source(&http, &[]).await.unwrap_err();
    assert!(err.to_string().contains("another host"), "{err}");
    let t = desk
        .enrich()
        .test_source("No key", "C-10001")
        .await
        .unwrap();
    assert!(t.error.unwrap().contains("401"), "the wrong key is refused");
}

/// Contacts outside the ticket working set are found once the contact index is complete; the
/// apply writes exactly the preview's changes, each once, under Trengo's faults; a second apply
/// has nothing to write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_complete_index_apply_equals_the_preview_and_a_second_has_nothing_to_write() {
    let (sim, _dir, desk) = setup().await;
    let src = add_demo_source(&sim, &desk, 5_000).await;
    let cached = cached_contact_ids(&desk).await;
    // Customers whose contact is on no synced ticket (not in the cache before the index).
    let outside: Vec<(String, u64)> = {
        let w = sim.state().world();
        let mut n = std::collections::HashMap::new();
        for c in w.contacts.values() {
            if let Some(v) = c.fields.get(&501) {
                *n.entry(v.clone()).or_insert(0) += 1;
            }
        }
        w.contacts
            .values()
            .filter(|c| !cached.contains(&c.id))
            .filter_map(|c| c.fields.get(&501).map(|v| (v.clone(), c.id)))
            .filter(|(v, _)| n[v] == 1)
            .collect()
    };
    assert!(outside.len() >= 5, "{}", outside.len());
    let ix = desk.sync().finish_contact_index(&|_| {}).await.unwrap();
    assert!(ix.complete);
    assert_eq!(ix.indexed as usize, sim.state().world().contacts.len());
    let ids: Vec<String> = outside.iter().map(|(c, _)| c.clone()).collect();
    let p = desk
        .enrich()
        .preview(&src.name, &ids.join("\n"))
        .await
        .unwrap();
    assert!(
        p.issues
            .iter()
            .all(|i| i.kind != "not_indexed" && i.kind != "unmatched"),
        "{:#?}",
        p.issues
    );
    for r in &p.rows {
        let want = outside.iter().find(|(c, _)| *c == r.customer_id).unwrap().1;
        assert_eq!(r.contact_id, want.to_string(), "matched by the index");
    }
    let changes: std::collections::BTreeSet<(String, String)> = p
        .rows
        .iter()
        .flat_map(|r| {
            r.fields
                .iter()
                .filter(|f| f.changed)
                .map(|f| (r.contact_id.to_string(), f.field_id.clone()))
        })
        .collect();
    assert_eq!(changes.len() as u32, p.changes);
    sim.state().set_faults(Faults {
        error_rate: 0.05,
        drop_after_rate: 0.03,
        writes_only: true,
        seed: 11,
        ..Faults::default()
    });
    let job = desk.enrich().apply(&p).await.unwrap();
    let end = desk.jobs().run(job.id, &|_| {}).await.unwrap();
    assert_eq!((end.state.as_str(), end.failed), ("done", 0), "{end:?}");
    sim.state().set_faults(Faults::default());
    // The writes are the preview's changes, one to one, each once.
    let mut per: BTreeMap<(String, String), u32> = BTreeMap::new();
    for m in sim
        .state()
        .mutations()
        .iter()
        .filter(|m| m.applied && m.path.ends_with("/custom_fields"))
    {
        let contact = m.path.split('/').nth(2).unwrap().to_string();
        *per.entry((contact, m.body["custom_field_id"].to_string()))
            .or_insert(0) += 1;
    }
    assert!(
        per.values().all(|n| *n == 1),
        "a field written twice: {per:?}"
    );
    let written: std::collections::BTreeSet<(String, String)> = per.into_keys().collect();
    assert_eq!(written, changes);
    // Again: nothing left to write.
    let again = desk
        .enrich()
        .preview(&src.name, &ids.join("\n"))
        .await
        .unwrap();
    assert_eq!(again.changes, 0, "{:#?}", again.rows);
    assert!(desk.enrich().apply(&again).await.is_err());
}
