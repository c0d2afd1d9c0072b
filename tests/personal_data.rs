//! CPR numbers are personal data: no error message, log line, rejected-line
//! list or last-error message shows a full one, whatever the error path.
//! (Answer lines of `lookup` echo the recipient asked about: that is the
//! data the caller asked for, not a message.)

mod common;

use std::ffi::{CStr, CString};
use std::process::Command;

use tilmelding::ffi::*;
use tilmelding::{Date, Index, Recipient};

/// CPR numbers used below, valid and invalid, in both spellings.
const CPRS: [&str; 6] = [
    "0101901234",
    "3102901234",
    "0202904321",
    "1111111118",
    "0101001234",
    "6101901234",
];

fn assert_no_cpr(what: &str, text: &str) {
    for cpr in CPRS {
        let dashed = format!("{}-{}", &cpr[..6], &cpr[6..]);
        assert!(
            !text.contains(cpr) && !text.contains(&dashed),
            "{what} shows {cpr}:\n{text}"
        );
    }
}

fn tilmelding(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tilmelding"))
        .args(args)
        .output()
        .unwrap();
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
    let catalog = common::root().join("tests/data/catalog.toml");
    let index = dir.path().join("i.tlm");
    let rejected = dir.path().join("rejected.txt");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "build",
            "--catalog",
            catalog.to_str().unwrap(),
            "--contacts",
        ]
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

#[test]
fn last_error_messages_of_the_c_abi() {
    let (_dir, path) = common::fixture_index();
    let mut index = std::ptr::null_mut();
    let c = |s: &str| CString::new(s).unwrap();
    assert_eq!(
        tlm_index_open(c(path.to_str().unwrap()).as_ptr(), &mut index),
        tlm_result::TlmOk
    );
    let mut out = std::mem::MaybeUninit::<tlm_answer>::uninit();
    for cpr in CPRS.iter().flat_map(|c| {
        [
            c.to_string(),
            format!("{}-{}", &c[..6], &c[6..]),
            format!("{c}0"),
        ]
    }) {
        // The last pair swaps the arguments: the CPR number as the material ID.
        let pairs = [
            ("100", cpr.as_str()),
            ("600", &cpr),
            ("999", &cpr),
            (&cpr, "100"),
        ];
        for (material, recipient) in pairs {
            let result = tlm_lookup(
                index,
                c(material).as_ptr(),
                c(recipient).as_ptr(),
                20261122,
                out.as_mut_ptr(),
            );
            if result != tlm_result::TlmOk {
                let mut buf = [0u8; 512];
                tlm_last_error_message(buf.as_mut_ptr().cast(), buf.len());
                let message = CStr::from_bytes_until_nul(&buf).unwrap().to_string_lossy();
                assert_no_cpr("a last-error message", &message);
            }
        }
    }
    tlm_index_close(index);
}
