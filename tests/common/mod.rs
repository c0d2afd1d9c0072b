//! Shared by the tests that drive the C ABI from C, C# and Java.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory holding the `libtilmelding.so` and `.a` that this test run
/// built: `cargo test` leaves them in `<target>/<profile>/deps/` (only
/// `cargo build` copies them up a level, where they may be stale).
pub fn library_dir() -> PathBuf {
    // The test binary lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("<target>/<profile>/deps").to_owned();
    assert!(
        deps.join("libtilmelding.so").exists(),
        "{} has no libtilmelding.so",
        deps.display()
    );
    deps
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `tool` can be run. Missing tools skip a test on a developer's
/// machine (saying what to install) but fail it under `CI=true`.
pub fn have_tool(tool: &str, version_arg: &str, install: &str) -> bool {
    let found = Command::new(tool)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let message = format!("`{tool}` is not installed; install it with: {install}");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{message} (CI=true: a missing tool is a failure)");
        }
        eprintln!("SKIPPED: {message}");
    }
    found
}

/// Builds the fixture index (tests/data) into a fresh directory with the CLI.
pub fn fixture_index() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("fixture.tlm");
    let data = root().join("tests/data");
    let out = Command::new(env!("CARGO_BIN_EXE_tilmelding"))
        .args(["build", "--catalog"])
        .arg(data.join("catalog.toml"))
        .arg("--contacts")
        .arg(data.join("contacts.csv"))
        .args(["--as-of", "2026-11-22T06:00:00+01:00", "-o"])
        .arg(&index)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, index)
}

/// One row of tests/data/lookups.tsv.
#[derive(Clone, Debug)]
pub struct Lookup {
    pub material: String,
    pub recipient: String,
    pub date: String,
    /// `channel reason`, or `error code`.
    pub expected: String,
}

/// The rows of tests/data/lookups.tsv: inputs and the answers the table gives.
pub fn lookups() -> Vec<Lookup> {
    std::fs::read_to_string(root().join("tests/data/lookups.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Lookup {
                material: f[0].into(),
                recipient: f[1].into(),
                date: f[2].into(),
                expected: f[3].into(),
            }
        })
        .collect()
}

/// The CLI's answer to one lookup, as `channel reason` or `error code`.
pub fn cli_answer(index: &Path, l: &Lookup) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tilmelding"))
        .arg("lookup")
        .arg(index)
        .args(["--material", &l.material, "--date", &l.date, &l.recipient])
        .output()
        .unwrap();
    assert!(out.status.success());
    last_two_words(&String::from_utf8(out.stdout).unwrap())
}

/// The last two whitespace-separated words of a line: `channel reason` or `error code`.
pub fn last_two_words(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(words.len() >= 2, "not an answer line: {line:?}");
    words[words.len() - 2..].join(" ")
}
