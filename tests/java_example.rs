//! The Java bindings in examples/java (JNA, direct mapping) against the
//! fixture index: `Example` answers every row of tests/data/lookups.tsv as the
//! table and the CLI do, one by one, in batches, and one by one by number
//! (a resolved `Material`, as the text path answers too); a missing index
//! fails cleanly; `ApiCheck` (below) exercises the rest of the API: info,
//! snapshot id, error messages, materials from another index, threads,
//! close; and `ReaderCheck` follows an
//! index path that is replaced by rename.
//!
//! Needs a JDK (17+) and JNA: `apt-get install -y openjdk-17-jdk-headless
//! libjna-java`. Without them the tests are skipped, or fail under `CI=true`.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::session::follow_a_replaced_index;
use common::{
    fixture_index, have_tool, info_json, last_two_words, library_dir, lookups,
    lookups_by_material_and_date, recipient_number, rust_answer, rust_answers, skip_or_fail,
};

const JNA_JAR: &str = "/usr/share/java/jna.jar";
const INSTALL_JDK: &str = "apt-get install -y openjdk-17-jdk-headless";
const INSTALL_JNA: &str = "apt-get install -y libjna-java";

/// Whether JNA is installed; the same skip-or-fail rule as `have_tool`.
fn have_jna() -> bool {
    let found = Path::new(JNA_JAR).exists();
    if !found {
        skip_or_fail(&format!(
            "{JNA_JAR} is missing; install it with: {INSTALL_JNA}"
        ));
    }
    found
}

/// The compiled classes (examples/java and `ApiCheck`), built once per test
/// run; `None` when Java or JNA is missing and the tests are skipped.
fn classes() -> Option<&'static Path> {
    static CLASSES: OnceLock<Option<PathBuf>> = OnceLock::new();
    CLASSES
        .get_or_init(|| {
            let ready = have_tool("javac", "-version", INSTALL_JDK)
                && have_tool("java", "-version", INSTALL_JDK)
                && have_jna();
            ready.then(compile)
        })
        .as_deref()
}

fn compile() -> PathBuf {
    // One directory per profile, reused and emptied: Cargo keeps
    // CARGO_TARGET_TMPDIR for integration tests and never cleans it itself.
    let exe = std::env::current_exe().unwrap();
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .file_name()
        .unwrap()
        .to_owned();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("java_example")
        .join(profile);
    let _ = std::fs::remove_dir_all(&dir);
    let classes = dir.join("classes");
    std::fs::create_dir_all(&classes).unwrap();
    let api_check = dir.join("ApiCheck.java");
    std::fs::write(&api_check, API_CHECK).unwrap();
    let reader_check = dir.join("ReaderCheck.java");
    std::fs::write(&reader_check, READER_CHECK).unwrap();
    let mut sources = vec![api_check, reader_check];
    java_files(&common::root().join("examples/java"), &mut sources);
    assert!(sources.len() > 3, "no Java sources under examples/java");
    let out = Command::new("javac")
        .args(["--release", "17", "-d"])
        .arg(&classes)
        .args(["-cp", JNA_JAR])
        .args(&sources)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "javac failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    classes
}

fn java_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            java_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "java") {
            found.push(path);
        }
    }
}

/// `java MAIN` with the classes, JNA and libtilmelding.so.
fn java_command(classes: &Path, main: &str) -> Command {
    let mut class_path = OsString::from(classes);
    class_path.push(":");
    class_path.push(JNA_JAR);
    let mut library_path = OsString::from("-Djna.library.path=");
    library_path.push(library_dir());
    let mut command = Command::new("java");
    command
        .arg("-cp")
        .arg(class_path)
        .arg(library_path)
        .arg(main);
    command
}

/// Runs `java MAIN ARGS...`.
fn java(classes: &Path, main: &str, args: &[OsString]) -> Output {
    java_command(classes, main).args(args).output().unwrap()
}

