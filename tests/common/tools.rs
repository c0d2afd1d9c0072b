//! What a test does when a tool it needs is missing; shared with the
//! benchmarks (benches/languages.rs includes this file).

/// Reports something missing that a test needs: the test is skipped on a
/// developer's machine but fails under `CI=true`.
pub fn skip_or_fail(message: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message} (CI=true: a missing tool is a failure)");
    }
    // Straight to the process's stderr: libtest captures `eprintln!` of a
    // passing test, and a skip must be seen by whoever runs the tests.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {message}");
}
