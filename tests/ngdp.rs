//! Building from NgDP's contact register: the golden page of NGDP.md, the
//! mapping's variants, the same register as pages and as CSV answering
//! alike, and every way an extract can be incomplete or wrong.

mod common;

use std::path::{Path, PathBuf};

use common::personal::assert_no_cpr;
use proptest::prelude::*;
use serde_json::{Value, json};
use tilmelding::{
    BuildError, BuildOptions, BuildReport, Channel, ContactsFormat, Date, Index, Reason, Recipient,
    RecipientKind,
};

fn catalog() -> PathBuf {
    common::root().join("tests/data/catalog.toml")
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

/// Builds `contacts` into `dir/index.tlm` with `options` (as of 2026-11-22).
fn build_with(
    dir: &Path,
    contacts: &[PathBuf],
    options: BuildOptions,
) -> Result<(Index, BuildReport), BuildError> {
    let out = dir.join("index.tlm");
    let options = BuildOptions {
        as_of: Some(1_795_330_800),
        ..options
    };
    let report = tilmelding::build(&catalog(), contacts, &out, &options, &mut |_| {})?;
    Ok((Index::open(&out).unwrap(), report))
}

fn build(dir: &Path, contacts: &[PathBuf]) -> Result<(Index, BuildReport), BuildError> {
    build_with(dir, contacts, BuildOptions::default())
}

/// `channel reason` for `recipient`, or the error's name.
fn answer(index: &Index, material: &str, recipient: &str, day: &str) -> String {
    let recipient: Recipient = recipient.parse().unwrap();
    match index.lookup(material, &recipient, date(day)) {
        Ok(a) => format!("{} {}", a.channel.as_str(), a.reason.as_str()),
        Err(e) => format!("error {}", e.as_str()),
    }
}

/// A page of `contacts` as NgDP writes it.
fn page(current: u64, total_pages: u64, total_elements: u64, contacts: &[Value]) -> Value {
    json!({
        "currentPage": current, "totalPages": total_pages,
        "elementsOnPage": contacts.len(), "totalElements": total_elements,
        "next": "WyAxNzYyMTUwMzY1MTE4LCAiUW05bmRYTlVjbUZ1YzJGamRHbHZia2xrTURBd01EUXgiIF0=",
        "contacts": contacts,
    })
}

/// A citizen with a mailbox subscription of these statuses.
fn citizen(cpr: &str, public: &str, registration: &str) -> Value {
    json!({
        "id": "0b5e3c1a-0000-4000-8000-000000000009", "version": 1, "type": "CITIZEN",
        "cprNumber": cpr, "eligibleForVoluntaryRegistration": false,
        "mailboxSubscription": {"registrationStatus": registration, "publicRegistrationStatus": public},
        "lastUpdated": "2025-10-01T08:00:00.000Z",
    })
}

/// Fails if `text` shows a CPR number, the mobile number or the street of
/// the tests' contacts.
fn no_personal_data(text: &str) {
    assert_no_cpr("message", text);
    for secret in ["1103851234", "110385-1234", "29999999", "Hemmeligvej"] {
        assert!(!text.contains(secret), "message shows {secret}:\n{text}");
    }
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
    path
}

#[test]
fn the_golden_page_answers_as_its_contacts_say() {
    let dir = tempfile::tempdir().unwrap();
    let golden = common::root().join("tests/data/ngdp/page-0.json");
    let (index, report) = build(dir.path(), &[golden]).unwrap();
    assert_eq!(report.format, ContactsFormat::NgdpPages);
    assert_eq!((report.records, report.pages, report.contacts), (3, 1, 3));
    let day = "2026-11-22";
    assert_eq!(
        answer(&index, "100", "1103851234", day),
        "digital registered"
    );
    // Verified NemSMS number.
    assert_eq!(
        answer(&index, "400", "1103851234", day),
        "nemsms registered"
    );
    // Exempt since 2024-03-01, open-ended.
    assert_eq!(answer(&index, "100", "0101654321", day), "physical exempt");
    assert_eq!(
        answer(&index, "100", "0101654321", "2024-02-29"),
        "digital registered"
    );
    assert_eq!(answer(&index, "100", "29714681", day), "digital registered");
    assert_eq!(
        answer(&index, "100", "0202024321", day),
        "physical not_registered"
    );
}

#[test]
fn the_variants_map_as_the_readme_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut pending = citizen("0101901234", "", "");
    pending
        .as_object_mut()
        .unwrap()
        .remove("mailboxSubscription");
    let mut unverified = citizen("0202902345", "REGISTERED", "AUTOMATIC_REGISTRATION");
    unverified["nemSmsSubscription"] =
        json!({"mobileNumber": "29999999", "verificationTime": null});
    let company_window = json!({
        "type": "COMPANY", "cvrNumber": "29714681", "version": 2,
        "mailboxSubscription": {"registrationStatus": "EXEMPT_OTHER_REASON", "publicRegistrationStatus": "EXEMPT",
            "exemptionStart": "2026-01-01", "exemptionEnd": "2026-06-30"},
        "address": {"@type": "CompanyAddress", "streetName": "Eksempelvej", "postalCode": "8000"},
    });
    let contacts = [
        pending,
        citizen("0303903456", "REGISTERED", "UNCONFIRMED_REGISTRATION"),
        company_window,
        citizen("0404904567", "CLOSED", "AUTOMATIC_REGISTRATION"),
        unverified,
        citizen("0505905678", "UNKNOWN", "UNKNOWN"),
        citizen("0606906789", "EXEMPT", "EXEMPT_LEFT_THE_COUNTRY"),
    ];
    let file = write(dir.path(), "p0.json", &page(0, 1, 7, &contacts));
    let (index, _) = build(dir.path(), &[file]).unwrap();
    let day = "2026-11-22";
    assert_eq!(
        answer(&index, "100", "0101901234", day),
        "physical pending_registration"
    );
    assert_eq!(
        answer(&index, "100", "0303903456", day),
        "physical pending_registration"
    );
    assert_eq!(
        answer(&index, "100", "29714681", "2026-03-01"),
        "physical exempt"
    );
    assert_eq!(answer(&index, "100", "29714681", day), "digital registered");
    assert_eq!(answer(&index, "100", "0404904567", day), "physical closed");
    assert_eq!(
        answer(&index, "400", "0202902345", day),
        "physical no_nemsms"
    );
    assert_eq!(
        answer(&index, "100", "0202902345", day),
        "digital registered"
    );
    assert_eq!(
        answer(&index, "100", "0505905678", day),
        "physical not_registered"
    );
    assert_eq!(answer(&index, "100", "0606906789", day), "physical exempt");
}

