//! The same lookups from every language, in one run: Rust, the C ABI from C
//! (`benches/languages/timing.c`), the Java binding with JNA and, on a JDK
//! 22+, with the Foreign Function and Memory API from the Maven-built jar
//! (`benches/languages/Timing.java`), C# on Mono
//! (`benches/languages/Timing.cs`), the Python wheel
//! (`benches/languages/timing.py`) and the CLI answering the recipients as
//! a batch file (the whole process timed), on the same index, the same material,
//! date and recipients, each timed as its caller writes it: a plain loop of
//! single lookups (the recipient as text, and in Rust and C as a number)
//! and one batch call over all recipients. Rounds alternate the languages;
//! each figure is the median over the rounds, as ns per answer and as a
//! ratio to the Rust call of the same kind.
//!
//! `cargo bench --bench languages`: national scale (5.9 M citizens), 1,000,000
//! recipients (90% in the register), 5 rounds. The Python row needs a
//! python with the wheel installed: `TILMELDING_PYTHON`, or the virtual
//! environment `bindings/python/run-tests.sh` leaves in `target/python`.
//! `cargo test --bench languages` (and `cargo test --all-targets`): 20,000
//! citizens and 10,000 recipients, one round of Rust, C and Java, and the
//! answers' checksums must agree (the Python row is checked by its pytest
//! suite). A row whose tools are missing is left out with a note.
//! `TILMELDING_BENCH_CITIZENS`, `TILMELDING_BENCH_QUERIES` and
//! `TILMELDING_BENCH_ROUNDS` change the sizes.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;
use tilmelding::{
    Answer, Audience, BuildOptions, Date, Index, LookupError, MessageType, Recipient, RecipientKind,
};
use tilmelding_synth::SynthOptions;

#[path = "support/evict.rs"]
mod evict;
#[path = "../tests/common/java.rs"]
mod java_build;
#[path = "../tests/common/tools.rs"]
mod tools;

use tools::skip_or_fail;

/// The lookups' date, and the as-of time of the list (2026-11-22T06:00+01:00).
const DATE: (i32, u8, u8) = (2026, 11, 22);
const AS_OF: i64 = 1_795_323_600;

struct Config {
    citizens: u64,
    queries: usize,
    rounds: usize,
    full: bool,
}

fn config() -> Config {
    let full = std::env::args().any(|a| a == "--bench");
    let var = |name: &str, default: u64| {
        std::env::var(name).map_or(default, |v| {
            v.replace('_', "")
                .parse()
                .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
        })
    };
    Config {
        citizens: var(
            "TILMELDING_BENCH_CITIZENS",
            if full { 5_900_000 } else { 20_000 },
        ),
        queries: var(
            "TILMELDING_BENCH_QUERIES",
            if full { 1_000_000 } else { 10_000 },
        ) as usize,
        rounds: var("TILMELDING_BENCH_ROUNDS", if full { 5 } else { 1 }) as usize,
        full,
    }
}

/// One measurement: ns per answer of one timed pass, and the checksum of
/// the answers (sum of result << 16 | channel << 8 | reason).
#[derive(Clone, Debug)]
struct Row {
    language: String,
    call: String,
    ns: f64,
    checksum: u64,
}

fn fold(sum: u64, answer: &Result<Answer, LookupError>) -> u64 {
    sum + match answer {
        Ok(a) => u64::from(a.channel as u8) << 8 | u64::from(a.reason as u8),
        Err(e) => u64::from(e.number()) << 16,
    }
}

/// A private Digital Post material whose group is active on the date and
/// whose sender's certificate holds: the lookups reach the register.
fn material(index: &Index, date: Date) -> String {
    let catalog = index.catalog();
    catalog
        .materials
        .iter()
        .find(|m| {
            let Some(group) = m.group(Audience::Private) else {
                return false;
            };
            let system = &catalog.sender_systems[m.sender_system as usize];
            m.message_type == MessageType::DigitalPost
                && !m.mandatory
                && catalog.groups[group as usize].active_from <= date
                && system.certificate_expires.is_none_or(|e| e >= date)
        })
        .expect("the catalog has an active private material")
        .id
        .clone()
}

