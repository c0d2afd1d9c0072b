//! The C# bindings (examples/csharp), compiled with Mono's `mcs` and run with
//! `mono` against the fixture index: every row of tests/data/lookups.tsv must
//! get the table's answer and the CLI's, batches must answer per element, and
//! open failures must name the file.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{Lookup, cli_answer, fixture_index, have_tool, last_two_words, library_dir, lookups};

const INSTALL: &str = "apt-get install -y --no-install-recommends mono-mcs mono-runtime";

/// Exercises what Program.cs does not: Info, SnapshotId, Dispose, and the
/// exceptions. Prints `key value` lines for the test to check.
const API_CHECK: &str = r#"
using System;
using System.Threading;
using Tilmelding;
using Index = Tilmelding.Index;

internal static class ApiCheck
{
    private static int Main(string[] args)
    {
        Index index = Index.Open(args[0]);
        IndexInfo info = index.Info;
        Console.WriteLine("snapshot_id " + index.SnapshotId);
        Console.WriteLine("format_version " + info.FormatMajor + "." + info.FormatMinor);
        Console.WriteLine("materials " + info.Materials);
        Console.WriteLine("groups " + info.Groups);
        Console.WriteLine("sender_systems " + info.SenderSystems);
        Console.WriteLine("cpr " + info.CprContacts);
        Console.WriteLine("cvr " + info.CvrContacts);
        Console.WriteLine("file_size " + info.FileSize);
        Console.WriteLine("as_of " + info.AsOf.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        Console.WriteLine("build_time " + info.BuildTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        Console.WriteLine("version " + Index.LibraryVersion);
        Console.WriteLine("lookup " + index.Lookup("100", "0101901234", new DateTime(2026, 11, 22)));
        Console.WriteLine("empty_batch " + index.LookupBatch("100", RecipientKind.Cpr, new ulong[0]).Length);
        try
        {
            index.Lookup("100", "3102901234");
        }
        catch (TilmeldingException e)
        {
            // The message masks the serial part of a CPR number.
            Console.WriteLine("invalid " + e.Code + " " + e.Message.Contains("1234"));
        }
        try
        {
            index.Lookup("100", "0101901234\0junk");
        }
        catch (ArgumentException e)
        {
            Console.WriteLine("nul " + e.GetType().Name);
        }
        try
        {
            index.LookupBatch("100", (RecipientKind)7, new ulong[] { 101901234 });
        }
        catch (TilmeldingException e)
        {
            Console.WriteLine("bad_kind " + e.Code);
        }
        try
        {
            index.LookupBatch("999" + new string('x', 600), RecipientKind.Cpr, new ulong[] { 101901234 });
        }
        catch (TilmeldingException e)
        {
            // Longer than the first buffer LastErrorMessage tries.
            Console.WriteLine("long_message " + e.Code + " " + e.Message.Contains(new string('x', 600)));
        }

        // Lookups on other threads while the index is disposed: each call
        // either completes or throws ObjectDisposedException, never crashes.
        long calls = 0;
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        index.LookupBatch("100", RecipientKind.Cpr, new ulong[] { 101901234, 202902345 });
                        Interlocked.Increment(ref calls);
                    }
                }
                catch (ObjectDisposedException)
                {
                }
            });
            threads[t].Start();
        }
        while (Interlocked.Read(ref calls) < 1000)
        {
            Thread.Sleep(1);
        }
        index.Dispose();
        index.Dispose();
        foreach (Thread t in threads)
        {
            t.Join();
        }
        try
        {
            index.Lookup("100", "0101901234");
        }
        catch (ObjectDisposedException)
        {
            Console.WriteLine("disposed ObjectDisposedException");
        }
        return 0;
    }
}
"#;

/// Whether Mono is installed (skips locally, fails under CI=true).
fn have_mono() -> bool {
    have_tool("mcs", "--version", INSTALL) && have_tool("mono", "--version", INSTALL)
}

/// Compiles `sources` with `mcs` into `<target tmp>/csharp_example/<name>`.
fn compile(name: &str, sources: &[PathBuf]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("csharp_example");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join(name);
    // Built under a name of this process's own and renamed into place, so
    // that test runs sharing the target directory do not clash.
    let partial = dir.join(format!("{name}.{}", std::process::id()));
    let out = Command::new("mcs")
        .arg(format!("-out:{}", partial.display()))
        .args(sources)
        .output()
        .expect("running mcs");
    assert!(
        out.status.success(),
        "mcs failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&partial, &exe).unwrap();
    exe
}

/// Program.exe, compiled once for all tests.
fn program() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let csharp = common::root().join("examples/csharp");
        compile(
            "Program.exe",
            &[csharp.join("Tilmelding.cs"), csharp.join("Program.cs")],
        )
    })
}

