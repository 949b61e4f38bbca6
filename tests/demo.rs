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

    // The detection half: rules over the sample, then a simulated week scored against
    // its labels. The sample holds a DeleteTrail, which the library must flag.
    let sample = section(&text, "$ tripline detect --lake", "$ tripline simulate");
    assert!(sample.contains("severity"), "{sample}");
    assert!(sample.to_lowercase().contains("trail"), "{sample}");
    let eval = section(&text, "$ tripline eval", "Explore it yourself");
    let alerts = eval.lines().filter(|l| l.starts_with("20")).count();
    assert!(alerts >= 10, "few alerts:\n{eval}");
    let summary = eval
        .lines()
        .find(|l| l.starts_with("findings "))
        .unwrap_or_else(|| panic!("no eval summary:\n{eval}"));
    let recall: f64 = summary
        .split("recall ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("no recall in {summary}"));
    assert!(recall >= 0.9, "{summary}");
}

/// The text of `text` from the line starting with `from` up to the one starting with `to`.
fn section<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("no {from:?} in:\n{text}"));
    let end = text[start..].find(to).map_or(text.len(), |e| start + e);
    &text[start..end]
}
