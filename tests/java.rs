//! The Java binding in bindings/java (JNA, direct mapping) and its example
//! (examples/java) against the fixture index: `Example` answers every row of tests/data/lookups.tsv as the
//! table and the CLI do, one by one, in batches, and one by one by number
//! (a resolved `Material`, as the text path answers too); a missing index
//! fails cleanly; `ApiCheck` (bindings/java/src/test/java) exercises the rest of the API: info,
//! snapshot id, full verification, a loaded index, error messages, materials from another index, threads,
//! close; and `ReaderCheck` follows an
//! index path that is replaced by rename. Each of these runs twice: on the
//! binding compiled from source with JNA, and on the Maven-built
//! multi-release jar on a JDK 22+, where the Foreign Function and Memory
//! API implementation answers (ApiCheck reports which one did).
//!
//! Needs a JDK (17+) and JNA: `apt-get install -y openjdk-17-jdk-headless
//! libjna-java`. Without them the tests are skipped, or fail under `CI=true`.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::java::{jdk22, maven_jar, maven_lock};
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

/// A Java runtime and class path that the checks run on: the binding
/// compiled from source on the JDK 17 (JNA), and the Maven-built
/// multi-release jar on a JDK 22+ (the FFM implementation).
struct Runtime {
    /// What `Index.implementation()` must say: `jna` or `ffm`.
    name: &'static str,
    java: PathBuf,
    class_path: OsString,
    options: Vec<OsString>,
}

/// Every runtime the checks run on, prepared once per test run; empty when
/// Java or JNA is missing and the tests are skipped.
fn runtimes() -> &'static [Runtime] {
    static RUNTIMES: OnceLock<Vec<Runtime>> = OnceLock::new();
    RUNTIMES.get_or_init(|| {
        let ready = have_tool("javac", "-version", INSTALL_JDK)
            && have_tool("java", "-version", INSTALL_JDK)
            && have_jna();
        if !ready {
            return Vec::new();
        }
        let mut class_path = OsString::from(compile());
        class_path.push(":");
        class_path.push(JNA_JAR);
        let mut library_path = OsString::from("-Djna.library.path=");
        library_path.push(library_dir());
        let mut runtimes = vec![Runtime {
            name: "jna",
            java: PathBuf::from("java"),
            class_path,
            options: vec![library_path],
        }];
        runtimes.extend(ffm_runtime());
        runtimes
    })
}