#[test]
fn pages_in_a_directory_gzip_and_ndjson_give_one_index() {
    let dir = tempfile::tempdir().unwrap();
    let pages_dir = dir.path().join("pages");
    std::fs::create_dir(&pages_dir).unwrap();
    let a = [citizen(
        "0101901234",
        "REGISTERED",
        "AUTOMATIC_REGISTRATION",
    )];
    let b = [citizen("0202902345", "EXEMPT", "EXEMPT_OTHER_REASON")];
    write(&pages_dir, "page-0.json", &page(0, 2, 2, &a));
    let gz = {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder
            .write_all(&serde_json::to_vec(&page(1, 2, 2, &b)).unwrap())
            .unwrap();
        encoder.finish().unwrap()
    };
    std::fs::write(pages_dir.join("page-1.json.gz"), gz).unwrap();
    let (index, report) = build(dir.path(), &[pages_dir]).unwrap();
    assert_eq!((report.pages, report.contacts), (2, 2));
    assert_eq!(
        answer(&index, "100", "0202902345", "2026-11-22"),
        "physical exempt"
    );

    let ndjson = dir.path().join("contacts.ndjson");
    let lines: Vec<String> = a.iter().chain(&b).map(|c| c.to_string()).collect();
    std::fs::write(&ndjson, lines.join("\n") + "\n\n").unwrap();
    let Err(BuildError::Inputs(message)) = build(dir.path(), std::slice::from_ref(&ndjson)) else {
        panic!("NDJSON without a count must fail");
    };
    assert!(message.contains("--expect-contacts"), "{message}");
    let expect = |n| BuildOptions {
        expect_contacts: Some(n),
        ..BuildOptions::default()
    };
    let Err(BuildError::Incomplete { problems }) =
        build_with(dir.path(), std::slice::from_ref(&ndjson), expect(3))
    else {
        panic!("a wrong count must fail");
    };
    assert_eq!(
        problems,
        ["3 contacts were expected, and the extract holds 2"]
    );
    let (index, report) = build_with(dir.path(), &[ndjson], expect(2)).unwrap();
    assert_eq!(report.format, ContactsFormat::NgdpNdjson);
    assert_eq!(
        answer(&index, "100", "0101901234", "2026-11-22"),
        "digital registered"
    );
}

