//! The contact index against the simulator: one pass reads every contact with one request a
//! page, says when it is complete, resumes where it stopped, and forgets contacts deleted in
//! Trengo on the next pass.

mod common;

use trengo_sim::Size;
use trengo_unified::api::Lane;

#[tokio::test]
async fn a_pass_reads_every_contact_a_page_a_request_and_the_next_forgets_the_deleted() {
    let (sim, _dir, desk) = common::synced(Size::Small).await;
    let all = sim.state().world().contacts.len();
    let before = desk.sync().contact_index().await.unwrap();
    assert!(!before.complete);
    assert!(
        (before.indexed as usize) < all,
        "only contacts of synced tickets so far"
    );

    // Two pages, then the rest: it resumes where it stopped.
    let requests = sim.state().stats().requests;
    let first = desk
        .sync()
        .index_contacts(2, Lane::Sync, &|_| {})
        .await
        .unwrap();
    assert_eq!(first, 2);
    assert!(!desk.sync().contact_index().await.unwrap().complete);
    let ix = desk.sync().finish_contact_index(&|_| {}).await.unwrap();
    let pages = all.div_ceil(25) as u64;
    assert_eq!(
        sim.state().stats().requests - requests,
        pages,
        "one request a page, no page twice"
    );
    assert!(ix.complete);
    assert_eq!(ix.indexed as usize, all);
    assert_eq!(ix.total, Some(all as u32));

    // Deleted in Trengo: gone after the next pass.
    let gone = *sim.state().world().contacts.keys().next().unwrap();
    sim.state().world().contacts.remove(&gone);
    loop {
        desk.sync()
            .index_contacts(50, Lane::Sync, &|_| {})
            .await
            .unwrap();
        let ix = desk.sync().contact_index().await.unwrap();
        if ix.pass_seen == 0 {
            assert_eq!(ix.indexed as usize, all - 1);
            break;
        }
    }
    let db = common::db(&desk).await;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE id = ?")
        .bind(gone as i64)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let fields: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contact_fields WHERE contact_id = ?")
            .bind(gone as i64)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(fields, 0);
}
