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

const SENDER_SYSTEMS: [&str; 12] = [
    "Pasning ESDH",
    "Byggesag og Miljø",
    "Borgerservice Sag",
    "Jobcenter Fagsystem",
    "Affald og Forsyning",
    "Sundhedsplatformen",
    "Skattestyrelsen Opkrævning",
    "SU-systemet",
    "Statens Lønsystem",
    "Udbetaling Danmark Ydelser",
    "Virk Sagsbehandling",
    "Ejendomsvurdering og Ejendomsskat",
];

/// Sender systems of the særlov areas (SU-systemet, Statens Lønsystem).
const SAERLOV_SYSTEMS: [usize; 2] = [7, 8];

const MUNICIPALITIES: [&str; 98] = [
    "Albertslund",
    "Allerød",
    "Ballerup",
    "Bornholm",
    "Brøndby",
    "Dragør",
    "Egedal",
    "Fredensborg",
    "Frederiksberg",
    "Frederikssund",
    "Furesø",
    "Gentofte",
    "Gladsaxe",
    "Glostrup",
    "Gribskov",
    "Halsnæs",
    "Helsingør",
    "Herlev",
    "Hillerød",
    "Hvidovre",
    "Høje-Taastrup",
    "Hørsholm",
    "Ishøj",
    "København",
    "Lyngby-Taarbæk",
    "Rudersdal",
    "Rødovre",
    "Tårnby",
    "Vallensbæk",
    "Faxe",
    "Greve",
    "Guldborgsund",
    "Holbæk",
    "Kalundborg",
    "Køge",
    "Lejre",
    "Lolland",
    "Næstved",
    "Odsherred",
    "Ringsted",
    "Roskilde",
    "Slagelse",
    "Solrød",
    "Sorø",
    "Stevns",
    "Vordingborg",
    "Assens",
    "Billund",
    "Esbjerg",
    "Fanø",
    "Fredericia",
    "Faaborg-Midtfyn",
    "Haderslev",
    "Kerteminde",
    "Kolding",
    "Langeland",
    "Middelfart",
    "Nordfyn",
    "Nyborg",
    "Odense",
    "Svendborg",
    "Sønderborg",
    "Tønder",
    "Varde",
    "Vejen",
    "Vejle",
    "Ærø",
    "Aabenraa",
    "Favrskov",
    "Hedensted",
    "Herning",
    "Holstebro",
    "Horsens",
    "Ikast-Brande",
    "Lemvig",
    "Norddjurs",
    "Odder",
    "Randers",
    "Ringkøbing-Skjern",
    "Samsø",
    "Silkeborg",
    "Skanderborg",
    "Skive",
    "Struer",
    "Syddjurs",
    "Viborg",
    "Aarhus",
    "Brønderslev",
    "Frederikshavn",
    "Hjørring",
    "Jammerbugt",
    "Læsø",
    "Mariagerfjord",
    "Morsø",
    "Rebild",
    "Thisted",
    "Vesthimmerland",
    "Aalborg",
];

const REGIONS: [(&str, &str); 5] = [
    ("RH", "Region Hovedstaden"),
    ("RSJ", "Region Sjælland"),
    ("RSD", "Region Syddanmark"),
    ("RM", "Region Midtjylland"),
    ("RN", "Region Nordjylland"),
];

