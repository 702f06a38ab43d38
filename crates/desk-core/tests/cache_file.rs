//! The cache file as a lead's machine lives with it: two processes opening a new cache at once,
//! a cache made by an older build, other users on the machine.

mod common;

use desk_core::cache::Cache;

/// Every migration as it shipped. A shipped migration never changes: caches made with its text
/// would refuse to open (a change goes in a new migration).
const SHIPPED: &[(i64, &str)] = &[
    (20261125000001, "29f81a57929e1e719e32344bdb2956a88168073f8d261fe3c2370c0e71f0b1d44c4d023905f82c0f2f12eab44cfb6bbf"),
    (20261125000002, "3669d4abee5b55e42de4e8fa3d786844b188bdababba97331ef9a72085ab9ba0dd290c2a1203e2031987f7ad6833f670"),
    (20261125000003, "f427e77f9546f3d5c9b70618c7bca9a67958bf812e8214d385271c29965379a7c3fab452511865f21ad072d9cf634ce7"),
    (20261125000004, "27e002061ab13230c2c6dac1e3b125c982aace8da8b8c2479f56771f79520be0989ce766c5c7f2886a652a49a3fa4727"),
    (20261125000005, "414bf75a655c51efb43735d2d66f7394b656b4d575d5a732e25f2781791e7dcd80a44c3626ae1d16d4782a6a0d4ab631"),
    (20261201000001, "09c01faf3415c702f2b38f2dad3a1cb6bac7dcdea6fb56e3334be2ffeff448440dd1b12c97faff99140f6ceab4eec2e5"),
    (20261201000002, "6365c5abbf16a3bdb7f84fbb56475b4bc081243ce3ee9b35a63416467822791cef93e867fef8bb649d751035466bc1f0"),
    (20261201000003, "c16a998061d38352f65dba71fc6d53032663d4a6d68ac7e5bbca19e21b7277f9255c349cbb5690c3e3be39c386f2845f"),
    (20261201000004, "0b585da29900c668b18e1328122376a96e5ab2ae088779959b4f7f7a5ccd6391d542ab6af9004633490442c09fe2196f"),
    (20261201000005, "9c4e996075e4f0960a48eb54be1ae203e79a8268dedf9453384f0849971b47a29b46e4202c9185c983b90a4f01a5de15"),
    (20261202000001, "df7b141c910596cf6eec9da5bdefc9d816877ef5f378725827244dca7f7c0ef3008e28a8b10bbb6b0c0baddb97d37ad8"),
    (20261206000001, "500f36c94e94e21b9b15e3a9c5a3ff5672d92670dd83f70e96290a061ea64bd78f0c319fdae342758dc05f8fba75bc00"),
    (20261207000001, "edc3c0f633170191eafb9802cf90f592a00eff6a25894bf3f910470cf5a80de78ad84fe8f02cf39d7e2d86c47b9d01aa"),
    (20261207000002, "282d09864649810d043d0db7fc802e52472e8bec30a6b21d40bc224eb5a4b48ae4adb95b3f6acee8bdc87405c08c0bac"),
    (20261207000003, "eb0ce06914b1b4cc38e92df266651b1172b981003de28c5d503d828886e82c65727fa499426c499e7714de168445c674"),
    (20261207000004, "ecad29b09460f6a816b1c79c82a8e53b9daf19d63cdcaa15a87c6f639368049a096579cf32fc597de61c4c982d1d3b51"),
];

#[test]
fn shipped_migrations_never_change() {
    let now = desk_core::migrate::checksums();
    for (version, sum) in SHIPPED {
        let found = now.iter().find(|(v, _, _)| v == version);
        assert_eq!(
            found.map(|(_, _, s)| s.as_str()),
            Some(*sum),
            "migration {version} changed after it shipped: put the change in a new migration"
        );
    }
    assert!(
        now.len() >= SHIPPED.len(),
        "a shipped migration was removed"
    );
}

/// Twenty times, two openers of one new cache at once (each its own SQLite connections and its
/// own lock file handle, as two processes have): both open it, and it is migrated once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_openers_of_a_new_cache_both_open_it() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..20 {
        let path = dir.path().join(format!("w{i}/cache.db"));
        let (a, b) = tokio::join!(
            tokio::spawn({
                let p = path.clone();
                async move { Cache::open(&p).await }
            }),
            tokio::spawn({
                let p = path.clone();
                async move { Cache::open(&p).await }
            })
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            a.is_ok() && b.is_ok(),
            "pair {i}: {:?} / {:?}",
            a.err(),
            b.err()
        );
        let a = a.unwrap();
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(a.pool())
            .await
            .unwrap();
        assert_eq!(n.0 as usize, SHIPPED.len());
    }
}