/// Runs `Example` on many argument lists at once (one JVM each), in order.
fn examples(classes: &Path, runs: &[Vec<OsString>]) -> Vec<Output> {
    std::thread::scope(|s| {
        let running: Vec<_> = runs
            .iter()
            .map(|args| s.spawn(move || java(classes, "Example", args)))
            .collect();
        running.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

/// The answer lines of a successful run: one per recipient.
fn answer_lines(out: &Output, what: &str, count: usize) -> Vec<String> {
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    assert_eq!(
        lines.len(),
        count,
        "{what}: one line per recipient:\n{stdout}"
    );
    lines
}

fn args(words: &[&str]) -> Vec<OsString> {
    words.iter().map(OsString::from).collect()
}

#[test]
fn lookups_match_the_table_and_the_cli() {
    let Some(classes) = classes() else { return };
    let (_dir, index) = fixture_index();
    let groups = lookups_by_material_and_date();
    let runs: Vec<Vec<OsString>> = groups
        .iter()
        .map(|((material, date), rows)| {
            let mut run = vec!["lookup".into(), index.clone().into()];
            run.extend(args(&[material, date]));
            run.extend(rows.iter().map(|r| OsString::from(&r.recipient)));
            run
        })
        .collect();
    let outputs = examples(classes, &runs);
    for (rows, out) in groups.values().zip(&outputs) {
        let lines = answer_lines(out, &format!("{rows:?}"), rows.len());
        for (row, line) in rows.iter().zip(&lines) {
            assert!(line.starts_with(&row.recipient), "{row:?}: {line:?}");
            let got = last_two_words(line);
            assert_eq!(got, row.expected, "{row:?}: Java and the table differ");
            assert_eq!(
                got,
                rust_answer(&index, row),
                "{row:?}: Java and the CLI differ"
            );
        }
    }
}

#[test]
fn today_is_the_default_date_as_in_the_cli() {
    let Some(classes) = classes() else { return };
    let (_dir, index) = fixture_index();
    let recipients = ["0101901234", "0202902345", "0707907890", "12345674"];
    for material in ["100", "200", "300"] {
        let mut run = vec!["lookup".into(), index.clone().into()];
        run.extend(args(&[material, "today"]));
        run.extend(args(&recipients));
        let out = java(classes, "Example", &run);
        let lines = answer_lines(&out, material, recipients.len());
        let cli = rust_answers(&index, material, None, &recipients, None);
        let by_text: Vec<String> = lines.iter().map(|l| last_two_words(l)).collect();
        assert_eq!(by_text, cli, "material {material}, today");
        // By number (one run per kind), put back in the recipients' order.
        let mut by_number = vec![String::new(); recipients.len()];
        for kind in ["cpr", "cvr"] {
            let (at, numbers): (Vec<usize>, Vec<String>) = recipients
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    recipient_number(r)
                        .filter(|n| n.0 == kind)
                        .map(|n| (i, n.1))
                })
                .unzip();
            assert!(!numbers.is_empty(), "a {kind} recipient");
            let mut run = vec!["number".into(), index.clone().into()];
            run.extend(args(&[material, "today", kind]));
            run.extend(numbers.iter().map(OsString::from));
            let out = java(classes, "Example", &run);
            let lines = answer_lines(&out, &format!("{material} {kind}"), numbers.len());
            for (i, line) in at.into_iter().zip(&lines) {
                by_number[i] = last_two_words(line);
            }
        }
        assert_eq!(by_number, cli, "material {material} by number, today");
    }
}

/// A batch of the table: (material, date, kind); its rows are (number, expected answer).
type BatchKey = (String, String, &'static str);

#[test]
fn batches_match_the_table() {
    let Some(classes) = classes() else { return };
    let (_dir, index) = fixture_index();
    let mut groups: BTreeMap<BatchKey, Vec<(String, String)>> = BTreeMap::new();
    for row in lookups() {
        if let Some((kind, number)) = recipient_number(&row.recipient) {
            groups
                .entry((row.material.clone(), row.date.clone(), kind))
                .or_default()
                .push((number, row.expected.clone()));
        }
    }
    // Numbers too large to be valid; the batch answers them and goes on.
    let invalid = "error invalid_recipient".to_owned();
    for (kind, number) in [("cpr", "99999999999"), ("cvr", "100000000")] {
        groups
            .get_mut(&("100".into(), "2026-11-22".into(), kind))
            .expect("the table has material 100 on 2026-11-22 for CPR and CVR")
            .splice(1..1, [(number.to_owned(), invalid.clone())]);
    }
    assert!(
        groups.keys().any(|k| k.2 == "cpr") && groups.keys().any(|k| k.2 == "cvr"),
        "batches of both kinds"
    );
    let runs: Vec<Vec<OsString>> = groups
        .iter()
        .map(|((material, date, kind), rows)| {
            let mut run = vec!["batch".into(), index.clone().into()];
            run.extend(args(&[material, date, kind]));
            run.extend(rows.iter().map(|(number, _)| OsString::from(number)));
            run
        })
        .collect();
    let outputs = examples(classes, &runs);
    for ((key, rows), out) in groups.iter().zip(&outputs) {
        let lines = answer_lines(out, &format!("{key:?}"), rows.len());
        for ((number, expected), line) in rows.iter().zip(&lines) {
            assert!(line.starts_with(number.as_str()), "{key:?}: {line:?}");
            assert_eq!(&last_two_words(line), expected, "{key:?}, {number}");
        }
    }
}

/// Rows of the table by number: (recipient as written, number, expected answer).
type NumberRow = (String, String, String);

/// Single lookups by number (`Example number`: `Index.material` once, then
/// `Index.lookup(Material, RecipientKind, long, LocalDate)` per recipient)
/// answer every row of the table that has a number as the table does, and
/// as the text path (`Example lookup`, `Index.lookup(String, String,
/// LocalDate)`) does with the recipient as the row writes it.
#[test]
fn single_lookups_by_number_match_the_table_and_the_text_path() {
    let Some(classes) = classes() else { return };
    let (_dir, index) = fixture_index();
    let mut groups: BTreeMap<BatchKey, Vec<NumberRow>> = BTreeMap::new();
    for row in lookups() {
        if let Some((kind, number)) = recipient_number(&row.recipient) {
            groups
                .entry((row.material.clone(), row.date.clone(), kind))
                .or_default()
                .push((row.recipient.clone(), number, row.expected.clone()));
        }
    }
    // Numbers too large to be valid: invalid recipients by number and by text.
    let invalid = "error invalid_recipient".to_owned();
    for (kind, number) in [("cpr", "99999999999"), ("cvr", "100000000")] {
        groups
            .get_mut(&("100".into(), "2026-11-22".into(), kind))
            .expect("the table has material 100 on 2026-11-22 for CPR and CVR")
            .splice(1..1, [(number.into(), number.into(), invalid.clone())]);
    }
    let expected: Vec<&str> = groups.values().flatten().map(|r| r.2.as_str()).collect();
    for answer in [
        "error unknown_material",
        "error audience_mismatch",
        "error invalid_recipient",
    ] {
        assert!(expected.contains(&answer), "the rows include {answer}");
    }
    assert!(
        groups.keys().any(|k| k.2 == "cpr") && groups.keys().any(|k| k.2 == "cvr"),
        "lookups of both kinds"
    );
    // For each group: one run by number, one by text.
    let runs: Vec<Vec<OsString>> = groups
        .iter()
        .flat_map(|((material, date, kind), rows)| {
            let mut by_number = vec!["number".into(), index.clone().into()];
            by_number.extend(args(&[material, date, kind]));
            by_number.extend(rows.iter().map(|(_, number, _)| OsString::from(number)));
            let mut by_text = vec!["lookup".into(), index.clone().into()];
            by_text.extend(args(&[material, date]));
            by_text.extend(rows.iter().map(|(text, _, _)| OsString::from(text)));
            [by_number, by_text]
        })
        .collect();
    let outputs = examples(classes, &runs);
    for ((key, rows), out) in groups.iter().zip(outputs.chunks(2)) {
        let numbers = answer_lines(&out[0], &format!("{key:?} by number"), rows.len());
        let texts = answer_lines(&out[1], &format!("{key:?} by text"), rows.len());
        for (((text, number, expected), by_number), by_text) in
            rows.iter().zip(&numbers).zip(&texts)
        {
            assert!(
                by_number.starts_with(number.as_str()),
                "{key:?}: {by_number:?}"
            );
            assert!(by_text.starts_with(text.as_str()), "{key:?}: {by_text:?}");
            let got = last_two_words(by_number);
            assert_eq!(
                &got, expected,
                "{key:?}, {number}: the number path and the table differ"
            );
            assert_eq!(
                got,
                last_two_words(by_text),
                "{key:?}, {number}: the number path and the text path ({text:?}) differ"
            );
        }
    }
}

#[test]
fn a_missing_index_fails_with_its_path() {
    let Some(classes) = classes() else { return };
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-index.tlm");
    for mode in [&["lookup"][..], &["batch"], &["number"]] {
        let mut run = args(mode);
        run.push(missing.clone().into());
        run.extend(args(&["100", "2026-11-22"]));
        if mode != ["lookup"] {
            run.push("cpr".into());
        }
        run.push("0101901234".into());
        let out = java(classes, "Example", &run);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{mode:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{mode:?}: no answers");
        assert!(
            stderr.contains(&*missing.to_string_lossy()),
            "{mode:?}: the message names the file: {stderr}"
        );
    }
}

#[test]
fn the_api_behaves_as_documented() {
    let Some(classes) = classes() else { return };
    let (_dir, index) = fixture_index();
    let out = java(classes, "ApiCheck", &[index.clone().into()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().last() == Some("ok"),
        "ApiCheck failed:\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in stdout.lines().filter(|l| l.starts_with("bench ")) {
        eprintln!("{line} (this build of libtilmelding)");
    }
    let info: BTreeMap<&str, &str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("info "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    let cli = info_json(&index);
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (java_key, json) in [
        ("snapshot_id", &cli["snapshot_id"]),
        ("format_version", &cli["format_version"]),
        ("materials", &cli["materials"]),
        ("groups", &cli["groups"]),
        ("sender_systems", &cli["sender_systems"]),
        ("cpr_recipients", &cli["cpr"]["recipients"]),
        ("cvr_recipients", &cli["cvr"]["recipients"]),
        ("file_size", &cli["file_size"]),
        ("as_of", &cli["as_of"]),
        ("build_time", &cli["build_time"]),
    ] {
        assert_eq!(
            info.get(java_key).copied(),
            Some(&*text(json)),
            "{java_key}"
        );
    }
    assert_eq!(
        info.get("version").copied(),
        Some(env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_reader_follows_a_replaced_index() {
    let Some(classes) = classes() else { return };
    follow_a_replaced_index(
        java_command(classes, "ReaderCheck"),
        "IllegalArgumentException",
        "IllegalStateException",
    );
}

/// Checks the parts of the API that `Example` does not show. Compiled with
/// examples/java; prints `info KEY VALUE` lines, a `bench` line and `ok`.
const API_CHECK: &str = r##"import dk.tilmelding.*;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/** Checks the bindings beyond what Example shows; prints `info KEY VALUE`, `bench ...` and `ok`. */
public final class ApiCheck {
    static final LocalDate DAY = LocalDate.of(2026, 11, 22);

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    interface Body {
        void run() throws Exception;
    }

    static <T extends Throwable> T expect(Class<T> type, Body body) throws Exception {
        try {
            body.run();
        } catch (Throwable t) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            throw new AssertionError("expected " + type.getSimpleName() + ", got " + t, t);
        }
        throw new AssertionError("expected " + type.getSimpleName() + ", got nothing");
    }

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        System.out.println("info version " + Index.libraryVersion());
        Index index = Index.open(path);
        Info info = index.info();
        System.out.println("info snapshot_id " + index.snapshotId());
        System.out.println("info format_version " + info.formatMajor() + "." + info.formatMinor());
        System.out.println("info materials " + info.materials());
        System.out.println("info groups " + info.groups());
        System.out.println("info sender_systems " + info.senderSystems());
        System.out.println("info cpr_recipients " + info.cprContacts());
        System.out.println("info cvr_recipients " + info.cvrContacts());
        System.out.println("info file_size " + info.fileSize());
        System.out.println("info as_of " + info.asOf());
        System.out.println("info build_time " + info.buildTime());

        // Enums mirror the header's numbers.
        check(ResultCode.fromCode(7) == ResultCode.INVALID_RECIPIENT, "ResultCode.fromCode");
        check(Channel.fromCode(3) == Channel.PHYSICAL && Reason.fromCode(9) == Reason.NO_NEMSMS, "fromCode");
        check(RecipientKind.fromCode(1) == RecipientKind.CVR, "RecipientKind.fromCode");
        expect(IllegalArgumentException.class, () -> ResultCode.fromCode(1000));
        check(Index.describe(ResultCode.UNKNOWN_MATERIAL).equals("unknown material"), "tlm_strerror");

        // Single lookups: answers, and failures as exceptions with the library's message.
        Answer a = index.lookup("100", "0101901234", DAY);
        check(a.channel() == Channel.DIGITAL && a.reason() == Reason.REGISTERED && !a.isError(), "lookup " + a);
        check(a == Answer.of(ResultCode.OK, Channel.DIGITAL, Reason.REGISTERED), "answers are shared");
        check(!index.lookup("100", "0101901234").isError(), "lookup today");
        // Too long for the per-thread scratch memory: the byte[] path, same answer.
        check(index.lookup("100", " ".repeat(300) + "0202902345", DAY).reason() == Reason.EXEMPT, "long input");
        TilmeldingException e = expect(TilmeldingException.class, () -> index.lookup("100", "3102901234", DAY));
        check(e.code() == ResultCode.INVALID_RECIPIENT, "code " + e.code());
        check(e.getMessage().contains("310290xxxx") && !e.getMessage().contains("3102901234"),
                "masked message: " + e.getMessage());
        e = expect(TilmeldingException.class, () -> index.lookup("nope", "0101901234", DAY));
        check(e.code() == ResultCode.UNKNOWN_MATERIAL && e.getMessage().contains("\"nope\""), e.getMessage());
        // Longer than the first buffer for messages: a long path (a material ID is cut short in messages).
        Path longPath = path.resolveSibling("d".repeat(200)).resolve("x".repeat(200) + ".tlm");
        e = expect(TilmeldingException.class, () -> Index.open(longPath));
        check(e.code() == ResultCode.IO && e.getMessage().contains(longPath.toString()),
                "long message fetched whole: " + e.getMessage().length());
        e = expect(TilmeldingException.class, () -> index.lookup("600", "0101901234", DAY));
        check(e.code() == ResultCode.AUDIENCE_MISMATCH, "audience " + e.code());
        expect(IllegalArgumentException.class, () -> index.lookup("100\0junk", "0101901234", DAY));
        expect(IllegalArgumentException.class, () -> index.lookup("100", "0101901234\0", DAY));
        expect(IllegalArgumentException.class, () -> index.lookup("100", "\ud800", DAY));
        expect(IllegalArgumentException.class, () -> index.lookup("100", "0101901234", LocalDate.of(10000, 1, 1)));
        expect(NullPointerException.class, () -> index.lookup(null, "0101901234", DAY));
        e = expect(TilmeldingException.class, () -> index.lookup("æøå", "0101901234", DAY));
        check(e.getMessage().contains("\"æøå\""), "UTF-8 round trip: " + e.getMessage());

        // Single lookups by number: the material resolved once, valid on its own Index only.
        Material m100 = index.material("100");
        Material m200 = index.material("200");
        check(m100.id().equals("100") && m100.index() == index && m100.equals(index.material("100"))
                && !m100.equals(m200), "material " + m100 + ", " + m200);
        check(index.lookup(m100, RecipientKind.CPR, 101901234L, DAY) == index.lookup("100", "0101901234", DAY)
                && index.lookup(m100, RecipientKind.CVR, 12345674L, DAY) == index.lookup("100", "12345674", DAY)
                && index.lookup(m200, RecipientKind.CPR, 101901234L, DAY) == index.lookup("200", "0101901234", DAY),
                "number path = text path");
        check(!index.lookup(m100, RecipientKind.CPR, 101901234L, DAY)
                .equals(index.lookup(m200, RecipientKind.CPR, 101901234L, DAY)), "the material is passed");
        check(index.lookup(m100, RecipientKind.CPR, 202902345L) == index.lookup("100", "0202902345"),
                "number lookup today");
        e = expect(TilmeldingException.class, () -> index.material("nope"));
        check(e.code() == ResultCode.UNKNOWN_MATERIAL && e.getMessage().contains("\"nope\""), e.getMessage());
        e = expect(TilmeldingException.class, () -> index.material("æøå"));
        check(e.code() == ResultCode.UNKNOWN_MATERIAL && e.getMessage().contains("\"æøå\""), e.getMessage());
        expect(NullPointerException.class, () -> index.material(null));
        expect(IllegalArgumentException.class, () -> index.material("100\0junk"));
        expect(IllegalArgumentException.class, () -> index.material("\ud800"));
        // An invalid CPR number: the message keeps the date part and masks the serial.
        e = expect(TilmeldingException.class, () -> index.lookup(m100, RecipientKind.CPR, 3102907391L, DAY));
        check(e.code() == ResultCode.INVALID_RECIPIENT && e.getMessage().contains("310290")
                && !e.getMessage().contains("7391"), "masked number message: " + e.getMessage());
        e = expect(TilmeldingException.class, () -> index.lookup(m100, RecipientKind.CVR, 12345678L, DAY));
        check(e.code() == ResultCode.INVALID_RECIPIENT, "invalid CVR " + e.code());
        e = expect(TilmeldingException.class, () -> index.lookup(m100, RecipientKind.CPR, -1L, DAY));
        check(e.code() == ResultCode.INVALID_RECIPIENT, "-1 is 2^64 - 1 " + e.code());
        e = expect(TilmeldingException.class,
                () -> index.lookup(index.material("600"), RecipientKind.CPR, 101901234L, DAY));
        check(e.code() == ResultCode.AUDIENCE_MISMATCH, "number audience " + e.code());
        expect(NullPointerException.class, () -> index.lookup((Material) null, RecipientKind.CPR, 101901234L, DAY));
        expect(NullPointerException.class, () -> index.lookup(m100, null, 101901234L, DAY));
        expect(NullPointerException.class, () -> index.lookup(m100, RecipientKind.CPR, 101901234L, null));
        expect(IllegalArgumentException.class,
                () -> index.lookup(m100, RecipientKind.CPR, 101901234L, LocalDate.of(10000, 1, 1)));
        // A material from another Index, even on the same file, is refused both ways.
        Index second = Index.open(path);
        Material m2 = second.material("100");
        check(!m2.equals(m100) && m2.index() == second, "materials of two indexes");
        check(second.lookup(m2, RecipientKind.CPR, 101901234L, DAY) == index.lookup(m100, RecipientKind.CPR,
                101901234L, DAY), "the same file, the same answer");
        IllegalArgumentException wrong = expect(IllegalArgumentException.class,
                () -> index.lookup(m2, RecipientKind.CPR, 101901234L, DAY));
        check(wrong.getMessage().contains("another Index") && !wrong.getMessage().contains("101901234"),
                wrong.getMessage());
        expect(IllegalArgumentException.class, () -> second.lookup(m100, RecipientKind.CPR, 101901234L));
        second.close();
        expect(IllegalStateException.class, () -> second.material("100"));
        expect(IllegalStateException.class, () -> second.lookup(m2, RecipientKind.CPR, 101901234L, DAY));
        expect(IllegalArgumentException.class, () -> index.lookup(m2, RecipientKind.CPR, 101901234L, DAY));
        // A reader's snapshots: resolve on the Index from current(), look up on that one.
        try (Reader reader = Reader.open(path); Index s1 = reader.current(); Index s2 = reader.current()) {
            Material ms = s1.material("100");
            check(s1.lookup(ms, RecipientKind.CPR, 202902345L, DAY) == reader.lookup("100", "0202902345", DAY),
                    "number lookup on a snapshot");
            expect(IllegalArgumentException.class, () -> s2.lookup(ms, RecipientKind.CPR, 202902345L, DAY));
        }

        // Batches: per-element invalid numbers, whole-batch failures, empty batches.
        Answer[] b = index.lookupBatch("100", RecipientKind.CPR,
                new long[] {101901234L, 3102901234L, 202902345L, -1L, 99999999999L}, DAY);
        check(b.length == 5 && b[0].toString().equals("digital registered")
                && b[1].result() == ResultCode.INVALID_RECIPIENT && b[1].channel() == Channel.NONE
                && b[2].toString().equals("physical exempt") && b[3].isError() && b[4].isError(),
                "batch " + java.util.Arrays.toString(b));
        check(index.lookupBatch("100", RecipientKind.CVR, new long[0], DAY).length == 0, "empty batch");
        e = expect(TilmeldingException.class, () -> index.lookupBatch("999", RecipientKind.CVR, new long[0], DAY));
        check(e.code() == ResultCode.UNKNOWN_MATERIAL, "empty batch, unknown material");
        e = expect(TilmeldingException.class,
                () -> index.lookupBatch("600", RecipientKind.CPR, new long[] {101901234L}, DAY));
        check(e.code() == ResultCode.AUDIENCE_MISMATCH, "batch audience");

        // Many threads at once: same answers, and each thread gets its own error message.
        int threads = 8;
        List<Thread> workers = new ArrayList<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            String material = "missing-" + t;
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 5000; i++) {
                        check(index.lookup("100", "0202902345", DAY).reason() == Reason.EXEMPT, "threaded lookup");
                        check(index.lookup(m100, RecipientKind.CPR, 202902345L, DAY).reason() == Reason.EXEMPT,
                                "threaded number lookup");
                        try {
                            index.lookup(material, "0101901234", DAY);
                            throw new AssertionError("no exception");
                        } catch (TilmeldingException x) {
                            check(x.getMessage().contains('"' + material + '"'), "own message: " + x.getMessage());
                        }
                        try {
                            index.material(material);
                            throw new AssertionError("no exception");
                        } catch (TilmeldingException x) {
                            check(x.getMessage().contains('"' + material + '"'), "own message: " + x.getMessage());
                        }
                        if (i % 100 == 0) {
                            check(index.lookupBatch("100", RecipientKind.CPR, new long[] {101901234L}, DAY)[0]
                                    .reason() == Reason.REGISTERED, "threaded batch");
                        }
                    }
                } catch (Throwable x) {
                    failed.compareAndSet(null, x);
                }
            });
            w.start();
            workers.add(w);
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        if (failed.get() != null) {
            throw new AssertionError("thread failed", failed.get());
        }

        // Overhead per call (debug or release library, whichever -Djna.library.path gives).
        for (int round = 0; round < 3; round++) {
            int n = 200_000;
            long t0 = System.nanoTime();
            int digital = 0;
            for (int i = 0; i < n; i++) {
                if (index.lookup("100", "0101901234", DAY).channel() == Channel.DIGITAL) {
                    digital++;
                }
            }
            long t1 = System.nanoTime();
            check(digital == n, "bench answers");
            digital = 0;
            for (int i = 0; i < n; i++) {
                if (index.lookup(m100, RecipientKind.CPR, 101901234L, DAY).channel() == Channel.DIGITAL) {
                    digital++;
                }
            }
            long t1n = System.nanoTime();
            check(digital == n, "bench number answers");
            long[] many = new long[500_000];
            java.util.Arrays.fill(many, 101901234L);
            long t2 = System.nanoTime();
            Answer[] out = index.lookupBatch("100", RecipientKind.CPR, many, DAY);
            long t3 = System.nanoTime();
            check(out[out.length - 1].reason() == Reason.REGISTERED, "bench batch");
            if (round == 2) {
                System.out.printf("bench lookup %.0f ns/call, by number %.0f ns/call, batch %.1f ns/recipient%n",
                        (t1 - t0) / (double) n, (t1n - t1) / (double) n, (t3 - t2) / (double) many.length);
            }
        }

        // Maximum age: a list older than it answers nothing.
        check(ResultCode.fromCode(11) == ResultCode.STALE_INDEX, "TLM_STALE_INDEX");
        if (java.time.Duration.between(info.asOf(), java.time.Instant.now()).getSeconds() > 5) {
            index.setMaxAge(java.time.Duration.ofSeconds(1));
            e = expect(TilmeldingException.class, () -> index.lookup("100", "0101901234", DAY));
            check(e.code() == ResultCode.STALE_INDEX, "stale lookup " + e.code());
            e = expect(TilmeldingException.class,
                    () -> index.lookupBatch("100", RecipientKind.CPR, new long[] {101901234L}, DAY));
            check(e.code() == ResultCode.STALE_INDEX, "stale batch " + e.code());
            e = expect(TilmeldingException.class, () -> index.lookup(m100, RecipientKind.CPR, 101901234L, DAY));
            check(e.code() == ResultCode.STALE_INDEX, "stale number lookup " + e.code());
        }
        index.setMaxAge(java.time.Duration.ofDays(365_000));
        check(!index.lookup("100", "0101901234", DAY).isError(), "generous maximum age");
        index.setMaxAge(java.time.Duration.ZERO);
        check(!index.lookup("100", "0101901234", DAY).isError(), "maximum age off");
        if (java.time.Duration.between(info.asOf(), java.time.Instant.now()).getSeconds() > 5) {
            index.setMaxAge(java.time.Duration.ofSeconds(1));
            index.setMaxAge(null);
            check(!index.lookup("100", "0101901234", DAY).isError(), "maximum age off (null)");
        }
        expect(IllegalArgumentException.class, () -> index.setMaxAge(java.time.Duration.ofSeconds(-1)));

        // Close: idempotent, safe from many threads at once; later use throws.
        Index other = Index.open(path.toString());
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> closers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread c = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException x) {
                    throw new RuntimeException(x);
                }
                other.close();
            });
            c.start();
            closers.add(c);
        }
        go.countDown();
        for (Thread c : closers) {
            c.join();
        }
        check(other.isClosed(), "closed");
        index.close();
        index.close();
        expect(IllegalStateException.class, () -> index.lookup("100", "0101901234", DAY));
        expect(IllegalStateException.class, () -> index.lookupBatch("100", RecipientKind.CPR, new long[1], DAY));
        expect(IllegalStateException.class, () -> index.material("100"));
        expect(IllegalStateException.class, () -> index.lookup(m100, RecipientKind.CPR, 101901234L, DAY));
        expect(IllegalStateException.class, () -> index.lookup(m100, RecipientKind.CPR, 101901234L));
        expect(IllegalStateException.class, index::info);
        expect(IllegalStateException.class, index::snapshotId);
        expect(IllegalStateException.class, () -> index.setMaxAge(java.time.Duration.ZERO));
        expect(IllegalStateException.class, () -> other.lookup("100", "0101901234", DAY));

        // Open failures.
        e = expect(TilmeldingException.class, () -> Index.open(path.resolveSibling("missing.tlm")));
        check(e.code() == ResultCode.IO && e.getMessage().contains("missing.tlm"), e.getMessage());
        e = expect(TilmeldingException.class, () -> Index.open(path.getParent().toString()));
        check(e.code() == ResultCode.IO || e.code() == ResultCode.CORRUPT_INDEX, "directory: " + e.code());

        // An index never closed is freed by the Cleaner, without harm.
        for (int i = 0; i < 50; i++) {
            Index.open(path).lookup("100", "0101901234", DAY);
        }
        System.gc();
        Thread.sleep(100);
        System.out.println("ok");
    }
}
"##;

