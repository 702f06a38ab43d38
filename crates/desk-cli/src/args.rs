//! `bulk` takes its filter flags on either side of the action: `bulk --status open tag --tag X`
//! and `bulk tag --tag X --status open` mean the same. Clap wants them before the subcommand, so
//! the ones after it are moved there before parsing. The action's own flag (`--tag` of `tag` and
//! `untag`, `--team` of `assign-team`) stays; after those actions the filter says `--has-tag` or
//! `--in-team`.

const ACTIONS: [&str; 6] = [
    "tag",
    "untag",
    "assign-team",
    "assign-user",
    "close",
    "reopen",
];

/// Flags that take a value, anywhere before the action.
const VALUED: [&str; 11] = [
    "--status",
    "--team",
    "--tag",
    "--assignee",
    "--text",
    "--has-tag",
    "--in-team",
    "--ids",
    "--base-url",
    "--data-dir",
    "--workspace",
];

/// The filter flags that may follow `action`, and the name each takes before it.
fn movable(action: &str, flag: &str) -> Option<&'static str> {
    let own = match action {
        "tag" | "untag" => "--tag",
        "assign-team" => "--team",
        "assign-user" => "--user",
        _ => "",
    };
    match flag {
        f if f == own => None,
        "--status" => Some("--status"),
        "--assignee" => Some("--assignee"),
        "--text" => Some("--text"),
        "--tag" | "--has-tag" => Some("--tag"),
        "--team" | "--in-team" => Some("--team"),
        _ => None,
    }
}

/// The arguments with `bulk`'s filter flags moved before its action.
pub fn filters_before_action(args: Vec<String>) -> Vec<String> {
    let Some(bulk) = args.iter().position(|a| a == "bulk") else {
        return args;
    };
    let mut i = bulk + 1;
    let mut action = None;
    while i < args.len() {
        let a = args[i].as_str();
        if ACTIONS.contains(&a) {
            action = Some(i);
            break;
        }
        if VALUED.contains(&a) {
            i += 1;
        }
        i += 1;
    }
    let Some(at) = action else { return args };
    let name = args[at].clone();
    let (mut moved, mut rest) = (vec![], vec![]);
    let mut j = at + 1;
    while j < args.len() {
        let a = &args[j];
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if a.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        match movable(&name, &flag) {
            Some(to) => {
                moved.push(to.to_string());
                match inline {
                    Some(v) => moved.push(v),
                    None => {
                        if let Some(v) = args.get(j + 1) {
                            moved.push(v.clone());
                        }
                        j += 1;
                    }
                }
            }
            None => {
                rest.push(a.clone());
                // The action's own flag and the other valued flags keep their value.
                if inline.is_none() && (VALUED.contains(&flag.as_str()) || flag == "--user") {
                    if let Some(v) = args.get(j + 1) {
                        rest.push(v.clone());
                    }
                    j += 1;
                }
            }
        }
        j += 1;
    }
    let mut out: Vec<String> = args[..at].to_vec();
    out.extend(moved);
    out.push(name);
    out.extend(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::filters_before_action as f;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn filters_after_the_action_move_before_it() {
        assert_eq!(
            f(v("cli bulk tag --tag X --status open --yes")),
            v("cli bulk --status open tag --tag X --yes")
        );
        assert_eq!(
            f(v("cli bulk close --team Billing --status=OPEN")),
            v("cli bulk --team Billing --status OPEN close")
        );
        // After tag and untag, the filter's tag is --has-tag; after assign-team, its team --in-team.
        assert_eq!(
            f(v("cli bulk untag --tag X --has-tag vip")),
            v("cli bulk --tag vip untag --tag X")
        );
        assert_eq!(
            f(v(
                "cli bulk assign-team --team Sales --in-team Billing --tag vip"
            )),
            v("cli bulk --team Billing --tag vip assign-team --team Sales")
        );
        // Already before, or no bulk at all: as given.
        assert_eq!(
            f(v("cli bulk --status open tag --tag X")),
            v("cli bulk --status open tag --tag X")
        );
        assert_eq!(
            f(v("cli tickets --status open")),
            v("cli tickets --status open")
        );
        // A flag's value that happens to be an action's name is a value.
        assert_eq!(
            f(v("cli bulk --tag close reopen --status closed")),
            v("cli bulk --tag close --status closed reopen")
        );
    }
}