#[test]
fn an_incomplete_extract_is_never_built() {
    let dir = tempfile::tempdir().unwrap();
    let contact = |n: u64| {
        citizen(
            &format!("01019{:05}", n),
            "REGISTERED",
            "AUTOMATIC_REGISTRATION",
        )
    };
    let files: Vec<PathBuf> = [0u64, 1, 4]
        .iter()
        .map(|&n| {
            write(
                dir.path(),
                &format!("p{n}.json"),
                &page(n, 5, 5, &[contact(n)]),
            )
        })
        .collect();
    let error = build(dir.path(), &files).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the extract is incomplete; nothing was written\n  pages 2-3 of 5 missing\n  \
         the pages hold 3 contacts, but totalElements says 5"
    );
    assert!(!dir.path().join("index.tlm").exists());

    // A page given twice, and one that lies about its length.
    let mut twice = files.clone();
    twice.push(files[1].clone());
    let problems = match build(dir.path(), &twice).unwrap_err() {
        BuildError::Incomplete { problems } => problems,
        other => panic!("{other}"),
    };
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("page 1 appears 2 times")),
        "{problems:?}"
    );
    let mut liar = page(0, 1, 2, &[contact(0)]);
    liar["elementsOnPage"] = json!(2);
    let liar = write(dir.path(), "liar.json", &liar);
    let problems = match build(dir.path(), &[liar]).unwrap_err() {
        BuildError::Incomplete { problems } => problems,
        other => panic!("{other}"),
    };
    assert!(
        problems[0].ends_with("page 0 says elementsOnPage 2 but holds 1 contacts"),
        "{problems:?}"
    );
    // A truncated download is a JSON error naming the file.
    let cut = dir.path().join("cut.json");
    let text = serde_json::to_string(&page(0, 1, 1, &[contact(0)])).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let error = build(dir.path(), std::slice::from_ref(&cut))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!("{}:1:", cut.display())),
        "{error}"
    );
    no_personal_data(&error);
}

#[test]
fn the_newest_copy_of_a_repeated_contact_wins() {
    let dir = tempfile::tempdir().unwrap();
    let old = citizen("0101901234", "REGISTERED", "AUTOMATIC_REGISTRATION");
    let mut new = citizen("0101901234", "EXEMPT", "EXEMPT_OTHER_REASON");
    new["lastUpdated"] = json!("2025-11-01T08:00:00.000Z");
    // The newer copy first: order in the files does not matter.
    let file = write(
        dir.path(),
        "p0.json",
        &page(0, 1, 2, &[new.clone(), old.clone()]),
    );
    let (index, report) = build(dir.path(), &[file]).unwrap();
    assert_eq!((report.contacts, report.replaced), (1, 1));
    assert_eq!(
        answer(&index, "100", "0101901234", "2026-11-22"),
        "physical exempt"
    );
    // Same lastUpdated, higher version.
    let mut newer = old.clone();
    newer["version"] = json!(2);
    newer["mailboxSubscription"]["publicRegistrationStatus"] = json!("CLOSED");
    let file = write(dir.path(), "p0.json", &page(0, 1, 2, &[newer, old.clone()]));
    let (index, _) = build(dir.path(), &[file]).unwrap();
    assert_eq!(
        answer(&index, "100", "0101901234", "2026-11-22"),
        "physical closed"
    );
    // Equal keys, different content: an error, and the recipient left out.
    let mut other = old.clone();
    other["mailboxSubscription"]["publicRegistrationStatus"] = json!("CLOSED");
    let file = write(
        dir.path(),
        "p0.json",
        &page(0, 1, 2, &[old.clone(), other.clone()]),
    );
    let error = build(dir.path(), std::slice::from_ref(&file))
        .unwrap_err()
        .to_string();
    assert!(error.contains("page 0, contacts[1] (010190-xxxx), field `cprNumber`: appears 2 times with the same lastUpdated and version"), "{error}");
    no_personal_data(&error);
    let skipped = dir.path().join("skipped.txt");
    let options = BuildOptions {
        skip_invalid: Some(skipped.clone()),
        ..BuildOptions::default()
    };
    let (index, report) = build_with(dir.path(), &[file], options).unwrap();
    assert_eq!((report.contacts, report.rejected), (0, 2));
    assert_eq!(
        answer(&index, "100", "0101901234", "2026-11-22"),
        "physical not_registered"
    );
    assert_eq!(
        std::fs::read_to_string(&skipped).unwrap().lines().count(),
        2
    );
    // Equal keys, equal content: one contact.
    let file = write(dir.path(), "p0.json", &page(0, 1, 2, &[old.clone(), old]));
    assert_eq!(build(dir.path(), &[file]).unwrap().1.contacts, 1);
}

