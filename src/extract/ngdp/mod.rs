//! Reading NgDP's contact register (`GET /apis/v1/contacts/`) as a sender
//! system downloads it: pages of JSON (`ContactSearchResult`), one per file,
//! plain or gzip-compressed, or NDJSON of contact objects, one per line (as
//! `jq -c '.contacts[]'` writes). The README gives the mapping, field by
//! field.
//!
//! Pages are streamed: each contact is mapped and handed on as it is
//! parsed, so memory never grows with the size of a page. What a page says
//! about itself is checked afterwards ([`check_pages`]): a download that
//! lost a page parses fine, and must not become an index.

mod json;
mod map;
mod pages;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use self::json::{Object, RawContact};
pub(crate) use self::map::Mapped;
use self::map::Rejection;
pub(crate) use self::pages::{PageInfo, check_pages, thousands};
use super::lines::{Line, LineReader, MAX_LINE};
use super::{ContactAt, ContactError, Counted, ExtractError};

/// Pages up to this size are parsed from memory; larger ones are streamed.
const IN_MEMORY: u64 = 64 << 20;

/// Which of NgDP's two shapes a file has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One page (`ContactSearchResult`) per file.
    Pages,
    /// One contact object per line.
    Ndjson,
}

/// Where a contact was read: its file (index into the files read) and its
/// position there (index in the page's `contacts`, or line number), packed
/// into the `u64` that the index builder keeps per entry.
pub(crate) fn position(file: usize, at: u64) -> u64 {
    ((file as u64) << 40) | (at & ((1 << 40) - 1))
}

/// The file and position packed by [`position`].
pub(crate) fn unpack(position: u64) -> (usize, u64) {
    ((position >> 40) as usize, position & ((1 << 40) - 1))
}

/// What one file held.
#[derive(Clone, Debug)]
pub(crate) struct FileRead {
    /// The page's own counts (pages only).
    pub(crate) page: Option<PageInfo>,
    /// Contacts read from it, rejected ones included.
    pub(crate) contacts: u64,
}

/// Reads one file of `shape`, giving every contact to `contact` (with its
/// [`position`]) and every rejected one to `reject`. `bytes` is told the
/// bytes consumed from the file as reading goes on.
pub(crate) fn read_file(
    path: &Path,
    file: usize,
    shape: Shape,
    contact: &mut dyn FnMut(u64, Mapped),
    reject: &mut dyn FnMut(ContactError),
    bytes: &mut dyn FnMut(u64),
) -> Result<FileRead, ExtractError> {
    let handle = File::open(path).map_err(|source| ExtractError::Io {
        path: path.to_owned(),
        source,
    })?;
    read(handle, path, file, shape, contact, reject, bytes)
}

/// [`read_file`] from any reader; `path` names it in messages.
pub(crate) fn read(
    handle: impl Read + Send + 'static,
    path: &Path,
    file: usize,
    shape: Shape,
    contact: &mut dyn FnMut(u64, Mapped),
    reject: &mut dyn FnMut(ContactError),
    bytes: &mut dyn FnMut(u64),
) -> Result<FileRead, ExtractError> {
    let io_error = |source| ExtractError::Io {
        path: path.to_owned(),
        source,
    };
    let counted = Counted::new(handle);
    let count = counted.counter();
    let input = super::decompress(BufReader::with_capacity(1 << 16, counted)).map_err(io_error)?;
    let mut input = BufReader::with_capacity(1 << 18, input);
    let error = |at: ContactAt, r: Rejection| ContactError {
        path: path.to_owned(),
        at,
        number: r.number,
        field: r.field,
        message: r.message,
    };
    match shape {
        Shape::Pages => {
            // The page's number may follow its contacts in the object, so
            // the rejections wait for the end of the page.
            let mut held: Vec<(u64, Rejection)> = Vec::new();
            let mut index = 0u64;
            let mut sink = |raw: Object<RawContact>| {
                match map::map(&raw) {
                    Ok(mapped) => contact(position(file, index), mapped),
                    Err(rejection) => held.push((index, rejection)),
                }
                index += 1;
                if index.is_multiple_of(4096) {
                    bytes(count.get());
                }
            };
            let head = parse_page(&mut input, IN_MEMORY, &mut sink).map_err(|e| match e {
                PageFailure::Io(source) => io_error(source),
                PageFailure::Json(e) => json_error(path, &e),
            })?;
            let page = PageInfo::from_head(&head);
            for (index, rejection) in held {
                reject(error(
                    ContactAt::Page {
                        page: page.current,
                        index,
                    },
                    rejection,
                ));
            }
            bytes(count.get());
            Ok(FileRead {
                contacts: index,
                page: Some(page),
            })
        }
        Shape::Ndjson => {
            let mut lines = LineReader::new(input);
            let mut contacts = 0u64;
            while let Some(next) = lines.next_line().map_err(io_error)? {
                let line = lines.number();
                let text = lines.line();
                if matches!(next, Line::Text) && text.trim_ascii().is_empty() {
                    continue;
                }
                contacts += 1;
                let mapped = match next {
                    Line::TooLong => Err(Rejection {
                        number: None,
                        field: "line",
                        message: format!("longer than {MAX_LINE} bytes"),
                    }),
                    Line::Text => match serde_json::from_slice::<Object<RawContact>>(text) {
                        Ok(raw) => map::map(&raw),
                        Err(e) => Err(Rejection {
                            number: None,
                            field: "line",
                            message: format!("not a JSON contact: {}", scrubbed(&e)),
                        }),
                    },
                };
                match mapped {
                    Ok(mapped) => contact(position(file, line), mapped),
                    Err(rejection) => reject(error(ContactAt::Line(line), rejection)),
                }
                if contacts.is_multiple_of(4096) {
                    bytes(count.get());
                }
            }
            bytes(count.get());
            Ok(FileRead {
                page: None,
                contacts,
            })
        }
    }
}

