//! Lines and fields of a delimited text file, with exact line numbers.
//!
//! The `csv` crate miscounts lines around comment and blank lines, and error
//! messages here must name the right line. The extract's fields never hold a
//! line break, so a line is a record: fields may be quoted (RFC 4180, `""`
//! for a quote) but a quote must close on its line.

use std::io::{self, BufRead};

/// The longest line read; a longer one is rejected, not buffered.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// What [`LineReader::next_line`] found.
pub(crate) enum Line {
    /// A line with content, in [`LineReader::line`].
    Text,
    /// A line longer than [`MAX_LINE`] (skipped to its end).
    TooLong,
}

/// Reads lines, skipping blank lines and `#` comments, counting every line.
pub(crate) struct LineReader<R> {
    inner: R,
    line: Vec<u8>,
    number: u64,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(inner: R) -> LineReader<R> {
        LineReader {
            inner,
            line: Vec::with_capacity(256),
            number: 0,
        }
    }

    /// The current line, without its line ending.
    pub(crate) fn line(&self) -> &[u8] {
        &self.line
    }

    /// 1-based number of the current line.
    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    /// Advances to the next line that is neither blank nor a comment.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line>> {
        loop {
            self.line.clear();
            let Some(too_long) = self.read_raw_line()? else {
                return Ok(None);
            };
            self.number += 1;
            if self.number == 1 && self.line.starts_with(b"\xEF\xBB\xBF") {
                self.line.drain(..3);
            }
            if too_long {
                return Ok(Some(Line::TooLong));
            }
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
            if !self.line.trim_ascii().is_empty() && !self.line.starts_with(b"#") {
                return Ok(Some(Line::Text));
            }
        }
    }

    /// Reads up to and without the next `\n`; `None` at the end of input,
    /// `Some(true)` if the line was longer than [`MAX_LINE`].
    fn read_raw_line(&mut self) -> io::Result<Option<bool>> {
        let mut read_any = false;
        let mut too_long = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(read_any.then_some(too_long));
            }
            read_any = true;
            let (chunk, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if !too_long && self.line.len() + chunk.len() <= MAX_LINE {
                self.line.extend_from_slice(chunk);
            } else {
                too_long = true;
                self.line.clear();
            }
            let used = done.unwrap_or(buf.len());
            self.inner.consume(used);
            if done.is_some() {
                return Ok(Some(too_long));
            }
        }
    }
}

/// The fields of one line, unquoted.
#[derive(Default)]
pub(crate) struct Fields {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Fields {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.bytes[start..end])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Splits `line` at `delimiter`, honouring quotes; the error says what is wrong.
    pub(crate) fn split(&mut self, line: &[u8], delimiter: u8) -> Result<(), &'static str> {
        self.bytes.clear();
        self.ends.clear();
        let mut i = 0;
        loop {
            let start = i + line[i..]
                .iter()
                .take_while(|c| matches!(c, b' ' | b'\t'))
                .count();
            if line.get(start) == Some(&b'"') {
                i = start + 1;
                loop {
                    match line.get(i) {
                        None => return Err("a quoted field is not closed on its line"),
                        Some(b'"') if line.get(i + 1) == Some(&b'"') => {
                            self.bytes.push(b'"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(&c) => {
                            self.bytes.push(c);
                            i += 1;
                        }
                    }
                }
                i += line[i..]
                    .iter()
                    .take_while(|c| matches!(c, b' ' | b'\t'))
                    .count();
                self.ends.push(self.bytes.len());
                match line.get(i) {
                    None => return Ok(()),
                    Some(&c) if c == delimiter => i += 1,
                    Some(_) => return Err("text follows a closing quote"),
                }
            } else {
                let rest = &line[i..];
                match memchr::memchr(delimiter, rest) {
                    Some(n) => {
                        self.bytes.extend_from_slice(&rest[..n]);
                        self.ends.push(self.bytes.len());
                        i += n + 1;
                    }
                    None => {
                        self.bytes.extend_from_slice(rest);
                        self.ends.push(self.bytes.len());
                        return Ok(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, &'static str> {
        let mut f = Fields::default();
        f.split(line.as_bytes(), b';')?;
        Ok(f.iter()
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
            .collect())
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(split("a;b;;c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(split("a;").unwrap(), ["a", ""]);
        assert_eq!(split("").unwrap(), [""]);
        assert_eq!(
            split("\"a;b\";\"say \"\"hi\"\"\"").unwrap(),
            ["a;b", "say \"hi\""]
        );
        assert_eq!(split(" \"a\" ;b").unwrap(), ["a", "b"]);
        assert_eq!(split("\"\";x").unwrap(), ["", "x"]);
        assert!(split("\"open;x").is_err());
        assert!(split("\"a\"b;x").is_err());
    }

    #[test]
    fn counts_every_line() {
        let text = b"\xEF\xBB\xBF# c\r\nh\r\n\r\n\n  \nx\ny";
        let mut r = LineReader::new(&text[..]);
        let mut seen = Vec::new();
        while let Some(Line::Text) = r.next_line().unwrap() {
            seen.push((r.number(), String::from_utf8(r.line().to_vec()).unwrap()));
        }
        assert_eq!(seen, [(2, "h".into()), (6, "x".into()), (7, "y".into())]);
    }

    #[test]
    fn long_lines_are_skipped_not_buffered() {
        let mut text = vec![b'a'; MAX_LINE + 1];
        text.extend(b"\nok\n");
        let mut r = LineReader::new(io::BufReader::with_capacity(1024, &text[..]));
        assert!(matches!(r.next_line().unwrap(), Some(Line::TooLong)));
        assert!(r.line.capacity() <= 2 * MAX_LINE);
        assert!(matches!(r.next_line().unwrap(), Some(Line::Text)));
        assert_eq!((r.number(), r.line()), (2, &b"ok"[..]));
        assert!(r.next_line().unwrap().is_none());
    }
}