const AGENCIES: [(&str, &str); 13] = [
    ("SKST", "Skattestyrelsen"),
    ("UDK", "Udbetaling Danmark"),
    ("UFS", "Uddannelses- og Forskningsstyrelsen"),
    ("STATADM", "Statens Administration"),
    ("GAELD", "Gældsstyrelsen"),
    ("ERST", "Erhvervsstyrelsen"),
    ("MOTOR", "Motorstyrelsen"),
    ("FVST", "Fødevarestyrelsen"),
    ("AT", "Arbejdstilsynet"),
    ("FAMR", "Familieretshuset"),
    ("VURD", "Vurderingsstyrelsen"),
    ("ATP", "ATP"),
    ("STAR", "Styrelsen for Arbejdsmarked og Rekruttering"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    Kommune,
    Region,
    Agency(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Audiences {
    Private,
    Erhverv,
    Both,
}

struct Area {
    code: &'static str,
    title: &'static str,
    owner: Owner,
    system: usize,
    saerlov: bool,
    audiences: Audiences,
    subjects: &'static [&'static str],
}

const fn area(
    code: &'static str,
    title: &'static str,
    owner: Owner,
    system: usize,
    audiences: Audiences,
    subjects: &'static [&'static str],
) -> Area {
    Area {
        code,
        title,
        owner,
        system,
        saerlov: false,
        audiences,
        subjects,
    }
}

const fn saerlov(mut a: Area) -> Area {
    a.saerlov = true;
    a
}

const AREAS: [Area; 29] = [
    area(
        "PASNING",
        "pasning",
        Owner::Kommune,
        0,
        Audiences::Both,
        &[
            "vuggestueplads",
            "børnehaveplads",
            "dagplejeplads",
            "økonomisk friplads",
            "søskendetilskud",
            "pasningsgaranti",
        ],
    ),
    area(
        "SKOLE",
        "skole og SFO",
        Owner::Kommune,
        0,
        Audiences::Private,
        &[
            "skoleindskrivning",
            "SFO-plads",
            "befordring til skole",
            "specialundervisning",
            "skoleudsættelse",
            "klubplads",
        ],
    ),
    area(
        "BYG",
        "byggesager",
        Owner::Kommune,
        1,
        Audiences::Both,
        &[
            "byggetilladelse",
            "nedrivningstilladelse",
            "ibrugtagningstilladelse",
            "dispensation fra lokalplan",
            "landzonetilladelse",
        ],
    ),
    area(
        "MILJOE",
        "miljø og natur",
        Owner::Kommune,
        1,
        Audiences::Both,
        &[
            "spildevandstilladelse",
            "jordforurening",
            "miljøtilsyn",
            "tilslutning til kloak",
            "sløjfning af olietank",
        ],
    ),
    area(
        "EJENDOMSSKAT",
        "ejendomsskat",
        Owner::Kommune,
        11,
        Audiences::Both,
        &[
            "grundskyld",
            "ejendomsskattebillet",
            "dækningsafgift",
            "lån til betaling af ejendomsskat",
        ],
    ),
    area(
        "AFFALD",
        "affald og genbrug",
        Owner::Kommune,
        4,
        Audiences::Both,
        &[
            "affaldsgebyr",
            "tømningsordning",
            "storskrald",
            "erhvervsaffald",
            "skift af affaldsbeholder",
        ],
    ),
    area(
        "AELDRE",
        "ældre og sundhed",
        Owner::Kommune,
        2,
        Audiences::Private,
        &[
            "hjemmehjælp",
            "plejebolig",
            "madservice",
            "hjælpemidler",
            "genoptræning",
            "aflastning",
        ],
    ),
    area(
        "FAMILIE",
        "børn og familie",
        Owner::Kommune,
        2,
        Audiences::Private,
        &[
            "forebyggende foranstaltning",
            "børnefaglig undersøgelse",
            "aflastningsophold",
            "tabt arbejdsfortjeneste",
        ],
    ),
    area(
        "JOB",
        "beskæftigelse",
        Owner::Kommune,
        3,
        Audiences::Both,
        &[
            "jobsamtale",
            "kontanthjælp",
            "sygedagpenge",
            "fleksjob",
            "løntilskud",
            "ressourceforløb",
        ],
    ),
    area(
        "BORGER",
        "borgerservice",
        Owner::Kommune,
        2,
        Audiences::Private,
        &[
            "pas",
            "kørekort",
            "flytning",
            "sundhedskort",
            "valg af læge",
            "folkeregisteradresse",
        ],
    ),
    area(
        "PARKERING",
        "parkering og veje",
        Owner::Kommune,
        2,
        Audiences::Both,
        &[
            "beboerlicens",
            "parkeringsafgift",
            "erhvervslicens",
            "råden over vejareal",
        ],
    ),
    area(
        "TANDPLEJE",
        "tandpleje",
        Owner::Kommune,
        5,
        Audiences::Private,
        &["børnetandpleje", "omsorgstandpleje", "tandregulering"],
    ),
    area(
        "FRITID",
        "kultur og fritid",
        Owner::Kommune,
        2,
        Audiences::Both,
        &["lokalebooking", "foreningstilskud", "halleje"],
    ),
    area(
        "SYGEHUS",
        "sygehusbehandling",
        Owner::Region,
        5,
        Audiences::Private,
        &[
            "ambulant undersøgelse",
            "operation",
            "indlæggelse",
            "scanning",
            "kontrolbesøg",
            "udredning",
        ],
    ),
    area(
        "PATIENT",
        "patientrettigheder og befordring",
        Owner::Region,
        5,
        Audiences::Private,
        &[
            "befordring til behandling",
            "patienterstatning",
            "frit sygehusvalg",
        ],
    ),
    area(
        "LEVERANDOER",
        "leverandører",
        Owner::Region,
        5,
        Audiences::Erhverv,
        &["leverandøraftale", "udbud", "elektronisk faktura"],
    ),
    area(
        "SKAT",
        "skat",
        Owner::Agency(0),
        6,
        Audiences::Both,
        &[
            "forskudsopgørelse",
            "årsopgørelse",
            "restskat",
            "B-skat",
            "rentegodtgørelse",
            "momsangivelse",
        ],
    ),
    area(
        "YDELSER",
        "ydelser",
        Owner::Agency(1),
        9,
        Audiences::Private,
        &[
            "folkepension",
            "boligstøtte",
            "børne- og ungeydelse",
            "barselsdagpenge",
            "førtidspension",
            "boligydelse",
        ],
    ),
    saerlov(area(
        "SU",
        "SU",
        Owner::Agency(2),
        7,
        Audiences::Private,
        &[
            "SU-lån",
            "uddannelsesstøtte",
            "SU-klip",
            "slutlån",
            "forsørgertillæg",
            "tilbagebetaling af SU",
        ],
    )),
    saerlov(area(
        "LOEN",
        "løn",
        Owner::Agency(3),
        8,
        Audiences::Private,
        &[
            "lønseddel",
            "feriepenge",
            "pensionsbidrag",
            "lønregulering",
            "tjenestefrihed",
        ],
    )),
    area(
        "INDDRIVELSE",
        "inddrivelse",
        Owner::Agency(4),
        6,
        Audiences::Both,
        &[
            "betalingsordning",
            "lønindeholdelse",
            "modregning",
            "gæld til det offentlige",
        ],
    ),
    area(
        "VIRKSOMHED",
        "virksomhedsregistrering",
        Owner::Agency(5),
        10,
        Audiences::Erhverv,
        &[
            "CVR-registrering",
            "årsrapport",
            "reelle ejere",
            "kapitalforhøjelse",
            "tvangsopløsning",
        ],
    ),
    area(
        "KOERETOEJ",
        "køretøjer",
        Owner::Agency(6),
        10,
        Audiences::Both,
        &[
            "registreringsafgift",
            "nummerplader",
            "syn af køretøj",
            "vægtafgift",
        ],
    ),
    area(
        "FOEDEVARER",
        "fødevarekontrol",
        Owner::Agency(7),
        10,
        Audiences::Erhverv,
        &["kontrolbesøg", "autorisation", "smiley-rapport", "påbud"],
    ),
    area(
        "ARBEJDSMILJOE",
        "arbejdsmiljø",
        Owner::Agency(8),
        10,
        Audiences::Erhverv,
        &["tilsynsbesøg", "påbud", "arbejdsulykke"],
    ),
    area(
        "FAMILIERET",
        "familieret",
        Owner::Agency(9),
        2,
        Audiences::Private,
        &[
            "børnebidrag",
            "samvær",
            "separation",
            "forældremyndighed",
            "ægtefællebidrag",
        ],
    ),
    area(
        "VURDERING",
        "ejendomsvurdering",
        Owner::Agency(10),
        11,
        Audiences::Both,
        &[
            "ejendomsvurdering",
            "foreløbig vurdering",
            "genoptagelse af vurdering",
            "grundværdi",
        ],
    ),
    area(
        "ATP",
        "pension og feriemidler",
        Owner::Agency(11),
        9,
        Audiences::Both,
        &["ATP-bidrag", "ATP Livslang Pension", "feriemidler"],
    ),
    area(
        "ARBEJDSMARKED",
        "arbejdsmarked",
        Owner::Agency(12),
        3,
        Audiences::Both,
        &["dagpengeret", "seniorpension", "arbejdsmarkedsuddannelse"],
    ),
];

const LETTER_TYPES: [&str; 16] = [
    "Afgørelse om",
    "Kvittering for ansøgning om",
    "Påmindelse om",
    "Orientering om",
    "Bekræftelse af",
    "Opkrævning vedrørende",
    "Varsel om",
    "Partshøring om",
    "Tildeling af",
    "Afslag på ansøgning om",
    "Indkaldelse vedrørende",
    "Ændring af",
    "Brev om",
    "Klagevejledning vedrørende",
    "Genberegning af",
    "Oplysninger om",
];

/// `æ`, `ø`, `å` folded to `AE`, `OE`, `AA`; letters upper-cased; spaces become `-`.
fn ascii_code(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            'æ' | 'Æ' => out.push_str("AE"),
            'ø' | 'Ø' => out.push_str("OE"),
            'å' | 'Å' => out.push_str("AA"),
            ' ' | '-' => out.push('-'),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
            _ => {}
        }
    }
    out
}

fn municipality_name(short: &str) -> String {
    match short {
        "København" => "Københavns Kommune".to_string(),
        "Bornholm" => "Bornholms Regionskommune".to_string(),
        s => format!("{s} Kommune"),
    }
}

struct Group {
    id: String,
    name: String,
    private: bool,
    active_from: i64,
    /// Code of the owning authority (municipality, region or agency).
    authority: String,
    /// Index into [`AREAS`].
    area: usize,
    /// Owned by a state agency.
    agency: bool,
}

struct Material {
    id: String,
    name: String,
    system: usize,
    groups: Vec<usize>,
    nemsms: bool,
    mandatory: bool,
}

struct Catalog {
    /// Certificate expiry per sender system (day number), `None` for no certificate date.
    systems: Vec<Option<i64>>,
    groups: Vec<Group>,
    materials: Vec<Material>,
}

fn reference_day(opts: &SynthOptions) -> i64 {
    let (y, m, d) = opts.reference_date;
    days_from_civil(y, u32::from(m), u32::from(d))
}