/// Runs `mono exe args`, finding libtilmelding.so through LD_LIBRARY_PATH.
fn mono<S: AsRef<std::ffi::OsStr>>(exe: &Path, args: &[S]) -> Output {
    Command::new("mono")
        .arg(exe)
        .args(args)
        .env("LD_LIBRARY_PATH", library_dir())
        .output()
        .expect("running mono")
}

fn stdout_lines(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "mono failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The fixture index under a non-ASCII name, to check the path goes over as UTF-8.
fn fixture_with_danish_name() -> (tempfile::TempDir, PathBuf) {
    let (dir, plain) = fixture_index();
    let index = dir.path().join("tilmeldingsliste-æøå.tlm");
    std::fs::rename(&plain, &index).unwrap();
    (dir, index)
}

#[test]
fn lookups_match_the_table_and_the_cli() {
    if !have_mono() {
        return;
    }
    let (_dir, index) = fixture_with_danish_name();
    // One process per material and date.
    let mut groups: BTreeMap<(String, String), Vec<Lookup>> = BTreeMap::new();
    for row in lookups() {
        groups
            .entry((row.material.clone(), row.date.clone()))
            .or_default()
            .push(row);
    }
    assert!(groups.len() > 1, "lookups.tsv has too few rows");
    for ((material, date), rows) in &groups {
        let mut args = vec![
            "lookup".to_owned(),
            index.display().to_string(),
            material.clone(),
            date.clone(),
        ];
        args.extend(rows.iter().map(|r| r.recipient.clone()));
        let lines = stdout_lines(&mono(program(), &args));
        assert_eq!(lines.len(), rows.len(), "{material} {date}: {lines:?}");
        for (row, line) in rows.iter().zip(&lines) {
            let got = last_two_words(line);
            assert_eq!(got, row.expected, "C# answer to {row:?}: {line:?}");
            assert_eq!(got, cli_answer(&index, row), "C# and CLI differ on {row:?}");
        }
    }
}

/// The table's rows for material 100 on 2026-11-22 whose recipient has
/// `digits` digits, as batch numbers with their expected answers.
fn batch_rows(digits: usize) -> Vec<(String, String)> {
    lookups()
        .into_iter()
        .filter(|r| r.material == "100" && r.date == "2026-11-22")
        .filter_map(|r| {
            let number: String = r.recipient.chars().filter(char::is_ascii_digit).collect();
            (number.len() == digits).then(|| {
                // A CPR number is its ten digits read as one integer.
                let number = number.parse::<u64>().unwrap().to_string();
                (number, r.expected)
            })
        })
        .collect()
}

fn check_batch(kind: &str, mut cases: Vec<(String, String)>, invalid: &[&str]) {
    cases.extend(
        invalid
            .iter()
            .map(|n| (n.to_string(), "error invalid_recipient".to_owned())),
    );
    assert!(
        cases.iter().any(|(_, e)| !e.starts_with("error")),
        "{kind}: no valid numbers in lookups.tsv"
    );
    let (_dir, index) = fixture_index();
    let mut args = vec![
        "batch".to_owned(),
        index.display().to_string(),
        "100".to_owned(),
        "2026-11-22".to_owned(),
        kind.to_owned(),
    ];
    args.extend(cases.iter().map(|(n, _)| n.clone()));
    let lines = stdout_lines(&mono(program(), &args));
    assert_eq!(lines.len(), cases.len(), "{kind}: {lines:?}");
    for ((number, expected), line) in cases.iter().zip(&lines) {
        assert!(line.starts_with(number.as_str()), "{line:?}");
        assert_eq!(&last_two_words(line), expected, "{kind} {number}: {line:?}");
    }
}

#[test]
fn batch_answers_cpr_numbers_per_element() {
    if !have_mono() {
        return;
    }
    // 32nd day; more than ten digits.
    check_batch("cpr", batch_rows(10), &["3201901234", "10101901234"]);
}

#[test]
fn batch_answers_cvr_numbers_per_element() {
    if !have_mono() {
        return;
    }
    // Bad check digit; leading zero (only seven digits).
    check_batch("cvr", batch_rows(8), &["12345678", "1015081"]);
}

#[test]
fn batch_audience_mismatch_answers_every_recipient() {
    if !have_mono() {
        return;
    }
    let (_dir, index) = fixture_index();
    let index = index.display().to_string();
    // Material 600 has no group for citizens (lookups.tsv).
    let args = [
        "batch",
        &index,
        "600",
        "2026-11-22",
        "cpr",
        "101901234",
        "202902345",
    ];
    let lines = stdout_lines(&mono(program(), &args));
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert_eq!(last_two_words(line), "error audience_mismatch", "{line:?}");
    }
}

