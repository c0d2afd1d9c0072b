//! CPR numbers are personal data: no log line, rejected-line
//! list or error message of the CLI or the library shows a full one, whatever
//! the error path (the C ABI's last-error messages: src/ffi/tests.rs).
//! (Answer lines of `lookup` echo the recipient asked about: that is the
//! data the caller asked for, not a message.)

mod common;
#[path = "../../tests/common/personal.rs"]
mod personal;

use personal::{CPRS, assert_no_cpr};
use tilmelding::{Date, Index, Recipient};

/// Runs `tilmelding`: its standard output and error, as text.
fn tilmelding(args: &[&str]) -> (String, String) {
    let out = common::tilmelding(args);
    (
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn build_errors_and_rejected_line_lists() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = dir.path().join("contacts.csv");
    let mut csv = String::from("id;status;registration;exemption_start;exemption_end;nemsms\n");
    for cpr in CPRS {
        let dashed = format!("{}-{}", &cpr[..6], &cpr[6..]);
        // The number in every field, malformed, and valid but duplicated.
        csv += &format!("{cpr};{cpr};{cpr};{cpr};{cpr};{cpr}\n");
        csv += &format!("{dashed};registered;;;;{dashed}\n");
        csv += &format!("x{cpr};registered;;;;\n");
        csv += &format!("{cpr}{cpr};registered;;;;\n");
        csv += &format!("\"{cpr}\";registered;;;;\n");
        csv += &format!("{cpr};registered\n");
        csv += &format!("{cpr};exempt;;2026-01-01;2025-01-01;\n");
    }
    std::fs::write(&contacts, csv).unwrap();
    let catalog = common::data("catalog.toml");
    let index = dir.path().join("i.tlm");
    let rejected = dir.path().join("rejected.txt");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["build", "--catalog", &catalog, "--contacts"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.push(contacts.display().to_string());
        a.extend(["-o".into(), index.display().to_string()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let strict = args(&[]);
    let (out, err) = tilmelding(&strict.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("rejected"), "{err}");
    assert_no_cpr("build's error", &(out + &err));

    let skip = args(&["--skip-invalid", rejected.to_str().unwrap()]);
    let (out, err) = tilmelding(&skip.iter().map(String::as_str).collect::<Vec<_>>());
    let listed = std::fs::read_to_string(&rejected).unwrap();
    assert!(listed.lines().count() >= 30, "{listed}");
    assert_no_cpr("the rejected-line list", &listed);
    assert_no_cpr("build's output", &(out + &err));
}

#[test]
fn lookup_errors_in_rust_and_on_stderr() {
    let (_dir, path) = common::fixture_index();
    let index = Index::open(&path).unwrap();
    let date = Date::from_ymd(2026, 11, 22).unwrap();
    for cpr in CPRS {
        match cpr.parse::<Recipient>() {
            Ok(r) => {
                assert_no_cpr("Debug of a recipient", &format!("{r:?}"));
                assert_no_cpr("a masked recipient", &r.masked().to_string());
                for material in ["100", "600", "999"] {
                    if let Err(e) = index.lookup(material, &r, date) {
                        assert_no_cpr("a lookup error", &format!("{e} {e:?}"));
                    }
                }
            }
            Err(e) => assert_no_cpr("a parse error", &format!("{e} {e:?}")),
        }
    }
    // The CLI's messages (stderr) for bad arguments and a bad index.
    let (_, err) = tilmelding(&[
        "lookup",
        path.to_str().unwrap(),
        "--material",
        "100",
        "--date",
        "2026-13-01",
        CPRS[0],
    ]);
    assert_no_cpr("lookup's error", &err);
    let (_, err) = tilmelding(&[
        "lookup",
        "/nonexistent.tlm",
        "--material",
        "100",
        CPRS[0],
        CPRS[1],
    ]);
    assert_no_cpr("lookup's error", &err);
}
