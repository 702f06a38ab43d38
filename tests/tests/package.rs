//! The .deb a user installs: built by scripts/package.sh, installed with dpkg, its files where the
//! desktop entry says, the installed app started on the demo under Xvfb until its window shows,
//! then removed. Needs root (or password-less sudo) and a display: scripts/test.sh runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use desk_e2e::artifacts;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs a command as root (directly when we are root), and says what failed.
fn as_root(args: &[&str]) -> String {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = if is_root {
        Command::new(args[0])
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").arg(args[0]);
        c
    };
    let out = cmd.args(&args[1..]).output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn output(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The newest .deb scripts/package.sh made.
fn package() -> PathBuf {
    let dir = root().join("target/release/bundle/deb");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/package.sh first", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    debs.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    debs.pop().expect("a .deb in target/release/bundle/deb")
}

/// A field of the package's control file.
fn field(control: &str, name: &str) -> String {
    control
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        // Removed however the test ends.
        let _ = Command::new("dpkg").args(["-r", "trengo-desk"]).output();
    }
}

#[test]
#[ignore = "installs a .deb as root and needs a display: run by scripts/test.sh"]
fn the_package_installs_starts_on_the_demo_and_removes() {
    let deb = package();
    let d = deb.to_str().unwrap();

    // What the package says of itself.
    let control = output(&["dpkg-deb", "--field", d]);
    assert_eq!(field(&control, "Package"), "trengo-desk", "{control}");
    assert_eq!(
        field(&control, "Version"),
        env!("CARGO_PKG_VERSION"),
        "{control}"
    );
    let depends = field(&control, "Depends");
    for dep in ["libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        assert!(depends.contains(dep), "Depends: {depends}");
    }
    // The tray's library is wanted, not required: the app probes for it and runs without it.
    assert!(
        field(&control, "Recommends").contains("libayatana-appindicator3-1"),
        "{control}"
    );
    assert!(!field(&control, "Maintainer").is_empty(), "{control}");
    assert!(
        field(&control, "Description").contains("support leads"),
        "{control}"
    );

    // Installed like any other package.
    as_root(&["dpkg", "-i", d]);
    let _installed = Installed;
    let bin = Path::new("/usr/bin/trengo-desk");
    assert!(bin.exists(), "the binary is at /usr/bin");
    let files = output(&["dpkg", "-L", "trengo-desk"]);
    let desktop = files
        .lines()
        .find(|l| l.starts_with("/usr/share/applications/") && l.ends_with(".desktop"))
        .unwrap_or_else(|| panic!("a desktop entry: {files}"));
    let entry = std::fs::read_to_string(desktop).unwrap();
    let key = |k: &str| {
        entry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(key("Name"), "Trengo Desk", "{entry}");
    assert_eq!(key("Categories"), "Office;Network;", "{entry}");
    assert!(!key("Comment").is_empty(), "{entry}");
    // Exec names a program on the PATH that is the installed binary.
    let exec = key("Exec");
    let program = exec.split_whitespace().next().unwrap_or_default();
    assert!(
        program == "trengo-desk" || program == "/usr/bin/trengo-desk",
        "Exec={exec}"
    );
    // Icon names an icon the theme holds, in the sizes from icons/.
    let icon = key("Icon");
    let icons: Vec<&str> = files
        .lines()
        .filter(|l| {
            l.starts_with("/usr/share/icons/hicolor/") && l.ends_with(&format!("/{icon}.png"))
        })
        .collect();
    assert!(icons.len() >= 3, "Icon={icon}: {icons:?} in {files}");
    for i in &icons {
        assert!(Path::new(i).exists(), "{i}");
    }

    // The installed app starts on the demo, and its window shows.
    let home = std::env::temp_dir().join(format!("deb-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut app = Command::new(bin)
        .args(["--demo", "--data-dir"])
        .arg(home.join("data"))
        .env("HOME", &home)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the installed app starts");
    until("a \"Trengo Desk\" window", || {
        assert!(app.try_wait().unwrap().is_none(), "the app exited early");
        output(&["xwininfo", "-root", "-tree"]).contains("\"Trengo Desk\"")
    });
    // The demo draws its inbox: the screen is looked at until it does. The bundle's inbox (the
    // sidebar, the list's columns and rows) has over a thousand colours; the start screen's one
    // line of text, about two hundred.
    let shot = artifacts().join("package.png");
    until("the inbox drawn (over 1,000 colours)", || {
        let s = Command::new("import")
            .args(["-window", "root"])
            .arg(&shot)
            .status()
            .unwrap();
        assert!(s.success(), "a screenshot");
        let colours: u32 = output(&["identify", "-format", "%k", shot.to_str().unwrap()])
            .trim()
            .parse()
            .unwrap_or(0);
        colours > 1_000
    });
    assert!(app.try_wait().unwrap().is_none(), "the app still runs");
    let _ = app.kill();
    let _ = app.wait();

    // Removed: nothing of it stays on the PATH.
    as_root(&["dpkg", "-r", "trengo-desk"]);
    assert!(!bin.exists());
    let _ = std::fs::remove_dir_all(&home);
}

/// Checks `check` every quarter second until it holds; panics naming `what` after a minute.
fn until(what: &str, mut check: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < end, "{what} within a minute");
        std::thread::sleep(Duration::from_millis(250));
    }
}
