//! Small helpers shared by the streaming XML readers (JUnit, Cobertura, JaCoCo), and the event
//! loop ([`walk`]) the coverage readers share.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use ci_intel_core::fsutil::{self, Sniff};
use ci_intel_core::{InputError, Position};
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, BytesStart, BytesText, Event};
use quick_xml::name::QName;

/// The element name without a namespace prefix.
pub fn local_name(q: QName<'_>) -> &str {
    q.local_name().into_inner()
}

/// An attribute's value with entities resolved (lossy on malformed escapes rather than failing:
/// a bad `&` in a message must not lose the whole report).
pub fn attr<'a>(e: &'a BytesStart<'a>, key: &str) -> Option<Cow<'a, str>> {
    e.attributes()
        .flatten()
        .find(|a| local_name(a.key) == key)
        .map(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .unwrap_or_else(|_| Cow::Owned(a.value.clone().into_owned()))
        })
}

/// Resolves an entity or character reference met in text.
pub fn resolve_ref(r: &BytesRef<'_>) -> Cow<'static, str> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Cow::Owned(c.to_string());
    }
    let name = r.xml10_content();
    match resolve_predefined_entity(&name) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(format!("&{name};")),
    }
}

/// A count attribute (`hits`, `ci`): integers, tolerating `12.0`; garbage and negatives are 0.
pub fn parse_count(s: &str) -> u64 {
    let s = s.trim();
    s.parse::<u64>().unwrap_or_else(|_| {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0)
            .map_or(0, |v| v as u64)
    })
}

/// A coverage report's 1-based line number attribute (`number` in Cobertura, `nr` in JaCoCo):
/// missing, zero or not a number is an error at the element.
pub fn line_number(
    path: &Path,
    pos: u64,
    e: &BytesStart<'_>,
    key: &str,
) -> Result<u32, InputError> {
    attr(e, key)
        .and_then(|n| n.trim().parse::<u32>().ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            located(
                path,
                pos,
                format!("expected a positive integer `{key}` attribute on <line>"),
            )
        })
}

/// Skips an element we do not need, without decoding its content.
pub fn skip<R: BufRead>(
    reader: &mut Reader<R>,
    e: &BytesStart<'_>,
    buf: &mut Vec<u8>,
    path: &Path,
) -> Result<(), InputError> {
    let start = reader.buffer_position();
    let name = e.name().as_ref().to_owned();
    reader.read_to_end_into(QName(&name), buf).map_err(|err| {
        located(
            path,
            start,
            format!("malformed or truncated XML inside <{name}>: {err}"),
        )
    })?;
    buf.clear();
    Ok(())
}

/// One step of a document as [`walk`] hands it to a reader.
pub enum Node<'a, 'e> {
    /// An element with children; the visitor may answer [`Flow::SkipChildren`].
    Open(&'a BytesStart<'e>),
    /// A self-closing element.
    Leaf(&'a BytesStart<'e>),
    /// A closing tag, by local name.
    Close(&'a str),
    /// Character data, or an entity or character reference inside it.
    Text(Text<'a, 'e>),
}

/// Text as it came, decoded only when asked ([`Text::decoded`]): most readers ignore it.
pub enum Text<'a, 'e> {
    Chars(&'a BytesText<'e>),
    Ref(&'a BytesRef<'e>),
}

impl Text<'_, '_> {
    pub fn decoded(&self) -> Cow<'_, str> {
        match self {
            Text::Chars(t) => t.xml10_content(),
            Text::Ref(r) => resolve_ref(r),
        }
    }
}

/// What a visitor wants after an [`Node::Open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Pass over this element's subtree without decoding it.
    SkipChildren,
}

/// The streaming loop the coverage readers share: every element and text node in document
/// order, with the byte offset where it starts (for errors). Malformed XML is an error at its
/// line, and a document that ends with elements still open is refused as truncated.
pub fn walk<R: BufRead>(
    path: &Path,
    input: R,
    visit: &mut dyn FnMut(Node<'_, '_>, u64) -> Result<Flow, InputError>,
) -> Result<(), InputError> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut skip_buf = Vec::new();
    let mut depth = 0usize;
    loop {
        buf.clear();
        let pos = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| error(path, reader.error_position(), &e))?;
        match event {
            Event::Start(e) => {
                if visit(Node::Open(&e), pos)? == Flow::SkipChildren {
                    skip(&mut reader, &e, &mut skip_buf, path)?;
                } else {
                    depth += 1;
                }
            }
            Event::Empty(e) => {
                visit(Node::Leaf(&e), pos)?;
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                visit(Node::Close(local_name(e.name())), pos)?;
            }
            Event::Text(t) => {
                visit(Node::Text(Text::Chars(&t)), pos)?;
            }
            Event::GeneralRef(r) => {
                visit(Node::Text(Text::Ref(&r)), pos)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth > 0 {
        return Err(InputError::new(
            path,
            "truncated report: the file ends before the XML closes",
        ));
    }
    Ok(())
}

/// A parse error at a byte offset. A file that ends inside a tag, comment or element is called
/// truncated: that is what a runner killed while writing its report leaves.
pub fn error(path: &Path, offset: u64, err: &quick_xml::Error) -> InputError {
    use quick_xml::errors::{IllFormedError, SyntaxError};
    let truncated = matches!(
        err,
        quick_xml::Error::Syntax(
            SyntaxError::UnclosedTag
                | SyntaxError::UnclosedComment
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedDoctype
                | SyntaxError::UnclosedPI
                | SyntaxError::UnclosedXmlDecl
                | SyntaxError::UnclosedSingleQuotedAttributeValue
                | SyntaxError::UnclosedDoubleQuotedAttributeValue
        ) | quick_xml::Error::IllFormed(IllFormedError::MissingEndTag(_))
    );
    if truncated {
        located(
            path,
            offset,
            format!("truncated XML, the file ends early (was its writer killed?): {err}"),
        )
    } else {
        located(path, offset, format!("malformed XML: {err}"))
    }
}

/// An error at a byte offset. The line is counted by re-reading the file, which only the error
/// path pays for.
pub fn located(path: &Path, offset: u64, message: String) -> InputError {
    match line_of_offset(path, offset) {
        Some(p) => InputError::at(path, p, message),
        None => InputError::new(path, format!("{message} (at byte {offset})")),
    }
}

fn line_of_offset(path: &Path, offset: u64) -> Option<Position> {
    let head = fsutil::read_head(path, 8).ok()?;
    if fsutil::sniff(&head) == Sniff::Gzip {
        return None;
    }
    let f = File::open(path).ok()?;
    let mut r = BufReader::new(f.take(offset));
    let mut line = 1u64;
    let mut col = 1u64;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        for &b in &chunk[..n] {
            if b == b'\n' {
                line += 1;
                col = 1;
            } else if b & 0xC0 != 0x80 {
                col += 1;
            }
        }
    }
    Some(Position::at(line, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count("12"), 12);
        assert_eq!(parse_count(" 3.0 "), 3);
        assert_eq!(parse_count("-1"), 0);
        assert_eq!(parse_count("NaN"), 0);
        assert_eq!(parse_count("x"), 0);
    }

    #[test]
    fn errors_locate_lines_in_real_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.xml");
        std::fs::write(&p, "<a>\n<b>\n  <c").unwrap();
        let e = located(&p, 10, "bad".into());
        assert_eq!(e.position, Some(Position::at(3, 3)));
        // In-memory input (no such file): the byte offset is named instead.
        let e = located(Path::new("/nonexistent/x.xml"), 5, "bad".into());
        assert!(e.message.contains("at byte 5"));
    }
}