#[test]
fn a_bad_contact_is_named_by_file_page_position_and_masked_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = citizen("1103851234", "SUSPENDED", "AUTOMATIC_REGISTRATION");
    bad["nemSmsSubscription"] = json!({"mobileNumber": "29999999", "verificationTime": null});
    bad["address"] = json!({"streetName": "Hemmeligvej", "postalCode": "8000"});
    let contacts = [
        citizen("0101901234", "REGISTERED", "AUTOMATIC_REGISTRATION"),
        bad,
    ];
    let file = write(dir.path(), "p7.json", &page(7, 8, 2, &contacts));
    let options = BuildOptions {
        contacts_format: Some(ContactsFormat::NgdpPages),
        ..BuildOptions::default()
    };
    // The page's completeness fails too (pages 0-6 are missing), but the
    // bad contact is reported first: it is read before the pages are checked.
    let skipped = dir.path().join("skipped.txt");
    let options = BuildOptions {
        skip_invalid: Some(skipped.clone()),
        ..options
    };
    let error = build_with(dir.path(), std::slice::from_ref(&file), options).unwrap_err();
    assert!(matches!(error, BuildError::Incomplete { .. }), "{error}");
    let listed = std::fs::read_to_string(&skipped).unwrap();
    assert_eq!(
        listed.trim_end(),
        format!(
            "{}: page 7, contacts[1] (110385-xxxx), field `mailboxSubscription.publicRegistrationStatus`: \
             \"SUSPENDED\" is not one of REGISTERED, EXEMPT, CLOSED, UNKNOWN",
            file.display()
        )
    );
    for text in [listed, error.to_string()] {
        no_personal_data(&text);
    }
}

#[test]
fn formats_are_detected_forced_and_never_mixed() {
    let dir = tempfile::tempdir().unwrap();
    let golden = common::root().join("tests/data/ngdp/page-0.json");
    let csv = common::root().join("tests/data/contacts.csv");
    assert_eq!(
        ContactsFormat::detect(&golden).unwrap(),
        ContactsFormat::NgdpPages
    );
    assert_eq!(ContactsFormat::detect(&csv).unwrap(), ContactsFormat::Csv);
    let error = build(dir.path(), &[golden.clone(), csv.clone()])
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("the extract mixes formats"), "{error}");
    let error = build(dir.path(), &[csv.clone(), csv])
        .unwrap_err()
        .to_string();
    assert_eq!(error, "a CSV extract is one file, and 2 were given");
    // Forced to CSV, a page has no CSV header.
    let options = BuildOptions {
        contacts_format: Some(ContactsFormat::Csv),
        ..BuildOptions::default()
    };
    let error = build_with(dir.path(), std::slice::from_ref(&golden), options).unwrap_err();
    assert!(matches!(error, BuildError::Contacts(_)), "{error}");
    // A line of NDJSON that is not JSON is rejected by its line number.
    let ndjson = dir.path().join("contacts.ndjson");
    let good = citizen("0101901234", "REGISTERED", "AUTOMATIC_REGISTRATION");
    std::fs::write(
        &ndjson,
        format!("{good}\n{{\"cprNumber\":\"1103851234\",\n"),
    )
    .unwrap();
    let options = BuildOptions {
        expect_contacts: Some(2),
        ..BuildOptions::default()
    };
    let error = build_with(dir.path(), &[ndjson], options)
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("1 contact(s) rejected"), "{error}");
    assert!(
        error.contains(
            "contacts.ndjson: line 2, field `line`: not a JSON contact: EOF while parsing"
        ),
        "{error}"
    );
    no_personal_data(&error);
}

/// One generated contact: how the CSV says it, and how NgDP does.
#[derive(Clone, Debug)]
struct Generated {
    id: String,
    csv: String,
    ngdp: Value,
}

const STATUSES: [(&str, &str); 4] = [
    ("registered", "REGISTERED"),
    ("exempt", "EXEMPT"),
    ("closed", "CLOSED"),
    ("unknown", "UNKNOWN"),
];

const REGISTRATIONS: [(&str, &str); 8] = [
    ("", "UNKNOWN"),
    ("automatic", "AUTOMATIC_REGISTRATION"),
    ("voluntary", "VOLUNTARY_REGISTRATION"),
    ("unconfirmed", "UNCONFIRMED_REGISTRATION"),
    ("before_unconfirmed", "BEFORE_UNCONFIRMED_REGISTRATION"),
    ("awaiting_registration", "CREATED_AWAITING_REGISTRATION"),
    ("exempt_left_the_country", "EXEMPT_LEFT_THE_COUNTRY"),
    ("exempt_other_reason", "EXEMPT_OTHER_REASON"),
];

