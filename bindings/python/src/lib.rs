//! The Python module `tilmelding._native`, re-exported by the package
//! `tilmelding` (python/tilmelding/__init__.py). Over the Rust API: every
//! answer, error and message is the library's.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3::{create_exception, intern};
use tilmelding::{
    Answer as RustAnswer, Channel, Date, LookupError, OpenError, Reason, Recipient, RecipientKind,
    Refresh, Refresher,
};

create_exception!(
    tilmelding,
    Error,
    PyException,
    "A failure of tilmelding; `code` is the CLI's name for it (e.g. `invalid_recipient`)."
);
create_exception!(
    tilmelding,
    UnknownMaterial,
    Error,
    "The material ID is not in the catalog."
);
create_exception!(
    tilmelding,
    InvalidRecipient,
    Error,
    "Not a valid CPR or CVR number."
);
create_exception!(
    tilmelding,
    AudienceMismatch,
    Error,
    "The material has no group for this kind of recipient."
);
create_exception!(
    tilmelding,
    StaleIndex,
    Error,
    "The list is older than the maximum age set."
);
create_exception!(
    tilmelding,
    CorruptIndex,
    Error,
    "The file is not a valid index (or of an unsupported version)."
);

/// The exception of a lookup failure, with `code` set.
fn lookup_error(py: Python<'_>, error: LookupError, message: String) -> PyErr {
    let err = match error {
        LookupError::UnknownMaterial => UnknownMaterial::new_err(message),
        LookupError::InvalidRecipient => InvalidRecipient::new_err(message),
        LookupError::AudienceMismatch => AudienceMismatch::new_err(message),
        LookupError::StaleIndex => StaleIndex::new_err(message),
        _ => Error::new_err(message),
    };
    with_code(py, err, error.as_str())
}

fn with_code(py: Python<'_>, err: PyErr, code: &str) -> PyErr {
    if let Err(e) = err.value(py).setattr("code", code) {
        return e;
    }
    err
}

/// The exception of a failure to open an index.
fn open_error(py: Python<'_>, error: OpenError) -> PyErr {
    let message = error.to_string();
    match &error {
        OpenError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(message)
        }
        OpenError::Io { .. } => PyOSError::new_err(message),
        _ => {
            let code = match error.format_error() {
                Some(tilmelding::FormatError::UnsupportedVersion { .. }) => "unsupported_version",
                _ => "corrupt_index",
            };
            with_code(py, CorruptIndex::new_err(message), code)
        }
    }
}

/// A `datetime.date` (or anything with `year`, `month`, `day`), or today
/// in Danish time for `None`.
fn date_of(date: Option<&Bound<'_, PyAny>>) -> PyResult<Date> {
    let Some(date) = date.filter(|d| !d.is_none()) else {
        return Ok(Date::today());
    };
    let py = date.py();
    let part = |name: &Bound<'_, PyString>| -> PyResult<i64> {
        date.getattr(name)
            .and_then(|v| v.extract::<i64>())
            .map_err(|_| PyTypeError::new_err("date must be a datetime.date or None"))
    };
    let (year, month, day) = (
        part(intern!(py, "year"))?,
        part(intern!(py, "month"))?,
        part(intern!(py, "day"))?,
    );
    let (Ok(year), Ok(month), Ok(day)) =
        (i32::try_from(year), u8::try_from(month), u8::try_from(day))
    else {
        return Err(PyValueError::new_err("date is out of range"));
    };
    Date::from_ymd(year, month, day).map_err(|e| PyValueError::new_err(e.to_string()))
}

fn kind_of(kind: &str) -> PyResult<RecipientKind> {
    match kind {
        "cpr" => Ok(RecipientKind::Cpr),
        "cvr" => Ok(RecipientKind::Cvr),
        _ => Err(PyValueError::new_err(format!(
            "kind must be \"cpr\" or \"cvr\", not {}",
            tilmelding::quote_for_message(kind)
        ))),
    }
}

/// One answer: where the letter goes, and why.
#[pyclass(module = "tilmelding", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct Answer {
    inner: RustAnswer,
}