#[test]
fn opening_a_missing_file_fails_naming_it() {
    if !have_mono() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Non-ASCII, and long enough that the message does not fit the first
    // buffer the bindings try (256 bytes).
    let missing = dir
        .path()
        .join("d".repeat(200))
        .join(format!("mangler-æøå-{}.tlm", "x".repeat(100)));
    let missing = missing.to_str().unwrap();
    let out = mono(
        program(),
        &["lookup", missing, "100", "today", "0101901234"],
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains(missing),
        "stderr does not name {missing}: {stderr}"
    );
}

#[test]
fn api_reports_info_snapshot_and_disposal() {
    if !have_mono() {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("csharp_example");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("ApiCheck.cs");
    std::fs::write(&source, API_CHECK).unwrap();
    let exe = compile(
        "ApiCheck.exe",
        &[common::root().join("examples/csharp/Tilmelding.cs"), source],
    );
    let (_tmp, index) = fixture_with_danish_name();
    let got: BTreeMap<String, String> = stdout_lines(&mono(&exe, &[&index]))
        .iter()
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();

    let info = Command::new(env!("CARGO_BIN_EXE_tilmelding"))
        .args(["info", "--json"])
        .arg(&index)
        .output()
        .unwrap();
    assert!(info.status.success());
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let expected = [
        ("snapshot_id", text(&info["snapshot_id"])),
        ("format_version", text(&info["format_version"])),
        ("materials", text(&info["materials"])),
        ("groups", text(&info["groups"])),
        ("sender_systems", text(&info["sender_systems"])),
        ("cpr", text(&info["cpr"]["recipients"])),
        ("cvr", text(&info["cvr"]["recipients"])),
        ("file_size", text(&info["file_size"])),
        ("as_of", text(&info["as_of"])),
        ("build_time", text(&info["build_time"])),
        ("version", env!("CARGO_PKG_VERSION").to_owned()),
        ("lookup", "Digital/Registered".to_owned()),
        ("empty_batch", "0".to_owned()),
        ("invalid", "InvalidRecipient False".to_owned()),
        ("nul", "ArgumentException".to_owned()),
        ("bad_kind", "InvalidArgument".to_owned()),
        ("long_message", "UnknownMaterial True".to_owned()),
        ("disposed", "ObjectDisposedException".to_owned()),
    ];
    for (key, value) in expected {
        assert_eq!(got.get(key), Some(&value), "{key}; all: {got:?}");
    }
}

/// `Name = value` entries of the block that follows `opening` in `text`, up to `}`.
fn entries(text: &str, opening: &str) -> BTreeMap<String, u64> {
    let start = text
        .find(opening)
        .unwrap_or_else(|| panic!("no {opening:?}"));
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('}'))
        .filter_map(|l| {
            let (name, value) = l.trim().trim_end_matches(',').split_once(" = ")?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// `SenderCertificateExpired` -> `SENDER_CERTIFICATE_EXPIRED`.
fn upper_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[test]
fn csharp_enums_mirror_the_header() {
    let root = common::root();
    let header = std::fs::read_to_string(root.join("include/tilmelding.h")).unwrap();
    let csharp = std::fs::read_to_string(root.join("examples/csharp/Tilmelding.cs")).unwrap();
    let kinds: BTreeMap<String, u64> = header
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("#define TLM_RECIPIENT_")?;
            let (name, value) = rest.split_once(' ')?;
            Some((format!("TLM_RECIPIENT_{name}"), value.trim().parse().ok()?))
        })
        .collect();
    let cases = [
        (
            "ResultCode : uint",
            entries(&header, "enum tlm_result\n"),
            "TLM_",
        ),
        (
            "Channel : byte",
            entries(&header, "enum tlm_channel\n"),
            "TLM_CHANNEL_",
        ),
        (
            "Reason : byte",
            entries(&header, "enum tlm_reason\n"),
            "TLM_REASON_",
        ),
        ("RecipientKind : uint", kinds, "TLM_RECIPIENT_"),
    ];
    for (csharp_enum, in_header, prefix) in cases {
        assert!(
            !in_header.is_empty(),
            "{csharp_enum}: nothing in the header"
        );
        let in_csharp: BTreeMap<String, u64> =
            entries(&csharp, &format!("public enum {csharp_enum}\n"))
                .into_iter()
                .map(|(name, value)| (format!("{prefix}{}", upper_snake(&name)), value))
                .collect();
        assert_eq!(
            in_csharp, in_header,
            "C# enum {csharp_enum} differs from the header"
        );
    }
}