/// A recipient as the number the C ABI and the bindings take (CPR: the ten
/// digits read as one integer).
fn number(r: Recipient) -> u64 {
    r.to_string().parse().unwrap()
}

/// `count` CPR numbers: 90% drawn from the register, 10% valid numbers it
/// does not hold, shuffled (SplitMix64, fixed seed).
fn recipients(index: &Index, count: usize) -> Vec<u64> {
    let mut state = 2026u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut register: Vec<u64> = index
        .contacts(RecipientKind::Cpr)
        .map(|(r, _)| number(r))
        .collect();
    let hits = (count - count / 10).min(register.len());
    for i in 0..hits {
        let j = i + (next() % (register.len() - i) as u64) as usize;
        register.swap(i, j);
    }
    let mut chosen = register[..hits].to_vec();
    register.sort_unstable();
    while chosen.len() < count {
        let near = register[(next() % register.len() as u64) as usize];
        let n = near - near % 10_000 + next() % 10_000;
        let valid = Recipient::from_number(RecipientKind::Cpr, n).is_ok();
        if valid && register.binary_search(&n).is_err() {
            chosen.push(n);
        }
    }
    for i in (1..chosen.len()).rev() {
        chosen.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    chosen
}

fn rust_rows(
    index: &Index,
    material: &str,
    date: Date,
    numbers: &[u64],
    texts: &[String],
) -> Vec<Row> {
    let id = index.material(material).unwrap();
    let row = |call: &str, ns: f64, checksum| Row {
        language: "Rust".into(),
        call: call.into(),
        ns,
        checksum,
    };
    let per = |started: Instant| started.elapsed().as_nanos() as f64 / numbers.len() as f64;
    let text = |t: &String| index.lookup(material, &t.parse().unwrap(), date);
    let checksum = texts.iter().map(text).fold(0, |s, a| fold(s, &a));
    let started = Instant::now();
    for t in texts {
        let _ = black_box(text(black_box(t)));
    }
    let mut rows = vec![row("text", per(started), checksum)];

    let number = |n: u64| {
        let recipient = Recipient::from_number(RecipientKind::Cpr, n)
            .map_err(|_| LookupError::InvalidRecipient)?;
        index.lookup_material(id, &recipient, date)
    };
    let checksum = numbers
        .iter()
        .map(|&n| number(n))
        .fold(0, |s, a| fold(s, &a));
    let started = Instant::now();
    for &n in numbers {
        let _ = black_box(number(black_box(n)));
    }
    rows.push(row("number", per(started), checksum));

    let mut out = vec![Err(LookupError::InvalidRecipient); numbers.len()];
    index
        .lookup_batch(material, RecipientKind::Cpr, numbers, date, &mut out)
        .unwrap();
    let checksum = out.iter().fold(0, fold);
    let started = Instant::now();
    index
        .lookup_batch(
            material,
            RecipientKind::Cpr,
            black_box(numbers),
            date,
            &mut out,
        )
        .unwrap();
    black_box(&out);
    rows.push(row("batch", per(started), checksum));
    rows
}

fn parse_rows(language: &str, stdout: &[u8]) -> Vec<Row> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{language}: not a JSON row ({e}): {line}"));
            Row {
                language: v["language"].as_str().unwrap().into(),
                call: v["call"].as_str().unwrap().into(),
                ns: v["ns"].as_f64().unwrap(),
                checksum: v["checksum"].as_u64().unwrap(),
            }
        })
        .collect()
}

fn run(language: &str, command: &mut Command) -> Vec<Row> {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{language}: {e}"));
    assert!(
        out.status.success(),
        "{language}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    parse_rows(language, &out.stdout)
}

/// The C timer, compiled against the `libtilmelding.so` of this build
/// (`<target>/<profile>/deps/`, next to this benchmark).
fn c_timer(dir: &Path) -> Option<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    if !deps.join("libtilmelding.so").exists() {
        skip_or_fail(&format!(
            "{} has no libtilmelding.so: the C row",
            deps.display()
        ));
        return None;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let timer = dir.join("timing");
    let status = Command::new("gcc")
        .args(["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"])
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join("benches/languages/timing.c"))
        .arg("-L")
        .arg(deps)
        .arg("-ltilmelding")
        .arg(format!("-Wl,-rpath,{}", deps.display()))
        .arg("-o")
        .arg(&timer)
        .status();
    match status {
        Ok(s) if s.success() => Some(timer),
        Ok(s) => panic!("gcc failed on benches/languages/timing.c: {s}"),
        Err(e) => {
            skip_or_fail(&format!(
                "no gcc ({e}): the C row; install it with: apt-get install -y gcc"
            ));
            None
        }
    }
}

