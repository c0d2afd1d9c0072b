//! The C# bindings (examples/csharp), compiled with Mono's `mcs` and run with
//! `mono` against the fixture index: every row of tests/data/lookups.tsv must
//! get the table's answer and the CLI's, and the same answer through the fast
//! single lookup with a resolved material and a number; batches must answer
//! per element, open failures must name the file, and a `Reader` must follow
//! an index path that is replaced by rename.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::session::follow_a_replaced_index;
use common::{
    fixture_index, have_tool, last_two_words, library_dir, lookups, lookups_by_material_and_date,
    next_index, recipient_number, rust_answer,
};

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
            index.Lookup("10\uD8000", "0101901234");
        }
        catch (ArgumentException e)
        {
            Console.WriteLine("surrogate " + e.ParamName);
        }
        try
        {
            index.LookupBatch("100", (RecipientKind)7, new ulong[] { 101901234 });
        }
        catch (TilmeldingException e)
        {
            Console.WriteLine("bad_kind " + e.Code);
        }
        // A message longer than the first buffer LastErrorMessage tries: a long
        // path (a material ID is cut short in messages).
        string longPath = System.IO.Path.Combine(
            System.IO.Path.GetDirectoryName(args[0]), new string('x', 200), new string('y', 200) + ".tlm");
        try
        {
            Index.Open(longPath);
        }
        catch (TilmeldingException e)
        {
            Console.WriteLine("long_message " + e.Code + " " + e.Message.Contains(longPath));
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

/// Compiles a check program with the bindings: its C# `sources`, joined
/// into `<name>.cs`, into `<name>.exe`.
fn compile_check(name: &str, sources: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("csharp_example");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join(format!("{name}.cs"));
    std::fs::write(&source, sources.concat()).unwrap();
    compile(
        &format!("{name}.exe"),
        &[common::root().join("examples/csharp/Tilmelding.cs"), source],
    )
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

/// `mono exe`, finding libtilmelding.so through LD_LIBRARY_PATH.
fn mono_command(exe: &Path) -> Command {
    let mut command = Command::new("mono");
    command.arg(exe).env("LD_LIBRARY_PATH", library_dir());
    command
}

/// Runs `mono exe args`.
fn mono<S: AsRef<std::ffi::OsStr>>(exe: &Path, args: &[S]) -> Output {
    mono_command(exe).args(args).output().expect("running mono")
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
    let groups = lookups_by_material_and_date();
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
            assert_eq!(
                got,
                rust_answer(&index, row),
                "C# and CLI differ on {row:?}"
            );
        }
    }
}