#[pymethods]
impl Answer {
    /// The channel, as the CLI names it: `digital`, `nemsms` or `physical`.
    #[getter]
    fn channel(&self) -> &'static str {
        self.inner.channel.as_str()
    }

    /// The reason, as the CLI names it, e.g. `registered`, `exempt`.
    #[getter]
    fn reason(&self) -> &'static str {
        self.inner.reason.as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "Answer(channel={:?}, reason={:?})",
            self.channel(),
            self.reason()
        )
    }
}

/// The answers of a batch, as numpy arrays indexed like the input.
#[pyclass(module = "tilmelding", frozen)]
pub struct Batch {
    /// `uint8`: the C ABI's channel codes (index into `CHANNEL_NAMES`; 0 = no answer).
    #[pyo3(get)]
    channel: Py<PyArray1<u8>>,
    /// `uint8`: the C ABI's reason codes (index into `REASON_NAMES`; 0 = no answer).
    #[pyo3(get)]
    reason: Py<PyArray1<u8>>,
    /// `uint8`: 0 for an answer, else the C ABI's result code (7: invalid number).
    #[pyo3(get)]
    result: Py<PyArray1<u8>>,
}

#[pymethods]
impl Batch {
    fn __len__(&self, py: Python<'_>) -> usize {
        self.result.bind(py).len()
    }
}

/// Looks up `numbers` on `index` without the GIL, into a [`Batch`].
fn batch(
    py: Python<'_>,
    index: &tilmelding::Index,
    material: &str,
    kind: &str,
    numbers: &Bound<'_, PyAny>,
    date: Option<&Bound<'_, PyAny>>,
) -> PyResult<Batch> {
    let kind = kind_of(kind)?;
    let date = date_of(date)?;
    // No copy for a contiguous uint64 array; anything else goes through numpy.
    let direct = numbers
        .extract::<PyReadonlyArray1<'_, u64>>()
        .ok()
        .filter(|array| array.is_contiguous());
    let array = match direct {
        Some(array) => array,
        None => py
            .import("numpy")?
            .call_method1("ascontiguousarray", (numbers, "uint64"))?
            .extract()?,
    };
    let numbers = array.as_slice()?;
    // Answered and split into the three code arrays without the GIL.
    let answered = py.detach(|| {
        let mut out = vec![Err(LookupError::InvalidRecipient); numbers.len()];
        index.lookup_batch(material, kind, numbers, date, &mut out)?;
        let mut codes = (
            Vec::with_capacity(out.len()),
            Vec::with_capacity(out.len()),
            Vec::with_capacity(out.len()),
        );
        for answer in &out {
            let (channel, reason, result) = match answer {
                Ok(a) => (a.channel as u8, a.reason as u8, 0),
                Err(e) => (0, 0, e.number() as u8),
            };
            codes.0.push(channel);
            codes.1.push(reason);
            codes.2.push(result);
        }
        Ok(codes)
    });
    let (channel, reason, result) = answered.map_err(|e| {
        lookup_error(
            py,
            e,
            format!("material {}: {e}", tilmelding::quote_for_message(material)),
        )
    })?;
    Ok(Batch {
        channel: channel.into_pyarray(py).unbind(),
        reason: reason.into_pyarray(py).unbind(),
        result: result.into_pyarray(py).unbind(),
    })
}

fn single(
    py: Python<'_>,
    index: &tilmelding::Index,
    material: &str,
    recipient: &str,
    date: Option<&Bound<'_, PyAny>>,
) -> PyResult<Answer> {
    let date = date_of(date)?;
    // The decision table's order: a stale index, then an unknown material,
    // before the recipient is read.
    if index.is_stale() {
        let e = LookupError::StaleIndex;
        return Err(lookup_error(py, e, e.to_string()));
    }
    let Some(id) = index.material(material) else {
        let e = LookupError::UnknownMaterial;
        let message = format!("material {}: {e}", tilmelding::quote_for_message(material));
        return Err(lookup_error(py, e, message));
    };
    let parsed: Recipient = recipient.parse().map_err(|e| {
        lookup_error(
            py,
            LookupError::InvalidRecipient,
            format!(
                "recipient {}: {e}",
                tilmelding::quote_for_message(recipient)
            ),
        )
    })?;
    index
        .lookup_material(id, &parsed, date)
        .map(|inner| Answer { inner })
        .map_err(|e| {
            lookup_error(
                py,
                e,
                format!(
                    "material {}, recipient {}: {e}",
                    tilmelding::quote_for_message(material),
                    parsed.masked()
                ),
            )
        })
}

