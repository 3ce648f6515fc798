//! A read-only view of a YAML document that knows where everything is.
//!
//! Audits navigate the document as a tree of [`Node`]s and point findings at exact spans: the
//! key or value a finding is about, or a piece of text inside a scalar (an expression inside a
//! `run:` script) found by searching the raw source within the scalar's span.

use std::path::Path;

use ci_intel_core::InputError;
use ci_intel_core::finding::Location;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// The source of one document, with what is needed to turn offsets into lines and columns.
#[derive(Debug)]
pub struct Source<'t> {
    /// Repository-relative path, as findings name it.
    pub path: String,
    pub text: &'t str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// Byte offset of each character, when the text is not ASCII (saphyr counts characters).
    char_bytes: Option<Vec<usize>>,
}

impl<'t> Source<'t> {
    pub fn new(path: String, text: &'t str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
        let char_bytes = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        Self {
            path,
            text,
            line_starts,
            char_bytes,
        }
    }

    /// Byte offset of a character index.
    pub fn byte_of_char(&self, idx: usize) -> usize {
        match &self.char_bytes {
            None => idx.min(self.text.len()),
            Some(map) => map.get(idx).copied().unwrap_or(self.text.len()),
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, byte: usize) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&s| s <= byte).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..byte.min(self.text.len()))
            .map_or(0, |s| s.chars().count());
        (line as u32, col as u32 + 1)
    }

    /// The text of line `n` (1-based), without its newline.
    pub fn line(&self, n: u32) -> &'t str {
        let n = n as usize;
        if n == 0 || n > self.line_starts.len() {
            return "";
        }
        let start = self.line_starts[n - 1];
        let end = self.line_starts.get(n).map_or(self.text.len(), |&e| e - 1);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches('\r')
    }

    /// A location covering bytes `start..end`.
    pub fn location(&self, start: usize, end: usize) -> Location {
        let (sl, sc) = self.position(start);
        let (el, ec) = self.position(end.max(start));
        Location {
            path: self.path.clone(),
            start_line: sl,
            end_line: (el != sl).then_some(el),
            start_column: Some(sc),
            end_column: Some(ec),
        }
    }
}

fn memchr_newlines(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    b.iter()
        .enumerate()
        .filter_map(|(i, &c)| (c == b'\n').then_some(i))
}

/// Parses one YAML document; syntax errors name the file and line.
pub fn parse<'t>(path: &Path, text: &'t str) -> Result<Option<MarkedYaml<'t>>, InputError> {
    let mut docs =
        MarkedYaml::load_from_str(text).map_err(|e| ci_intel_core::yaml::syntax_error(path, &e))?;
    Ok(if docs.is_empty() {
        None
    } else {
        Some(docs.swap_remove(0))
    })
}

/// A node of the document and the source it came from.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    pub y: &'a MarkedYaml<'a>,
    pub src: &'a Source<'a>,
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node@{}:{}", self.src.path, self.y.span.start.line())
    }
}

impl<'a> Node<'a> {
    pub fn new(y: &'a MarkedYaml<'a>, src: &'a Source<'a>) -> Self {
        Self { y, src }
    }