/// Runs a build step; false (with a note) if it cannot run or fails.
fn step(what: &str, command: &mut Command) -> bool {
    match command.output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            eprintln!(
                "languages: no {what}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            false
        }
        Err(e) => {
            eprintln!("languages: no {what}: {e}");
            false
        }
    }
}

const JNA_JAR: &str = "/usr/share/java/jna.jar";

/// The Java rows' commands, without the timing arguments: the binding with
/// JNA on the default JDK, and the Maven-built multi-release jar on a JDK
/// 22+ (FFM). A row whose tools are missing is left out, with a note.
fn java_timers(dir: &Path, deps: &Path) -> Vec<Vec<OsString>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let timing = root.join("benches/languages/Timing.java");
    let mut timers = Vec::new();
    let jna = dir.join("java-jna");
    let sources = std::fs::read_dir(root.join("bindings/java/src/main/java/dk/tilmelding"))
        .unwrap()
        .map(|e| e.unwrap().path());
    if Path::new(JNA_JAR).exists()
        && step(
            "Java (JNA) row",
            Command::new("javac")
                .args(["--release", "17", "-cp", JNA_JAR, "-d"])
                .arg(&jna)
                .args(sources)
                .arg(&timing),
        )
    {
        timers.push(vec![
            "java".into(),
            "-cp".into(),
            format!("{}:{JNA_JAR}", jna.display()).into(),
            format!("-Djna.library.path={}", deps.display()).into(),
            "Timing".into(),
        ]);
    } else {
        eprintln!("languages: no Java (JNA) row (javac and {JNA_JAR} are needed)");
    }
    let Some(jdk) = java_build::jdk22() else {
        eprintln!(
            "languages: no Java (FFM) row: no JDK 22+ under /usr/lib/jvm (or TILMELDING_JDK22)"
        );
        return timers;
    };
    let ffm = dir.join("java-ffm");
    let jar = java_build::maven_jar(&jdk, deps, &dir.join("maven"))
        .map_err(|e| eprintln!("languages: no Java (FFM) row: {e}"))
        .ok();
    let built = jar.as_ref().is_some_and(|jar| {
        step(
            "Java (FFM) row (javac)",
            Command::new(jdk.join("bin/javac"))
                .args(["--release", "17", "-cp"])
                .arg(jar)
                .arg("-d")
                .arg(&ffm)
                .arg(&timing),
        )
    });
    if built {
        timers.push(vec![
            jdk.join("bin/java").into(),
            "--enable-native-access=ALL-UNNAMED".into(),
            "-cp".into(),
            format!("{}:{}", ffm.display(), jar.unwrap().display()).into(),
            format!("-Dtilmelding.library.path={}", deps.display()).into(),
            "Timing".into(),
        ]);
    }
    timers
}

/// The C# row's command, without the timing arguments: the binding and
/// Timing.cs compiled with Mono's `mcs`, run with `mono`.
fn csharp_timer(dir: &Path, deps: &Path) -> Option<Vec<OsString>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = dir.join("Timing.exe");
    let built = step(
        "C# row (mcs)",
        Command::new("mcs")
            .arg("-optimize+")
            .arg(format!("-out:{}", exe.display()))
            .arg(root.join("bindings/csharp/Tilmelding.cs"))
            .arg(root.join("benches/languages/Timing.cs")),
    );
    built.then(|| {
        vec![
            "env".into(),
            format!("LD_LIBRARY_PATH={}", deps.display()).into(),
            "mono".into(),
            "-O=all".into(),
            exe.into(),
        ]
    })
}