fn build_catalog(opts: &SynthOptions) -> Catalog {
    let mut rng = Gen::new(opts.seed, Stream::Catalog);
    let today = reference_day(opts);

    // Sender systems: two expired certificates, one without a date, the rest valid. The særlov
    // systems (SU, state payroll) keep valid certificates so mandatory letters can be shown.
    let n = SENDER_SYSTEMS.len();
    let mut order: Vec<usize> = (0..n).filter(|s| !SAERLOV_SYSTEMS.contains(s)).collect();
    shuffle(&mut rng, &mut order);
    order.extend(SAERLOV_SYSTEMS);
    let mut systems = vec![None; n];
    for (rank, &s) in order.iter().enumerate() {
        systems[s] = match rank {
            0 | 1 => Some(today - rng.range(20, 400)),
            2 => None,
            // Certificates are issued for about three years.
            _ => Some(today + rng.range(600, 1100)),
        };
    }

    // Groups: every state and regional group, then municipal groups up to GROUPS.
    let mut groups: Vec<Group> = Vec::with_capacity(GROUPS);
    let mut seen: HashSet<String> = HashSet::new();
    let mut add = |rng: &mut Gen,
                   groups: &mut Vec<Group>,
                   code: &str,
                   authority: &str,
                   area_index: usize,
                   private: bool| {
        let a = &AREAS[area_index];
        let id = format!("{code}-{}-{}", a.code, if private { 'P' } else { 'E' });
        if !seen.insert(id.clone()) {
            return;
        }
        let name = if private {
            format!("Meddelelser om {}, {authority}", a.title)
        } else {
            format!("Meddelelser om {} til virksomheder, {authority}", a.title)
        };
        // Mostly activated in the past; about 3% activate after the reference date.
        let active_from = if rng.ppm(30_000) {
            today + rng.range(1, 180)
        } else {
            today - rng.range(1, 3650)
        };
        groups.push(Group {
            id,
            name,
            private,
            active_from,
            authority: code.to_string(),
            area: area_index,
            agency: matches!(a.owner, Owner::Agency(_)),
        });
    };
    let audiences = |a: &Area| -> &'static [bool] {
        match a.audiences {
            Audiences::Private => &[true],
            Audiences::Erhverv => &[false],
            Audiences::Both => &[true, false],
        }
    };
    for (i, a) in AREAS.iter().enumerate() {
        if let Owner::Agency(k) = a.owner {
            let (code, name) = AGENCIES[k];
            for &p in audiences(a) {
                add(&mut rng, &mut groups, code, name, i, p);
            }
        }
    }
    for (code, name) in REGIONS {
        for (i, a) in AREAS.iter().enumerate() {
            if a.owner == Owner::Region {
                for &p in audiences(a) {
                    add(&mut rng, &mut groups, code, name, i, p);
                }
            }
        }
    }
    let municipal: Vec<usize> = (0..AREAS.len())
        .filter(|&i| AREAS[i].owner == Owner::Kommune)
        .collect();
    while groups.len() < GROUPS {
        let short = *rng.pick(&MUNICIPALITIES);
        let i = *rng.pick(&municipal);
        let private = match AREAS[i].audiences {
            Audiences::Private => true,
            Audiences::Erhverv => false,
            Audiences::Both => rng.ppm(400_000),
        };
        let code = ascii_code(short);
        let name = municipality_name(short);
        add(&mut rng, &mut groups, &code, &name, i, private);
    }
    if !groups.iter().any(|g| g.active_from > today) {
        let last = groups.len() - 1;
        groups[last].active_from = today + 30;
    }

    // Materials.
    let mut perm: Vec<usize> = (0..groups.len()).collect();
    shuffle(&mut rng, &mut perm);
    let agency_groups: Vec<usize> = (0..groups.len()).filter(|&g| groups[g].agency).collect();
    let saerlov_groups: Vec<usize> = (0..groups.len())
        .filter(|&g| AREAS[groups[g].area].saerlov)
        .collect();
    let mut materials: Vec<Material> = Vec::with_capacity(MATERIALS);
    let mut ids: HashSet<String> = HashSet::new();
    let mut next_id: u64 = 100_000 + rng.below(500);
    for i in 0..MATERIALS {
        let primary = if i < perm.len() {
            perm[i]
        } else {
            match rng.below(100) {
                0..=4 => *rng.pick(&saerlov_groups),
                5..=29 => *rng.pick(&agency_groups),
                _ => rng.below(groups.len() as u64) as usize,
            }
        };
        let g = &groups[primary];
        let a = &AREAS[g.area];
        let mut member = vec![primary];
        // About a quarter go to both citizens and companies.
        if rng.ppm(260_000) {
            let other = groups
                .iter()
                .position(|h| {
                    h.authority == g.authority && h.area == g.area && h.private != g.private
                })
                .or_else(|| {
                    let same_authority: Vec<usize> = (0..groups.len())
                        .filter(|&h| {
                            groups[h].authority == g.authority && groups[h].private != g.private
                        })
                        .collect();
                    if same_authority.is_empty() {
                        None
                    } else {
                        Some(*rng.pick(&same_authority))
                    }
                });
            if let Some(o) = other {
                member.push(o);
            }
        }
        let subject = *rng.pick(a.subjects);
        let nemsms = !a.saerlov && rng.ppm(55_000);
        let mandatory = a.saerlov && rng.ppm(900_000);
        let name = if nemsms {
            format!("SMS-påmindelse om {subject}")
        } else {
            format!("{} {subject}", rng.pick(&LETTER_TYPES))
        };
        let system = if !a.saerlov && rng.ppm(40_000) {
            rng.below(SENDER_SYSTEMS.len() as u64) as usize
        } else {
            a.system
        };
        let id = loop {
            let candidate = if rng.ppm(10_000) {
                let letter = (b'A' + rng.below(26) as u8) as char;
                format!("{}-{:03}{letter}", a.code, rng.below(1000))
            } else {
                next_id += 1 + rng.below(40);
                next_id.to_string()
            };
            if ids.insert(candidate.clone()) {
                break candidate;
            }
        };
        materials.push(Material {
            id,
            name,
            system,
            groups: member,
            nemsms,
            mandatory,
        });
    }
    if !materials.iter().any(|m| m.nemsms) {
        let m = materials.iter_mut().find(|m| !m.mandatory);
        if let Some(m) = m {
            m.nemsms = true;
        }
    }
    if !materials.iter().any(|m| m.mandatory) {
        let m = materials.iter_mut().find(|m| !m.nemsms);
        if let Some(m) = m {
            m.mandatory = true;
        }
    }
    Catalog {
        systems,
        groups,
        materials,
    }
}

