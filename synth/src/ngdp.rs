//! The synthetic register as NgDP delivers it: pages of the contact
//! register (`ContactSearchResult`, as `GET /apis/v1/contacts/` returns
//! them), made from the CSV lines the generator writes, so that pages and
//! CSV hold the same register answer for answer.
//!
//! Each line becomes one contact with every field a real page has. What the
//! CSV cannot say is drawn from a hash of the contact's position, so the
//! output stays deterministic: about half the citizens awaiting
//! registration have no `mailboxSubscription` at all (as NgDP shows a
//! citizen about to enter the registration flow), one in 16 contacts
//! without NemSMS has an unverified number (`verificationTime` null), and
//! every contact has a synthetic mobile number or address where NgDP has
//! one: personal data the index must never read.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::contacts::mix64;
use super::{civil_from_days, date_string, days_from_civil, push_date};

/// Contacts per page, as NgDP's bulk download uses.
pub const PAGE_SIZE: usize = 1_000;

/// What [`PageWriter`] wrote.
#[derive(Clone, Debug, Default)]
pub(super) struct PagesSummary {
    /// Page files written.
    pub pages: u64,
    /// Contacts written.
    pub contacts: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Writes the generator's contacts, one [`Records::record`] each, as page
/// files `page-00000.json`, ... into a directory. Every page states the
/// totals up front, so they are given when it is made.
pub(super) struct PageWriter {
    dir: PathBuf,
    page_size: usize,
    total: u64,
    /// The contacts of the page being filled, as JSON.
    page: Vec<u8>,
    on_page: usize,
    summary: PagesSummary,
    /// Epoch day that `lastUpdated` times are before (a full extract) or
    /// after (a delta).
    reference_day: i64,
    /// For a delta: the days after the reference day its changes span.
    delta_days: Option<u32>,
}

impl PageWriter {
    /// A writer of `total` contacts into `dir` (which must exist), `page_size` per page.
    pub(super) fn new(
        dir: &Path,
        total: u64,
        page_size: usize,
        reference: (i32, u8, u8),
    ) -> PageWriter {
        let (y, m, d) = reference;
        PageWriter {
            dir: dir.to_owned(),
            page_size: page_size.max(1),
            total,
            page: Vec::with_capacity(page_size * 800),
            on_page: 0,
            summary: PagesSummary::default(),
            reference_day: days_from_civil(y, u32::from(m), u32::from(d)),
            delta_days: None,
        }
    }

    /// A writer of a delta: contacts changed in the `days` after the
    /// reference day, with `lastUpdated` times in those days.
    pub(super) fn delta(
        dir: &Path,
        total: u64,
        page_size: usize,
        reference: (i32, u8, u8),
        days: u32,
    ) -> PageWriter {
        PageWriter {
            delta_days: Some(days.max(1)),
            ..PageWriter::new(dir, total, page_size, reference)
        }
    }

    fn total_pages(&self) -> u64 {
        self.total.div_ceil(self.page_size as u64).max(1)
    }

    /// Writes the last page (an empty one if there were no contacts) and
    /// checks that the number of contacts was the one announced.
    pub(super) fn finish(mut self) -> io::Result<PagesSummary> {
        if self.on_page > 0 || self.summary.pages == 0 {
            self.flush_page()?;
        }
        if self.summary.contacts != self.total {
            return Err(io::Error::other(format!(
                "{} contacts were announced and {} written",
                self.total, self.summary.contacts
            )));
        }
        Ok(self.summary)
    }