/// The CLI row: `tilmelding lookup --batch` on the recipients' file, the
/// whole process timed (start, open, reading, answering, printing), with
/// the answers it prints folded as the other rows fold theirs.
fn cli_row(
    cli: &Path,
    index: &Path,
    material: &str,
    date: Date,
    texts: &Path,
    count: usize,
) -> Row {
    let (y, m, d) = date.ymd();
    let started = Instant::now();
    let out = Command::new(cli)
        .arg("lookup")
        .arg(index)
        .args([
            "--material",
            material,
            "--date",
            &format!("{y:04}-{m:02}-{d:02}"),
            "--batch",
        ])
        .arg(texts)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "the CLI: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let channel = |name: &str| {
        (1..)
            .map_while(tilmelding::Channel::from_number)
            .find(|c| c.as_str() == name)
    };
    let reason = |name: &str| {
        (1..)
            .map_while(tilmelding::Reason::from_number)
            .find(|r| r.as_str() == name)
    };
    let mut checksum = 0u64;
    let mut lines = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (Some(c), Some(r)) = (channel(words[1]), reason(words[2])) else {
            panic!("the CLI printed an answer the benchmark does not fold: {line}");
        };
        checksum += u64::from(c as u8) << 8 | u64::from(r as u8);
        lines += 1;
    }
    assert_eq!(lines, count, "the CLI answered every recipient");
    Row {
        language: "CLI (whole process)".into(),
        call: "text".into(),
        ns: elapsed.as_nanos() as f64 / count as f64,
        checksum,
    }
}