/// A valid CVR number from seven digits, if one exists with them.
fn cvr(prefix: u32) -> Option<String> {
    let digits: Vec<u32> = format!("{prefix:07}")
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let sum: u32 = digits
        .iter()
        .zip([2, 7, 6, 5, 4, 3, 2])
        .map(|(d, w)| d * w)
        .sum();
    let check = (11 - sum % 11) % 11;
    (check < 10).then(|| format!("{prefix:07}{check}"))
}

fn generated() -> impl Strategy<Value = Generated> {
    let number = prop_oneof![
        (1u32..=28, 1u32..=12, 0u32..100, 0u32..10_000)
            .prop_map(|(d, m, y, s)| Some(format!("{d:02}{m:02}{y:02}{s:04}"))),
        (1_000_000u32..10_000_000).prop_map(cvr),
    ];
    let window = prop_oneof![
        Just((None, None)),
        (0u32..3000, 0u32..400).prop_map(|(start, len)| {
            let start = Date::from_days(19_000 + start as i32).unwrap();
            let end = Date::from_days(start.days() + len as i32).unwrap();
            (Some(start.to_string()), Some(end.to_string()))
        }),
        (0u32..3000).prop_map(|start| (
            Some(Date::from_days(19_000 + start as i32).unwrap().to_string()),
            None
        )),
    ];
    (number, 0usize..4, 0usize..8, window, 0u8..3, any::<bool>()).prop_filter_map(
        "a valid number",
        |(number, status, registration, window, sms, no_mailbox)| {
            let id = number?;
            let company = id.len() == 8;
            let (mut csv_status, ngdp_status) = STATUSES[status];
            let (mut csv_registration, ngdp_registration) = REGISTRATIONS[registration];
            let (start, end) = if ngdp_status == "EXEMPT" { window } else { (None, None) };
            let mut ngdp = json!({
                "id": "0b5e3c1a-0000-4000-8000-000000000000", "version": 1,
                "type": if company { "COMPANY" } else { "CITIZEN" },
                if company { "cvrNumber" } else { "cprNumber" }: id,
                "lastUpdated": "2025-10-01T08:00:00.000Z",
                "mailboxSubscription": {
                    "registrationStatus": ngdp_registration, "publicRegistrationStatus": ngdp_status,
                    "exemptionStart": start, "exemptionEnd": end,
                },
            });
            if no_mailbox && !company {
                ngdp.as_object_mut().unwrap().remove("mailboxSubscription");
                csv_status = "registered";
                csv_registration = "awaiting_registration";
            }
            // 0: no subscription, 1: unverified, 2: verified.
            if sms > 0 {
                let verified = (sms == 2).then_some("2023-02-14T09:30:00.000Z");
                ngdp["nemSmsSubscription"] = json!({"mobileNumber": "29999999", "verificationTime": verified});
            }
            let (start, end) = if no_mailbox && !company { (None, None) } else { (start, end) };
            let csv = format!(
                "{id};{csv_status};{csv_registration};{};{};{}",
                start.unwrap_or_default(),
                end.unwrap_or_default(),
                sms == 2
            );
            Some(Generated { id, csv, ngdp })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The same register as NgDP pages and as CSV: every recipient gets the
    /// same answer from both indexes, for every material, on every date.
    #[test]
    fn pages_and_csv_of_one_register_answer_alike(
        contacts in proptest::collection::vec(generated(), 1..80),
        page_size in 1usize..30,
    ) {
        let mut seen = std::collections::HashSet::new();
        let contacts: Vec<Generated> = contacts.into_iter().filter(|c| seen.insert(c.id.clone())).collect();
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("contacts.csv");
        let mut text = String::from("id;status;registration;exemption_start;exemption_end;nemsms\n");
        for c in &contacts {
            text.push_str(&c.csv);
            text.push('\n');
        }
        std::fs::write(&csv, text).unwrap();
        let values: Vec<Value> = contacts.iter().map(|g| g.ngdp.clone()).collect();
        let pages_dir = write_pages(dir.path(), "pages", &values, page_size);
        let csv_dir = dir.path().join("csv");
        let ngdp_dir = dir.path().join("ngdp");
        std::fs::create_dir(&csv_dir).unwrap();
        std::fs::create_dir(&ngdp_dir).unwrap();
        let (from_csv, _) = build(&csv_dir, &[csv]).unwrap();
        let (from_pages, report) = build(&ngdp_dir, &[pages_dir]).unwrap();
        prop_assert_eq!(report.contacts, contacts.len() as u64);
        prop_assert_eq!(report.pages, contacts.len().div_ceil(page_size) as u64);
        for c in &contacts {
            let recipient: Recipient = c.id.parse().unwrap();
            for material in ["100", "200", "300", "400"] {
                for day in ["2019-06-01", "2026-03-01", "2026-11-22", "2031-01-01"] {
                    prop_assert_eq!(
                        from_pages.lookup(material, &recipient, date(day)),
                        from_csv.lookup(material, &recipient, date(day)),
                        "{} {} {}", c.csv, material, day
                    );
                }
            }
        }
    }
}

#[test]
fn answers_name_the_channel_and_reason() {
    // Keeps the imports honest: Channel and Reason are the answer's types.
    let dir = tempfile::tempdir().unwrap();
    let golden = common::root().join("tests/data/ngdp/page-0.json");
    let (index, _) = build(dir.path(), &[golden]).unwrap();
    let a = index
        .lookup("100", &"1103851234".parse().unwrap(), date("2026-11-22"))
        .unwrap();
    assert_eq!(
        (a.channel, a.reason),
        (Channel::Digital, Reason::Registered)
    );
}

/// The generator's NgDP pages hold the register its CSV holds: both build
/// the same index content (the snapshot id is a hash of it).
#[test]
fn generated_pages_are_the_generated_csv() {
    let dir = tempfile::tempdir().unwrap();
    let options = tilmelding_synth::SynthOptions {
        citizens: 6_000,
        companies: 900,
        seed: 11,
        ..Default::default()
    };
    let csv =
        tilmelding_synth::generate(&dir.path().join("csv"), &options, &mut |_, _| {}).unwrap();
    let pages =
        tilmelding_synth::generate_ngdp(&dir.path().join("ngdp"), &options, 500, &mut |_, _| {})
            .unwrap();
    let out = |name: &str| dir.path().join(name);
    let build = |summary: &tilmelding_synth::SynthSummary, name: &str| {
        let options = BuildOptions {
            as_of: Some(1_795_330_800),
            ..BuildOptions::default()
        };
        tilmelding::build(
            &summary.catalog_path,
            &[&summary.contacts_path],
            &out(name),
            &options,
            &mut |_| {},
        )
        .unwrap()
    };
    build(&csv, "csv.tlm");
    let from_pages = build(&pages, "pages.tlm");
    assert_eq!(from_pages.format, ContactsFormat::NgdpPages);
    assert_eq!(from_pages.pages, 14);
    assert_eq!(from_pages.contacts, 6_900);
    // The same register, contact for contact; the snapshot ids differ only
    // because the pages' index records the newest lastUpdated.
    let (csv_index, pages_index) = (
        Index::open(out("csv.tlm")).unwrap(),
        Index::open(out("pages.tlm")).unwrap(),
    );
    for kind in RecipientKind::ALL {
        assert!(
            pages_index.contacts(kind).eq(csv_index.contacts(kind)),
            "{kind}"
        );
    }
    assert!(pages_index.metadata().newest_update.is_some());
    assert_eq!(csv_index.metadata().newest_update, None);
    // And the pages carry what a real download carries, which the index never reads.
    let first = std::fs::read_to_string(pages.contacts_path.join("page-00000.json")).unwrap();
    assert!(first.contains("\"mobileNumber\"") && first.contains("\"address\""));
}

/// Writes `contacts` as pages of `page_size` into a new directory `name`.
fn write_pages(dir: &Path, name: &str, contacts: &[Value], page_size: usize) -> PathBuf {
    let pages_dir = dir.join(name);
    std::fs::create_dir(&pages_dir).unwrap();
    let chunks: Vec<&[Value]> = contacts.chunks(page_size.max(1)).collect();
    let total_pages = chunks.len().max(1) as u64;
    if chunks.is_empty() {
        write(&pages_dir, "page-0000.json", &page(0, 1, 0, &[]));
    }
    for (n, chunk) in chunks.iter().enumerate() {
        let value = page(n as u64, total_pages, contacts.len() as u64, chunk);
        write(&pages_dir, &format!("page-{n:04}.json"), &value);
    }
    pages_dir
}

fn unique(contacts: Vec<Generated>) -> Vec<Generated> {
    let mut seen = std::collections::HashSet::new();
    contacts
        .into_iter()
        .filter(|c| seen.insert(c.id.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The delta law: `build --base B --contacts D` answers every recipient
    /// exactly as a build of the merged list (B with D's contacts in place
    /// of B's), and holds the same content.
    #[test]
    fn a_delta_on_a_base_is_the_merged_list(
        base in proptest::collection::vec(generated(), 0..60),
        delta in proptest::collection::vec(generated(), 0..30),
        overlap in proptest::collection::vec(generated(), 0..20),
    ) {
        let base = unique(base);
        // Changes to contacts the base has: the base's numbers, new content.
        let mut delta = unique(delta);
        for (changed, old) in overlap.into_iter().zip(&base) {
            let mut c = changed.clone();
            if (c.id.len() == 8) != (old.id.len() == 8) {
                continue;
            }
            let field = if c.id.len() == 8 { "cvrNumber" } else { "cprNumber" };
            c.ngdp[field] = json!(old.id);
            c.csv = c.csv.replacen(&c.id, &old.id, 1);
            c.id = old.id.clone();
            delta.push(c);
        }
        let delta = unique(delta);
        let mut merged: Vec<Generated> = delta.clone();
        merged.extend(base.iter().filter(|b| !delta.iter().any(|d| d.id == b.id)).cloned());

        let dir = tempfile::tempdir().unwrap();
        let as_values = |list: &[Generated]| list.iter().map(|g| g.ngdp.clone()).collect::<Vec<_>>();
        let base_pages = write_pages(dir.path(), "base", &as_values(&base), 7);
        let delta_pages = write_pages(dir.path(), "delta", &as_values(&delta), 5);
        let merged_pages = write_pages(dir.path(), "merged", &as_values(&merged), 9);
        let options = BuildOptions { as_of: Some(1_795_330_800), ..BuildOptions::default() };
        let out = |name: &str| dir.path().join(name);
        tilmelding::build(&catalog(), &[base_pages], &out("base.tlm"), &options, &mut |_| {}).unwrap();
        let on_base = tilmelding::build_delta(&out("base.tlm"), None, &[delta_pages], &out("new.tlm"), &options, &mut |_| {}).unwrap();
        tilmelding::build(&catalog(), &[merged_pages], &out("full.tlm"), &options, &mut |_| {}).unwrap();
        prop_assert_eq!(on_base.contacts, merged.len() as u64);
        prop_assert_eq!(on_base.kept, (merged.len() - delta.len()) as u64);
        let (new, full) = (Index::open(out("new.tlm")).unwrap(), Index::open(out("full.tlm")).unwrap());
        // The same register, contact for contact (the snapshot ids differ:
        // the delta's names its base).
        for kind in RecipientKind::ALL {
            prop_assert!(new.contacts(kind).eq(full.contacts(kind)));
        }
        let base_index = Index::open(out("base.tlm")).unwrap();
        prop_assert_eq!(new.metadata().base_snapshot_id, Some(base_index.metadata().snapshot_id));
        prop_assert_eq!(new.metadata().newest_update, full.metadata().newest_update);
        for c in base.iter().chain(&delta) {
            let recipient: Recipient = c.id.parse().unwrap();
            for material in ["100", "400"] {
                for day in ["2026-03-01", "2026-11-22"] {
                    prop_assert_eq!(new.lookup(material, &recipient, date(day)), full.lookup(material, &recipient, date(day)));
                }
            }
        }
    }
}

#[test]
fn the_guard_refuses_a_large_change_and_lets_a_small_one_through() {
    let dir = tempfile::tempdir().unwrap();
    let contacts: Vec<Value> = (0..200u64)
        .map(|n| {
            citizen(
                &format!("{:02}0190{:04}", 1 + n % 28, n),
                "REGISTERED",
                "AUTOMATIC_REGISTRATION",
            )
        })
        .collect();
    let old_pages = write_pages(dir.path(), "old", &contacts, 50);
    let (_, _) = build(dir.path(), &[old_pages]).unwrap();
    let in_service = dir.path().join("in-service.tlm");
    std::fs::rename(dir.path().join("index.tlm"), &in_service).unwrap();
    let guard = |max_change| BuildOptions {
        guard: Some(tilmelding::Guard {
            index: in_service.clone(),
            max_change,
        }),
        ..BuildOptions::default()
    };
    // Two contacts become exempt: 1% of 200.
    let mut changed = contacts.clone();
    for c in &mut changed[..2] {
        c["mailboxSubscription"]["publicRegistrationStatus"] = json!("EXEMPT");
    }
    let small = write_pages(dir.path(), "small", &changed, 50);
    let (_, report) = build_with(dir.path(), &[small], guard(2.0)).unwrap();
    assert_eq!(report.guard.unwrap().kinds[0].changed, 2);
    // A download that lost half its contacts (and says so consistently).
    let truncated = write_pages(dir.path(), "truncated", &contacts[..100], 50);
    std::fs::remove_file(dir.path().join("index.tlm")).unwrap();
    let error = build_with(dir.path(), &[truncated], guard(2.0)).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, BuildError::GuardRefused { .. }), "{text}");
    assert!(
        text.contains("CPR recipients fall by 100 (50.00%), more than 2%"),
        "{text}"
    );
    assert!(
        text.contains("CPR: 200 -> 100 recipients; 0 added, 100 removed, 0 changed"),
        "{text}"
    );
    assert!(!dir.path().join("index.tlm").exists());
    no_personal_data(&text);
}

/// An index built from pages has the optional lineage section: a damaged
/// byte anywhere is refused at open, or (for the one byte that turns the
/// lineage into a section of an unknown kind, which a newer minor version
/// may add) by the full verification.
#[test]
fn every_single_byte_change_of_a_lineage_index_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let golden = common::root().join("tests/data/ngdp/page-0.json");
    let (index, _) = build(dir.path(), &[golden]).unwrap();
    assert!(index.metadata().newest_update.is_some());
    let bytes = std::fs::read(dir.path().join("index.tlm")).unwrap();
    // The kind field of the last section table entry, the lineage's.
    let sections = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    let entry = 128 + (sections - 1) * 32;
    let lineage_kind = entry..entry + 4;
    assert_eq!(bytes[lineage_kind.clone()], 9u32.to_le_bytes());
    for at in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut damaged = bytes.clone();
            damaged[at] ^= flip;
            if let Ok(index) = Index::from_bytes(damaged) {
                assert!(
                    index.verify().is_err(),
                    "byte {at} xor {flip:#04x} was not noticed"
                );
                assert!(
                    lineage_kind.contains(&at),
                    "byte {at} xor {flip:#04x} got past open"
                );
            }
        }
    }
}