/// An open index file: immutable, memory-mapped, safe to share between
/// threads and across `fork`.
#[pyclass(module = "tilmelding", frozen)]
pub struct Index {
    inner: RwLock<Option<Arc<tilmelding::Index>>>,
}

impl Index {
    fn get(&self) -> PyResult<Arc<tilmelding::Index>> {
        self.inner
            .read()
            .map_err(|_| PyValueError::new_err("the index is unusable"))?
            .clone()
            .ok_or_else(|| PyValueError::new_err("the index is closed"))
    }

    fn wrap(index: Arc<tilmelding::Index>) -> Index {
        Index {
            inner: RwLock::new(Some(index)),
        }
    }
}

#[pymethods]
impl Index {
    /// Opens and checks the index at `path` (str or os.PathLike): the
    /// header, bounds and every checksum. With `verify=True`, also verifies
    /// it fully, as `Index.verify` does, in about one hash of the file.
    #[staticmethod]
    #[pyo3(signature = (path, *, verify=false))]
    fn open(py: Python<'_>, path: PathBuf, verify: bool) -> PyResult<Index> {
        let index = py
            .detach(|| {
                if verify {
                    tilmelding::Index::open_verified(&path)
                } else {
                    tilmelding::Index::open(&path)
                }
            })
            .map_err(|e| open_error(py, e))?;
        Ok(Index::wrap(Arc::new(index)))
    }

    /// Reads the index at `path` (str or os.PathLike) into memory of this
    /// process's own (backed by huge pages where Linux grants them) instead
    /// of mapping it, with `open`'s checks: for a server whose lookups
    /// mostly find the index out of the cache, each then saves page table
    /// walks. Costs the file's size in private memory per process; the index
    /// no longer depends on the file, which may be replaced or removed.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Index> {
        let index = py
            .detach(|| tilmelding::Index::load(&path))
            .map_err(|e| open_error(py, e))?;
        Ok(Index::wrap(Arc::new(index)))
    }

    /// Verifies the index fully, as `tilmelding verify` does: recomputes
    /// the snapshot id from the file and checks every section's contents,
    /// which catches a file changed and resealed (open checks only the
    /// checksums). Raises `CorruptIndex` naming the first problem found.
    fn verify(&self, py: Python<'_>) -> PyResult<()> {
        let index = self.get()?;
        py.detach(|| index.verify()).map_err(|e| {
            let message = format!("verification failed: {e}");
            with_code(py, CorruptIndex::new_err(message), "corrupt_index")
        })
    }

    /// What the index says about itself: snapshot_id, as_of and build_time
    /// (aware UTC datetimes), counts, format_version, and for an index
    /// built from NgDP or on a base, newest_update and base_snapshot_id.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let index = self.get()?;
        let m = index.metadata();
        let datetime = py.import("datetime")?;
        let utc = datetime.getattr("timezone")?.getattr("utc")?;
        let from_timestamp = datetime.getattr("datetime")?.getattr("fromtimestamp")?;
        let time = |seconds: f64| from_timestamp.call1((seconds, &utc));
        let out = PyDict::new(py);
        out.set_item("snapshot_id", m.snapshot_id_hex())?;
        out.set_item("as_of", time(m.as_of as f64)?)?;
        out.set_item("build_time", time(m.build_time as f64)?)?;
        let counts = PyDict::new(py);
        counts.set_item("cpr", m.cpr.by_status.iter().sum::<u64>())?;
        counts.set_item("cvr", m.cvr.by_status.iter().sum::<u64>())?;
        counts.set_item("materials", m.materials)?;
        counts.set_item("groups", m.groups)?;
        counts.set_item("sender_systems", m.sender_systems)?;
        out.set_item("counts", counts)?;
        out.set_item(
            "format_version",
            format!("{}.{}", m.format_version.0, m.format_version.1),
        )?;
        out.set_item("file_size", m.file_size)?;
        if let Some(ms) = m.newest_update {
            out.set_item("newest_update", time(ms as f64 / 1000.0)?)?;
        }
        if let Some(base) = m.base_snapshot_id_hex() {
            out.set_item("base_snapshot_id", base)?;
        }
        Ok(out)
    }

    /// Refuse to decide (raise `StaleIndex`) once the list is older than
    /// `seconds`; `None` turns the check off.
    #[pyo3(signature = (seconds))]
    fn set_max_age(&self, seconds: Option<f64>) -> PyResult<()> {
        self.get()?.set_max_age(max_age(seconds)?);
        Ok(())
    }

    /// The channel and reason for a letter of `material` to `recipient`
    /// (CPR or CVR as text) on `date` (default: today in Danish time).
    #[pyo3(signature = (material, recipient, date=None))]
    fn lookup(
        &self,
        py: Python<'_>,
        material: &str,
        recipient: &str,
        date: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Answer> {
        single(py, &*self.get()?, material, recipient, date)
    }

    /// Answers for many numbers of one `kind` (`"cpr"`: the ten digits as
    /// one integer, `"cvr"`): `numbers` a numpy uint64 array (used in place
    /// when contiguous) or any integer sequence. Raises for what fails the
    /// whole call (unknown material, no group for the kind, stale index);
    /// an invalid number is `result` 7 in its place.
    #[pyo3(signature = (material, kind, numbers, date=None))]
    fn lookup_batch(
        &self,
        py: Python<'_>,
        material: &str,
        kind: &str,
        numbers: &Bound<'_, PyAny>,
        date: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Batch> {
        batch(py, &*self.get()?, material, kind, numbers, date)
    }

    /// Closes the index (later calls raise ValueError). Lookups in flight
    /// on other threads finish on it.
    fn close(&self) -> PyResult<()> {
        *self
            .inner
            .write()
            .map_err(|_| PyValueError::new_err("the index is unusable"))? = None;
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        match self.get() {
            Ok(index) => format!(
                "Index(snapshot_id={:?})",
                index.metadata().snapshot_id_hex()
            ),
            Err(_) => "Index(closed)".to_owned(),
        }
    }
}

fn max_age(seconds: Option<f64>) -> PyResult<Option<Duration>> {
    seconds
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                PyValueError::new_err("max age must be a number of seconds, 0 or more")
            })
        })
        .transpose()
}

