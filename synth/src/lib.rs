//! Synthetic national dataset: a `catalog.toml` and a `contacts.csv` that look like Denmark.
//!
//! The generator writes the two source files the builder reads: a catalog of sender systems,
//! subscription groups and materials, and a contact register extract with one line per CPR or
//! CVR number. By default it produces a national-scale register (5.9 million citizens and
//! 800,000 companies, about 270 MB) in a few seconds.
//!
//! Output depends only on [`SynthOptions`]: the same options give byte-identical files on every
//! machine. Randomness comes from `Xoshiro256PlusPlus::seed_from_u64` and only its raw `u64`
//! output is used (ranges, shares and choices are computed here with integer arithmetic), so
//! the files do not change when a dependency changes how it samples distributions.
//!
//! Every generated recipient is valid and unique:
//!
//! * CPR numbers (`DDMMYYSSSS`, about 1 in 50 written `DDMMYY-SSSS`) encode a real birth date
//!   whose century follows from the seventh digit; about 0.1% are replacement numbers
//!   (day + 60).
//! * CVR numbers (8 digits, about 1 in 50 written `DK12345678`) pass the modulus-11 check.
//!
//! The shares follow the Danish register roughly: about 93% of citizens registered, 4.3%
//! exempt, 1% closed (deceased), 0.5% unknown and 0.3% awaiting registration (about to turn
//! 15); about 97% of companies registered, 1% with time-limited exemptions and 2% closed.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Maximum number of recipients of each kind kept in [`SynthSummary::sample_cpr`] and
/// [`SynthSummary::sample_cvr`].
pub const SAMPLE: usize = 100_000;

/// File name of the generated catalog inside the output directory.
pub const CATALOG_FILE: &str = "catalog.toml";

/// File name of the generated contact register extract inside the output directory.
pub const CONTACTS_FILE: &str = "contacts.csv";

/// Header line of `contacts.csv` (without the line end).
pub const CONTACTS_HEADER: &str = "id;status;registration;exemption_start;exemption_end;nemsms";

/// Largest number of citizens [`generate`] accepts (keeps the uniqueness set in memory bounds).
pub const MAX_CITIZENS: u64 = 20_000_000;

/// Largest number of companies [`generate`] accepts (about half of all valid CVR numbers).
pub const MAX_COMPANIES: u64 = 4_000_000;

/// Number of subscription groups in the generated catalog.
pub const GROUPS: usize = 1_000;

/// Number of materials in the generated catalog.
pub const MATERIALS: usize = 2_000;

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthOptions {
    /// Number of citizens (CPR numbers) in `contacts.csv`, at most [`MAX_CITIZENS`].
    pub citizens: u64,
    /// Number of companies (CVR numbers) in `contacts.csv`, at most [`MAX_COMPANIES`].
    pub companies: u64,
    /// Seed of the random generator: the same options give byte-identical files.
    pub seed: u64,
    /// The "today" that ages, activation dates, certificate expiries and exemption windows are
    /// relative to, as (year, month, day). The year must lie in 1990..=2070.
    pub reference_date: (i32, u8, u8),
}

impl Default for SynthOptions {
    /// National scale: 5,900,000 citizens, 800,000 companies, seed 1, reference date 2026-01-01.
    fn default() -> Self {
        SynthOptions {
            citizens: 5_900_000,
            companies: 800_000,
            seed: 1,
            reference_date: (2026, 1, 1),
        }
    }
}

