//! The C examples (examples/c/) and the C error-path checks (tests/c/errors.c):
//! compiled with gcc against the committed header and against both the
//! shared and the static library, run on the fixture index, and compared
//! with the decision table (tests/data/lookups.tsv) and the CLI; then run
//! again under AddressSanitizer and valgrind.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::Lookup;

/// What `cargo rustc --lib --crate-type staticlib -- --print native-static-libs`
/// prints on Linux (glibc): the system libraries the static library needs.
const NATIVE_STATIC_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];

/// A lookup with today's date, an invalid recipient and a CVR number with a
/// prefix and a space, and a batch with an invalid number: for the sanitizers.
const LOOKUP_ARGS: &[&str] = &[
    "100",
    "today",
    "0101901234",
    "3102901234",
    "DK 12345674",
    "x",
];
const BATCH_ARGS: &[&str] = &[
    "100",
    "2026-11-22",
    "cvr",
    "10150817",
    "12345678",
    "12345674",
];

/// Extra CPR and CVR numbers that are not valid, for the batch runs.
const INVALID_CPR: &[&str] = &["9999999999", "0000000000"];
const INVALID_CVR: &[&str] = &["99999999", "1"];

#[derive(Clone, Copy, Debug)]
enum Link {
    Shared,
    Static,
    /// Shared, built with AddressSanitizer.
    Asan,
}

/// The `libtilmelding.so` and `.a` built for this test run. `cargo test`
/// leaves them in `<profile>/deps/`; only `cargo build` copies them up to
/// `<profile>/` (`common::library_dir()`), where they may be older.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("<target>/<profile>/deps");
    if deps.join("libtilmelding.so").exists() && deps.join("libtilmelding.a").exists() {
        deps.to_owned()
    } else {
        common::library_dir()
    }
}

fn have_gcc() -> bool {
    common::have_tool("gcc", "--version", "apt-get install -y gcc")
}

/// Compiles `source` (relative to the repository root) into `dir`, the way
/// the comment at the top of examples/c/lookup.c says, plus `-g` for the
/// sanitizers' stack traces and `-pthread` for tests/c/errors.c.
fn compile(dir: &Path, source: &str, link: Link) -> PathBuf {
    let root = common::root();
    let lib = library_dir();
    let name = Path::new(source).file_stem().unwrap().to_str().unwrap();
    let exe = dir.join(format!("{name}-{link:?}").to_lowercase());
    let mut gcc = Command::new("gcc");
    gcc.args(["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-g"])
        .arg("-pthread")
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join(source))
        .arg("-L")
        .arg(&lib);
    match link {
        Link::Shared | Link::Asan => {
            gcc.arg("-ltilmelding")
                .arg(format!("-Wl,-rpath,{}", lib.display()));
        }
        Link::Static => {
            gcc.arg("-l:libtilmelding.a").args(NATIVE_STATIC_LIBS);
        }
    }
    if let Link::Asan = link {
        gcc.args(["-fsanitize=address", "-fno-omit-frame-pointer"]);
    }
    let out = gcc.arg("-o").arg(&exe).output().expect("running gcc");
    assert!(
        out.status.success(),
        "gcc {source} ({link:?}):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

fn run(command: &mut Command) -> Output {
    command.output().expect("running a compiled example")
}

/// Stdout's lines, after checking that the program succeeded quietly.
fn answer_lines(out: &Output, what: &str) -> Vec<String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: {:?}\n{stderr}", out.status);
    assert!(stderr.is_empty(), "{what}: unexpected stderr:\n{stderr}");
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The rows of lookups.tsv by (material, date), to run one process per
/// group: the rows' positions, in file order within each group.
fn by_material_and_date(rows: &[Lookup]) -> BTreeMap<(&str, &str), Vec<usize>> {
    let mut groups: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        groups
            .entry((row.material.as_str(), row.date.as_str()))
            .or_default()
            .push(i);
    }
    groups
}

/// A recipient of the table as a batch number: `("cpr", ten digits)` or
/// `("cvr", eight digits)`.
fn as_number(recipient: &str) -> Option<(&'static str, String)> {
    let digits: String = recipient.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        10 => Some(("cpr", digits)),
        8 => Some(("cvr", digits)),
        _ => None,
    }
}