fn shuffle<T>(rng: &mut Gen, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// Writes the catalog (`catalog.toml` format) for `opts` into `out`.
///
/// The catalog has 12 sender systems (two with an expired certificate, one without a
/// certificate date), [`GROUPS`] subscription groups (about 60% private, a few percent
/// activated after the reference date) and [`MATERIALS`] materials (about a quarter in two
/// groups of different audiences, about 5% NemSMS, about 3% mandatory Digital Post).
pub fn write_catalog(out: &mut dyn Write, opts: &SynthOptions) -> io::Result<CatalogSummary> {
    check_options(opts)?;
    let catalog = build_catalog(opts);
    let (y, m, d) = opts.reference_date;
    let mut s = String::with_capacity(512 * 1024);
    s.push_str(&format!(
        "# Synthetic Digital Post catalog (tilmelding synth), seed {}, reference date {y:04}-{m:02}-{d:02}.\n",
        opts.seed
    ));
    for (i, expires) in catalog.systems.iter().enumerate() {
        s.push_str("\n[[sender_system]]\n");
        s.push_str(&format!("id = \"SYS-{}\"\n", i + 1));
        s.push_str(&format!("name = {}\n", toml_str(SENDER_SYSTEMS[i])));
        if let Some(day) = expires {
            s.push_str(&format!("certificate_expires = {}\n", date_string(*day)));
        }
    }
    for g in &catalog.groups {
        s.push_str("\n[[group]]\n");
        s.push_str(&format!("id = {}\n", toml_str(&g.id)));
        s.push_str(&format!("name = {}\n", toml_str(&g.name)));
        s.push_str(&format!(
            "audience = \"{}\"\n",
            if g.private { "private" } else { "erhverv" }
        ));
        s.push_str(&format!("active_from = {}\n", date_string(g.active_from)));
    }
    for m in &catalog.materials {
        s.push_str("\n[[material]]\n");
        s.push_str(&format!("id = {}\n", toml_str(&m.id)));
        s.push_str(&format!("name = {}\n", toml_str(&m.name)));
        s.push_str(&format!("sender_system = \"SYS-{}\"\n", m.system + 1));
        let groups: Vec<String> = m
            .groups
            .iter()
            .map(|&g| toml_str(&catalog.groups[g].id))
            .collect();
        s.push_str(&format!("groups = [{}]\n", groups.join(", ")));
        s.push_str(&format!(
            "message_type = \"{}\"\n",
            if m.nemsms { "nemsms" } else { "digitalpost" }
        ));
        s.push_str(&format!("mandatory = {}\n", m.mandatory));
    }
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(CatalogSummary {
        sender_systems: catalog.systems.len() as u64,
        groups: catalog.groups.len() as u64,
        materials: catalog.materials.len() as u64,
        material_ids: catalog.materials.into_iter().map(|m| m.id).collect(),
        bytes: s.len() as u64,
    })
}

// ---------------------------------------------------------------------------------------------
// Contacts.
// ---------------------------------------------------------------------------------------------

/// SplitMix64 finaliser.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A bijection of 0..1000 chosen by `key`: a keyed 10-bit permutation, cycle-walked into range.
#[inline]
fn permute_1000(key: u64, i: u32) -> u32 {
    let h = mix64(key);
    let a = (h as u32 & 1023) | 1;
    let b = (h >> 10) as u32 & 1023;
    let c = ((h >> 20) as u32 & 1023) | 1;
    let d = (h >> 30) as u32 & 1023;
    let mut x = i;
    loop {
        x = x.wrapping_mul(a).wrapping_add(b) & 1023;
        x ^= x >> 5;
        x = x.wrapping_mul(c).wrapping_add(d) & 1023;
        x ^= x >> 3;
        if x < 1000 {
            return x;
        }
    }
}

/// Age pyramid in 5-year bands: (first age of band, weight).
type Pyramid = [(u32, u32)];

/// Danish adults, roughly (thousands per 5-year band).
const AGES_GENERAL: [(u32, u32); 18] = [
    (15, 345),
    (20, 370),
    (25, 400),
    (30, 380),
    (35, 340),
    (40, 350),
    (45, 385),
    (50, 405),
    (55, 395),
    (60, 360),
    (65, 325),
    (70, 310),
    (75, 265),
    (80, 165),
    (85, 80),
    (90, 32),
    (95, 8),
    (100, 1),
];

/// Exempt for other reasons: mostly elderly.
const AGES_ELDERLY: [(u32, u32); 18] = [
    (15, 4),
    (20, 5),
    (25, 6),
    (30, 6),
    (35, 6),
    (40, 7),
    (45, 8),
    (50, 10),
    (55, 14),
    (60, 20),
    (65, 35),
    (70, 60),
    (75, 90),
    (80, 110),
    (85, 95),
    (90, 55),
    (95, 18),
    (100, 3),
];

/// Exempt because they left the country: working age.
const AGES_EMIGRANT: [(u32, u32); 12] = [
    (18, 20),
    (20, 60),
    (25, 110),
    (30, 110),
    (35, 85),
    (40, 60),
    (45, 45),
    (50, 35),
    (55, 25),
    (60, 20),
    (65, 15),
    (70, 8),
];

/// Deceased since the register started: old at death, some long ago.
const AGES_DECEASED: [(u32, u32); 20] = [
    (20, 2),
    (25, 2),
    (30, 3),
    (35, 3),
    (40, 4),
    (45, 6),
    (50, 9),
    (55, 14),
    (60, 20),
    (65, 30),
    (70, 45),
    (75, 60),
    (80, 75),
    (85, 80),
    (90, 65),
    (95, 45),
    (100, 25),
    (105, 10),
    (110, 4),
    (115, 1),
];

/// Precomputed per-pyramid weights, so a draw does not re-sum them.
struct AgeTable {
    starts: Vec<u32>,
    weights: Vec<u32>,
}

impl AgeTable {
    fn new(p: &Pyramid) -> AgeTable {
        AgeTable {
            starts: p.iter().map(|&(a, _)| a).collect(),
            weights: p.iter().map(|&(_, w)| w).collect(),
        }
    }
}

/// Relative-date context of one generation run.
struct Clock {
    today: i64,
    year: i32,
    month: u32,
    day: u32,
    min_birth: i64,
    max_birth: i64,
}

impl Clock {
    fn new(opts: &SynthOptions) -> Clock {
        let (y, m, d) = opts.reference_date;
        let (min_birth, max_birth) = cpr_day_bounds();
        Clock {
            today: reference_day(opts),
            year: y,
            month: u32::from(m),
            day: u32::from(d),
            min_birth,
            max_birth,
        }
    }

    /// A birth day of someone exactly `age` years old on the reference date.
    fn birth_for_age(&self, rng: &mut Gen, age: u32) -> i64 {
        let y = self.year - age as i32;
        let latest = anniversary(y, self.month, self.day);
        let earliest = anniversary(y - 1, self.month, self.day) + 1;
        rng.range(earliest, latest)
    }

    fn birth_from(&self, rng: &mut Gen, table: &AgeTable) -> i64 {
        let band = rng.weighted(&table.weights);
        let age = table.starts[band] + rng.below(5) as u32;
        self.clamp(self.birth_for_age(rng, age))
    }

    fn clamp(&self, day: i64) -> i64 {
        day.clamp(self.min_birth, self.max_birth)
    }
}

/// Seventh digit of a CPR number consistent with the birth year, `None` if unrepresentable.
fn seventh_digit(rng: &mut Gen, year: i32) -> Option<u32> {
    Some(match year {
        1858..=1899 => 5 + rng.below(4) as u32,
        1900..=1936 => rng.below(4) as u32,
        1937..=1999 => {
            if rng.ppm(80_000) {
                if rng.below(2) == 0 { 4 } else { 9 }
            } else {
                rng.below(4) as u32
            }
        }
        2000..=2036 => 4 + rng.below(6) as u32,
        2037..=2057 => 5 + rng.below(4) as u32,
        _ => return None,
    })
}

const STATUS: [&str; 4] = ["registered", "exempt", "closed", "unknown"];
const REG_NONE: &str = "";
const REG_AUTOMATIC: &str = "automatic";
const REG_VOLUNTARY: &str = "voluntary";
const REG_UNCONFIRMED: &str = "unconfirmed";
const REG_BEFORE_UNCONFIRMED: &str = "before_unconfirmed";
const REG_AWAITING: &str = "awaiting_registration";
const REG_LEFT: &str = "exempt_left_the_country";
const REG_OTHER: &str = "exempt_other_reason";

/// One generated line, before formatting.
struct Line {
    status: usize,
    registration: &'static str,
    start: Option<i64>,
    end: Option<i64>,
    nemsms: Option<bool>,
}

struct ContactsGen {
    rng: Gen,
    sampler: Gen,
    clock: Clock,
    general: AgeTable,
    elderly: AgeTable,
    emigrant: AgeTable,
    deceased: AgeTable,
    /// Serials issued per (birth day, replacement, seventh digit).
    cpr_issued: Vec<u16>,
    /// One bit per possible first seven CVR digits (1000000..=9999999).
    cvr_issued: Vec<u64>,
    seed_key: u64,
    cpr_count: u64,
    cvr_count: u64,
    sample_cpr: Vec<u64>,
    sample_cvr: Vec<u64>,
    old_start: i64,
    old_end: i64,
}

impl ContactsGen {
    fn new(opts: &SynthOptions) -> ContactsGen {
        let clock = Clock::new(opts);
        let days = (clock.max_birth - clock.min_birth + 1) as usize;
        ContactsGen {
            rng: Gen::new(opts.seed, Stream::Contacts),
            sampler: Gen::new(opts.seed, Stream::Sample),
            cpr_issued: vec![0; days * 20],
            cvr_issued: vec![0; 9_000_000 / 64 + 1],
            seed_key: mix64(opts.seed ^ 0x5EED_C0DE_0000_0000),
            clock,
            general: AgeTable::new(&AGES_GENERAL),
            elderly: AgeTable::new(&AGES_ELDERLY),
            emigrant: AgeTable::new(&AGES_EMIGRANT),
            deceased: AgeTable::new(&AGES_DECEASED),
            cpr_count: 0,
            cvr_count: 0,
            sample_cpr: Vec::new(),
            sample_cvr: Vec::new(),
            old_start: days_from_civil(1890, 1, 1),
            old_end: days_from_civil(1910, 12, 31),
        }
    }

    fn reservoir(sampler: &mut Gen, sample: &mut Vec<u64>, seen: u64, key: u64) {
        if sample.len() < SAMPLE {
            sample.push(key);
        } else {
            let j = sampler.below(seen);
            if (j as usize) < SAMPLE {
                sample[j as usize] = key;
            }
        }
    }

    /// Generates one citizen and appends its line to `buf`.
    fn citizen(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let rng = &mut self.rng;
        let clock = &self.clock;
        let r = rng.below(1_000_000);
        let (birth, line) = match r {
            // About to turn 15: registered, awaiting registration.
            0..=2_999 => {
                let fifteen = anniversary(clock.year - 15, clock.month, clock.day);
                let birth = clock.clamp(fifteen + rng.range(1, 90));
                let nemsms = if rng.ppm(500_000) { Some(false) } else { None };
                (birth, line(0, REG_AWAITING, None, None, nemsms))
            }
            // Closed: deceased.
            3_000..=12_999 => {
                let birth = if rng.ppm(50_000) {
                    rng.range(self.old_start, self.old_end)
                } else {
                    clock.birth_from(rng, &self.deceased)
                };
                (birth, line(2, REG_NONE, None, None, None))
            }
            // Unknown.
            13_000..=17_999 => (
                clock.birth_from(rng, &self.general),
                line(3, REG_NONE, None, None, None),
            ),
            // Exempt (about 256k of 5.9M).
            18_000..=60_999 => {
                let left = rng.ppm(200_000);
                let birth = if left {
                    clock.birth_from(rng, &self.emigrant)
                } else {
                    clock.birth_from(rng, &self.elderly)
                };
                let start = if rng.ppm(60_000) {
                    if rng.ppm(80_000) {
                        Some(clock.today + rng.range(1, 60))
                    } else {
                        Some(clock.today - rng.range(0, 3650))
                    }
                } else {
                    None
                };
                let nemsms = if rng.ppm(400_000) { Some(false) } else { None };
                let reg = if left { REG_LEFT } else { REG_OTHER };
                (birth, line(1, reg, start, None, nemsms))
            }
            // Registered.
            _ => {
                let birth = clock.birth_from(rng, &self.general);
                let q = rng.below(1_000_000);
                let reg = match q {
                    0..=7_499 => REG_UNCONFIRMED,
                    7_500..=10_999 => REG_BEFORE_UNCONFIRMED,
                    11_000..=100_999 => REG_VOLUNTARY,
                    _ => REG_AUTOMATIC,
                };
                let s = rng.below(1_000);
                let nemsms = match s {
                    0..=79 => Some(true),
                    80..=109 => None,
                    _ => Some(false),
                };
                (birth, line(0, reg, None, None, nemsms))
            }
        };

        // The CPR number: date, seventh digit from the century, three more serial digits. The
        // serials of one (date, seventh digit) are handed out through a seeded permutation of
        // 0..1000, so numbers are unique by construction without a set of all numbers.
        let (y, m, d) = civil_from_days(birth);
        let replacement = rng.ppm(1_000);
        let dd = if replacement { d + 60 } else { d };
        let yy = (y % 100) as u32;
        let day_slot =
            ((birth - self.clock.min_birth) as usize * 2 + usize::from(replacement)) * 10;
        let mut attempts = 0;
        let key = loop {
            let Some(d7) = seventh_digit(rng, y) else {
                return Err(other("birth date outside the CPR range"));
            };
            let slot = day_slot + d7 as usize;
            let issued = self.cpr_issued[slot];
            if issued < 1000 {
                self.cpr_issued[slot] = issued + 1;
                let serial =
                    d7 * 1000 + permute_1000(self.seed_key ^ slot as u64, u32::from(issued));
                break u64::from(dd) * 100_000_000
                    + u64::from(m) * 1_000_000
                    + u64::from(yy) * 10_000
                    + u64::from(serial);
            }
            attempts += 1;
            if attempts > 10_000 {
                return Err(other("a birth date ran out of CPR serial numbers"));
            }
        };
        let dash = rng.ppm(20_000);
        self.cpr_count += 1;
        Self::reservoir(&mut self.sampler, &mut self.sample_cpr, self.cpr_count, key);

        let serial = (key % 10_000) as u32;
        push2(buf, dd);
        push2(buf, m);
        push2(buf, yy);
        if dash {
            buf.push(b'-');
        }
        push4(buf, serial);
        write_fields(buf, &line);
        Ok(line.status)
    }

    /// Generates one company and appends its line to `buf`.
    fn company(&mut self, buf: &mut Vec<u8>) -> usize {
        let rng = &mut self.rng;
        let today = self.clock.today;
        let r = rng.below(1_000_000);
        let line = match r {
            // Time-limited exemption around the reference date.
            0..=9_999 => {
                let start = today + rng.range(-480, 120);
                let end = start + rng.range(30, 400);
                line(1, REG_OTHER, Some(start), Some(end), Some(false))
            }
            // Dissolved.
            10_000..=29_999 => line(2, REG_NONE, None, None, None),
            _ => {
                let s = rng.below(1_000);
                let nemsms = match s {
                    0..=2 => Some(true),
                    3..=29 => None,
                    _ => Some(false),
                };
                line(0, REG_AUTOMATIC, None, None, nemsms)
            }
        };
        let cvr = loop {
            let Some(cvr) = cvr_candidate(rng) else {
                continue;
            };
            // The check digit follows from the first seven, so a bitset of those suffices.
            let head = (cvr / 10 - 1_000_000) as usize;
            let (word, bit) = (head / 64, 1u64 << (head % 64));
            if self.cvr_issued[word] & bit == 0 {
                self.cvr_issued[word] |= bit;
                break cvr;
            }
        };
        let dk = rng.ppm(20_000);
        self.cvr_count += 1;
        Self::reservoir(
            &mut self.sampler,
            &mut self.sample_cvr,
            self.cvr_count,
            u64::from(cvr),
        );
        if dk {
            buf.extend_from_slice(b"DK");
        }
        push4(buf, cvr / 10_000);
        push4(buf, cvr % 10_000);
        write_fields(buf, &line);
        line.status
    }
}

fn line(
    status: usize,
    registration: &'static str,
    start: Option<i64>,
    end: Option<i64>,
    nemsms: Option<bool>,
) -> Line {
    Line {
        status,
        registration,
        start,
        end,
        nemsms,
    }
}

/// Seven random digits (first not 0) plus the modulus-11 check digit; `None` when the check
/// digit would be 10.
fn cvr_candidate(rng: &mut Gen) -> Option<u32> {
    const WEIGHTS: [u32; 7] = [2, 7, 6, 5, 4, 3, 2];
    let head = 1_000_000 + rng.below(9_000_000) as u32;
    let mut rest = head;
    let mut sum = 0;
    for w in WEIGHTS.iter().rev() {
        sum += (rest % 10) * w;
        rest /= 10;
    }
    let check = (11 - sum % 11) % 11;
    (check < 10).then_some(head * 10 + check)
}

#[inline]
fn write_fields(buf: &mut Vec<u8>, line: &Line) {
    buf.push(b';');
    buf.extend_from_slice(STATUS[line.status].as_bytes());
    buf.push(b';');
    buf.extend_from_slice(line.registration.as_bytes());
    buf.push(b';');
    if let Some(day) = line.start {
        push_date(buf, day);
    }
    buf.push(b';');
    if let Some(day) = line.end {
        push_date(buf, day);
    }
    buf.push(b';');
    match line.nemsms {
        Some(true) => buf.extend_from_slice(b"true"),
        Some(false) => buf.extend_from_slice(b"false"),
        None => {}
    }
    buf.push(b'\n');
}

/// Lines between progress reports.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Size of the chunks handed from the generating thread to the writing one.
const CHUNK: usize = 1 << 20;

/// What the generating thread reports when it is done.
#[derive(Default)]
struct Produced {
    counts: [u64; 4],
    nemsms: u64,
    sample_cpr: Vec<u64>,
    sample_cvr: Vec<u64>,
}

/// Generates all lines (header first) in chunks of about [`CHUNK`] bytes and sends each with
/// the number of contacts it completes. Stops early, without error, if the receiver is gone.
fn produce(
    opts: &SynthOptions,
    chunks: mpsc::SyncSender<(Vec<u8>, u64)>,
    spare: mpsc::Receiver<Vec<u8>>,
) -> io::Result<Produced> {
    let total = opts.citizens + opts.companies;
    let mut generator = ContactsGen::new(opts);
    let mut produced = Produced::default();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 256);
    buf.extend_from_slice(CONTACTS_HEADER.as_bytes());
    buf.push(b'\n');
    let (mut citizens_left, mut companies_left) = (opts.citizens, opts.companies);
    for written in 1..=total {
        let is_citizen = generator.rng.below(citizens_left + companies_left) < citizens_left;
        let line_start = buf.len();
        let status = if is_citizen {
            citizens_left -= 1;
            generator.citizen(&mut buf)?
        } else {
            companies_left -= 1;
            generator.company(&mut buf)
        };
        produced.counts[status] += 1;
        if buf[line_start..].ends_with(b";true\n") {
            produced.nemsms += 1;
        }
        if buf.len() >= CHUNK {
            let next = spare
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK + 256));
            if chunks
                .send((std::mem::replace(&mut buf, next), written))
                .is_err()
            {
                return Ok(produced);
            }
            buf.clear();
        }
    }
    // The last chunk (possibly just the header) always goes out.
    let _ = chunks.send((buf, total));
    produced.sample_cpr = generator.sample_cpr;
    produced.sample_cvr = generator.sample_cvr;
    Ok(produced)
}