/// A cache made by the builds whose rules migration had an earlier text opens, and gets what
/// that text lacked (the live rules' log and the change counter), its rules kept.
#[tokio::test]
async fn a_cache_from_a_build_with_an_earlier_rules_migration_opens_and_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    // The migrations as that build had them: the shipped ones before the rules migration, and
    // the rules migration's first text.
    let old = dir.path().join("old-migrations");
    std::fs::create_dir_all(&old).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for e in std::fs::read_dir(&shipped).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "20261201000005" {
            std::fs::copy(&p, old.join(&name)).unwrap();
        }
    }
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/20261201000005_rules.first.sql"),
        old.join("20261201000005_rules.sql"),
    )
    .unwrap();
    let path = dir.path().join("cache.db");
    {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        sqlx::migrate::Migrator::new(old.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO rules (name, json, enabled, version, updated_at) VALUES ('refunds', '{}', 0, 1, 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let cache = Cache::open(&path).await.expect("the old cache opens");
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(cache.pool())
            .await
            .unwrap();
    let names: Vec<String> = names.into_iter().map(|(n,)| n).collect();
    for t in ["rule_runs", "cache_gen", "rules"] {
        assert!(names.contains(&t.to_string()), "{t} in {names:?}");
    }
    let kept: (String, Option<i64>) = sqlx::query_as("SELECT name, enabled_at FROM rules")
        .fetch_one(cache.pool())
        .await
        .unwrap();
    assert_eq!(kept, ("refunds".to_string(), None));
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(cache.pool())
        .await
        .unwrap();
    assert_eq!(n.0 as usize, SHIPPED.len(), "and every later migration ran");
    // Opened again, nothing more to do.
    cache.close().await;
    Cache::open(&path).await.expect("opens again");
}

/// The data directory and what is in it are the lead's alone: folders 0700, files 0600.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let sim = common::sim(trengo_sim::Size::Small).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let desk = common::open(&sim, &data).await;
    common::sync(&desk).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory");
    let mut files = 0;
    let mut stack = vec![data.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                assert_eq!(mode(&p), 0o700, "{}", p.display());
                stack.push(p);
            } else {
                assert_eq!(mode(&p), 0o600, "{}", p.display());
                files += 1;
            }
        }
    }
    assert!(
        files >= 3,
        "the cache, its WAL, workspaces.json, the budget file …"
    );
}

/// A cache that cannot be opened says why and what to do (never "restarting usually helps"):
/// damaged, or made by a newer version; moved aside (kept), a new one starts.
#[tokio::test]
async fn an_unusable_cache_says_what_to_do_and_is_moved_aside_on_request() {
    use desk_core::{Desk, ErrorCode};
    let sim = common::sim(trengo_sim::Size::Small).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = common::open(&sim, dir.path()).await;
    let path = desk.session().cache_path().to_path_buf();
    drop(desk);

    // Made by a newer version: a schema this one does not know.
    {
        let cache = Cache::open(&path).await.unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (29991231000001, 'future', 1, X'00', 0)")
            .execute(cache.pool())
            .await
            .unwrap();
        cache.close().await;
    }
    let e = Cache::open(&path).await.err().expect("refused");
    assert_eq!(e.code(), ErrorCode::CacheUnusable);
    let text = e.to_string();
    assert!(
        text.contains("newer version") && text.contains("cache move-aside"),
        "{text}"
    );

    // Damaged: not a database any more.
    for side in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(side);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let e = common::try_open(&sim, dir.path(), Some("demo-token"))
        .await
        .err()
        .expect("refused");
    let text = e.to_string();
    assert!(
        text.contains("is damaged") && text.contains("cache move-aside"),
        "{text}"
    );
    assert!(
        text.contains(&path.display().to_string()),
        "names the file: {text}"
    );

    let moved = Desk::move_cache_aside(Some(dir.path()), None).unwrap();
    assert_eq!(
        std::fs::read(&moved).unwrap(),
        vec![0x5a; 8192],
        "kept as it was"
    );
    let desk = common::open(&sim, dir.path()).await;
    common::sync(&desk).await;
    assert_eq!(
        desk.session().cache_path(),
        path.as_path(),
        "a new cache in its place"
    );
    // Never from under a process that has it open.
    let e = Desk::move_cache_aside(Some(dir.path()), None).unwrap_err();
    assert!(e.to_string().contains("is open"), "{e}");
    assert!(path.exists());
}