/// Summary of what was written.
#[derive(Clone, Debug, Default)]
pub struct SynthSummary {
    /// Path of the written `catalog.toml`.
    pub catalog_path: PathBuf,
    /// Path of the written `contacts.csv`.
    pub contacts_path: PathBuf,
    /// Number of citizen lines (CPR numbers) in `contacts.csv`.
    pub citizens: u64,
    /// Number of company lines (CVR numbers) in `contacts.csv`.
    pub companies: u64,
    /// Number of materials in the catalog.
    pub materials: u64,
    /// Number of subscription groups in the catalog.
    pub groups: u64,
    /// Number of sender systems in the catalog.
    pub sender_systems: u64,
    /// Size of `contacts.csv` in bytes, header included.
    pub contacts_bytes: u64,
    /// Material ids, in catalog order, for demos and benchmarks.
    pub material_ids: Vec<String>,
    /// A uniform sample (reservoir, at most [`SAMPLE`]) of generated CPR numbers, each as its
    /// ten digits read as one integer (`0101901234` -> `101901234`).
    pub sample_cpr: Vec<u64>,
    /// A uniform sample (reservoir, at most [`SAMPLE`]) of generated CVR numbers as 8-digit
    /// integers.
    pub sample_cvr: Vec<u64>,
}

/// What [`write_catalog`] wrote.
#[derive(Clone, Debug, Default)]
pub struct CatalogSummary {
    /// Number of `[[sender_system]]` entries.
    pub sender_systems: u64,
    /// Number of `[[group]]` entries.
    pub groups: u64,
    /// Number of `[[material]]` entries.
    pub materials: u64,
    /// Material ids, in catalog order.
    pub material_ids: Vec<String>,
    /// Size of the catalog in bytes.
    pub bytes: u64,
}

/// What [`write_contacts`] wrote.
#[derive(Clone, Debug, Default)]
pub struct ContactsSummary {
    /// Number of citizen lines (CPR numbers).
    pub citizens: u64,
    /// Number of company lines (CVR numbers).
    pub companies: u64,
    /// Lines with status `registered` (citizens and companies).
    pub registered: u64,
    /// Lines with status `exempt`.
    pub exempt: u64,
    /// Lines with status `closed`.
    pub closed: u64,
    /// Lines with status `unknown`.
    pub unknown: u64,
    /// Lines whose `nemsms` column is `true`.
    pub nemsms: u64,
    /// Bytes written, header included.
    pub bytes: u64,
    /// Reservoir sample (at most [`SAMPLE`]) of the CPR numbers as integers.
    pub sample_cpr: Vec<u64>,
    /// Reservoir sample (at most [`SAMPLE`]) of the CVR numbers as integers.
    pub sample_cvr: Vec<u64>,
}