/// Follows an index path: `refresh()` swaps in a file renamed over it.
#[pyclass(module = "tilmelding", frozen)]
pub struct Reader {
    inner: Arc<tilmelding::Reader>,
    refresher: Mutex<Option<Refresher>>,
}

#[pymethods]
impl Reader {
    /// Opens the index at `path` and follows that path.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<Reader> {
        let reader = py
            .detach(|| tilmelding::Reader::open(&path))
            .map_err(|e| open_error(py, e))?;
        Ok(Reader {
            inner: Arc::new(reader),
            refresher: Mutex::new(None),
        })
    }

    /// Opens the file now at the path if it was replaced; whether it was.
    /// A file that fails its checks raises, and the current index stays.
    fn refresh(&self, py: Python<'_>) -> PyResult<bool> {
        match py.detach(|| self.inner.refresh()) {
            Ok(Refresh::Unchanged) => Ok(false),
            Ok(_) => Ok(true),
            Err(e) => Err(open_error(py, e)),
        }
    }

    /// Refreshes every `seconds` on a background thread (replacing an
    /// earlier one); `None` stops it.
    fn refresh_every(&self, seconds: Option<f64>) -> PyResult<()> {
        let refresher = max_age(seconds)?.map(|interval| self.inner.refresh_every(interval));
        *self
            .refresher
            .lock()
            .map_err(|_| PyValueError::new_err("the reader is unusable"))? = refresher;
        Ok(())
    }

    /// Why the last background refresh failed, or None.
    #[getter]
    fn refresh_error(&self) -> Option<String> {
        self.refresher
            .lock()
            .ok()?
            .as_ref()
            .and_then(Refresher::last_error)
    }

    /// The index serving now, for a series of lookups on one snapshot.
    fn current(&self) -> Index {
        Index::wrap(self.inner.index())
    }

    /// As `Index.set_max_age`, for every index the reader serves.
    fn set_max_age(&self, seconds: Option<f64>) -> PyResult<()> {
        self.inner.set_max_age(max_age(seconds)?);
        Ok(())
    }

    /// As `Index.lookup`, on the index serving now.
    #[pyo3(signature = (material, recipient, date=None))]
    fn lookup(
        &self,
        py: Python<'_>,
        material: &str,
        recipient: &str,
        date: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Answer> {
        single(py, &self.inner.index(), material, recipient, date)
    }

    /// As `Index.lookup_batch`, on the index serving now.
    #[pyo3(signature = (material, kind, numbers, date=None))]
    fn lookup_batch(
        &self,
        py: Python<'_>,
        material: &str,
        kind: &str,
        numbers: &Bound<'_, PyAny>,
        date: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Batch> {
        batch(py, &self.inner.index(), material, kind, numbers, date)
    }
}

/// `parse_recipients`' kinds and numbers.
type Parsed<'py> = (Bound<'py, PyArray1<u8>>, Bound<'py, PyArray1<u64>>);

/// The recipients `texts` (an iterable of str; None is not a recipient)
/// parsed as `Index.lookup` parses them: `(kind, number)`, numpy arrays
/// with `kind` 1 for a valid CPR number, 2 for a valid CVR number and 0 for
/// anything else (`number` 0), and `number` the digits as one integer, for
/// `lookup_batch`. Used by `tilmelding.decide`.
#[pyfunction]
fn parse_recipients<'py>(py: Python<'py>, texts: &Bound<'py, PyAny>) -> PyResult<Parsed<'py>> {
    let (mut kinds, mut numbers) = (Vec::new(), Vec::new());
    for text in texts.try_iter()? {
        let text = text?;
        let parsed = match text.cast::<PyString>() {
            Ok(text) => text.to_cow()?.parse::<Recipient>().ok(),
            Err(_) if text.is_none() => None,
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "a recipient is a str, not {}",
                    text.get_type().name()?
                )));
            }
        };
        let (kind, number) = match parsed {
            Some(Recipient::Cpr(cpr)) => (1, cpr.digits()),
            Some(Recipient::Cvr(cvr)) => (2, u64::from(cvr.number())),
            None => (0, 0),
        };
        kinds.push(kind);
        numbers.push(number);
    }
    Ok((kinds.into_pyarray(py), numbers.into_pyarray(py)))
}

