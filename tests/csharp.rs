//! The C# binding (bindings/csharp) and its example (examples/csharp),
//! compiled with Mono's `mcs` and run with `mono` against the fixture index: every row of tests/data/lookups.tsv must
//! get the table's answer and the CLI's, and the same answer through the fast
//! single lookup with a resolved material and a number; batches must answer
//! per element, open failures must name the file, and a `Reader` must follow
//! an index path that is replaced by rename. The check programs that go
//! beyond the example live in bindings/csharp/tests/.

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

/// Whether Mono is installed (skips locally, fails under CI=true).
fn have_mono() -> bool {
    have_tool("mcs", "--version", INSTALL) && have_tool("mono", "--version", INSTALL)
}

/// Compiles `sources` with `mcs` into `<target tmp>/csharp/<name>`.
fn compile(name: &str, sources: &[PathBuf]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("csharp");
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

/// The binding, bindings/csharp/Tilmelding.cs.
fn binding() -> PathBuf {
    common::root().join("bindings/csharp/Tilmelding.cs")
}

/// Compiles the check program `<name>.cs` in bindings/csharp/tests/, with
/// the binding and the helpers in `with` (files in the same folder), into
/// `<name>.exe`.
fn compile_check(name: &str, with: &[&str]) -> PathBuf {
    let tests = common::root().join("bindings/csharp/tests");
    let sources: Vec<PathBuf> = [binding(), tests.join(format!("{name}.cs"))]
        .into_iter()
        .chain(with.iter().map(|file| tests.join(file)))
        .collect();
    compile(&format!("{name}.exe"), &sources)
}

/// Program.exe, compiled once for all tests.
fn program() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        compile(
            "Program.exe",
            &[binding(), common::root().join("examples/csharp/Program.cs")],
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
    let exe = compile_check("ApiCheck", &[]);
    let (_tmp, index) = fixture_with_danish_name();
    let resealed = common::resealed_after_change(&index);
    let copy = index.with_file_name("to-load.tlm");
    std::fs::copy(&index, &copy).unwrap();
    let got: BTreeMap<String, String> = stdout_lines(&mono(&exe, &[&index, &resealed, &copy]))
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
        ("verified", text(&info["snapshot_id"])),
        (
            "loaded",
            format!("{} False Digital/Registered", text(&info["snapshot_id"])),
        ),
        ("verify_resealed", "CorruptIndex True".to_owned()),
        ("open_verified_resealed", "CorruptIndex True".to_owned()),
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
    let exe = compile_check("NumberCheck", &["CliText.cs"]);
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

#[test]
fn a_reader_follows_a_replaced_index() {
    if !have_mono() {
        return;
    }
    let exe = compile_check("ReaderCheck", &["CliText.cs"]);
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
    let csharp = std::fs::read_to_string(binding()).unwrap();
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

/// The NuGet package (bindings/csharp/pack.sh, with Debian's `nuget`):
/// packed, unpacked, its source compiled with `mcs` together with the
/// example program, and run against the package's own native library on
/// every row of the table.
#[test]
fn the_nuget_package_answers_from_its_own_files() {
    // `nuget help` waits forever when its output is not a terminal: ask the shell.
    let nuget = Command::new("sh")
        .args(["-c", "command -v nuget"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !nuget {
        common::skip_or_fail("`nuget` is not installed; install it with: apt-get install -y nuget");
    }
    if !have_mono() || !nuget {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(common::root().join("bindings/csharp/pack.sh"))
        .arg(library_dir().join("libtilmelding.so"))
        .arg(dir.path().join("out"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pack.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = env!("CARGO_PKG_VERSION");
    let nupkg = dir.path().join(format!("out/Tilmelding.{version}.nupkg"));
    assert!(nupkg.exists(), "no {}", nupkg.display());
    let unpacked = dir.path().join("unpacked");
    let out = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&nupkg)
        .arg(&unpacked)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let nuspec = std::fs::read_to_string(unpacked.join("Tilmelding.nuspec")).unwrap();
    assert!(
        nuspec.contains(&format!("<version>{version}</version>")),
        "{nuspec}"
    );
    let source = unpacked.join("contentFiles/cs/any/Tilmelding/Tilmelding.cs");
    assert_eq!(
        std::fs::read(&source).unwrap(),
        std::fs::read(binding()).unwrap(),
        "the packaged source is the binding"
    );
    let native = unpacked.join("runtimes/linux-x64/native");
    assert!(native.join("libtilmelding.so").exists());
    for license in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(unpacked.join(license).exists(), "{license}");
    }

    let exe = compile(
        "PackagedProgram.exe",
        &[source, common::root().join("examples/csharp/Program.cs")],
    );
    let (_tmp, index) = fixture_index();
    for ((material, date), rows) in lookups_by_material_and_date() {
        let mut command = Command::new("mono");
        command
            .arg(&exe)
            .args(["lookup", &index.display().to_string(), &material, &date])
            .args(rows.iter().map(|r| &r.recipient))
            .env("LD_LIBRARY_PATH", &native);
        let lines = stdout_lines(&command.output().unwrap());
        assert_eq!(lines.len(), rows.len(), "{material} {date}: {lines:?}");
        for (row, line) in rows.iter().zip(&lines) {
            assert_eq!(last_two_words(line), row.expected, "{row:?}: {line:?}");
        }
    }
}

/// The SDK-style project (for `dotnet pack` where .NET is installed; it
/// cannot be installed here, so it is not built): its version is the
/// crate's, it targets netstandard2.0 and net8.0, and it packs the native
/// library where the NuGet package has it.
#[test]
fn the_csproj_matches_the_crate_and_the_package() {
    let csproj =
        std::fs::read_to_string(common::root().join("bindings/csharp/Tilmelding.csproj")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        csproj.contains(&format!("<Version>{version}</Version>")),
        "Tilmelding.csproj: not version {version}"
    );
    assert!(csproj.contains("<TargetFrameworks>netstandard2.0;net8.0</TargetFrameworks>"));
    assert!(csproj.contains(r#"PackagePath="runtimes/linux-x64/native/""#));
    assert!(csproj.contains(r#"<Compile Remove="tests/**" />"#));
    // XML comments may not hold "--".
    for comment in csproj.split("<!--").skip(1) {
        let body = comment.split("-->").next().unwrap();
        assert!(
            !body.contains("--"),
            "Tilmelding.csproj: a comment holds \"--\""
        );
    }
}
