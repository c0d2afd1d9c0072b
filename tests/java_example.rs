//! The Java bindings in examples/java (JNA, direct mapping) against the
//! fixture index: `Example` answers every row of tests/data/lookups.tsv as the
//! table and the CLI do, one by one and in batches; a missing index fails
//! cleanly; and `ApiCheck` (below) exercises the rest of the API: info,
//! snapshot id, error messages, threads, close.
//!
//! Needs a JDK (17+) and JNA: `apt-get install -y openjdk-17-jdk-headless
//! libjna-java`. Without them the tests are skipped, or fail under `CI=true`.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{Lookup, cli_answer, fixture_index, have_tool, last_two_words, library_dir, lookups};

const JNA_JAR: &str = "/usr/share/java/jna.jar";
const INSTALL_JDK: &str = "apt-get install -y openjdk-17-jdk-headless";
const INSTALL_JNA: &str = "apt-get install -y libjna-java";

/// Whether JNA is installed; the same skip-or-fail rule as `have_tool`.
fn have_jna() -> bool {
    let found = Path::new(JNA_JAR).exists();
    if !found {
        let message = format!("{JNA_JAR} is missing; install it with: {INSTALL_JNA}");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{message} (CI=true: a missing tool is a failure)");
        }
        eprintln!("SKIPPED: {message}");
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
    let mut sources = vec![api_check];
    java_files(&common::root().join("examples/java"), &mut sources);
    assert!(sources.len() > 2, "no Java sources under examples/java");
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

/// Runs `java MAIN ARGS...` with the classes, JNA and libtilmelding.so.
fn java(classes: &Path, main: &str, args: &[OsString]) -> Output {
    let mut class_path = OsString::from(classes);
    class_path.push(":");
    class_path.push(JNA_JAR);
    let mut library_path = OsString::from("-Djna.library.path=");
    library_path.push(library_dir());
    Command::new("java")
        .arg("-cp")
        .arg(class_path)
        .arg(library_path)
        .arg(main)
        .args(args)
        .output()
        .unwrap()
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
    let mut groups: BTreeMap<(String, String), Vec<Lookup>> = BTreeMap::new();
    for row in lookups() {
        groups
            .entry((row.material.clone(), row.date.clone()))
            .or_default()
            .push(row);
    }
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
                cli_answer(&index, row),
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
        let cli = Command::new(env!("CARGO_BIN_EXE_tilmelding"))
            .arg("lookup")
            .arg(&index)
            .args(["--material", material])
            .args(recipients)
            .output()
            .unwrap();
        assert!(cli.status.success());
        let cli: Vec<String> = String::from_utf8(cli.stdout)
            .unwrap()
            .lines()
            .map(last_two_words)
            .collect();
        let java: Vec<String> = lines.iter().map(|l| last_two_words(l)).collect();
        assert_eq!(java, cli, "material {material}, today");
    }
}

/// A table recipient as a batch number: its kind and digits, if it has the
/// digits of a CPR (10) or CVR (8) number.
fn batch_number(recipient: &str) -> Option<(&'static str, String)> {
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

/// A batch of the table: (material, date, kind); its rows are (number, expected answer).
type BatchKey = (String, String, &'static str);

#[test]
fn batches_match_the_table() {
    let Some(classes) = classes() else { return };
    let (_dir, index) = fixture_index();
    let mut groups: BTreeMap<BatchKey, Vec<(String, String)>> = BTreeMap::new();
    for row in lookups() {
        if let Some((kind, number)) = batch_number(&row.recipient) {
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

#[test]
fn a_missing_index_fails_with_its_path() {
    let Some(classes) = classes() else { return };
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-index.tlm");
    for mode in [&["lookup"][..], &["batch"]] {
        let mut run = args(mode);
        run.push(missing.clone().into());
        run.extend(args(&["100", "2026-11-22"]));
        if mode == ["batch"] {
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
    let cli = Command::new(env!("CARGO_BIN_EXE_tilmelding"))
        .arg("info")
        .arg(&index)
        .arg("--json")
        .output()
        .unwrap();
    assert!(cli.status.success());
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
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
        String longId = "m".repeat(5000);
        e = expect(TilmeldingException.class, () -> index.lookup(longId, "0101901234", DAY));
        check(e.getMessage().contains(longId), "long message fetched whole: " + e.getMessage().length());
        e = expect(TilmeldingException.class, () -> index.lookup("600", "0101901234", DAY));
        check(e.code() == ResultCode.AUDIENCE_MISMATCH, "audience " + e.code());
        expect(IllegalArgumentException.class, () -> index.lookup("100\0junk", "0101901234", DAY));
        expect(IllegalArgumentException.class, () -> index.lookup("100", "0101901234\0", DAY));
        expect(IllegalArgumentException.class, () -> index.lookup("100", "\ud800", DAY));
        expect(IllegalArgumentException.class, () -> index.lookup("100", "0101901234", LocalDate.of(10000, 1, 1)));
        expect(NullPointerException.class, () -> index.lookup(null, "0101901234", DAY));
        e = expect(TilmeldingException.class, () -> index.lookup("æøå", "0101901234", DAY));
        check(e.getMessage().contains("\"æøå\""), "UTF-8 round trip: " + e.getMessage());

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
                        try {
                            index.lookup(material, "0101901234", DAY);
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
            long[] many = new long[500_000];
            java.util.Arrays.fill(many, 101901234L);
            long t2 = System.nanoTime();
            Answer[] out = index.lookupBatch("100", RecipientKind.CPR, many, DAY);
            long t3 = System.nanoTime();
            check(out[out.length - 1].reason() == Reason.REGISTERED, "bench batch");
            if (round == 2) {
                System.out.printf("bench lookup %.0f ns/call, batch %.1f ns/recipient%n",
                        (t1 - t0) / (double) n, (t3 - t2) / (double) many.length);
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
        }
        index.setMaxAge(java.time.Duration.ofDays(365_000));
        check(!index.lookup("100", "0101901234", DAY).isError(), "generous maximum age");
        index.setMaxAge(java.time.Duration.ZERO);
        check(!index.lookup("100", "0101901234", DAY).isError(), "maximum age off");
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