/// Follows a replaced index through the `Reader` API: the same commands and
/// answers as `ReaderCheck` in tests/csharp_example.rs. Reads one command per
/// line on stdin and answers each with one line on stdout, so that the test
/// can rename files between commands (see `follow_a_replaced_index`).
const READER_CHECK: &str = r##"import dk.tilmelding.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/** Answers one command per line of stdin with one line of stdout. */
public final class ReaderCheck {
    static final LocalDate DAY = LocalDate.of(2026, 11, 22);
    static Reader reader;
    static Index pinned;

    interface Body {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            int space = line.indexOf(' ');
            String command = space < 0 ? line : line.substring(0, space);
            String arg = space < 0 ? "" : line.substring(space + 1);
            if (command.equals("quit")) {
                System.exit(0);
            }
            String answer;
            try {
                answer = run(command, arg);
            } catch (TilmeldingException e) {
                answer = "error " + e.code().text() + ": " + e.getMessage();
            } catch (RuntimeException e) {
                answer = "exception " + e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            out.println(answer.replace('\n', ' '));
        }
        System.exit(1);
    }

    static String run(String command, String arg) throws Exception {
        switch (command) {
            case "open": {
                Reader opened = Reader.open(Path.of(arg));
                if (reader != null) {
                    reader.close();
                }
                reader = opened;
                return "ok";
            }
            case "lookup":
                return reader.lookup("100", "0101901234", DAY).toString();
            case "batch": {
                Answer[] a = reader.lookupBatch("100", RecipientKind.CPR, new long[] {101901234L, 202902345L}, DAY);
                return a[0] + ", " + a[1];
            }
            case "refresh":
                return Boolean.toString(reader.refresh());
            case "pin":
                if (pinned != null) {
                    pinned.close();
                }
                pinned = reader.current();
                return pinned.snapshotId();
            case "pinned":
                return pinned.lookup("100", "0101901234", DAY).toString();
            case "current":
                try (Index index = reader.current()) {
                    return index.snapshotId();
                }
            case "current-lookup":
                try (Index index = reader.current()) {
                    return index.lookup("100", "0101901234", DAY).toString();
                }
            case "max-age":
                reader.setMaxAge(maxAge(arg));
                return "ok";
            case "index-max-age":
                try (Index index = reader.current()) {
                    index.setMaxAge(maxAge(arg));
                }
                return "ok";
            case "every":
                reader.refreshEvery(Duration.ofNanos((long) (Double.parseDouble(arg) * 1e6)));
                return "ok";
            case "error":
                return reader.refreshError().map(e -> "some " + e).orElse("none");
            case "close":
                return close();
            case "unreferenced":
                return unreferenced(arg);
            default:
                return "unknown command " + command;
        }
    }