#[test]
fn lookup_answers_like_the_table_and_the_cli() {
    if !have_gcc() {
        return;
    }
    let (dir, index) = common::fixture_index();
    let rows = common::lookups();
    let cli: Vec<String> = rows
        .iter()
        .map(|row| common::rust_answer(&index, row))
        .collect();
    for link in [Link::Shared, Link::Static] {
        let lookup = compile(dir.path(), "examples/c/lookup.c", link);
        for ((material, date), group) in by_material_and_date(&rows) {
            let out = run(Command::new(&lookup)
                .arg(&index)
                .args([material, date])
                .args(group.iter().map(|&i| &rows[i].recipient)));
            let lines = answer_lines(&out, &format!("lookup {material} {date} ({link:?})"));
            assert_eq!(
                lines.len(),
                group.len(),
                "one line per recipient: {lines:?}"
            );
            for (line, &i) in lines.iter().zip(&group) {
                let row = &rows[i];
                let got = common::last_two_words(line);
                assert!(line.starts_with(&row.recipient), "{line:?}");
                assert_eq!(got, row.expected, "{row:?} ({link:?})");
                assert_eq!(got, cli[i], "{row:?}: C and the CLI differ ({link:?})");
            }
        }
    }
}

#[test]
fn lookup_reports_what_it_cannot_answer_on_stderr() {
    if !have_gcc() {
        return;
    }
    let (dir, index) = common::fixture_index();
    let lookup = compile(dir.path(), "examples/c/lookup.c", Link::Shared);
    let missing = dir.path().join("missing.tlm");
    let cases = [
        (&missing, "2026-11-22", "cannot open or read the index file"),
        (&missing, "2026-11-22", missing.to_str().unwrap()),
        (&index, "2026-02-30", "invalid argument: date 20260230"),
    ];
    for (path, date, expected) in cases {
        let out = run(Command::new(&lookup)
            .arg(path)
            .args(["100", date, "0101901234"]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(stderr.contains(expected), "{stderr:?} lacks {expected:?}");
        assert!(
            !stderr.contains("0101901234"),
            "a full CPR number: {stderr}"
        );
    }
}

#[test]
fn lookup_refuses_a_stale_index_like_the_library() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let next = common::next_index(dir.path());
    let lookup = compile(dir.path(), "examples/c/lookup.c", Link::Shared);
    let recipients = ["0101901234", "0202902345", "x", "10150817"];
    for (c_age, max_age, expected) in [
        (None, None, None),
        (
            Some("60"),
            Some(Duration::from_secs(60)),
            Some("error stale_index"),
        ),
    ] {
        let mut c = Command::new(&lookup);
        if let Some(age) = c_age {
            c.args(["--max-age", age]);
        }
        let c_lines = answer_lines(
            &run(c.arg(&next).args(["100", "2026-11-22"]).args(recipients)),
            "lookup",
        );
        let rust = common::rust_answers(&next, "100", Some("2026-11-22"), &recipients, max_age);
        assert_eq!(c_lines.len(), recipients.len());
        for (c_line, rust) in c_lines.iter().zip(&rust) {
            let answer = common::last_two_words(c_line);
            assert_eq!(&answer, rust, "{c_age:?}");
            if let Some(expected) = expected {
                assert_eq!(answer, expected);
            }
        }
    }
}

#[test]
fn lookup_info_matches_the_library() {
    if !have_gcc() {
        return;
    }
    let (dir, index) = common::fixture_index();
    let lookup = compile(dir.path(), "examples/c/lookup.c", Link::Shared);
    let lines = answer_lines(
        &run(Command::new(&lookup).arg("--info").arg(&index)),
        "--info",
    );
    let field = |name: &str| -> String {
        let line = lines.iter().find(|l| l.starts_with(name)).unwrap();
        line[name.len()..].trim().to_owned()
    };
    let info = common::info_json(&index);
    assert_eq!(field("format"), info["format_version"].as_str().unwrap());
    assert_eq!(field("snapshot"), info["snapshot_id"].as_str().unwrap());
    assert_eq!(field("as of"), info["as_of"].as_str().unwrap());
    assert_eq!(field("built"), info["build_time"].as_str().unwrap());
    assert_eq!(field("size"), format!("{} bytes", info["file_size"]));
    assert_eq!(
        field("catalog"),
        format!(
            "{} materials, {} groups, {} sender systems",
            info["materials"], info["groups"], info["sender_systems"]
        )
    );
    assert_eq!(
        field("recipients"),
        format!(
            "{} CPR, {} CVR",
            info["cpr"]["recipients"], info["cvr"]["recipients"]
        )
    );
    assert_eq!(field("library"), env!("CARGO_PKG_VERSION"));
}

#[test]
fn batch_answers_like_single_lookups() {
    if !have_gcc() {
        return;
    }
    let (dir, index) = common::fixture_index();
    let single = compile(dir.path(), "examples/c/lookup.c", Link::Shared);
    let rows = common::lookups();
    let mut saw_invalid_among_answers = false;
    for link in [Link::Shared, Link::Static] {
        let batch = compile(dir.path(), "examples/c/batch.c", link);
        for ((material, date), group) in by_material_and_date(&rows) {
            for (kind, invalid) in [("cpr", INVALID_CPR), ("cvr", INVALID_CVR)] {
                let mut numbers: Vec<String> = group
                    .iter()
                    .filter_map(|&i| as_number(&rows[i].recipient))
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, n)| n)
                    .collect();
                if numbers.is_empty() {
                    continue;
                }
                numbers.extend(invalid.iter().map(|n| n.to_string()));
                let what = format!("{material} {date} {kind} ({link:?})");

                let expected: Vec<String> = answer_lines(
                    &run(Command::new(&single)
                        .arg(&index)
                        .args([material, date])
                        .args(&numbers)),
                    &what,
                )
                .iter()
                .map(|l| common::last_two_words(l))
                .collect();
                // A material without a group for the kind fails the whole
                // batch, so every number gets the mismatch, including those
                // that a single lookup calls invalid (step 2 before step 3).
                let mismatch = "error audience_mismatch";
                let expected: Vec<String> = if expected.iter().any(|e| e == mismatch) {
                    vec![mismatch.to_owned(); numbers.len()]
                } else {
                    expected
                };

                let lines = answer_lines(
                    &run(Command::new(&batch)
                        .arg(&index)
                        .args([material, date, kind])
                        .args(&numbers)),
                    &what,
                );
                assert_eq!(lines.len(), numbers.len(), "{what}: {lines:?}");
                for ((line, number), expected) in lines.iter().zip(&numbers).zip(&expected) {
                    assert!(line.starts_with(number.as_str()), "{what}: {line:?}");
                    assert_eq!(&common::last_two_words(line), expected, "{what}: {number}");
                }
                let answered = expected.iter().any(|e| !e.starts_with("error"));
                let invalid = expected.iter().any(|e| e == "error invalid_recipient");
                saw_invalid_among_answers |= answered && invalid;
            }
        }
    }
    assert!(
        saw_invalid_among_answers,
        "no batch mixed answers and invalid numbers"
    );
}