/// The generator's delta applies to its base: the result holds the base's
/// contacts with the delta's in their place, and the delta holds the kinds
/// of change it promises.
#[test]
fn a_generated_delta_applies_to_its_base() {
    let dir = tempfile::tempdir().unwrap();
    let options = tilmelding_synth::SynthOptions {
        citizens: 40_000,
        companies: 6_000,
        seed: 5,
        ..Default::default()
    };
    let base = tilmelding_synth::generate(dir.path(), &options, &mut |_, _| {}).unwrap();
    let delta = tilmelding_synth::generate_delta(dir.path(), &options, 30, 100).unwrap();
    assert!(delta.contacts > 50, "{delta:?}");
    let out = |name: &str| dir.path().join(name);
    let build_options = BuildOptions {
        as_of: Some(1_795_330_800),
        ..BuildOptions::default()
    };
    tilmelding::build(
        &base.catalog_path,
        &[&base.contacts_path],
        &out("base.tlm"),
        &build_options,
        &mut |_| {},
    )
    .unwrap();
    tilmelding::build(
        &base.catalog_path,
        &[&delta.path],
        &out("delta.tlm"),
        &build_options,
        &mut |_| {},
    )
    .unwrap();
    let report = tilmelding::build_delta(
        &out("base.tlm"),
        None,
        &[&delta.path],
        &out("new.tlm"),
        &build_options,
        &mut |_| {},
    )
    .unwrap();
    let (base, delta, new) = (
        Index::open(out("base.tlm")).unwrap(),
        Index::open(out("delta.tlm")).unwrap(),
        Index::open(out("new.tlm")).unwrap(),
    );
    let diff = tilmelding::diff(&base, &new, &mut |_| {});
    let cpr = diff.kind(RecipientKind::Cpr);
    assert!(cpr.added > 0, "new 15-year-olds: {cpr:?}");
    assert!(
        cpr.transitions
            .keys()
            .any(|(_, to)| *to == tilmelding::State::Closed),
        "{cpr:?}"
    );
    assert!(
        cpr.transitions
            .contains_key(&(tilmelding::State::Registered, tilmelding::State::Exempt)),
        "{cpr:?}"
    );
    assert!(cpr.nemsms_on > 0, "{cpr:?}");
    assert_eq!(
        report.kept + delta.metadata().contacts() - cpr.added - diff.kind(RecipientKind::Cvr).added,
        base.metadata().contacts()
    );
    for kind in RecipientKind::ALL {
        let changes: std::collections::BTreeMap<u32, tilmelding::Contact> =
            delta.contacts(kind).map(|(r, c)| (r.key(), c)).collect();
        let mut merged: std::collections::BTreeMap<u32, tilmelding::Contact> =
            base.contacts(kind).map(|(r, c)| (r.key(), c)).collect();
        merged.extend(changes);
        assert!(
            new.contacts(kind).map(|(r, c)| (r.key(), c)).eq(merged),
            "{kind}"
        );
    }
}