/// A group of the table for one `number` run: (material, date, kind); its rows
/// are (number, the table's recipient text, expected answer).
type EachKey = (String, String, &'static str);

#[test]
fn number_lookups_match_the_table_and_the_text_path() {
    if !have_mono() {
        return;
    }
    let (_dir, index) = fixture_index();
    let index = index.display().to_string();
    let mut groups: BTreeMap<EachKey, Vec<(String, String, String)>> = BTreeMap::new();
    for row in lookups() {
        if let Some((kind, digits)) = recipient_number(&row.recipient) {
            // The number as the binding takes it: a CPR number's ten digits
            // read as one integer.
            let number = digits.parse::<u64>().unwrap().to_string();
            groups
                .entry((row.material.clone(), row.date.clone(), kind))
                .or_default()
                .push((number, row.recipient.clone(), row.expected.clone()));
        }
    }
    // The table must keep exercising both kinds, answers and every per-letter error.
    let expected: Vec<&str> = groups
        .values()
        .flatten()
        .map(|(_, _, e)| e.as_str())
        .collect();
    for needed in [
        "error invalid_recipient",
        "error audience_mismatch",
        "error unknown_material",
    ] {
        assert!(
            expected.contains(&needed),
            "no {needed:?} row in lookups.tsv"
        );
    }
    assert!(
        expected.iter().any(|e| !e.starts_with("error")),
        "no answered row in lookups.tsv"
    );
    assert!(
        groups.keys().any(|k| k.2 == "cpr") && groups.keys().any(|k| k.2 == "cvr"),
        "lookups.tsv has numbers of both kinds"
    );
    for ((material, date, kind), rows) in &groups {
        let mut by_number = vec!["number", &index, material, date, kind];
        by_number.extend(rows.iter().map(|(number, _, _)| number.as_str()));
        let mut text = vec!["lookup", &index, material, date];
        text.extend(rows.iter().map(|(_, recipient, _)| recipient.as_str()));
        let number_lines = stdout_lines(&mono(program(), &by_number));
        let text_lines = stdout_lines(&mono(program(), &text));
        assert_eq!(
            number_lines.len(),
            rows.len(),
            "{by_number:?}: {number_lines:?}"
        );
        assert_eq!(text_lines.len(), rows.len(), "{text:?}: {text_lines:?}");
        for (((number, recipient, expected), line), text_line) in
            rows.iter().zip(&number_lines).zip(&text_lines)
        {
            assert!(line.starts_with(number.as_str()), "{line:?}");
            let got = last_two_words(line);
            assert_eq!(
                &got, expected,
                "{material} {date} {kind} {number}: {line:?}"
            );
            assert_eq!(
                got,
                last_two_words(text_line),
                "the number path and the text path differ on {material} {date} {recipient}"
            );
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
    let exe = compile_check("ApiCheck", &[API_CHECK]);
    let (_tmp, index) = fixture_with_danish_name();
    let got: BTreeMap<String, String> = stdout_lines(&mono(&exe, &[&index]))
        .iter()
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();

    let info = common::info_json(&index);
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
        ("surrogate", "material".to_owned()),
        ("bad_kind", "InvalidArgument".to_owned()),
        ("long_message", "Io True".to_owned()),
        ("disposed", "ObjectDisposedException".to_owned()),
    ];
    for (key, value) in expected {
        assert_eq!(got.get(key), Some(&value), "{key}; all: {got:?}");
    }
}

/// Answers as the CLI prints them, for the check programs that print
/// answers (`using static CliText;`): joined after a program's source, so
/// it names its types in full.
const CLI_TEXT: &str = r#"
internal static class CliText
{
    /// `channel reason`, or `error code`.
    internal static string Text(Tilmelding.Answer a)
    {
        return a.IsOk ? Snake(a.Channel.ToString()) + " " + Snake(a.Reason.ToString()) : "error " + Snake(a.Result.ToString());
    }

    /// `NotRegistered` -> `not_registered`, `StaleIndex` -> `stale_index`.
    internal static string Snake(string name)
    {
        System.Text.StringBuilder b = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                b.Append('_');
            }
            b.Append(char.ToLowerInvariant(name[i]));
        }
        return b.ToString();
    }
}
"#;

/// Exercises the fast single lookup (`Index.ResolveMaterial` and
/// `Index.Lookup` with a `Material` and a number) beyond the table: the
/// exceptions, a material from another index, a stale list and disposal.
/// Prints `key value` lines for the test to check; answers as the CLI
/// prints them (`CLI_TEXT`). Arguments: the fixture index, an index whose
/// list is old.
const NUMBER_CHECK: &str = r#"
using System;
using System.Threading;
using Tilmelding;
using Index = Tilmelding.Index;
using static CliText;

internal static class NumberCheck
{
    private static readonly DateTime Day = new DateTime(2026, 11, 22);