/// `errors INDEX NEXT VERSION`, ready to run.
fn errors_command(exe: &Path, index: &Path) -> Command {
    let mut command = Command::new(exe);
    command
        .arg(index)
        .arg(common::next_index(index.parent().unwrap()))
        .arg(env!("CARGO_PKG_VERSION"));
    command
}

fn assert_errors_ok(out: &Output, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "{what}: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn error_paths_from_c() {
    if !have_gcc() {
        return;
    }
    let (dir, index) = common::fixture_index();
    for link in [Link::Shared, Link::Static] {
        let errors = compile(dir.path(), "tests/c/errors.c", link);
        assert_errors_ok(
            &run(&mut errors_command(&errors, &index)),
            &format!("{link:?}"),
        );
    }
}

#[test]
fn clean_under_address_sanitizer() {
    if !have_gcc() {
        return;
    }
    let (dir, index) = common::fixture_index();
    let asan = |command: &mut Command| run(command.env("ASAN_OPTIONS", "detect_leaks=1"));
    let errors = compile(dir.path(), "tests/c/errors.c", Link::Asan);
    assert_errors_ok(
        &asan(&mut errors_command(&errors, &index)),
        "errors under ASan",
    );

    let lookup = compile(dir.path(), "examples/c/lookup.c", Link::Asan);
    let out = asan(Command::new(&lookup).arg(&index).args(LOOKUP_ARGS));
    assert_eq!(answer_lines(&out, "lookup under ASan").len(), 4);
    let out = asan(Command::new(&lookup).arg("--info").arg(&index));
    answer_lines(&out, "lookup --info under ASan");

    let batch = compile(dir.path(), "examples/c/batch.c", Link::Asan);
    let out = asan(Command::new(&batch).arg(&index).args(BATCH_ARGS));
    assert_eq!(answer_lines(&out, "batch under ASan").len(), 3);
}

