//! Tests of the module above.

use super::*;

#[test]
fn free_text_becomes_a_safe_fts_query() {
    assert_eq!(
        fts_query("refund mara").as_deref(),
        Some("\"refund\"* \"mara\"*")
    );
    assert_eq!(fts_query("m@x.nl").as_deref(), Some("\"m@x.nl\"*"));
    assert_eq!(
        fts_query("\" OR 1=1 --").as_deref(),
        Some("\"OR\"* \"1\"* \"1\"*")
    );
    assert_eq!(fts_query("  "), None);
}
