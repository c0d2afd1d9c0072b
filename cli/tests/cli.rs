//! The `tilmelding` command line, driven as an operator would.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{data, fixture_index, stderr, stdout, tilmelding};

use std::io::Write as _;

/// Rows of tests/data/lookups.tsv: material, recipient, date, expected answer.
fn expected_lookups() -> Vec<[String; 4]> {
    std::fs::read_to_string(data("lookups.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            [f[0], f[1], f[2], f[3]].map(str::to_owned)
        })
        .collect()
}

#[test]
fn lookup_answers_every_step_of_the_table() {
    let (_dir, index) = fixture_index();
    for [material, recipient, date, expected] in expected_lookups() {
        let out = tilmelding(&[
            "lookup",
            index.to_str().unwrap(),
            "--material",
            &material,
            "--date",
            &date,
            "--json",
            &recipient,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let line: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(line["material"], material.as_str());
        let got = match line.get("error") {
            Some(e) => {
                assert_eq!(
                    line["recipient"],
                    recipient.as_str(),
                    "errors echo the input"
                );
                format!("error {}", e.as_str().unwrap())
            }
            None => {
                let normalized = recipient.replace(['-', ' '], "").replace("DK", "");
                assert_eq!(line["recipient"], normalized.as_str());
                format!(
                    "{} {}",
                    line["channel"].as_str().unwrap(),
                    line["reason"].as_str().unwrap()
                )
            }
        };
        assert_eq!(
            got, expected,
            "material {material}, recipient {recipient}, {date}"
        );
    }
}

#[test]
fn lookup_reads_a_batch_in_input_order() {
    let (dir, index) = fixture_index();
    let rows: Vec<_> = expected_lookups()
        .into_iter()
        .filter(|[m, _, d, _]| m == "100" && d == "2026-11-22")
        .collect();
    let batch = dir.path().join("batch.txt");
    let list: String = rows.iter().map(|r| format!("{}\n", r[1])).collect();
    std::fs::write(&batch, format!("# recipients\n\n{list}")).unwrap();
    let args = [
        "lookup",
        index.to_str().unwrap(),
        "--material",
        "100",
        "--date",
        "2026-11-22",
    ];

    let from_file = tilmelding(&[&args[..], &["--batch", batch.to_str().unwrap()]].concat());
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    let lines: Vec<String> = stdout(&from_file).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), rows.len());
    for (line, row) in lines.iter().zip(&rows) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[1..].join(" "), row[3], "{line}");
    }

    let mut child = Command::new(env!("CARGO_BIN_EXE_tilmelding"))
        .args([&args[..], &["--batch", "-"]].concat())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let from_stdin = child.wait_with_output().unwrap();
    assert!(from_stdin.status.success());
    assert_eq!(stdout(&from_stdin), stdout(&from_file));
}