/// Today in Danish time (Europe/Copenhagen): the date a lookup with
/// `date=None` decides on.
#[pyfunction]
fn today<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    let (year, month, day) = Date::today().ymd();
    py.import("datetime")?
        .getattr("date")?
        .call1((year, month, day))
}

/// The C ABI's result codes by number, named as the CLI names the lookup
/// errors; `None` for the codes a lookup does not give.
fn error_names() -> Vec<Option<&'static str>> {
    let errors = [
        LookupError::UnknownMaterial,
        LookupError::InvalidRecipient,
        LookupError::AudienceMismatch,
        LookupError::StaleIndex,
    ];
    let last = errors.iter().map(|e| e.number()).max().unwrap_or(0);
    (0..=last)
        .map(|n| errors.iter().find(|e| e.number() == n).map(|e| e.as_str()))
        .collect()
}

/// Names by code, from the library: index 0 (no answer, in a batch) is `none`.
fn names(name: impl Fn(u32) -> Option<&'static str>) -> Vec<&'static str> {
    std::iter::once("none")
        .chain((1..).map_while(name))
        .collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Index>()?;
    m.add_class::<Reader>()?;
    m.add_class::<Answer>()?;
    m.add_class::<Batch>()?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("UnknownMaterial", py.get_type::<UnknownMaterial>())?;
    m.add("InvalidRecipient", py.get_type::<InvalidRecipient>())?;
    m.add("AudienceMismatch", py.get_type::<AudienceMismatch>())?;
    m.add("StaleIndex", py.get_type::<StaleIndex>())?;
    m.add("CorruptIndex", py.get_type::<CorruptIndex>())?;
    m.add(
        "CHANNEL_NAMES",
        names(|n| Channel::from_number(n).map(Channel::as_str)),
    )?;
    m.add(
        "REASON_NAMES",
        names(|n| Reason::from_number(n).map(Reason::as_str)),
    )?;
    m.add("ERROR_NAMES", error_names())?;
    m.add_function(wrap_pyfunction!(parse_recipients, m)?)?;
    m.add_function(wrap_pyfunction!(today, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
