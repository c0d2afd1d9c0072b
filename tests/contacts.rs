//! Reading the contact register extract.

use std::io::Cursor;

use tilmelding::{Contact, ContactRecord, Date, Registration, Status};
use tilmelding::{ContactReader, LineError};

type Lines = Vec<Result<(u64, ContactRecord), LineError>>;

fn read(bytes: &[u8]) -> Lines {
    let mut reader =
        ContactReader::from_reader(Cursor::new(bytes.to_vec()), "contacts.csv").unwrap();
    let mut lines = Vec::new();
    while let Some(next) = reader.next_record() {
        lines.push(next.unwrap());
    }
    lines
}

fn ok(lines: &Lines) -> Vec<(u64, String, Contact)> {
    lines
        .iter()
        .map(|l| {
            let (line, r) = l.as_ref().unwrap_or_else(|e| panic!("{e}"));
            (*line, r.recipient.to_string(), r.contact)
        })
        .collect()
}

fn date(s: &str) -> Option<Date> {
    Some(s.parse().unwrap())
}

#[test]
fn reads_every_field() {
    let lines = read(
        b"id;status;registration;exemption_start;exemption_end;nemsms\n\
          0101901234;registered;automatic;;;true\n\
          020290-4321;exempt;exempt_left_the_country;2025-01-01;;false\n\
          DK10150817;exempt;;2026-01-01;2026-12-31;\n\
          DK 12345674;closed;;;;\n",
    );
    let got = ok(&lines);
    assert_eq!(got.len(), 4);
    assert_eq!(got[0].0, 2);
    assert_eq!(got[0].1, "0101901234");
    assert_eq!(
        got[0].2,
        Contact {
            status: Status::Registered,
            registration: Registration::Automatic,
            exemption_start: None,
            exemption_end: None,
            nemsms: true
        }
    );
    assert_eq!(
        (
            got[1].1.as_str(),
            got[1].2.exemption_start,
            got[1].2.registration
        ),
        (
            "0202904321",
            date("2025-01-01"),
            Registration::ExemptLeftTheCountry
        )
    );
    assert_eq!(
        (got[2].1.as_str(), got[2].2.exemption_end),
        ("10150817", date("2026-12-31"))
    );
    assert_eq!(
        (got[3].1.as_str(), got[3].2.status),
        ("12345674", Status::Closed)
    );
}

#[test]
fn columns_in_any_order_optional_ones_missing_others_ignored() {
    let lines = read(b"kommune,status,id\n101,exempt,0101901234\n");
    let got = ok(&lines);
    assert_eq!(got[0].1, "0101901234");
    assert_eq!(got[0].2, Contact::new(Status::Exempt));
}

#[test]
fn required_columns_and_duplicates_in_the_header() {
    for (text, expected) in [
        (
            &b"id;registration\n"[..],
            "contacts.csv:1: the header has no `status` column",
        ),
        (b"status\n", "no `id` column"),
        (b"id;status;id\n", "column `id` appears twice"),
        (b"", "no header line"),
    ] {
        let e = ContactReader::from_reader(Cursor::new(text.to_vec()), "contacts.csv")
            .err()
            .expect("rejected");
        assert!(e.to_string().contains(expected), "{e}");
    }
}

#[test]
fn real_world_bytes_bom_crlf_quotes_comments_blank_lines() {
    let lines = read(
        b"\xEF\xBB\xBF# extract of 2026-11-22\r\n\
          id;status;nemsms\r\n\
          \r\n\
          \"0101901234\";\"registered\";\"true\"\r\n\
          # a comment\r\n\
          \n\
          0202904321 ; exempt ; \r\n",
    );
    let got = ok(&lines);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!((got[0].0, got[0].2.nemsms), (4, true));
    assert_eq!((got[1].0, got[1].2.status), (7, Status::Exempt));
}

#[test]
fn bad_lines_name_line_and_field_and_mask_cpr_numbers() {
    let lines = read(
        b"id;status;registration;exemption_start;exemption_end;nemsms\n\
          ;registered;;;;\n\
          0101901234;registered;;;;;\n\
          3102901234;registered;;;;\n\
          0101901234;asleep;;;;\n\
          0101901234;registered;manual;;;\n\
          0101901234;exempt;;2026-02-30;;\n\
          0101901234;exempt;;2026-03-01;2026-02-01;\n\
          0101901234;exempt;;;;yes\n\
          0101901234;0101901234;;;;\n\
          \xff\xfe;registered;;;;\n",
    );
    let errors: Vec<String> = lines
        .iter()
        .map(|l| l.as_ref().unwrap_err().to_string())
        .collect();
    let expected = [
        "line 2, field `id`: empty",
        "line 3, field `line`: expected 6 fields as in the header, found 7",
        "line 4, field `id`: \"310290xxxx\" is not a valid CPR or CVR number",
        "line 5, field `status`: \"asleep\" is not one of",
        "line 6, field `registration`: \"manual\" is not empty or one of",
        "line 7, field `exemption_start`: \"2026-02-30\" is not a date",
        "line 8, field `exemption_end`: 2026-02-01 is before exemption_start 2026-03-01",
        "line 9, field `nemsms`: \"yes\" is not true, false or empty",
        "line 10, field `status`: \"010190xxxx\" is not one of",
        "line 11, field `id`: \"\u{fffd}\u{fffd}\" is not a valid CPR or CVR number",
    ];
    assert_eq!(errors.len(), expected.len());
    for (error, expected) in errors.iter().zip(expected) {
        assert!(
            error.starts_with(expected),
            "{error:?} does not start with {expected:?}"
        );
        assert!(
            !error.contains("0101901234") && !error.contains("3102901234"),
            "{error}"
        );
    }
}

#[test]
fn a_huge_line_is_rejected_without_echoing_it() {
    let mut text = b"id;status\n".to_vec();
    text.extend(std::iter::repeat_n(b'7', 1 << 20));
    text.extend(b";registered\n0101901234;registered\n");
    let lines = read(&text);
    let error = lines[0].as_ref().unwrap_err().to_string();
    assert!(error.len() < 300, "{error}");
    assert!(lines[1].is_ok());
}

#[test]
fn gzip_is_recognised_by_its_magic_bytes() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"id;status\n0101901234;registered\n").unwrap();
    let lines = read(&gz.finish().unwrap());
    assert_eq!(ok(&lines).len(), 1);

    let mut broken = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    broken
        .write_all(&b"id;status\n0101901234;registered\n".repeat(1000))
        .unwrap();
    let mut bytes = broken.finish().unwrap();
    bytes.truncate(bytes.len() / 2);
    let mut reader = ContactReader::from_reader(Cursor::new(bytes), "contacts.csv.gz").unwrap();
    let mut failed = false;
    while let Some(next) = reader.next_record() {
        if let Err(e) = next {
            assert!(e.to_string().starts_with("contacts.csv.gz: "), "{e}");
            failed = true;
            break;
        }
    }
    assert!(
        failed,
        "a truncated gzip stream must be an error, not a short list"
    );
}

/// Found by the `contacts` fuzz target: an 8-digit fragment of a CPR number
/// was echoed in full.
#[test]
fn fragments_of_cpr_numbers_are_masked_too() {
    let lines =
        read(b"id;status\n05059056d;registered\n0101901234;0505905;\n\x00\x00\x00015002345678;x\n");
    for line in &lines {
        let message = line.as_ref().unwrap_err().to_string();
        let longest_run = message
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_run < 7, "{message}");
    }
}