#[test]
fn info_and_verify_describe_the_index() {
    let (_dir, index) = fixture_index();
    let out = tilmelding(&["info", index.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let info: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(info["format_version"], "3.0");
    assert_eq!(info["as_of"], "2026-11-22T05:00:00Z");
    assert_eq!(info["materials"], 6);
    assert_eq!(info["groups"], 3);
    assert_eq!(info["sender_systems"], 3);
    assert_eq!(info["cpr"]["recipients"], 7);
    assert_eq!(info["cpr"]["by_status"]["exempt"], 2);
    assert_eq!(info["cpr"]["pending_registration"], 1);
    assert_eq!(info["cpr"]["nemsms"], 1);
    assert_eq!(info["cpr"]["exemption_windows"], 1);
    assert_eq!(info["cvr"]["recipients"], 2);
    assert_eq!(info["snapshot_id"].as_str().unwrap().len(), 64);
    assert_eq!(info["file_size"], std::fs::metadata(&index).unwrap().len());

    let human = tilmelding(&["info", index.to_str().unwrap()]);
    assert!(stdout(&human).contains(info["snapshot_id"].as_str().unwrap()));

    let verify = tilmelding(&["verify", index.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(stdout(&verify).starts_with("ok: "));
}

#[test]
fn the_same_data_gives_the_same_snapshot_id() {
    let (_a, first) = fixture_index();
    let (_b, second) = fixture_index();
    let id = |path: &Path| {
        let out = tilmelding(&["info", path.to_str().unwrap(), "--json"]);
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()["snapshot_id"].clone()
    };
    assert_eq!(id(&first), id(&second));
}

#[test]
fn verify_and_lookup_refuse_a_damaged_index() {
    let (_dir, index) = fixture_index();
    let mut bytes = std::fs::read(&index).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&index, &bytes).unwrap();
    for args in [
        vec!["verify", index.to_str().unwrap()],
        vec![
            "lookup",
            index.to_str().unwrap(),
            "--material",
            "100",
            "0101901234",
        ],
        vec!["info", index.to_str().unwrap()],
    ] {
        let out = tilmelding(&args);
        assert!(!out.status.success(), "{args:?} accepted a damaged index");
        assert!(stderr(&out).contains("corrupt"), "{}", stderr(&out));
    }
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&index, &bytes).unwrap();
    let out = tilmelding(&["verify", index.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("truncated"), "{}", stderr(&out));
}

#[test]
fn build_rejects_bad_lines_with_masked_cpr_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = dir.path().join("contacts.csv");
    std::fs::write(
        &contacts,
        "id;status;nemsms\n\
         0101901234;registered;true\n\
         3102901234;registered;\n\
         0202904321;sleeping;\n\
         0303903456;registered;maybe\n\
         0101901234;exempt;\n\
         12345678;registered;\n",
    )
    .unwrap();
    let index = dir.path().join("out.tlm");
    let build = |extra: &[&str]| {
        tilmelding(
            &[
                &[
                    "build",
                    "--catalog",
                    &data("catalog.toml"),
                    "--contacts",
                    contacts.to_str().unwrap(),
                    "-o",
                    index.to_str().unwrap(),
                ][..],
                extra,
            ]
            .concat(),
        )
    };
    let out = build(&[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    for expected in [
        "6 line(s) rejected",
        "line 3, field `id`: \"310290xxxx\"",
        "line 4, field `status`: \"sleeping\"",
        "line 5, field `nemsms`: \"maybe\"",
        "line 2, field `id`: 010190-xxxx appears on 2 lines (2, 6)",
        "line 6, field `id`",
        "line 7, field `id`: \"123456xx\"",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    for full in ["0101901234", "3102901234", "0202904321", "0303903456"] {
        assert!(!err.contains(full), "a full CPR number in:\n{err}");
    }
    assert!(!index.exists(), "a failed build wrote an index");

    let rejected = dir.path().join("rejected.txt");
    let out = build(&["--skip-invalid", rejected.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("rejected 6 line(s)"),
        "{}",
        stdout(&out)
    );
    let listed = std::fs::read_to_string(&rejected).unwrap();
    assert_eq!(listed.lines().count(), 6, "{listed}");
    assert!(!listed.contains("0101901234"));
    let info = tilmelding(&["info", index.to_str().unwrap(), "--json"]);
    let info: serde_json::Value = serde_json::from_str(&stdout(&info)).unwrap();
    assert_eq!(
        info["cpr"]["recipients"], 0,
        "only bad lines, so nothing was indexed"
    );
}

#[test]
fn build_reads_gzip_commas_and_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let csv = std::fs::read_to_string(data("contacts.csv"))
        .unwrap()
        .replace(';', ",");
    let gz = dir.path().join("contacts.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(b"\xEF\xBB\xBF").unwrap();
    encoder
        .write_all(csv.replace('\n', "\r\n").as_bytes())
        .unwrap();
    encoder.finish().unwrap();
    let index = dir.path().join("gz.tlm");
    let out = tilmelding(&[
        "build",
        "--catalog",
        &data("catalog.toml"),
        "--contacts",
        gz.to_str().unwrap(),
        "-o",
        index.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (_fixture_dir, fixture) = fixture_index();
    let answers = |index: &Path| {
        stdout(&tilmelding(&[
            "lookup",
            index.to_str().unwrap(),
            "--material",
            "100",
            "--date",
            "2026-11-22",
            "0101901234",
            "0707907890",
            "12345674",
        ]))
    };
    assert_eq!(answers(&index), answers(&fixture));
}

#[test]
fn build_refuses_to_overwrite_a_file_that_is_not_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("contacts-copy.csv");
    std::fs::write(&precious, "id;status\n").unwrap();
    let args = |force: bool| {
        let mut a = vec![
            "build".to_owned(),
            "--catalog".into(),
            data("catalog.toml"),
            "--contacts".into(),
            data("contacts.csv"),
            "-o".into(),
            precious.display().to_string(),
        ];
        if force {
            a.push("--force".into());
        }
        a
    };
    let out = Command::new(env!("CARGO_BIN_EXE_tilmelding"))
        .args(args(false))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a tilmelding index"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "id;status\n");
    let out = Command::new(env!("CARGO_BIN_EXE_tilmelding"))
        .args(args(true))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn index_files_are_readable_by_owner_and_group_only() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, index) = fixture_index();
    let mode = std::fs::metadata(&index).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn usage_and_io_problems_exit_non_zero() {
    let missing = tilmelding(&[
        "lookup",
        "/nonexistent/index.tlm",
        "--material",
        "1",
        "0101901234",
    ]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("/nonexistent/index.tlm"));
    let (_dir, index) = fixture_index();
    let bad_date = tilmelding(&[
        "lookup",
        index.to_str().unwrap(),
        "--material",
        "100",
        "--date",
        "2026-02-30",
        "0101901234",
    ]);
    assert!(!bad_date.status.success());
    let no_recipients = tilmelding(&["lookup", index.to_str().unwrap(), "--material", "100"]);
    assert!(!no_recipients.status.success());
}

#[test]
fn generate_then_build_then_verify() {
    let dir = tempfile::tempdir().unwrap();
    let out = tilmelding(&[
        "generate",
        "--out",
        dir.path().to_str().unwrap(),
        "--citizens",
        "20000",
        "--companies",
        "3000",
        "--seed",
        "9",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let index = dir.path().join("national.tlm");
    let out = tilmelding(&[
        "build",
        "--catalog",
        dir.path().join("catalog.toml").to_str().unwrap(),
        "--contacts",
        dir.path().join("contacts.csv").to_str().unwrap(),
        "-o",
        index.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("23,000 recipients"),
        "{}",
        stdout(&out)
    );
    let out = tilmelding(&["verify", index.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn demo_runs_end_to_end() {
    let out = tilmelding(&[
        "demo",
        "--citizens",
        "20000",
        "--companies",
        "3000",
        "--lookups",
        "10000",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "23,000 recipients",
        "lookups",
        "digital   registered",
        "physical  exempt",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn a_maximum_age_makes_a_stale_list_refuse_to_decide() {
    let (_dir, index) = fixture_index();
    let index = index.to_str().unwrap();
    // The fixture's list is as of 2026-11-22T05:00Z, so one second is too old
    // and a hundred thousand hours is not.
    let stale = tilmelding(&[
        "lookup",
        index,
        "--material",
        "100",
        "--max-age",
        "1s",
        "--json",
        "0101901234",
    ]);
    assert!(stale.status.success());
    let line: serde_json::Value = serde_json::from_str(stdout(&stale).trim()).unwrap();
    assert_eq!(line["error"], "stale_index");
    let fresh = tilmelding(&[
        "lookup",
        index,
        "--material",
        "100",
        "--max-age",
        "100000h",
        "--date",
        "2026-11-22",
        "0101901234",
    ]);
    assert_eq!(
        stdout(&fresh).split_whitespace().collect::<Vec<_>>(),
        ["0101901234", "digital", "registered"]
    );

    let info = tilmelding(&["info", index, "--json", "--max-age", "1s"]);
    let info: serde_json::Value = serde_json::from_str(&stdout(&info)).unwrap();
    assert_eq!(
        (info["stale"].as_bool(), info["max_age_seconds"].as_u64()),
        (Some(true), Some(1))
    );
    let info = tilmelding(&["info", index, "--json"]);
    let info: serde_json::Value = serde_json::from_str(&stdout(&info)).unwrap();
    assert_eq!(
        (info["stale"].as_bool(), info["max_age_seconds"].is_null()),
        (Some(false), true)
    );
    let human = stdout(&tilmelding(&["info", index]));
    assert!(human.contains("max age      off"), "{human}");

    let bad = tilmelding(&[
        "lookup",
        index,
        "--material",
        "100",
        "--max-age",
        "soon",
        "0101901234",
    ]);
    assert!(!bad.status.success());
}

#[test]
fn build_reads_ngdp_pages_and_ndjson_and_says_what_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("ngdp.tlm");
    let index = index.to_str().unwrap();
    let page = data("ngdp/page-0.json");
    let catalog = data("catalog.toml");
    let build = |extra: &[&str]| {
        let mut args = vec!["build", "--catalog", &catalog, "-o", index];
        args.extend_from_slice(extra);
        tilmelding(&args)
    };
    let out = build(&["--contacts", &page]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(": 3 recipients from 3 contacts on 1 pages,"),
        "{}",
        stdout(&out)
    );
    let answer = stdout(&tilmelding(&[
        "lookup",
        index,
        "--material",
        "100",
        "--date",
        "2026-11-22",
        "0101654321",
    ]));
    assert_eq!(
        answer.split_whitespace().collect::<Vec<_>>(),
        ["0101654321", "physical", "exempt"]
    );

    // The page given twice is page 0 twice: refused, naming it.
    let out = build(&["--contacts", &page, &page]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("page 0 appears 2 times"),
        "{}",
        stderr(&out)
    );

    // NDJSON needs the count the download saw.
    let ndjson = dir.path().join("contacts.ndjson");
    let text = std::fs::read_to_string(&page).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let lines: Vec<String> = value["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    std::fs::write(&ndjson, lines.join("\n")).unwrap();
    let ndjson = ndjson.to_str().unwrap();
    let out = build(&["--contacts", ndjson]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--expect-contacts N"),
        "{}",
        stderr(&out)
    );
    let out = build(&["--contacts", ndjson, "--expect-contacts", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("from 3 NDJSON contacts"),
        "{}",
        stdout(&out)
    );
    let out = build(&["--contacts", ndjson, "--contacts-format", "csv"]);
    assert!(!out.status.success());
    let out = build(&["--contacts", ndjson, "--contacts-format", "xml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn diff_base_and_guard_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (_fixture_dir, fixture) = fixture_index();
    let fixture = fixture.to_str().unwrap();
    let page = data("ngdp/page-0.json");
    let on_base = dir.path().join("on-base.tlm");
    let on_base = on_base.to_str().unwrap();
    // A delta on the fixture: the page's three contacts added, the catalog kept.
    let out = tilmelding(&[
        "build",
        "--base",
        fixture,
        "--contacts",
        &page,
        "-o",
        on_base,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("recipients kept from"),
        "{}",
        stdout(&out)
    );
    let info = stdout(&tilmelding(&["info", on_base]));
    let fixture_info = stdout(&tilmelding(&["info", fixture, "--json"]));
    let fixture_info: serde_json::Value = serde_json::from_str(&fixture_info).unwrap();
    let snapshot = fixture_info["snapshot_id"].as_str().unwrap();
    assert!(
        info.contains(&format!(
            "built on     {snapshot} (a delta on that snapshot)"
        )),
        "{info}"
    );
    assert!(info.contains("newest       2025-10-20T07:00:00Z"), "{info}");

    let list = dir.path().join("changed.txt");
    let out = tilmelding(&[
        "diff",
        fixture,
        on_base,
        "--json",
        "--list",
        list.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let value: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(value["recipients"]["cpr"]["added"], 2);
    assert_eq!(value["recipients"]["cvr"]["added"], 1);
    assert_eq!(value["recipients"]["cpr"]["removed"], 0);
    assert_eq!(
        value["catalog"]["materials"]["changed"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let listed = std::fs::read_to_string(&list).unwrap();
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        ["0101654321", "1103851234", "29714681"]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&list).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    let text = stdout(&tilmelding(&["diff", fixture, on_base]));
    assert!(text.starts_with("CPR: "), "{text}");
    assert!(!text.contains("1103851234"), "{text}");

    // The guard: the page alone against the fixture is a large change.
    let guarded = dir.path().join("guarded.tlm");
    let out = tilmelding(&[
        "build",
        "--catalog",
        &data("catalog.toml"),
        "--contacts",
        &page,
        "--guard",
        fixture,
        "--max-change",
        "5",
        "-o",
        guarded.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("differs too much from"),
        "{}",
        stderr(&out)
    );
    assert!(!guarded.exists());
    let out = tilmelding(&[
        "build",
        "--catalog",
        &data("catalog.toml"),
        "--contacts",
        &page,
        "--guard",
        fixture,
        "--max-change",
        "1000",
        "-o",
        guarded.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("guard: "), "{}", stdout(&out));
}

#[test]
fn completions_and_man_pages_come_from_the_command_line_itself() {
    for (shell, marker) in [
        ("bash", "complete -F _tilmelding"),
        ("zsh", "#compdef tilmelding"),
        ("fish", "complete -c tilmelding"),
    ] {
        let out = tilmelding(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        assert!(
            script.contains("--max-change"),
            "{shell}: build's options are missing"
        );
    }
    let out = tilmelding(&["completions", "tcsh"]);
    assert!(!out.status.success());

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = tilmelding(&["manpages", pages.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    for command in [
        "build", "lookup", "info", "verify", "diff", "generate", "demo",
    ] {
        let page = std::fs::read_to_string(pages.join(format!("tilmelding-{command}.1"))).unwrap();
        assert!(page.starts_with(".ie") || page.contains(".TH"), "{command}");
        assert!(
            page.contains(&format!("tilmelding\\-{command}")),
            "{command}"
        );
    }
    let main = std::fs::read_to_string(pages.join("tilmelding.1")).unwrap();
    assert!(main.contains("lookup") && !main.contains("manpages"));
    // The hidden command has no page and is not in the help.
    assert!(!pages.join("tilmelding-manpages.1").exists());
    assert!(!stdout(&tilmelding(&["--help"])).contains("manpages"));
}

#[test]
fn an_error_says_each_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.tlm");
    let out = tilmelding(&["info", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out),
        format!(
            "error: {}: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    let out = tilmelding(&[
        "build",
        "--catalog",
        &data("catalog.toml"),
        "--contacts",
        &data("contacts.csv"),
        "--guard",
        missing.to_str().unwrap(),
        "-o",
        dir.path().join("new.tlm").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).matches("No such file or directory").count(),
        1,
        "{}",
        stderr(&out)
    );
}