/// jiff (which `Date::today` uses for the Danish date, i.e. date 0) keeps
/// each time zone it has parsed in a process-wide cache, behind tagged
/// pointers that valgrind counts as interior pointers: "possibly lost", once
/// per process, though still referenced. Nothing else is suppressed.
const JIFF_TIME_ZONE_CACHE: &str = "{
   jiff-process-wide-time-zone-cache
   Memcheck:Leak
   match-leak-kinds: possible
   ...
   fun:*TimeZoneDatabase3get*
}
{
   jiff-process-wide-time-zone-cache-inlined
   Memcheck:Leak
   match-leak-kinds: possible
   ...
   fun:*jiff*tz*db*
}
";

#[test]
fn clean_under_valgrind() {
    let have_valgrind =
        || common::have_tool("valgrind", "--version", "apt-get install -y valgrind");
    if !have_gcc() || !have_valgrind() {
        return;
    }
    let (dir, index) = common::fixture_index();
    let suppressions = dir.path().join("jiff.supp");
    std::fs::write(&suppressions, JIFF_TIME_ZONE_CACHE).unwrap();
    let valgrind = |exe: &Path| -> Command {
        let mut command = Command::new("valgrind");
        command
            // Enough callers that the suppressions' time zone frames are in
            // every stack, however the build inlined the calls above them.
            .args(["-q", "--error-exitcode=1", "--leak-check=full"])
            .arg("--num-callers=50")
            .arg(format!("--suppressions={}", suppressions.display()))
            .arg(exe);
        command
    };

    let errors = compile(dir.path(), "tests/c/errors.c", Link::Shared);
    let mut command = valgrind(&errors);
    let out = run(command.args(errors_command(&errors, &index).get_args()));
    assert_errors_ok(&out, "errors under valgrind");

    let lookup = compile(dir.path(), "examples/c/lookup.c", Link::Shared);
    let out = run(valgrind(&lookup).arg(&index).args(LOOKUP_ARGS));
    assert_eq!(answer_lines(&out, "lookup under valgrind").len(), 4);

    let batch = compile(dir.path(), "examples/c/batch.c", Link::Shared);
    let out = run(valgrind(&batch).arg(&index).args(BATCH_ARGS));
    assert_eq!(answer_lines(&out, "batch under valgrind").len(), 3);
}

/// The text of the first fenced block of `language` after `heading` in `markdown`.
fn fenced_block<'a>(markdown: &'a str, heading: &str, language: &str) -> &'a str {
    let section = &markdown[markdown.find(heading).expect(heading)..];
    let open = format!("```{language}\n");
    let start = section.find(&open).expect("a fenced block") + open.len();
    let length = section[start..].find("```").expect("a closing fence");
    &section[start..start + length]
}

#[test]
fn the_example_in_the_c_api_reference_runs() {
    if !have_gcc() {
        return;
    }
    let (dir, index) = common::fixture_index();
    let reference = std::fs::read_to_string(common::root().join("doc/c-api.md")).unwrap();
    let source = dir.path().join("example.c");
    std::fs::write(&source, fenced_block(&reference, "## EXAMPLE", "c")).unwrap();
    let exe = compile(dir.path(), source.to_str().unwrap(), Link::Shared);
    let out = run(Command::new(&exe).arg(&index));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.starts_with("answers from snapshot "), "{stderr}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        fenced_block(&reference, "## EXAMPLE", "text")
    );
}

#[test]
fn the_service_example_in_the_c_api_reference_runs() {
    if !have_gcc() {
        return;
    }
    let (dir, index) = common::fixture_index();
    let reference = std::fs::read_to_string(common::root().join("doc/c-api.md")).unwrap();
    let source = dir.path().join("service.c");
    std::fs::write(
        &source,
        fenced_block(&reference, "## EXAMPLE: A SERVICE", "c"),
    )
    .unwrap();
    let exe = compile(dir.path(), source.to_str().unwrap(), Link::Shared);
    // Today, the fixture may be fresh or older than 36 hours: either is an outcome.
    let out = run(Command::new(&exe).arg(&index));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("material 100: channel 1 reason 1 (snapshot ")
            || stderr.starts_with("no decision: stale index"),
        "{stdout}{stderr}"
    );
    let out = run(Command::new(&exe).arg(index.with_file_name("missing.tlm")));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("starting: cannot open"));
}