/// Why a page could not be parsed.
enum PageFailure {
    Io(io::Error),
    Json(serde_json::Error),
}

/// Parses one page from `input`, handing each contact to `sink`. A page of
/// a bulk download is well under a megabyte, and parsing from memory is
/// several times faster than from a reader; so up to `in_memory` bytes are
/// read first, and a larger file is streamed on from where they end:
/// memory stays bounded either way.
fn parse_page(
    mut input: impl Read,
    in_memory: u64,
    sink: &mut dyn FnMut(Object<RawContact>),
) -> Result<json::PageHead, PageFailure> {
    let mut buffer = Vec::new();
    (&mut input)
        .take(in_memory)
        .read_to_end(&mut buffer)
        .map_err(PageFailure::Io)?;
    if (buffer.len() as u64) < in_memory {
        let mut deserializer = serde_json::Deserializer::from_slice(&buffer);
        json::read_page(&mut deserializer, sink).and_then(|head| deserializer.end().map(|()| head))
    } else {
        let rest = io::Cursor::new(buffer).chain(input);
        let mut deserializer = serde_json::Deserializer::from_reader(rest);
        json::read_page(&mut deserializer, sink).and_then(|head| deserializer.end().map(|()| head))
    }
    .map_err(PageFailure::Json)
}

/// A JSON syntax error that makes a page unreadable.
fn json_error(path: &Path, error: &serde_json::Error) -> ExtractError {
    if error.is_io() {
        return ExtractError::Io {
            path: path.to_owned(),
            source: io::Error::other(scrubbed(error)),
        };
    }
    ExtractError::Json {
        path: path.to_owned(),
        line: error.line() as u64,
        column: error.column() as u64,
        message: scrubbed(error),
    }
}

/// serde_json's message without its position, and with any run of four or
/// more digits masked: the reader's own visitors never quote a value, but a
/// message must not carry a number even if one slipped through.
fn scrubbed(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let text = text.strip_suffix(&suffix).unwrap_or(&text);
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if run.len() >= 4 {
            out.extend(std::iter::repeat_n('x', run.len()));
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// The shape of an NgDP file, by its content: a page's first key is one of
/// a page's fields, a contact's one of a contact's. `None` if it is not
/// JSON at all (a CSV extract, say).
pub(crate) fn sniff(head: &[u8]) -> Option<Shape> {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let rest = text
        .trim_ascii_start()
        .strip_prefix(b"{")?
        .trim_ascii_start();
    let key = rest.strip_prefix(b"\"").map(|key| {
        let end = memchr::memchr(b'"', key).unwrap_or(key.len());
        &key[..end]
    });
    const PAGE_KEYS: [&[u8]; 6] = [
        b"contacts",
        b"currentPage",
        b"totalPages",
        b"elementsOnPage",
        b"totalElements",
        b"next",
    ];
    Some(match key {
        Some(key) if PAGE_KEYS.contains(&key) => Shape::Pages,
        _ => Shape::Ndjson,
    })
}

/// The first bytes of `path` after decompression, for [`sniff`].
pub(crate) fn head_of(path: &Path) -> io::Result<Vec<u8>> {
    let file = BufReader::new(File::open(path)?);
    let mut head = Vec::with_capacity(4096);
    super::decompress(file)?.take(4096).read_to_end(&mut head)?;
    Ok(head)
}

/// The files of a directory of pages, by name; hidden files left out.
pub(crate) fn pages_in(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page parsed from memory and streamed gives the same contacts and counts.
    #[test]
    fn a_page_streams_as_it_parses_from_memory() {
        let golden = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/ngdp/page-0.json"
        ))
        .unwrap();
        let parse = |limit| {
            let mut contacts = Vec::new();
            let head = parse_page(&golden[..], limit, &mut |c| contacts.push(map::map(&c)))
                .ok()
                .unwrap();
            (PageInfo::from_head(&head), contacts)
        };
        let (in_memory, contacts) = parse(IN_MEMORY);
        assert_eq!(in_memory.contacts, Some(3));
        assert!(contacts.iter().all(Result::is_ok));
        for limit in [1, 16, golden.len() as u64 - 1, golden.len() as u64] {
            assert_eq!(
                parse(limit),
                (in_memory.clone(), contacts.clone()),
                "limit {limit}"
            );
        }
    }

    #[test]
    fn the_shape_is_told_by_the_first_key() {
        assert_eq!(
            sniff(br#"  {"currentPage":0,"contacts":[]}"#),
            Some(Shape::Pages)
        );
        assert_eq!(
            sniff(b"\xef\xbb\xbf{\n \"contacts\": []}"),
            Some(Shape::Pages)
        );
        assert_eq!(
            sniff(br#"{"id":"x","type":"CITIZEN"}"#),
            Some(Shape::Ndjson)
        );
        assert_eq!(sniff(b"id;status\n"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn scrubbed_messages_carry_no_numbers() {
        let error = serde_json::from_str::<Object<RawContact>>("{\"a\": 1103851234x}")
            .err()
            .unwrap();
        let text = scrubbed(&error);
        assert!(
            !text.contains("1103851234") && !text.contains("line"),
            "{text}"
        );
    }

    #[test]
    fn positions_pack_file_and_place() {
        assert_eq!(unpack(position(3, 17)), (3, 17));
        assert_eq!(unpack(position(0, (1 << 40) - 1)), (0, (1 << 40) - 1));
    }
}