    static Duration maxAge(String arg) {
        return arg.equals("off") ? null : Duration.ofMillis((long) (Double.parseDouble(arg) * 1000));
    }

    /** Closes the reader from many threads at once; then every method must throw. */
    static String close() throws Exception {
        Reader r = reader;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> closers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread c = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException x) {
                    throw new RuntimeException(x);
                }
                r.close();
            });
            c.start();
            closers.add(c);
        }
        go.countDown();
        for (Thread c : closers) {
            c.join();
        }
        r.close();
        if (!r.isClosed()) {
            return "not closed";
        }
        List<Body> after = List.of(
                () -> r.lookup("100", "0101901234", DAY),
                () -> r.lookup("100", "0101901234"),
                () -> r.lookupBatch("100", RecipientKind.CPR, new long[1], DAY),
                r::refresh,
                () -> r.refreshEvery(Duration.ofSeconds(1)),
                r::refreshError,
                () -> r.setMaxAge(null),
                () -> r.current().close());
        TreeSet<String> thrown = new TreeSet<>();
        for (Body call : after) {
            try {
                call.run();
                thrown.add("nothing");
            } catch (Exception e) {
                thrown.add(e.getClass().getSimpleName());
            }
        }
        return "closed " + String.join(",", thrown);
    }

    /** Readers with a background refresh, never closed: the Cleaner closes them, stopping their threads. */
    static String unreferenced(String path) throws Exception {
        int before = refreshThreads();
        for (int i = 0; i < 3; i++) {
            Reader.open(path).refreshEvery(Duration.ofMillis(20));
        }
        // A new thread names itself when it starts: wait for the names.
        int during = refreshThreads();
        for (int i = 0; i < 100 && during < before + 3; i++) {
            Thread.sleep(20);
            during = refreshThreads();
        }
        int after = during;
        for (int i = 0; i < 100 && after != before; i++) {
            System.gc();
            Thread.sleep(50);
            after = refreshThreads();
        }
        return before + " " + during + " " + after;
    }

    /** The threads of this process that are background refreshes (Linux). */
    static int refreshThreads() throws IOException {
        int n = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(task.resolve("comm")).startsWith("tilmelding-ref")) {
                        n++;
                    }
                } catch (IOException e) {
                    // The thread ended meanwhile.
                }
            }
        }
        return n;
    }
}
"##;
