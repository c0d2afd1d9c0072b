//! Running the `tilmelding` binary on the test data in the repository's tests/data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `tilmelding` with `args`.
pub fn tilmelding(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tilmelding"))
        .args(args)
        .output()
        .expect("running tilmelding")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

pub fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
        .display()
        .to_string()
}

/// Builds the fixture index into a fresh directory.
pub fn fixture_index() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("fixture.tlm");
    let out = tilmelding(&[
        "build",
        "--catalog",
        &data("catalog.toml"),
        "--contacts",
        &data("contacts.csv"),
        "--as-of",
        "2026-11-22T06:00:00+01:00",
        "-o",
        index.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "build failed: {}", stderr(&out));
    (dir, index)
}