/// The multi-release jar built by Maven on a JDK 22+, with the checks
/// compiled against it, run with that JDK's `java`.
fn ffm_runtime() -> Option<Runtime> {
    let Some(jdk) = jdk22() else {
        skip_or_fail("no JDK 22+ under /usr/lib/jvm (or TILMELDING_JDK22): the FFM implementation");
        return None;
    };
    if !have_tool("mvn", "--version", "apt-get install -y maven") {
        return None;
    }
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("java-ffm");
    let _ = std::fs::remove_dir_all(&work);
    let jar =
        maven_jar(&jdk, &library_dir(), &work.join("build")).unwrap_or_else(|e| panic!("{e}"));
    let checks = work.join("checks");
    let root = common::root();
    let mut jar_path = OsString::from(&jar);
    jar_path.push(":");
    jar_path.push(JNA_JAR);
    let out = Command::new(jdk.join("bin/javac"))
        .args(["--release", "17", "-cp"])
        .arg(&jar_path)
        .arg("-d")
        .arg(&checks)
        .arg(root.join("bindings/java/src/test/java/ApiCheck.java"))
        .arg(root.join("bindings/java/src/test/java/ReaderCheck.java"))
        .arg(root.join("examples/java/Example.java"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "javac: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut class_path = OsString::from(&checks);
    class_path.push(":");
    class_path.push(&jar_path);
    let mut library = OsString::from("-Dtilmelding.library.path=");
    library.push(library_dir());
    Some(Runtime {
        name: "ffm",
        java: jdk.join("bin/java"),
        class_path,
        options: vec!["--enable-native-access=ALL-UNNAMED".into(), library],
    })
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
        .join("java")
        .join(profile);
    let _ = std::fs::remove_dir_all(&dir);
    let classes = dir.join("classes");
    std::fs::create_dir_all(&classes).unwrap();
    let mut sources = Vec::new();
    // The binding (without its module descriptor: this is a class-path
    // build), the check programs (the top of src/test/java; the JUnit
    // suite below them is the Maven build's) and the example.
    let root = common::root();
    java_files(&root.join("bindings/java/src/main/java"), &mut sources);
    sources.retain(|p| !p.ends_with("module-info.java"));
    for entry in std::fs::read_dir(root.join("bindings/java/src/test/java")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "java") {
            sources.push(path);
        }
    }
    java_files(&root.join("examples/java"), &mut sources);
    assert!(sources.len() > 3, "no Java sources under bindings/java");
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

/// `java MAIN` on a runtime, with the binding and libtilmelding.so.
fn java_command(runtime: &Runtime, main: &str) -> Command {
    let mut command = Command::new(&runtime.java);
    command
        .arg("-cp")
        .arg(&runtime.class_path)
        .args(&runtime.options)
        .arg(main);
    command
}

/// Runs `java MAIN ARGS...`.
fn java(classes: &Runtime, main: &str, args: &[OsString]) -> Output {
    java_command(classes, main).args(args).output().unwrap()
}

/// Runs `Example` on many argument lists at once (one JVM each), in order.
fn examples(classes: &Runtime, runs: &[Vec<OsString>]) -> Vec<Output> {
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
    for runtime in runtimes() {
        lookups_match_the_table_and_the_cli_on(runtime);
    }
}

fn lookups_match_the_table_and_the_cli_on(classes: &Runtime) {
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
    for runtime in runtimes() {
        today_is_the_default_date_as_in_the_cli_on(runtime);
    }
}

fn today_is_the_default_date_as_in_the_cli_on(classes: &Runtime) {
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
    for runtime in runtimes() {
        batches_match_the_table_on(runtime);
    }
}

fn batches_match_the_table_on(classes: &Runtime) {
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
    for runtime in runtimes() {
        single_lookups_by_number_match_the_table_and_the_text_path_on(runtime);
    }
}

fn single_lookups_by_number_match_the_table_and_the_text_path_on(classes: &Runtime) {
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
    for runtime in runtimes() {
        a_missing_index_fails_with_its_path_on(runtime);
    }
}

fn a_missing_index_fails_with_its_path_on(classes: &Runtime) {
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
    for runtime in runtimes() {
        the_api_behaves_as_documented_on(runtime);
    }
}

fn the_api_behaves_as_documented_on(classes: &Runtime) {
    let (_dir, index) = fixture_index();
    let resealed = common::resealed_after_change(&index);
    let out = java(
        classes,
        "ApiCheck",
        &[index.clone().into(), resealed.into()],
    );
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
    assert_eq!(info.get("implementation").copied(), Some(classes.name));
}

#[test]
fn a_reader_follows_a_replaced_index() {
    for runtime in runtimes() {
        a_reader_follows_a_replaced_index_on(runtime);
    }
}

fn a_reader_follows_a_replaced_index_on(classes: &Runtime) {
    follow_a_replaced_index(
        java_command(classes, "ReaderCheck"),
        "IllegalArgumentException",
        "IllegalStateException",
    );
}

/// The Maven project (bindings/java/pom.xml): `mvn verify` packs the jar
/// with a stripped copy of this build's libtilmelding.so inside, and runs
/// the JUnit suite (src/test/java/dk/tilmelding) against the packed jar:
/// on Java 17 (JNA) loading the library it carries and from
/// `-Dtilmelding.library.path`, and on a JDK 22+ (FFM). Needs Maven and Maven Central (or a filled
/// local repository): `apt-get install -y maven`.
#[test]
fn the_maven_jar_carries_its_library_and_passes_its_suite() {
    if !have_tool("mvn", "--version", "apt-get install -y maven") {
        return;
    }
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("maven");
    let _ = std::fs::remove_dir_all(&work);
    let native = work.join("native");
    std::fs::create_dir_all(&native).unwrap();
    let strip = Command::new("strip")
        .arg("--strip-unneeded")
        .arg("-o")
        .arg(native.join("libtilmelding.so"))
        .arg(library_dir().join("libtilmelding.so"))
        .status()
        .unwrap();
    assert!(strip.success());
    let (_dir, fixture) = fixture_index();
    // On a JDK 22+ the build adds the FFM implementation and a third run of
    // the suite, on that JDK (runtimes() fails under CI=true without one).
    let jdk = jdk22();
    let _maven = maven_lock();
    let mut mvn = Command::new("mvn");
    if let Some(jdk) = &jdk {
        mvn.env("JAVA_HOME", jdk);
    }
    let out = mvn
        .args(["-B", "-q", "verify"])
        .arg(format!("-Dtilmelding.fixture={}", fixture.display()))
        .arg(format!("-Dtilmelding.native.dir={}", native.display()))
        .arg(format!(
            "-Dtilmelding.build.directory={}",
            work.join("build").display()
        ))
        .current_dir(common::root().join("bindings/java"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mvn verify failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every run of the suite ran every test.
    let runs: &[&str] = if jdk.is_some() {
        &["embedded", "library-path", "ffm"]
    } else {
        &["embedded", "library-path"]
    };
    for run in runs {
        let summary =
            std::fs::read_to_string(work.join(format!("build/failsafe-reports/{run}/summary.xml")))
                .unwrap();
        assert!(
            summary.contains("<completed>4</completed>"),
            "{run}: {summary}"
        );
        assert!(
            summary.contains("<failures>0</failures>") && summary.contains("<errors>0</errors>")
        );
    }
    let jar = work.join(format!(
        "build/tilmelding-{}.jar",
        env!("CARGO_PKG_VERSION")
    ));
    let listing = Command::new("jar").arg("tf").arg(&jar).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("dk/tilmelding/native/linux-x86_64/libtilmelding.so"),
        "{listing}"
    );
    if jdk.is_some() {
        assert!(
            listing.contains("META-INF/versions/22/dk/tilmelding/FfmCalls.class"),
            "{listing}"
        );
    }
    let module = Command::new("jar")
        .args(["--describe-module", "--file"])
        .arg(&jar)
        .output()
        .unwrap();
    let module = String::from_utf8_lossy(&module.stdout);
    assert!(module.starts_with("dk.tilmelding@"), "{module}");
    assert!(
        module.contains("requires com.sun.jna") && module.contains("exports dk.tilmelding"),
        "{module}"
    );
}