/// Writes `catalog.toml` and `contacts.csv` into `dir` (created if missing).
///
/// `progress(written, total)` is called at the start, about every 64k contacts and at the end,
/// so a CLI can draw a bar. Each file is written under a temporary name and renamed into place
/// when complete. Fails with [`io::ErrorKind::InvalidInput`] if the options are out of range.
pub fn generate(
    dir: &Path,
    opts: &SynthOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> io::Result<SynthSummary> {
    check_options(opts)?;
    fs::create_dir_all(dir)?;
    let catalog_path = dir.join(CATALOG_FILE);
    let contacts_path = dir.join(CONTACTS_FILE);
    let catalog = write_file(&catalog_path, 1 << 16, |out| write_catalog(out, opts))?;
    let contacts = write_file(&contacts_path, 1 << 20, |out| {
        write_contacts(out, opts, progress)
    })?;
    Ok(SynthSummary {
        catalog_path,
        contacts_path,
        citizens: contacts.citizens,
        companies: contacts.companies,
        materials: catalog.materials,
        groups: catalog.groups,
        sender_systems: catalog.sender_systems,
        contacts_bytes: contacts.bytes,
        material_ids: catalog.material_ids,
        sample_cpr: contacts.sample_cpr,
        sample_cvr: contacts.sample_cvr,
    })
}

/// Directory of the NgDP pages inside the output directory ([`generate_ngdp`]).
pub const PAGES_DIR: &str = "contacts";

/// Like [`generate`], but writes the contacts as NgDP contact-register pages
/// of `page_size` contacts (`contacts/page-00000.json`, ...) instead of
/// `contacts.csv`: the same register as [`generate`] writes for the same
/// options, answer for answer. [`SynthSummary::contacts_path`] is the
/// directory of pages, written under a temporary name and renamed into
/// place when complete (an old directory of pages is replaced).
pub fn generate_ngdp(
    dir: &Path,
    opts: &SynthOptions,
    page_size: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> io::Result<SynthSummary> {
    check_options(opts)?;
    if page_size == 0 {
        return Err(invalid("a page holds at least one contact"));
    }
    fs::create_dir_all(dir)?;
    let catalog_path = dir.join(CATALOG_FILE);
    let contacts_path = dir.join(PAGES_DIR);
    let catalog = write_file(&catalog_path, 1 << 16, |out| write_catalog(out, opts))?;
    let partial = dir.join(format!("{PAGES_DIR}.tmp"));
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir(&partial)?;
    let total = opts.citizens + opts.companies;
    let mut pages = CsvRecords::new(PageWriter::new(
        &partial,
        total,
        page_size,
        opts.reference_date,
    ));
    let contacts = write_contacts(&mut pages, opts, progress)?;
    let written = pages.finish()?.finish()?;
    let _ = fs::remove_dir_all(&contacts_path);
    fs::rename(&partial, &contacts_path)?;
    Ok(SynthSummary {
        catalog_path,
        contacts_path,
        citizens: contacts.citizens,
        companies: contacts.companies,
        materials: catalog.materials,
        groups: catalog.groups,
        sender_systems: catalog.sender_systems,
        contacts_bytes: written.bytes,
        material_ids: catalog.material_ids,
        sample_cpr: contacts.sample_cpr,
        sample_cvr: contacts.sample_cvr,
    })
}

/// Directory of the NgDP delta pages inside the output directory ([`generate_delta`]).
pub const DELTA_DIR: &str = "delta";

/// What [`generate_delta`] wrote.
#[derive(Clone, Debug, Default)]
pub struct DeltaSummary {
    /// The directory of pages.
    pub path: PathBuf,
    /// Contacts in the delta.
    pub contacts: u64,
    /// Pages written.
    pub pages: u64,
}

/// Writes `days` days of changes to the register that [`generate`] (or
/// [`generate_ngdp`]) writes for `opts`, as NgDP pages (what
/// `?lastUpdated=` returns) in `dir/delta/`: deaths, new and ended
/// exemptions, NemSMS sign-ups, companies closed or exempted for a
/// period, and the citizens who turn 15 (new contacts awaiting
/// registration). Deterministic, like the rest.
pub fn generate_delta(
    dir: &Path,
    opts: &SynthOptions,
    days: u32,
    page_size: usize,
) -> io::Result<DeltaSummary> {
    check_options(opts)?;
    if page_size == 0 {
        return Err(invalid("a page holds at least one contact"));
    }
    let reference = reference_day(opts);
    let mut base = CsvRecords::new(ngdp::DeltaLines::new(days, reference, opts.seed));
    write_contacts(&mut base, opts, &mut |_, _| {})?;
    let mut changes = base.finish()?;
    changes.add_new_citizens();
    let path = dir.join(DELTA_DIR);
    let partial = dir.join(format!("{DELTA_DIR}.tmp"));
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir_all(&partial)?;
    let total = changes.lines.len() as u64;
    let mut pages = PageWriter::delta(&partial, total, page_size, opts.reference_date, days);
    for line in &changes.lines {
        pages.record(ngdp::fields(line)?)?;
    }
    let written = pages.finish()?;
    let _ = fs::remove_dir_all(&path);
    fs::rename(&partial, &path)?;
    Ok(DeltaSummary {
        path,
        contacts: written.contacts,
        pages: written.pages,
    })
}

/// Writes through a temporary file next to `path` and renames it over `path` on success.
fn write_file<T>(
    path: &Path,
    capacity: usize,
    body: impl FnOnce(&mut dyn Write) -> io::Result<T>,
) -> io::Result<T> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let result = (|| {
        let mut out = BufWriter::with_capacity(capacity, File::create(&tmp)?);
        let value = body(&mut out)?;
        out.flush()?;
        drop(out);
        fs::rename(&tmp, path)?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn other(msg: &str) -> io::Error {
    io::Error::other(msg.to_string())
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_string())
}

fn check_options(opts: &SynthOptions) -> io::Result<()> {
    let (y, m, d) = opts.reference_date;
    if !(1990..=2070).contains(&y) {
        return Err(invalid("reference date year must lie in 1990..=2070"));
    }
    if !(1..=12).contains(&m) || d == 0 || u32::from(d) > days_in_month(y, u32::from(m)) {
        return Err(invalid("reference date is not a calendar date"));
    }
    if opts.citizens > MAX_CITIZENS {
        return Err(invalid("too many citizens (at most 20,000,000)"));
    }
    if opts.companies > MAX_COMPANIES {
        return Err(invalid("too many companies (at most 4,000,000)"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Randomness: only raw u64 output of the generator is used, everything else is integer math.
// ---------------------------------------------------------------------------------------------

/// Independent streams of one seed (2^128 draws apart via `jump`).
#[derive(Clone, Copy)]
enum Stream {
    Catalog = 0,
    Contacts = 1,
    Sample = 2,
}

struct Gen(Xoshiro256PlusPlus);

impl Gen {
    fn new(seed: u64, stream: Stream) -> Gen {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..stream as u32 {
            rng.jump();
        }
        Gen(rng)
    }

    /// Uniform in `0..n` (multiply-high; the bias is below n / 2^64). `n` must be > 0.
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `ppm` / 1,000,000.
    #[inline]
    fn ppm(&mut self, ppm: u64) -> bool {
        self.below(1_000_000) < ppm
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Index chosen with probability proportional to its weight.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            let w = u64::from(w);
            if r < w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar (proleptic Gregorian, days since 1970-01-01).
// ---------------------------------------------------------------------------------------------

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    (y, m, d)
}

/// Day number of the `(m, d)` anniversary in year `y` (29 February becomes 28 February).
fn anniversary(y: i32, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d.min(days_in_month(y, m)))
}

/// The representable CPR birth range: 1858-01-01 ..= 2057-12-31.
fn cpr_day_bounds() -> (i64, i64) {
    (days_from_civil(1858, 1, 1), days_from_civil(2057, 12, 31))
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers (no allocation per line).
// ---------------------------------------------------------------------------------------------

#[inline]
fn push2(buf: &mut Vec<u8>, n: u32) {
    buf.push(b'0' + (n / 10 % 10) as u8);
    buf.push(b'0' + (n % 10) as u8);
}

#[inline]
fn push4(buf: &mut Vec<u8>, n: u32) {
    push2(buf, n / 100);
    push2(buf, n % 100);
}

#[inline]
fn push_date(buf: &mut Vec<u8>, day: i64) {
    let (y, m, d) = civil_from_days(day);
    push4(buf, y as u32);
    buf.push(b'-');
    push2(buf, m);
    buf.push(b'-');
    push2(buf, d);
}

fn date_string(day: i64) -> String {
    let mut buf = Vec::with_capacity(10);
    push_date(&mut buf, day);
    String::from_utf8(buf).unwrap_or_default()
}

/// Writes a TOML basic string (quotes included).
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Catalog.
// ---------------------------------------------------------------------------------------------

mod catalog;
mod contacts;
mod ngdp;

pub use self::catalog::write_catalog;
use self::catalog::*;
pub use self::contacts::write_contacts;
use self::ngdp::{CsvRecords, PageWriter, Records};
pub use self::ngdp::{PAGE_SIZE, page_name};

#[cfg(test)]
mod tests;