/// Writes the contact register extract (`contacts.csv` format) for `opts` into `out`.
///
/// Citizens and companies are interleaved in a random order. `progress(written, total)` is
/// called at the start, about every 64k lines and at the end. Lines are generated on a second
/// thread and handed over in 1 MiB chunks, so `out` need not be buffered; `out` and `progress`
/// are only used on the calling thread.
pub fn write_contacts(
    out: &mut dyn Write,
    opts: &SynthOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> io::Result<ContactsSummary> {
    check_options(opts)?;
    let total = opts.citizens + opts.companies;
    progress(0, total);
    let mut bytes = 0u64;
    let produced = thread::scope(|scope| -> io::Result<Produced> {
        let (chunks_tx, chunks_rx) = mpsc::sync_channel::<(Vec<u8>, u64)>(4);
        let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
        let producer = scope.spawn(move || produce(opts, chunks_tx, spare_rx));
        let mut written_result = Ok(());
        let mut reported = 0u64;
        for (chunk, written) in chunks_rx.iter() {
            if let Err(e) = out.write_all(&chunk) {
                written_result = Err(e);
                break;
            }
            bytes += chunk.len() as u64;
            if written / PROGRESS_EVERY > reported / PROGRESS_EVERY && written < total {
                progress(written, total);
                reported = written;
            }
            let _ = spare_tx.send(chunk);
        }
        // Dropping the receiver stops the producer if writing failed.
        drop(chunks_rx);
        let produced = producer
            .join()
            .map_err(|_| other("contact generator thread panicked"))??;
        written_result?;
        Ok(produced)
    })?;
    out.flush()?;
    progress(total, total);
    Ok(ContactsSummary {
        citizens: opts.citizens,
        companies: opts.companies,
        registered: produced.counts[0],
        exempt: produced.counts[1],
        closed: produced.counts[2],
        unknown: produced.counts[3],
        nemsms: produced.nemsms,
        bytes,
        sample_cpr: produced.sample_cpr,
        sample_cvr: produced.sample_cvr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    const REF: (i32, u32, u32) = (2026, 1, 1);

    fn small(seed: u64) -> SynthOptions {
        SynthOptions {
            citizens: 50_000,
            companies: 3_000,
            seed,
            reference_date: (2026, 1, 1),
        }
    }

    fn contacts(opts: &SynthOptions) -> (Vec<u8>, ContactsSummary) {
        let mut out = Vec::new();
        let summary = write_contacts(&mut out, opts, &mut |_, _| {}).unwrap();
        (out, summary)
    }

    fn catalog(opts: &SynthOptions) -> (String, CatalogSummary) {
        let mut out = Vec::new();
        let summary = write_catalog(&mut out, opts).unwrap();
        (String::from_utf8(out).unwrap(), summary)
    }

    // --- independent reference implementations -------------------------------------------

    fn leap(y: i32) -> bool {
        y % 400 == 0 || (y % 100 != 0 && y % 4 == 0)
    }

    fn month_len(y: i32, m: u32) -> u32 {
        [
            31,
            if leap(y) { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ][m as usize - 1]
    }

    /// Days since 1800-01-01, by counting.
    fn ordinal(y: i32, m: u32, d: u32) -> i64 {
        let mut n = 0i64;
        for yy in 1800..y {
            n += if leap(yy) { 366 } else { 365 };
        }
        for mm in 1..m {
            n += i64::from(month_len(y, mm));
        }
        n + i64::from(d) - 1
    }

    fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let y: i32 = s[0..4].parse().ok()?;
        let m: u32 = s[5..7].parse().ok()?;
        let d: u32 = s[8..10].parse().ok()?;
        ((1..=12).contains(&m) && d >= 1 && d <= month_len(y, m)).then_some((y, m, d))
    }

    struct Cpr {
        value: u64,
        birth: (i32, u32, u32),
        d7: u32,
        replacement: bool,
    }

    /// Validates a CPR number by the century rules; returns its value and birth date.
    fn check_cpr(id: &str) -> Option<Cpr> {
        let digits: String = match id.len() {
            10 => id.to_string(),
            11 if id.as_bytes()[6] == b'-' => format!("{}{}", &id[..6], &id[7..]),
            _ => return None,
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let num = |a: usize, b: usize| digits[a..b].parse::<u32>().unwrap();
        let (dd, mm, yy, d7) = (num(0, 2), num(2, 4), num(4, 6), num(6, 7));
        let year = match d7 {
            0..=3 => 1900 + yy,
            4 | 9 if yy <= 36 => 2000 + yy,
            4 | 9 => 1900 + yy,
            _ if yy <= 57 => 2000 + yy,
            _ => 1800 + yy,
        } as i32;
        let (day, replacement) = if dd > 60 {
            (dd - 60, true)
        } else {
            (dd, false)
        };
        if !(1..=12).contains(&mm) || day == 0 || day > month_len(year, mm) {
            return None;
        }
        Some(Cpr {
            value: digits.parse().unwrap(),
            birth: (year, mm, day),
            d7,
            replacement,
        })
    }

    fn check_cvr(id: &str) -> Option<u64> {
        let digits = id.strip_prefix("DK").unwrap_or(id);
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if digits.starts_with('0') {
            return None;
        }
        let sum: u32 = digits
            .bytes()
            .zip([2, 7, 6, 5, 4, 3, 2, 1])
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        sum.is_multiple_of(11).then(|| digits.parse().unwrap())
    }

    fn age_on(birth: (i32, u32, u32), on: (i32, u32, u32)) -> i32 {
        on.0 - birth.0 - i32::from((on.1, on.2) < (birth.1, birth.2))
    }

    // --- contacts ----------------------------------------------------------------------------

    struct Parsed {
        citizens: u64,
        companies: u64,
        status: HashMap<(bool, String), u64>,
        registration: HashMap<(bool, String), u64>,
        nemsms_true: HashMap<(bool, String), u64>,
        values: HashSet<u64>,
        cpr_values: HashSet<u64>,
        cvr_values: HashSet<u64>,
        d7_by_century: HashSet<(i32, u32)>,
        replacements: u64,
        dashed: u64,
        dk: u64,
        company_windows: (u64, u64, u64),
    }

    /// Parses and validates every line; panics on the first violation.
    fn parse_contacts(text: &str, reference: (i32, u32, u32)) -> Parsed {
        let mut lines = text.split_inclusive('\n');
        assert_eq!(lines.next(), Some(format!("{CONTACTS_HEADER}\n").as_str()));
        let mut p = Parsed {
            citizens: 0,
            companies: 0,
            status: HashMap::new(),
            registration: HashMap::new(),
            nemsms_true: HashMap::new(),
            values: HashSet::new(),
            cpr_values: HashSet::new(),
            cvr_values: HashSet::new(),
            d7_by_century: HashSet::new(),
            replacements: 0,
            dashed: 0,
            dk: 0,
            company_windows: (0, 0, 0),
        };
        let today = ordinal(reference.0, reference.1, reference.2);
        for line in lines {
            let line = line.strip_suffix('\n').expect("every line ends with \\n");
            assert!(!line.contains('\r'));
            let f: Vec<&str> = line.split(';').collect();
            assert_eq!(f.len(), 6, "{line}");
            let (id, status, reg, start, end, nemsms) = (f[0], f[1], f[2], f[3], f[4], f[5]);
            let is_cpr = !id.starts_with("DK") && id.len() != 8;
            let value = if is_cpr {
                let cpr = check_cpr(id).unwrap_or_else(|| panic!("invalid CPR {id}"));
                p.citizens += 1;
                p.dashed += u64::from(id.len() == 11);
                p.replacements += u64::from(cpr.replacement);
                p.d7_by_century.insert((cpr.birth.0 / 100, cpr.d7));
                let age = age_on(cpr.birth, reference);
                if reg == "awaiting_registration" {
                    assert_eq!(age, 14, "{id}");
                    let (y, m, d) = (reference.0 - 15, reference.1, reference.2);
                    let fifteen = ordinal(y, m, d.min(month_len(y, m)));
                    let b = ordinal(cpr.birth.0, cpr.birth.1, cpr.birth.2);
                    assert!(b > fifteen && b <= fifteen + 92, "{id}");
                } else {
                    assert!(age >= 15, "{id} is {age}");
                }
                assert!(age <= 140, "{id}");
                assert!(p.cpr_values.insert(cpr.value));
                cpr.value
            } else {
                let cvr = check_cvr(id).unwrap_or_else(|| panic!("invalid CVR {id}"));
                p.companies += 1;
                p.dk += u64::from(id.starts_with("DK"));
                assert!(p.cvr_values.insert(cvr));
                cvr
            };
            assert!(p.values.insert(value), "duplicate {id}");
            let allowed_reg: &[&str] = match status {
                "registered" if is_cpr => &[
                    "automatic",
                    "voluntary",
                    "unconfirmed",
                    "before_unconfirmed",
                    "awaiting_registration",
                ],
                "registered" => &["automatic", "voluntary"],
                "exempt" => &["exempt_left_the_country", "exempt_other_reason"],
                "closed" | "unknown" => &[""],
                other => panic!("status {other}"),
            };
            assert!(allowed_reg.contains(&reg), "{line}");
            let start = (!start.is_empty()).then(|| parse_date(start).expect(start));
            let end = (!end.is_empty()).then(|| parse_date(end).expect(end));
            if status != "exempt" {
                assert!(start.is_none() && end.is_none(), "{line}");
            }
            if let (Some(s), Some(e)) = (start, end) {
                assert!(s <= e, "{line}");
            }
            if !is_cpr && status == "exempt" {
                let (s, e) = (start.expect("company window"), end.expect("company window"));
                let (s, e) = (ordinal(s.0, s.1, s.2), ordinal(e.0, e.1, e.2));
                if e < today {
                    p.company_windows.0 += 1;
                } else if s > today {
                    p.company_windows.2 += 1;
                } else {
                    p.company_windows.1 += 1;
                }
            }
            assert!(["true", "false", ""].contains(&nemsms), "{line}");
            *p.status.entry((is_cpr, status.to_string())).or_default() += 1;
            *p.registration.entry((is_cpr, reg.to_string())).or_default() += 1;
            if nemsms == "true" {
                assert!(status == "registered", "{line}");
                *p.nemsms_true
                    .entry((is_cpr, status.to_string()))
                    .or_default() += 1;
            }
        }
        p
    }

    fn share(map: &HashMap<(bool, String), u64>, cpr: bool, key: &str, total: u64) -> f64 {
        *map.get(&(cpr, key.to_string())).unwrap_or(&0) as f64 / total as f64
    }

    #[test]
    fn contacts_are_deterministic_per_seed() {
        let (a, _) = contacts(&small(7));
        let (b, _) = contacts(&small(7));
        let (c, _) = contacts(&small(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn catalog_is_deterministic_per_seed() {
        assert_eq!(catalog(&small(7)).0, catalog(&small(7)).0);
        assert_ne!(catalog(&small(7)).0, catalog(&small(8)).0);
    }

    #[test]
    fn contacts_are_valid_unique_and_realistic() {
        let opts = small(7);
        let (bytes, summary) = contacts(&opts);
        assert_eq!(summary.bytes, bytes.len() as u64);
        let text = String::from_utf8(bytes).expect("UTF-8");
        let p = parse_contacts(&text, REF);
        assert_eq!((p.citizens, p.companies), (opts.citizens, opts.companies));
        assert_eq!(
            (summary.citizens, summary.companies),
            (p.citizens, p.companies)
        );

        let n = p.citizens;
        let s = |k| share(&p.status, true, k, n);
        assert!(
            (0.92..0.96).contains(&s("registered")),
            "{}",
            s("registered")
        );
        assert!((0.035..0.05).contains(&s("exempt")), "{}", s("exempt"));
        assert!((0.007..0.013).contains(&s("closed")), "{}", s("closed"));
        assert!((0.003..0.008).contains(&s("unknown")), "{}", s("unknown"));
        let r = |k| share(&p.registration, true, k, n);
        assert!((0.002..0.0045).contains(&r("awaiting_registration")));
        assert!(r("automatic") > 0.8 && r("voluntary") > 0.05);
        let pending = r("unconfirmed") + r("before_unconfirmed");
        assert!((0.006..0.015).contains(&pending), "{pending}");
        assert!(r("exempt_left_the_country") > 0.0 && r("exempt_other_reason") > 0.02);
        let registered = *p.status.get(&(true, "registered".into())).unwrap() as f64;
        let nemsms = *p.nemsms_true.get(&(true, "registered".into())).unwrap() as f64;
        assert!((0.06..0.10).contains(&(nemsms / registered)));

        let m = p.companies;
        let c = |k| share(&p.status, false, k, m);
        assert!((0.95..0.99).contains(&c("registered")));
        assert!((0.004..0.02).contains(&c("exempt")));
        assert!((0.01..0.03).contains(&c("closed")));
        let (ended, current, future) = p.company_windows;
        assert!(
            ended > 0 && current > 0 && future > 0,
            "{:?}",
            p.company_windows
        );

        // Every century rule is exercised, plus the written variants.
        for expected in [
            (18, 5),
            (19, 0),
            (19, 4),
            (19, 9),
            (20, 4),
            (20, 5),
            (20, 9),
        ] {
            let hit = p.d7_by_century.iter().any(|&(cent, d7)| {
                cent == expected.0
                    && (d7 == expected.1 || (expected.1 == 5 && (5..=8).contains(&d7)))
            });
            assert!(
                hit,
                "no CPR with century {}xx and d7 {}",
                expected.0, expected.1
            );
        }
        assert!(p.replacements > 0 && p.replacements < n / 200);
        assert!(p.dashed > n / 100 && p.dashed < n / 25, "{}", p.dashed);
        assert!(p.dk > 0 && p.dk < m / 20);

        // Summary counts and samples.
        assert_eq!(
            summary.registered + summary.exempt + summary.closed + summary.unknown,
            n + m
        );
        let count = |cpr, k: &str| p.status.get(&(cpr, k.to_string())).copied().unwrap_or(0);
        assert_eq!(
            summary.exempt,
            count(true, "exempt") + count(false, "exempt")
        );
        assert_eq!(
            summary.closed,
            count(true, "closed") + count(false, "closed")
        );
        assert_eq!(summary.nemsms, p.nemsms_true.values().sum::<u64>());
        assert_eq!(summary.sample_cpr.len(), (n as usize).min(SAMPLE));
        assert_eq!(summary.sample_cvr.len(), (m as usize).min(SAMPLE));
        assert!(summary.sample_cpr.iter().all(|v| p.cpr_values.contains(v)));
        assert!(summary.sample_cvr.iter().all(|v| p.cvr_values.contains(v)));
    }

    #[test]
    fn leap_day_reference_date_and_other_seed() {
        let opts = SynthOptions {
            citizens: 20_000,
            companies: 2_000,
            seed: 12_345,
            reference_date: (2028, 2, 29),
        };
        let (bytes, _) = contacts(&opts);
        let p = parse_contacts(std::str::from_utf8(&bytes).unwrap(), (2028, 2, 29));
        assert_eq!(p.values.len(), 22_000);
    }

    #[test]
    fn sample_is_capped_and_uniform_looking() {
        let opts = SynthOptions {
            citizens: SAMPLE as u64 + 50_000,
            companies: 10,
            seed: 3,
            reference_date: (2026, 1, 1),
        };
        let mut calls = Vec::new();
        let mut out = io::sink();
        let s = write_contacts(&mut out, &opts, &mut |w, t| calls.push((w, t))).unwrap();
        assert_eq!(s.sample_cpr.len(), SAMPLE);
        assert_eq!(s.sample_cvr.len(), 10);
        let distinct: HashSet<_> = s.sample_cpr.iter().collect();
        assert_eq!(distinct.len(), SAMPLE);
        let total = opts.citizens + opts.companies;
        assert_eq!(calls.first(), Some(&(0, total)));
        assert_eq!(calls.last(), Some(&(total, total)));
        assert!(calls.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(calls.len() >= 3);
    }

    #[test]
    fn serial_permutation_is_a_bijection() {
        for key in [0u64, 1, 42, u64::MAX] {
            let seen: HashSet<u32> = (0..1000).map(|i| permute_1000(key, i)).collect();
            assert_eq!(seen.len(), 1000);
            assert!(seen.iter().all(|&x| x < 1000));
        }
    }

    #[test]
    fn calendar_round_trips() {
        for day in days_from_civil(1850, 1, 1)..days_from_civil(2060, 12, 31) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            assert_eq!(ordinal(y, m, d) - ordinal(1970, 1, 1), day, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn cvr_candidates_pass_modulus_11() {
        let mut rng = Gen::new(9, Stream::Contacts);
        let mut ok = 0;
        for _ in 0..10_000 {
            if let Some(c) = cvr_candidate(&mut rng) {
                assert!(check_cvr(&c.to_string()).is_some(), "{c}");
                ok += 1;
            }
        }
        assert!(ok > 8_500);
    }

    // --- catalog -----------------------------------------------------------------------------

    /// A tiny parser for exactly the catalog format: `[[table]]` headers and `key = value`.
    fn parse_catalog(text: &str) -> Vec<(String, HashMap<String, String>)> {
        let mut tables: Vec<(String, HashMap<String, String>)> = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
                tables.push((name.to_string(), HashMap::new()));
                continue;
            }
            let (k, v) = line.split_once(" = ").expect(line);
            let table = &mut tables.last_mut().expect("key before table").1;
            assert!(
                table.insert(k.to_string(), v.to_string()).is_none(),
                "{line}"
            );
        }
        tables
    }

    fn unquote(v: &str) -> String {
        let inner = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .expect(v);
        assert!(!inner.contains('"') && !inner.contains('\\'));
        inner.to_string()
    }

    #[test]
    fn catalog_references_resolve_and_shares_hold() {
        let opts = small(7);
        let (text, summary) = catalog(&opts);
        assert_eq!(summary.bytes, text.len() as u64);
        let tables = parse_catalog(&text);
        let today = ordinal(REF.0, REF.1, REF.2);
        let date = |v: &str| {
            let (y, m, d) = parse_date(v).expect(v);
            ordinal(y, m, d)
        };

        let mut systems = HashSet::new();
        let (mut expired, mut undated, mut valid) = (0, 0, 0);
        let mut groups: HashMap<String, (String, i64)> = HashMap::new();
        let mut material_ids = Vec::new();
        let (mut two, mut nemsms, mut mandatory) = (0, 0, 0);
        let mut used_groups = HashSet::new();
        for (kind, t) in &tables {
            match kind.as_str() {
                "sender_system" => {
                    assert!(systems.insert(unquote(&t["id"])));
                    assert!(!unquote(&t["name"]).is_empty());
                    match t.get("certificate_expires") {
                        None => undated += 1,
                        Some(v) if date(v) < today => expired += 1,
                        Some(_) => valid += 1,
                    }
                }
                "group" => {
                    let audience = unquote(&t["audience"]);
                    assert!(audience == "private" || audience == "erhverv");
                    assert!(!unquote(&t["name"]).is_empty());
                    let from = date(&t["active_from"]);
                    assert!(groups.insert(unquote(&t["id"]), (audience, from)).is_none());
                }
                "material" => {
                    let id = unquote(&t["id"]);
                    assert!(!id.is_empty());
                    assert!(!unquote(&t["name"]).is_empty());
                    assert!(systems.contains(&unquote(&t["sender_system"])));
                    let list = t["groups"]
                        .strip_prefix('[')
                        .and_then(|l| l.strip_suffix(']'));
                    let ids: Vec<String> = list.unwrap().split(", ").map(unquote).collect();
                    assert!(ids.len() == 1 || ids.len() == 2, "{id}");
                    let audiences: HashSet<&String> = ids
                        .iter()
                        .map(|g| &groups.get(g).unwrap_or_else(|| panic!("group {g}")).0)
                        .collect();
                    assert_eq!(
                        audiences.len(),
                        ids.len(),
                        "{id}: two groups of one audience"
                    );
                    used_groups.extend(ids.iter().cloned());
                    two += usize::from(ids.len() == 2);
                    let kind = unquote(&t["message_type"]);
                    assert!(kind == "digitalpost" || kind == "nemsms");
                    let is_mandatory = match t["mandatory"].as_str() {
                        "true" => true,
                        "false" => false,
                        other => panic!("mandatory = {other}"),
                    };
                    assert!(!(is_mandatory && kind == "nemsms"), "{id}");
                    nemsms += usize::from(kind == "nemsms");
                    mandatory += usize::from(is_mandatory);
                    material_ids.push(id);
                }
                other => panic!("table {other}"),
            }
        }
        assert_eq!(material_ids, summary.material_ids);
        let unique: HashSet<&String> = material_ids.iter().collect();
        assert_eq!(unique.len(), material_ids.len());
        assert!(
            material_ids
                .iter()
                .any(|id| !id.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(
            material_ids
                .iter()
                .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
                .count()
                > 1900
        );
        assert_eq!(summary.sender_systems as usize, systems.len());
        assert_eq!(summary.groups as usize, groups.len());
        assert_eq!(summary.materials as usize, material_ids.len());
        assert_eq!(
            (systems.len(), groups.len(), material_ids.len()),
            (12, GROUPS, MATERIALS)
        );
        assert!(
            expired >= 1 && undated >= 1 && valid >= 8,
            "{expired} {undated} {valid}"
        );
        assert_eq!(
            used_groups.len(),
            groups.len(),
            "every group has a material"
        );

        let n = material_ids.len() as f64;
        let frac = |x: usize| x as f64 / n;
        assert!((0.18..0.32).contains(&frac(two)), "{}", frac(two));
        assert!((0.03..0.08).contains(&frac(nemsms)), "{}", frac(nemsms));
        assert!(
            (0.015..0.05).contains(&frac(mandatory)),
            "{}",
            frac(mandatory)
        );
        let private = groups.values().filter(|g| g.0 == "private").count() as f64;
        assert!((0.5..0.7).contains(&(private / groups.len() as f64)));
        let future = groups.values().filter(|g| g.1 > today).count();
        assert!(future >= 1 && future < groups.len() / 10, "{future}");
    }

    #[test]
    fn generate_writes_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("nested").join("out");
        let opts = SynthOptions {
            citizens: 5_000,
            companies: 500,
            seed: 1,
            reference_date: (2026, 1, 1),
        };
        let mut last = (0, 0);
        let s = generate(&target, &opts, &mut |w, t| last = (w, t)).unwrap();
        assert_eq!(last, (5_500, 5_500));
        assert_eq!(s.catalog_path, target.join(CATALOG_FILE));
        assert_eq!(s.contacts_path, target.join(CONTACTS_FILE));
        let csv = fs::read(&s.contacts_path).unwrap();
        assert_eq!(s.contacts_bytes, csv.len() as u64);
        assert_eq!(csv.iter().filter(|&&b| b == b'\n').count(), 5_501);
        assert_eq!(csv, contacts(&opts).0);
        assert_eq!(
            fs::read_to_string(&s.catalog_path).unwrap(),
            catalog(&opts).0
        );
        assert_eq!((s.citizens, s.companies), (5_000, 500));
        assert_eq!(
            (s.materials, s.groups, s.sender_systems),
            (2_000, 1_000, 12)
        );
        assert_eq!(s.material_ids.len(), 2_000);
        assert_eq!((s.sample_cpr.len(), s.sample_cvr.len()), (5_000, 500));
        let names: Vec<_> = fs::read_dir(&target)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    /// A writer that fails after `left` bytes.
    struct Failing {
        left: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::other("disk full"));
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_are_returned_without_hanging() {
        let opts = SynthOptions {
            citizens: 400_000,
            companies: 10_000,
            ..small(1)
        };
        let err =
            write_contacts(&mut Failing { left: 3 << 20 }, &opts, &mut |_, _| {}).unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        let err = write_catalog(&mut Failing { left: 100 }, &opts).unwrap_err();
        assert_eq!(err.to_string(), "disk full");
    }

    #[test]
    fn empty_register_is_just_a_header() {
        let opts = SynthOptions {
            citizens: 0,
            companies: 0,
            ..SynthOptions::default()
        };
        let (bytes, s) = contacts(&opts);
        assert_eq!(bytes, format!("{CONTACTS_HEADER}\n").into_bytes());
        assert!(s.sample_cpr.is_empty() && s.sample_cvr.is_empty());
    }

    #[test]
    fn bad_options_are_rejected() {
        let bad = [
            SynthOptions {
                reference_date: (2026, 2, 29),
                ..small(1)
            },
            SynthOptions {
                reference_date: (2026, 13, 1),
                ..small(1)
            },
            SynthOptions {
                reference_date: (2026, 1, 0),
                ..small(1)
            },
            SynthOptions {
                reference_date: (1900, 1, 1),
                ..small(1)
            },
            SynthOptions {
                citizens: MAX_CITIZENS + 1,
                ..small(1)
            },
            SynthOptions {
                companies: MAX_COMPANIES + 1,
                ..small(1)
            },
        ];
        for opts in bad {
            let err = write_contacts(&mut io::sink(), &opts, &mut |_, _| {}).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{opts:?}");
            let err = write_catalog(&mut io::sink(), &opts).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            let dir = tempfile::tempdir().unwrap();
            let err = generate(dir.path(), &opts, &mut |_, _| {}).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        let defaults = SynthOptions::default();
        assert_eq!(
            (defaults.citizens, defaults.companies, defaults.seed),
            (5_900_000, 800_000, 1)
        );
        assert_eq!(defaults.reference_date, (2026, 1, 1));
    }
}