/// A python that imports `tilmelding`, for the Python row.
fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("TILMELDING_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/python/venv/bin/python"));
    let works = Command::new(&python)
        .args(["-c", "import tilmelding"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        Some(python)
    } else {
        eprintln!(
            "languages: no Python row: {} cannot import tilmelding (set TILMELDING_PYTHON, or run bindings/python/run-tests.sh once)",
            python.display()
        );
        None
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let config = config();
    let dir = tempfile::tempdir().unwrap();
    let options = SynthOptions {
        citizens: config.citizens,
        companies: config.citizens * 8 / 59,
        ..SynthOptions::default()
    };
    let data = tilmelding_synth::generate(dir.path(), &options, &mut |_, _| {}).unwrap();
    let index_path = dir.path().join("index.tlm");
    let build = BuildOptions {
        as_of: Some(AS_OF),
        ..Default::default()
    };
    tilmelding::build(
        &data.catalog_path,
        &[&data.contacts_path],
        &index_path,
        &build,
        &mut |_| {},
    )
    .unwrap();
    let index = Index::open(&index_path).unwrap();
    let date = Date::from_ymd(DATE.0, DATE.1, DATE.2).unwrap();
    let material = material(&index, date);
    let numbers = recipients(&index, config.queries);
    let texts: Vec<String> = numbers.iter().map(|n| format!("{n:010}")).collect();
    let numbers_path = dir.path().join("numbers.bin");
    let texts_path = dir.path().join("recipients.txt");
    let bytes: Vec<u8> = numbers.iter().flat_map(|n| n.to_le_bytes()).collect();
    std::fs::write(&numbers_path, bytes).unwrap();
    std::fs::write(&texts_path, texts.join("\n") + "\n").unwrap();
    // For the C hash table: every CPR number of the register with its status.
    let register_path = dir.path().join("register.bin");
    let pairs: Vec<u8> = index
        .contacts(RecipientKind::Cpr)
        .flat_map(|(r, contact)| [number(r), contact.status as u64])
        .flat_map(u64::to_le_bytes)
        .collect();
    std::fs::write(&register_path, pairs).unwrap();
    let evict_mb = (evict::evict_bytes() >> 20).to_string();
    let day = format!("{:04}{:02}{:02}", DATE.0, DATE.1, DATE.2);
    let args = |command: &mut Command| {
        command
            .arg(&index_path)
            .arg(&material)
            .arg(&day)
            .arg(&numbers_path)
            .arg(&texts_path);
    };

    let c = c_timer(dir.path());
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_owned();
    let java = java_timers(dir.path(), &deps);
    let csharp = csharp_timer(dir.path(), &deps);
    let cli = deps
        .parent()
        .map(|d| d.join("tilmelding"))
        .filter(|cli| cli.exists());
    if cli.is_none() {
        eprintln!("languages: no CLI row: build it with cargo build --release -p tilmelding-cli");
    }
    let python = if config.full { python() } else { None };
    eprintln!(
        "languages: {} citizens, {} recipients, material {material}, {} round(s)",
        data.citizens, config.queries, config.rounds
    );
    let mut rows = Vec::new();
    for _ in 0..config.rounds {
        rows.extend(rust_rows(&index, &material, date, &numbers, &texts));
        if let Some(c) = &c {
            let mut command = Command::new(c);
            args(&mut command);
            command.arg(&register_path).arg(&evict_mb);
            rows.extend(run("C", &mut command));
        }
        for argv in java.iter().chain(&csharp) {
            let mut command = Command::new(&argv[0]);
            command.args(&argv[1..]);
            args(&mut command);
            rows.extend(run(&argv[0].to_string_lossy(), &mut command));
        }
        if let Some(cli) = &cli {
            rows.push(cli_row(
                cli,
                &index_path,
                &material,
                date,
                &texts_path,
                numbers.len(),
            ));
        }
        if let Some(python) = &python {
            let mut command = Command::new(python);
            command.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/languages/timing.py"));
            args(&mut command);
            rows.extend(run("Python", &mut command));
        }
    }

    // Every language answered every call alike.
    let mut checksums: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for row in &rows {
        checksums
            .entry(&row.call)
            .or_default()
            .insert(&row.language, row.checksum);
    }
    for (call, by_language) in &checksums {
        let first = by_language.values().next().unwrap();
        assert!(
            by_language.values().all(|c| c == first),
            "the {call} lookups' answers differ between languages: {by_language:?}"
        );
    }
    let expected_c = if c.is_some() { C_CALLS.len() } else { 0 };
    assert_eq!(
        rows.iter().filter(|r| r.language == "C").count(),
        expected_c * config.rounds,
        "the C timer printed a row per call"
    );
    // The C loop's answers with a cold cache are those of the warm loop.
    let c_checksum = |call: &str| checksums.get(call).and_then(|c| c.get("C")).copied();
    if config.queries.is_multiple_of(2_000) {
        assert_eq!(c_checksum("number_cold"), c_checksum("number"));
    }

    let mut medians: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for row in rows {
        medians
            .entry((row.call, row.language))
            .or_default()
            .push(row.ns);
    }
    let medians: BTreeMap<(String, String), f64> = medians
        .into_iter()
        .map(|(key, mut ns)| (key, median(&mut ns)))
        .collect();
    println!("| call | language | ns per answer | to Rust |\n|---|---|---:|---:|");
    for call in ["text", "number", "batch"] {
        let rust = medians[&(call.to_string(), "Rust".to_string())];
        for language in [
            "Rust",
            "C",
            "C# (Mono)",
            "Java (JNA)",
            "Java (FFM)",
            "Python",
            "CLI (whole process)",
        ] {
            if let Some(ns) = medians.get(&(call.to_string(), language.to_string())) {
                println!("| {call} | {language} | {ns:.1} | {:.2}x |", ns / rust);
            }
        }
    }
    let c = |call: &str| medians.get(&(call.to_string(), "C".to_string())).copied();
    if let (Some(number), Some(hash), Some(number_cold), Some(hash_cold)) =
        (c("number"), c("hash"), c("number_cold"), c("hash_cold"))
    {
        println!(
            "\n| C, a plain loop of single lookups | warm | cold |\n|---|---:|---:|\n\
             | tlm_index_lookup_number | {number:.1} ns | {number_cold:.1} ns |\n\
             | open-addressing hash table | {hash:.1} ns | {hash_cold:.1} ns |\n\
             | index / hash table | {:.2}x | {:.2}x |",
            number / hash,
            number_cold / hash_cold
        );
    }
    if config.full {
        eprintln!("languages: median of {} rounds each", config.rounds);
    }
}

/// The calls the C timer measures (with the register and eviction arguments).
const C_CALLS: [&str; 6] = [
    "text",
    "number",
    "batch",
    "hash",
    "number_cold",
    "hash_cold",
];
