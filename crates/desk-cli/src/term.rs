//! What reaches the terminal: text from Trengo or a lookup source is the customers' and
//! colleagues' own, and may carry terminal control sequences (a message that writes the
//! clipboard with OSC 52, clears the screen, or moves the cursor back to print a fake
//! "Job 1 done" line). Every line the CLI prints passes [`clean`]; only the CLI's own progress
//! lines (on standard error) use escapes.

use std::borrow::Cow;

/// `s` without control sequences or control characters: ESC and every sequence it starts (CSI,
/// OSC and the like, to their end), the 8-bit C1 controls (U+0080–U+009F, which some terminals
/// read as CSI), other C0 controls, DEL, and a carriage return not followed by a line feed.
/// Line feeds and tabs stay. A removed character leaves nothing, so a sequence can neither run
/// nor be rebuilt from what is left.
pub fn clean(s: &str) -> Cow<'_, str> {
    let bad = |c: char| (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}';
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' => skip_sequence(&mut it),
            // CSI, OSC, DCS, SOS, PM, APC as single 8-bit characters: their bodies go too.
            '\u{9b}' => skip_csi(&mut it),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut it),
            '\r' if it.peek() == Some(&'\n') => {}
            c if bad(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: `[` a CSI, `]` `P` `X` `^` `_` a string to its terminator, else one character.
fn skip_sequence(it: &mut Chars<'_>) {
    match it.next() {
        Some('[') => skip_csi(it),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(it),
        // Character-set designations take one more character.
        Some('(' | ')' | '*' | '+' | '-' | '.' | '/' | '#' | '%' | ' ') => {
            it.next();
        }
        _ => {}
    }
}

/// Parameters and intermediates (0x20–0x3F) up to a final byte (0x40–0x7E).
fn skip_csi(it: &mut Chars<'_>) {
    for c in it.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) || !('\u{20}'..='\u{3f}').contains(&c) {
            return;
        }
    }
}

/// Up to BEL, ST (ESC \ or U+009C), or the end.
fn skip_string(it: &mut Chars<'_>) {
    while let Some(c) = it.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if it.peek() == Some(&'\\') {
                    it.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// `println!` for anything that may hold text from Trengo or a lookup: cleaned first.
macro_rules! outln {
    () => { println!() };
    ($($arg:tt)*) => { println!("{}", $crate::term::clean(&format!($($arg)*))) };
}

/// `eprintln!`, cleaned.
macro_rules! errln {
    () => { eprintln!() };
    ($($arg:tt)*) => { eprintln!("{}", $crate::term::clean(&format!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn escapes_and_controls_go_and_plain_text_stays() {
        assert_eq!(clean("Hello, wereld ✓\n\ttab"), "Hello, wereld ✓\n\ttab");
        // Clipboard write (OSC 52, BEL and ST ended), clear screen, colours, cursor moves.
        assert_eq!(clean("a\u{1b}]52;c;ZXZpbA==\u{7}b"), "ab");
        assert_eq!(clean("a\u{1b}]0;title\u{1b}\\b"), "ab");
        assert_eq!(clean("\u{1b}[2J\u{1b}[H\u{1b}[31mred\u{1b}[0m"), "red");
        // A carriage return that would overwrite the line with a fake one.
        assert_eq!(clean("refund\rJob 1 done"), "refundJob 1 done");
        assert_eq!(clean("windows\r\nline"), "windows\nline");
        // 8-bit CSI and OSC, a bell, a backspace, DEL, NUL.
        assert_eq!(clean("x\u{9b}2Jy\u{9d}52;c;AA\u{9c}z"), "xyz");
        assert_eq!(clean("a\u{7}\u{8}\u{7f}\u{0}b"), "ab");
        // An escape cut short at the end.
        assert_eq!(clean("tail\u{1b}["), "tail");
        assert_eq!(clean("tail\u{1b}"), "tail");
    }
}
