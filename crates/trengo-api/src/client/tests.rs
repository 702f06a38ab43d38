//! Tests of the module above.

use super::*;

#[test]
fn base_urls() {
    assert_eq!(
        normalize_base_url("https://app.trengo.com/api/v2/").unwrap(),
        "https://app.trengo.com/api/v2"
    );
    assert_eq!(
        normalize_base_url("http://127.0.0.1:8088/api/v2").unwrap(),
        "http://127.0.0.1:8088/api/v2"
    );
    assert!(normalize_base_url("http://app.trengo.com/api/v2")
        .unwrap_err()
        .to_string()
        .contains("https"));
    assert!(normalize_base_url("ftp://x").is_err());
    assert!(normalize_base_url("app.trengo.com").is_err());
}

#[test]
fn only_this_machine_may_use_plain_http() {
    for ok in [
        "http://localhost:8088/api/v2",
        "http://127.0.0.1/api/v2",
        "http://127.3.4.5:9/api/v2",
        "http://[::1]:8088/api/v2",
        "http://LOCALHOST/api/v2",
    ] {
        assert!(normalize_base_url(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://127.attacker.example/api/v2",
        "http://localhost.attacker.example/api/v2",
        "http://10.0.0.1/api/v2",
        "http://[::2]/api/v2",
    ] {
        let e = normalize_base_url(bad).unwrap_err().to_string();
        assert!(e.contains("https"), "{bad}: {e}");
    }
}

#[test]
fn proxy_paths_cannot_leave_the_base() {
    let base = "http://127.0.0.1:8088/api/v2";
    let check_path = |p: &str| super::check_path(base, p);
    assert_eq!(check_path("tickets/1").unwrap(), "/tickets/1");
    // The URL parser drops TAB, CR and LF: these would reach /__sim/info.
    for bad in [
        "/.\t./.\t./__sim/info",
        "/.\n./.\n./__sim/info",
        "/.\r./x",
        "/a\u{0}b",
    ] {
        let e = check_path(bad).unwrap_err().to_string();
        assert!(e.contains("control character"), "{bad:?}: {e}");
    }
    for bad in [
        "//evil.example/x",
        "/../x",
        "https://evil.example",
        "/tickets?x=1",
        "/a/%2E%2E/b",
        "/a/.%2e/b",
        "/a/%2e./b",
        "/a%2f..%2fb",
        "/a#b",
    ] {
        assert!(check_path(bad).is_err(), "{bad}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

    /// Any proxy path: refused with a reason, or one whose joined URL lies below the base.
    #[test]
    fn any_proxy_path(path in "\\PC{0,50}", ctl in "[./\t\n\r%2eEfF_a-z]{0,20}") {
        let base = "http://127.0.0.1:8088/api/v2";
        for p in [path.clone(), ctl.clone(), format!("/{ctl}/x")] {
            match check_path(base, &p) {
                Ok(ok) => {
                    let u = url::Url::parse(&format!("{base}{ok}")).unwrap();
                    proptest::prop_assert!(u.path().starts_with("/api/v2/"), "{p:?} -> {u}");
                    proptest::prop_assert_eq!(u.host_str(), Some("127.0.0.1"));
                }
                Err(e) => proptest::prop_assert!(!e.to_string().is_empty()),
            }
        }
    }
}