    /// Appends one contact's JSON to the page.
    fn contact(
        &mut self,
        id: &str,
        status: &str,
        registration: &str,
        start: &str,
        end: &str,
        nemsms: &str,
    ) {
        let n = self.summary.contacts;
        let h = mix64(n ^ 0x6e67_6470);
        let number: String = id.chars().filter(char::is_ascii_digit).collect();
        let company = number.len() == 8;
        let updated = match self.delta_days {
            None => self.reference_day - 1 - (h % 1000) as i64,
            Some(days) => self.reference_day + (h % u64::from(days)) as i64,
        };
        let created = updated - 365 - ((h >> 10) % 3000) as i64;
        let out = &mut self.page;
        write!(
            out,
            r#"{{"id":"{n:08x}-0000-4000-8000-{h:012x}","version":{},"type":"{}","transactionId":"VHJhbnNhY3Rpb24{n:012}","{}":"{number}","eligibleForVoluntaryRegistration":false"#,
            1 + (h >> 20) % 9,
            if company { "COMPANY" } else { "CITIZEN" },
            if company { "cvrNumber" } else { "cprNumber" },
            h = h & 0xffff_ffff_ffff,
        )
        .expect("writing to a Vec");
        let pending = status == "registered" && registration == "awaiting_registration";
        if !(pending && !company && (h >> 40) & 1 == 0) {
            write!(
                out,
                r#","mailboxSubscription":{{"id":"{n:08x}-0001-4000-8000-000000000000","version":1,"registrationStatus":"{}","publicRegistrationStatus":"{}","exemptThroughPowerOfAttorney":false,"exemptionStart":{},"exemptionEnd":{},"startTime":""#,
                registration_status(registration),
                status.to_ascii_uppercase(),
                json_date(start),
                json_date(end),
            )
            .expect("writing to a Vec");
            push_date(out, created);
            out.extend_from_slice(br#"T00:00:00.000Z"}"#);
        }
        let unverified = nemsms != "true" && (h >> 44).is_multiple_of(16);
        if nemsms == "true" || unverified {
            write!(
                out,
                r#","nemSmsSubscription":{{"id":"{n:08x}-0002-4000-8000-000000000000","version":0,"mobileNumber":"{}","verificationTime":"#,
                20_000_000 + (h >> 8) % 80_000_000
            )
            .expect("writing to a Vec");
            if unverified {
                out.extend_from_slice(b"null");
            } else {
                out.push(b'"');
                push_date(out, created + 30);
                out.extend_from_slice(br#"T09:30:00.000Z""#);
            }
            out.extend_from_slice(b"}");
        }
        if company {
            write!(
                out,
                r#","address":{{"@type":"CompanyAddress","id":"{n:08x}-0003-4000-8000-000000000000","version":0,"streetName":"Erhvervsvej {}","postalCode":"{}","municipalityName":"AARHUS"}}"#,
                1 + (h >> 12) % 200,
                1000 + (h >> 24) % 9000
            )
            .expect("writing to a Vec");
        }
        out.extend_from_slice(br#","lastUpdated":""#);
        push_date(out, updated);
        write!(
            out,
            "T{:02}:{:02}:00.000Z\",\"createdDate\":\"",
            (h >> 50) % 24,
            (h >> 56) % 60
        )
        .expect("writing to a Vec");
        push_date(out, created);
        out.extend_from_slice(br#"T11:55:01.832Z"}"#);
    }

    fn flush_page(&mut self) -> io::Result<()> {
        let number = self.summary.pages;
        let mut file = Vec::with_capacity(self.page.len() + 256);
        write!(
            file,
            r#"{{"currentPage":{number},"totalPages":{},"elementsOnPage":{},"totalElements":{},"next":"synthetic-{number}","contacts":["#,
            self.total_pages(),
            self.on_page,
            self.total
        )?;
        file.extend_from_slice(&self.page);
        file.extend_from_slice(b"]}\n");
        fs::write(self.dir.join(page_name(number)), &file)?;
        self.summary.bytes += file.len() as u64;
        self.summary.pages += 1;
        self.page.clear();
        self.on_page = 0;
        Ok(())
    }
}

impl Records for PageWriter {
    fn record(
        &mut self,
        [id, status, registration, start, end, nemsms]: [&str; 6],
    ) -> io::Result<()> {
        if self.on_page > 0 {
            self.page.push(b',');
        }
        self.contact(id, status, registration, start, end, nemsms);
        self.on_page += 1;
        self.summary.contacts += 1;
        if self.on_page == self.page_size {
            self.flush_page()?;
        }
        Ok(())
    }
}

/// Takes contacts one CSV record at a time (id, status, registration,
/// exemption_start, exemption_end, nemsms).
pub(super) trait Records {
    fn record(&mut self, fields: [&str; 6]) -> io::Result<()>;
}

/// The six fields of a contacts line.
pub(super) fn fields(line: &str) -> io::Result<[&str; 6]> {
    let mut parts = line.split(';');
    let fields = std::array::from_fn(|_| parts.next());
    match (fields, parts.next()) {
        ([Some(a), Some(b), Some(c), Some(d), Some(e), Some(f)], None) => Ok([a, b, c, d, e, f]),
        _ => Err(io::Error::other("a contacts line without six fields")),
    }
}

/// The CSV the generator writes (in chunks, header first), cut into
/// records for `T`: a `Write` for [`write_contacts`](super::write_contacts).
pub(super) struct CsvRecords<T> {
    sink: T,
    /// Bytes of an unfinished line.
    partial: Vec<u8>,
    header_seen: bool,
}

impl<T: Records> CsvRecords<T> {
    pub(super) fn new(sink: T) -> CsvRecords<T> {
        CsvRecords {
            sink,
            partial: Vec::new(),
            header_seen: false,
        }
    }

    /// The sink, after the last line (if it had no line end).
    pub(super) fn finish(mut self) -> io::Result<T> {
        let last = std::mem::take(&mut self.partial);
        self.line(&last)?;
        Ok(self.sink)
    }

    fn line(&mut self, line: &[u8]) -> io::Result<()> {
        if !std::mem::replace(&mut self.header_seen, true) || line.is_empty() {
            return Ok(());
        }
        let text = std::str::from_utf8(line).map_err(|_| io::Error::other("not UTF-8"))?;
        self.sink.record(fields(text)?)
    }
}

impl<T: Records> Write for CsvRecords<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(end) = memchr_newline(rest) {
            if self.partial.is_empty() {
                self.line(&rest[..end])?;
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&rest[..end]);
                self.line(&line)?;
            }
            rest = &rest[end + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// The file name of page `number`.
pub fn page_name(number: u64) -> String {
    format!("page-{number:05}.json")
}

/// The CSV's registration as NgDP's `registrationStatus`.
fn registration_status(registration: &str) -> &'static str {
    match registration {
        "automatic" => "AUTOMATIC_REGISTRATION",
        "voluntary" => "VOLUNTARY_REGISTRATION",
        "unconfirmed" => "UNCONFIRMED_REGISTRATION",
        "before_unconfirmed" => "BEFORE_UNCONFIRMED_REGISTRATION",
        "awaiting_registration" => "CREATED_AWAITING_REGISTRATION",
        "exempt_left_the_country" => "EXEMPT_LEFT_THE_COUNTRY",
        "exempt_other_reason" => "EXEMPT_OTHER_REASON",
        _ => "UNKNOWN",
    }
}

/// A CSV date field as JSON: `"2026-01-01"` or `null`.
fn json_date(field: &str) -> String {
    if field.is_empty() {
        "null".to_owned()
    } else {
        format!("\"{field}\"")
    }
}

/// Per million contacts and day: how often each change of a delta happens
/// (about what Denmark sees: 155 deaths and 180 new 15-year-olds a day
/// among 5.9 million citizens, a few dozen new and ended exemptions, a few
/// hundred NemSMS sign-ups, a hundred companies closed).
const DEATHS: u64 = 26;
const NEW_EXEMPTIONS: u64 = 4;
const ENDED_EXEMPTIONS: u64 = 300;
const NEMSMS_SIGN_UPS: u64 = 50;
const COMPANIES_CLOSED: u64 = 125;
const COMPANY_EXEMPTIONS: u64 = 30;
const NEW_CITIZENS: u64 = 31;

/// Collects the changes of a delta from the CSV lines of the base.
pub(super) struct DeltaLines {
    days: u64,
    reference_day: i64,
    seed: u64,
    seen: u64,
    citizens: u64,
    /// The changed lines, as CSV.
    pub(super) lines: Vec<String>,
}

impl DeltaLines {
    pub(super) fn new(days: u32, reference_day: i64, seed: u64) -> DeltaLines {
        DeltaLines {
            days: u64::from(days.max(1)),
            reference_day,
            seed,
            seen: 0,
            citizens: 0,
            lines: Vec::new(),
        }
    }

    /// Whether the event of `per_million` a day happens to this contact.
    fn happens(&self, h: u64, per_million: u64) -> bool {
        h % 1_000_000 < (per_million * self.days).min(1_000_000)
    }

    fn change(&mut self, [id, status, registration, _, _, nemsms]: [&str; 6]) {
        self.seen += 1;
        let h = mix64(self.seen ^ self.seed.rotate_left(17) ^ 0x64_656c_7461);
        let number: String = id.chars().filter(char::is_ascii_digit).collect();
        let day = |h: u64| date_string(self.reference_day + ((h >> 20) % self.days) as i64);
        let sms = nemsms == "true";
        let changed = if number.len() == 10 {
            self.citizens += 1;
            match status {
                "registered" | "exempt" if self.happens(h, DEATHS) => {
                    Some(format!("{number};closed;{registration};;;false"))
                }
                "registered" if self.happens(h >> 8, NEW_EXEMPTIONS) => Some(format!(
                    "{number};exempt;exempt_other_reason;{};;false",
                    day(h)
                )),
                "exempt" if self.happens(h >> 8, ENDED_EXEMPTIONS) => {
                    Some(format!("{number};registered;automatic;;;{sms}"))
                }
                "registered" if !sms && self.happens(h >> 16, NEMSMS_SIGN_UPS) => {
                    Some(format!("{number};registered;{registration};;;true"))
                }
                _ => None,
            }
        } else {
            match status {
                "registered" if self.happens(h, COMPANIES_CLOSED) => {
                    Some(format!("{number};closed;;;;"))
                }
                "registered" if self.happens(h >> 8, COMPANY_EXEMPTIONS) => {
                    let start = self.reference_day + ((h >> 20) % self.days) as i64;
                    Some(format!(
                        "{number};exempt;exempt_other_reason;{};{};",
                        date_string(start),
                        date_string(start + 90)
                    ))
                }
                _ => None,
            }
        };
        self.lines.extend(changed);
    }

    /// Adds the citizens who turn 15 in the delta's days: new contacts
    /// awaiting registration (their CPR numbers may, rarely, already be in
    /// the base as citizens about to turn 15: then they are changes).
    pub(super) fn add_new_citizens(&mut self) {
        let count = NEW_CITIZENS * self.days * self.citizens / 1_000_000;
        for i in 0..count {
            let h = mix64(i ^ self.seed ^ 0x006e_6577_3135);
            let born = self.reference_day - 15 * 365 - 4 + ((h % self.days) as i64);
            let (y, m, d) = civil_from_days(born);
            // Seventh digit 5..8: born 2000..2057 for two-digit years up to 57.
            let serial = (5 + (h >> 8) % 4) * 1000 + (h >> 12) % 1000;
            let cpr = format!("{d:02}{m:02}{:02}{serial:04}", y.rem_euclid(100));
            self.lines
                .push(format!("{cpr};registered;awaiting_registration;;;"));
        }
    }
}

impl Records for DeltaLines {
    fn record(&mut self, fields: [&str; 6]) -> io::Result<()> {
        self.change(fields);
        Ok(())
    }
}
