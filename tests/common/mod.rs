//! Shared by the tests that drive the C ABI from C, C# and Java.

#![allow(dead_code)]

pub mod java;
pub mod personal;
pub mod session;
mod tools;

pub use tools::skip_or_fail;

use std::collections::BTreeMap;
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
        skip_or_fail(&format!(
            "`{tool}` is not installed; install it with: {install}"
        ));
    }
    found
}

/// Builds the fixture index (tests/data) into a fresh directory.
pub fn fixture_index() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("fixture.tlm");
    build_index(
        &root().join("tests/data/contacts.csv"),
        "2026-11-22T06:00:00+01:00",
        &index,
    );
    (dir, index)
}

/// Recomputes every checksum, as someone crafting a file would.
pub fn reseal(bytes: &mut [u8]) {
    let count = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    for i in 0..count {
        let entry = 128 + i * 32;
        if entry + 32 > bytes.len() {
            break;
        }
        let start = u64::from_le_bytes(bytes[entry + 8..entry + 16].try_into().unwrap()) as usize;
        let len = u64::from_le_bytes(bytes[entry + 16..entry + 24].try_into().unwrap()) as usize;
        let Some(section) = bytes.get(start..start.saturating_add(len)) else {
            continue;
        };
        let crc = crc32fast::hash(section);
        bytes[entry + 24..entry + 28].copy_from_slice(&crc.to_le_bytes());
    }
    let crc = crc32fast::hash(&bytes[..124]);
    bytes[124..128].copy_from_slice(&crc.to_le_bytes());
}

/// A copy of `index` beside it, `resealed.tlm`, with its last byte changed
/// and every checksum recomputed: it opens, and only full verification (the
/// snapshot id) finds the change.
pub fn resealed_after_change(index: &Path) -> PathBuf {
    let mut bytes = std::fs::read(index).unwrap();
    *bytes.last_mut().unwrap() ^= 0x01;
    reseal(&mut bytes);
    let crafted = index.with_file_name("resealed.tlm");
    std::fs::write(&crafted, bytes).unwrap();
    crafted
}

/// Another index in `dir`: 0101901234 is closed (0202902345 is not in it at
/// all), and the list is as of 2001, so any maximum age makes it stale.
pub fn next_index(dir: &Path) -> PathBuf {
    let contacts = dir.join("next.csv");
    std::fs::write(&contacts, "id;status\n0101901234;closed\n").unwrap();
    let next = dir.join("next.tlm");
    build_index(&contacts, "2001-09-09T01:46:40Z", &next);
    next
}

/// Builds `index` from tests/data/catalog.toml and `contacts`, a list as of
/// `as_of`, as `tilmelding build` does.
fn build_index(contacts: &Path, as_of: &str, index: &Path) {
    let as_of: jiff::Timestamp = as_of.parse().expect("an RFC 3339 time");
    let options = tilmelding::BuildOptions {
        as_of: Some(as_of.as_second()),
        ..Default::default()
    };
    let catalog = root().join("tests/data/catalog.toml");
    tilmelding::build(&catalog, &[contacts], index, &options, &mut |_| {}).unwrap();
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

/// The rows of tests/data/lookups.tsv by (material, date), in file order
/// within each group: one process per group.
pub fn lookups_by_material_and_date() -> BTreeMap<(String, String), Vec<Lookup>> {
    let mut groups: BTreeMap<(String, String), Vec<Lookup>> = BTreeMap::new();
    for row in lookups() {
        groups
            .entry((row.material.clone(), row.date.clone()))
            .or_default()
            .push(row);
    }
    groups
}

/// A table recipient as a number, if it has the digits of a CPR (10) or CVR
/// (8) number once `DK`, spaces and dashes are dropped: its kind (`cpr` or
/// `cvr`) and those digits as written, a CPR number's leading zero kept.
pub fn recipient_number(recipient: &str) -> Option<(&'static str, String)> {
    let digits: String = recipient.replace("DK", "").replace([' ', '-'], "");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.len() {
        10 => Some(("cpr", digits)),
        8 => Some(("cvr", digits)),
        _ => None,
    }
}

/// The library's answer to one lookup in the words the CLI prints:
/// `channel reason` or `error code`. The foreign bindings must agree with it.
pub fn rust_answer(index: &Path, l: &Lookup) -> String {
    let date = (l.date != "today").then_some(l.date.as_str());
    rust_answers(index, &l.material, date, &[&l.recipient], None).remove(0)
}

/// The library's answers for `recipients` of `material` on `date` (`None`:
/// today), with an optional maximum age, as [`rust_answer`] words them.
pub fn rust_answers(
    index: &Path,
    material: &str,
    date: Option<&str>,
    recipients: &[&str],
    max_age: Option<std::time::Duration>,
) -> Vec<String> {
    let index = tilmelding::Index::open(index).unwrap();
    index.set_max_age(max_age);
    let date = date.map_or_else(tilmelding::Date::today, |d| d.parse().unwrap());
    recipients
        .iter()
        .map(|text| {
            // In the CLI's order: freshness, material, recipient.
            let answer = match (index.material(material), text.trim().parse()) {
                _ if index.is_stale() => Err(tilmelding::LookupError::StaleIndex),
                (None, _) => Err(tilmelding::LookupError::UnknownMaterial),
                (_, Err(_)) => Err(tilmelding::LookupError::InvalidRecipient),
                (Some(m), Ok(r)) => index.lookup_material(m, &r, date),
            };
            match answer {
                Ok(a) => format!("{} {}", a.channel, a.reason),
                Err(e) => format!("error {}", e.as_str()),
            }
        })
        .collect()
}

/// What `tilmelding info --json` says of an index, from the library: the
/// fields the foreign bindings report.
pub fn info_json(index: &Path) -> serde_json::Value {
    let index = tilmelding::Index::open(index).unwrap();
    let m = index.metadata();
    let rfc3339 = |unix: i64| jiff::Timestamp::from_second(unix).unwrap().to_string();
    let recipients = |s: &tilmelding::KindStats| s.by_status.iter().sum::<u64>();
    serde_json::json!({
        "format_version": format!("{}.{}", m.format_version.0, m.format_version.1),
        "snapshot_id": m.snapshot_id_hex(),
        "as_of": rfc3339(m.as_of),
        "build_time": rfc3339(m.build_time),
        "file_size": m.file_size,
        "materials": m.materials,
        "groups": m.groups,
        "sender_systems": m.sender_systems,
        "cpr": { "recipients": recipients(&m.cpr) },
        "cvr": { "recipients": recipients(&m.cvr) },
    })
}

/// The last two whitespace-separated words of a line: `channel reason` or `error code`.
pub fn last_two_words(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(words.len() >= 2, "not an answer line: {line:?}");
    words[words.len() - 2..].join(" ")
}