    private static int Main(string[] args)
    {
        Index index = Index.Open(args[0]);
        Material material = index.ResolveMaterial("100");
        Console.WriteLine("id " + material.Id + " " + material);
        Console.WriteLine("cpr " + Text(index.Lookup(material, RecipientKind.Cpr, 101901234, Day)));
        Console.WriteLine("cvr " + Text(index.Lookup(material, RecipientKind.Cvr, 10150817, Day)));
        // No date: today, on both paths (exempt in the first half of 2026: contacts.csv).
        Console.WriteLine("today_number " + Text(index.Lookup(material, RecipientKind.Cpr, 707907890)));
        Console.WriteLine("today_text " + Text(index.Lookup("100", "0707907890")));
        Report("unknown_material", () => index.ResolveMaterial("999"), "999");
        Report("resolve_null", () => index.ResolveMaterial(null), "");
        Report("resolve_nul", () => index.ResolveMaterial("100\0junk"), "");
        Report("lookup_null", () => index.Lookup((Material)null, RecipientKind.Cpr, 101901234, Day), "");
        // 31 February: the message may show the date part, never the serial.
        Report("invalid_cpr", () => index.Lookup(material, RecipientKind.Cpr, 3102901234, Day), "310290");
        // Bad check digit (a CVR number is not masked: none with "1234" here).
        Report("invalid_cvr", () => index.Lookup(material, RecipientKind.Cvr, 87654321, Day), "");
        Report("bad_kind", () => index.Lookup(material, (RecipientKind)7, 101901234, Day), "kind");

        // The same file opened twice: each index takes only its own materials.
        using (Index other = Index.Open(args[0]))
        {
            Report("other_index", () => other.Lookup(material, RecipientKind.Cpr, 101901234, Day), "");
            Material own = other.ResolveMaterial("100");
            Console.WriteLine("other_own " + Text(other.Lookup(own, RecipientKind.Cpr, 101901234, Day)));
            Report("other_back", () => index.Lookup(own, RecipientKind.Cpr, 101901234, Day), "");
        }

        // An old list: resolving works, lookups refuse while a maximum age is set.
        using (Index old = Index.Open(args[1]))
        {
            old.SetMaxAge(TimeSpan.FromSeconds(1));
            Material stale = old.ResolveMaterial("100");
            Report("stale", () => old.Lookup(stale, RecipientKind.Cpr, 101901234, Day), "");
            old.SetMaxAge(null);
            Console.WriteLine("fresh " + Text(old.Lookup(stale, RecipientKind.Cpr, 101901234, Day)));
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
                        index.Lookup(material, RecipientKind.Cpr, 101901234, Day);
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
        foreach (Thread t in threads)
        {
            t.Join();
        }
        Report("disposed_lookup", () => index.Lookup(material, RecipientKind.Cpr, 101901234, Day), "");
        Report("disposed_resolve", () => index.ResolveMaterial("100"), "");
        return 0;
    }

    /// Prints `key` and what `call` threw: a TilmeldingException's code,
    /// whether its message contains "1234" (the serial of the CPR numbers
    /// used) and, unless `naming` is empty, whether it contains `naming`;
    /// another exception's type and parameter or object name.
    private static void Report(string key, Action call, string naming)
    {
        try
        {
            call();
            Console.WriteLine(key + " nothing");
        }
        catch (TilmeldingException e)
        {
            Console.WriteLine(key + " " + e.Code + " serial:" + e.Message.Contains("1234")
                + (naming.Length == 0 ? "" : " naming:" + e.Message.Contains(naming)));
        }
        catch (ArgumentException e)
        {
            Console.WriteLine(key + " " + e.GetType().Name + " " + e.ParamName);
        }
        catch (ObjectDisposedException e)
        {
            Console.WriteLine(key + " " + e.GetType().Name + " " + e.ObjectName);
        }
    }
}
"#;

/// The table's answer for material 100 to `recipient` on 2026-11-22.
fn table_answer(recipient: &str) -> String {
    lookups()
        .into_iter()
        .find(|r| r.material == "100" && r.date == "2026-11-22" && r.recipient == recipient)
        .unwrap_or_else(|| panic!("lookups.tsv has no row for 100, {recipient}, 2026-11-22"))
        .expected
}

#[test]
fn number_lookups_refuse_bad_arguments_other_indexes_and_disposal() {
    if !have_mono() {
        return;
    }
    let exe = compile_check("NumberCheck", &[NUMBER_CHECK, CLI_TEXT]);
    let (tmp, index) = fixture_index();
    let old = next_index(tmp.path());
    let lines = stdout_lines(&mono(&exe, &[&index, &old]));
    let got: BTreeMap<String, String> = lines
        .iter()
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    assert_eq!(got.len(), lines.len(), "a key twice: {lines:?}");
    let today = got.get("today_text").expect("today_text");
    let expected: BTreeMap<&str, String> = [
        ("id", "100 100".to_owned()),
        ("cpr", table_answer("0101901234")),
        ("cvr", table_answer("10150817")),
        ("today_number", today.clone()),
        ("today_text", today.clone()),
        (
            "unknown_material",
            "UnknownMaterial serial:False naming:True".to_owned(),
        ),
        ("resolve_null", "ArgumentNullException id".to_owned()),
        ("resolve_nul", "ArgumentException id".to_owned()),
        ("lookup_null", "ArgumentNullException material".to_owned()),
        (
            "invalid_cpr",
            "InvalidRecipient serial:False naming:True".to_owned(),
        ),
        ("invalid_cvr", "InvalidRecipient serial:False".to_owned()),
        (
            "bad_kind",
            "InvalidArgument serial:False naming:True".to_owned(),
        ),
        ("other_index", "ArgumentException material".to_owned()),
        ("other_own", table_answer("0101901234")),
        ("other_back", "ArgumentException material".to_owned()),
        ("stale", "StaleIndex serial:False".to_owned()),
        // next_index: 0101901234 is closed there.
        ("fresh", "physical closed".to_owned()),
        (
            "disposed_lookup",
            "ObjectDisposedException Tilmelding.Index".to_owned(),
        ),
        (
            "disposed_resolve",
            "ObjectDisposedException Tilmelding.Index".to_owned(),
        ),
    ]
    .into_iter()
    .collect();
    for (key, value) in &expected {
        assert_eq!(got.get(*key), Some(value), "{key}; all: {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected lines: {got:?}");
}

/// Follows a replaced index through the `Reader` API. Reads one command per
/// line on stdin and answers each with one line on stdout, so that the test
/// can rename files between commands (see `follow_a_replaced_index`).
const READER_CHECK: &str = r#"
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using Tilmelding;
using Index = Tilmelding.Index;
using static CliText;

internal static class ReaderCheck
{
    private static readonly DateTime Day = new DateTime(2026, 11, 22);
    private static Reader reader;
    private static Index pinned;

    private static int Main()
    {
        UTF8Encoding utf8 = new UTF8Encoding(false);
        TextReader input = new StreamReader(Console.OpenStandardInput(), utf8);
        StreamWriter output = new StreamWriter(Console.OpenStandardOutput(), utf8);
        output.AutoFlush = true;
        string line;
        while ((line = input.ReadLine()) != null)
        {
            int space = line.IndexOf(' ');
            string command = space < 0 ? line : line.Substring(0, space);
            string arg = space < 0 ? "" : line.Substring(space + 1);
            if (command == "quit")
            {
                return 0;
            }
            string answer;
            try
            {
                answer = Run(command, arg);
            }
            catch (TilmeldingException e)
            {
                answer = "error " + Snake(e.Code.ToString()) + ": " + e.Message;
            }
            catch (Exception e)
            {
                answer = "exception " + e.GetType().Name + ": " + e.Message;
            }
            output.WriteLine(answer.Replace('\n', ' '));
        }
        return 1;
    }

    private static string Run(string command, string arg)
    {
        switch (command)
        {
            case "open":
                Reader opened = Reader.Open(arg);
                if (reader != null)
                {
                    reader.Dispose();
                }
                reader = opened;
                return "ok";
            case "lookup":
                return Text(reader.Lookup("100", "0101901234", Day));
            case "batch":
                Answer[] answers = reader.LookupBatch("100", RecipientKind.Cpr, new ulong[] { 101901234, 202902345 }, Day);
                return Text(answers[0]) + ", " + Text(answers[1]);
            case "refresh":
                return reader.Refresh() ? "true" : "false";
            case "pin":
                if (pinned != null)
                {
                    pinned.Dispose();
                }
                pinned = reader.Current();
                return pinned.SnapshotId;
            case "pinned":
                return Text(pinned.Lookup("100", "0101901234", Day));
            case "current":
                using (Index index = reader.Current())
                {
                    return index.SnapshotId;
                }
            case "current-lookup":
                using (Index index = reader.Current())
                {
                    return Text(index.Lookup("100", "0101901234", Day));
                }
            case "max-age":
                reader.SetMaxAge(MaxAge(arg));
                return "ok";
            case "index-max-age":
                using (Index index = reader.Current())
                {
                    index.SetMaxAge(MaxAge(arg));
                }
                return "ok";
            case "every":
                reader.RefreshEvery(TimeSpan.FromMilliseconds(double.Parse(arg, CultureInfo.InvariantCulture)));
                return "ok";
            case "error":
                string error = reader.RefreshError;
                return error == null ? "none" : "some " + error;
            case "close":
                return Close();
            case "unreferenced":
                return Unreferenced(arg);
            default:
                return "unknown command " + command;
        }
    }

    private static TimeSpan? MaxAge(string arg)
    {
        if (arg == "off")
        {
            return null;
        }
        return TimeSpan.FromSeconds(double.Parse(arg, CultureInfo.InvariantCulture));
    }

    /// Disposes the reader while other threads look up on it: each call either
    /// completes or throws ObjectDisposedException, never crashes. Then every
    /// method must throw ObjectDisposedException.
    private static string Close()
    {
        Reader r = reader;
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
                        r.LookupBatch("100", RecipientKind.Cpr, new ulong[] { 101901234, 202902345 }, Day);
                        r.Lookup("100", "0101901234", Day);
                        try
                        {
                            r.Refresh();
                        }
                        catch (TilmeldingException)
                        {
                            // No file at the path: the reader keeps serving.
                        }
                        Interlocked.Increment(ref calls);
                    }
                }
                catch (ObjectDisposedException)
                {
                }
            });
            threads[t].Start();
        }
        while (Interlocked.Read(ref calls) < 200)
        {
            Thread.Sleep(1);
        }
        r.Dispose();
        r.Dispose();
        foreach (Thread t in threads)
        {
            t.Join();
        }
        List<Action> calls_after = new List<Action>
        {
            () => r.Lookup("100", "0101901234", Day),
            () => r.LookupBatch("100", RecipientKind.Cpr, new ulong[1], Day),
            () => r.Refresh(),
            () => r.RefreshEvery(TimeSpan.FromSeconds(1)),
            () => { string unused = r.RefreshError; },
            () => r.SetMaxAge(null),
            () => r.Current().Dispose(),
        };
        SortedSet<string> thrown = new SortedSet<string>();
        foreach (Action call in calls_after)
        {
            try
            {
                call();
                thrown.Add("nothing");
            }
            catch (Exception e)
            {
                thrown.Add(e.GetType().Name);
            }
        }
        return "closed " + string.Join(",", thrown);
    }

    /// Opens readers with a background refresh and drops them undisposed: the
    /// finalizer closes them, which stops their refresh threads.
    private static string Unreferenced(string path)
    {
        int before = RefreshThreads();
        OpenAndDrop(path, 3);
        // A new thread names itself when it starts: wait for the names.
        int during = RefreshThreads();
        for (int i = 0; i < 100 && during < before + 3; i++)
        {
            Thread.Sleep(20);
            during = RefreshThreads();
        }
        int after = during;
        for (int i = 0; i < 100 && after != before; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(50);
            after = RefreshThreads();
        }
        return before + " " + during + " " + after;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OpenAndDrop(string path, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Reader.Open(path).RefreshEvery(TimeSpan.FromMilliseconds(20));
        }
    }

    /// The threads of this process that are background refreshes (Linux).
    private static int RefreshThreads()
    {
        int n = 0;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("tilmelding-ref"))
                {
                    n++;
                }
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }
        return n;
    }
}
"#;

#[test]
fn a_reader_follows_a_replaced_index() {
    if !have_mono() {
        return;
    }
    let exe = compile_check("ReaderCheck", &[READER_CHECK, CLI_TEXT]);
    follow_a_replaced_index(
        mono_command(&exe),
        "ArgumentOutOfRangeException",
        "ObjectDisposedException",
    );
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