    fn wrap(&self, y: &'a MarkedYaml<'a>) -> Node<'a> {
        Node { y, src: self.src }
    }

    fn data(&self) -> &'a YamlData<'a, MarkedYaml<'a>> {
        match &self.y.data {
            YamlData::Tagged(_, inner) => &inner.data,
            d => d,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.entries()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| v)
    }

    /// The key node of `key` in a mapping (to point at the key itself).
    pub fn key(&self, key: &str) -> Option<Node<'a>> {
        self.entries()
            .find(|(k, _, _)| *k == key)
            .map(|(_, k, _)| k)
    }

    /// The entries of a mapping: (key text, key node, value node). Empty for other nodes.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, Node<'a>, Node<'a>)> + 'a {
        let this = *self;
        let map = match this.data() {
            YamlData::Mapping(m) => Some(m),
            _ => None,
        };
        map.into_iter().flat_map(move |m| {
            m.iter().filter_map(move |(k, v)| {
                let key = match &k.data {
                    YamlData::Value(Scalar::String(s)) => s.as_ref(),
                    YamlData::Value(Scalar::Boolean(true)) => "true",
                    YamlData::Value(Scalar::Boolean(false)) => "false",
                    YamlData::Representation(s, _, _) => s.as_ref(),
                    _ => return None,
                };
                Some((key, this.wrap(k), this.wrap(v)))
            })
        })
    }

    /// The items of a sequence. Empty for other nodes.
    pub fn items(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        let this = *self;
        let seq = match this.data() {
            YamlData::Sequence(s) => Some(s),
            _ => None,
        };
        seq.into_iter()
            .flat_map(move |s| s.iter().map(move |y| this.wrap(y)))
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self.data(), YamlData::Mapping(_))
    }

    pub fn is_sequence(&self) -> bool {
        matches!(self.data(), YamlData::Sequence(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.data(), YamlData::Value(Scalar::Null))
    }

    /// A string scalar's value.
    pub fn as_str(&self) -> Option<&'a str> {
        match self.data() {
            YamlData::Value(Scalar::String(s)) => Some(s.as_ref()),
            YamlData::Representation(s, _, _) => Some(s.as_ref()),
            _ => None,
        }
    }

    /// Any scalar as text (`true`, `3`, `"x"` → `true`, `3`, `x`).
    pub fn scalar_text(&self) -> Option<String> {
        match self.data() {
            YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
            YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
            YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
            YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
            YamlData::Value(Scalar::Null) => None,
            YamlData::Representation(s, _, _) => Some(s.to_string()),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.data() {
            YamlData::Value(Scalar::Boolean(b)) => Some(*b),
            YamlData::Value(Scalar::String(s)) => match s.as_ref() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// Scalar strings of a sequence, or the scalar itself.
    pub fn strings(&self) -> Vec<&'a str> {
        if let Some(s) = self.as_str() {
            return vec![s];
        }
        self.items().filter_map(|n| n.as_str()).collect()
    }

    /// Byte range of the node in the source.
    pub fn byte_span(&self) -> (usize, usize) {
        let start = self.src.byte_of_char(self.y.span.start.index());
        let end = self.src.byte_of_char(self.y.span.end.index());
        (start, end.max(start))
    }

    /// The node's raw source text.
    pub fn raw(&self) -> &'a str {
        let (s, e) = self.byte_span();
        self.src.text.get(s..e).unwrap_or("")
    }

    /// Where the node is.
    pub fn location(&self) -> Location {
        let (s, e) = self.byte_span();
        // Multi-line values (block scalars, mappings) are pointed at by their first line.
        let mut loc = self.src.location(s, e);
        if loc.end_line.is_some() {
            let (l, c) = self.src.position(s);
            loc = Location {
                path: self.src.path.clone(),
                start_line: l,
                end_line: loc.end_line,
                start_column: Some(c),
                end_column: None,
            };
        }
        loc
    }

    /// The first line of the node (what a finding's fingerprint is made of).
    pub fn first_line(&self) -> &'a str {
        self.src.line(self.y.span.start.line() as u32).trim()
    }

    /// Where `needle` occurs in the node's source text, at or after byte `from` of the node.
    pub fn find(&self, needle: &str, from: usize) -> Option<(usize, usize)> {
        let (s, e) = self.byte_span();
        let hay = self.src.text.get(s..e)?;
        let at = hay.get(from..)?.find(needle)? + from;
        Some((s + at, s + at + needle.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_keys_values_and_text_inside_scalars() {
        let text = "on: push\njobs:\n  build:\n    steps:\n      - run: |\n          echo \"${{ github.head_ref }}\"\n";
        let root = parse(Path::new("w.yml"), text).unwrap().unwrap();
        let src = Source::new("w.yml".into(), text);
        let n = Node::new(&root, &src);
        let run = n
            .get("jobs")
            .unwrap()
            .get("build")
            .unwrap()
            .get("steps")
            .unwrap()
            .items()
            .next()
            .unwrap()
            .get("run")
            .unwrap();
        // A block scalar's span starts with its content, on the line after `|`.
        assert_eq!(run.location().start_line, 6);
        let (s, e) = run.find("${{ github.head_ref }}", 0).unwrap();
        let loc = src.location(s, e);
        assert_eq!((loc.start_line, loc.start_column), (6, Some(17)));
        assert_eq!(n.key("jobs").unwrap().location().start_line, 2);
    }

    #[test]
    fn non_ascii_text_keeps_columns_right() {
        let text = "name: \"Grüße ✓\"\nrun: echo ${{ x }}\n";
        let root = parse(Path::new("w.yml"), text).unwrap().unwrap();
        let src = Source::new("w.yml".into(), text);
        let n = Node::new(&root, &src);
        let run = n.get("run").unwrap();
        let (s, e) = run.find("${{ x }}", 0).unwrap();
        assert_eq!(&text[s..e], "${{ x }}");
        let loc = src.location(s, e);
        assert_eq!((loc.start_line, loc.start_column), (2, Some(11)));
        assert_eq!(src.line(1), "name: \"Grüße ✓\"");
    }
}
