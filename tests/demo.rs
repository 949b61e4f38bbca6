//! `tripline demo` runs the embedded scenario end to end.

use crate::util::*;

#[test]
fn demo_ingests_and_queries_the_embedded_sample() {
    let dir = tempfile::tempdir().unwrap();
    let out = tripline()
        .arg("demo")
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("records in "), "{text}");
    for section in [
        "What is in the lake",
        "Denied and sensitive calls",
        "payload shape",
        "Function runtime",
    ] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
    // The lake it built is a real one.
    let counts = query_csv(&dir.path().join("lake"), "SELECT (SELECT count(*) FROM cloudtrail) > 0 AS c, (SELECT count(*) FROM invocations) > 0 AS i, (SELECT count(*) FROM lambda_runtime) > 0 AS r");
    assert_eq!(counts, ["true,true,true"]);
    assert!(text.contains("AccessDenied"), "{text}");
}
