//! The Python binding (bindings/python): bindings/python/run-tests.sh
//! builds the wheel with maturin, installs it into a virtual environment
//! (target/python, reused) and runs the pytest suite against the installed
//! package, on indexes this test builds with the library, including the
//! Spark example over 1,000,000 letters in local[2] (PySpark on the JDK).
//!
//! Needs python3 with venv and pip, PyPI (maturin, numpy, pytest, PySpark,
//! pandas, pyarrow) and a JDK 17 for Spark:
//! `apt-get install -y python3-venv python3-pip`. Without them the test is
//! skipped, or fails under `CI=true`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fixture_index, have_tool, next_index, root};

const INSTALL: &str = "apt-get install -y python3-venv python3-pip";

#[test]
fn the_python_binding_passes_its_suite() {
    if !have_tool("python3", "--version", INSTALL) {
        return;
    }
    let venv = Command::new("python3")
        .args(["-m", "venv", "--help"])
        .output();
    if !venv.is_ok_and(|out| out.status.success()) {
        common::skip_or_fail(&format!(
            "python3 has no venv module; install it with: {INSTALL}"
        ));
        return;
    }
    let data = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-data");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    let (dir, fixture) = fixture_index();
    std::fs::copy(&fixture, data.join("fixture.tlm")).unwrap();
    std::fs::copy(next_index(dir.path()), data.join("next.tlm")).unwrap();
    std::fs::copy(
        common::resealed_after_change(&fixture),
        data.join("resealed.tlm"),
    )
    .unwrap();
    let options = tilmelding_synth::SynthOptions {
        citizens: 20_000,
        companies: 3_000,
        seed: 3,
        ..Default::default()
    };
    let generated = data.join("generated");
    let summary = tilmelding_synth::generate(&generated, &options, &mut |_, _| {}).unwrap();
    let build = tilmelding::BuildOptions {
        as_of: Some(1_795_323_600),
        ..Default::default()
    };
    tilmelding::build(
        &summary.catalog_path,
        &[&summary.contacts_path],
        &data.join("generated.tlm"),
        &build,
        &mut |_| {},
    )
    .unwrap();

    let mut command = Command::new("bash");
    command
        .arg(root().join("bindings/python/run-tests.sh"))
        .env("TILMELDING_PREPARED", &data);
    // The CLI that `cargo test --workspace` builds next to this test, for
    // the Spark test's check against `tilmelding lookup`.
    let exe = std::env::current_exe().unwrap();
    let cli = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("tilmelding"));
    let cli = cli.filter(|cli| cli.exists());
    if let Some(cli) = &cli {
        command.env("TILMELDING_CLI", cli);
    } else {
        common::skip_or_fail(
            "no CLI built next to this test (cargo test --workspace builds it): the checks against it",
        );
    }
    let out = command
        .output()
        .expect("running bindings/python/run-tests.sh");
    assert!(
        out.status.success(),
        "the Python suite failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains(" passed"), "{report}");
    assert!(
        !report.contains(" skipped") || report.contains("1 skipped"),
        "{report}"
    );
}
