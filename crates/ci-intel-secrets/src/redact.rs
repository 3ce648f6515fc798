//! Masking secrets in a stream: `cmd 2>&1 | ci-intel secrets redact`.
//!
//! Every line is masked as soon as it is complete and written at once (a line is never held
//! back for the next one), so logs keep flowing. What is masked: anything a rule matches, the
//! exact values given (`--values-from-env`), and those values' base64 (standard and URL-safe,
//! at every byte alignment) and URL-encoded forms; and every line of a PEM private-key block.
//! Memory is bounded: a line longer than [`MAX_LINE`] is processed in pieces, keeping an
//! overlap so a secret across the cut is still seen whole.

use std::io::{self, BufRead, Write};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::RuleSet;

/// What a masked secret becomes.
pub const MASK: &[u8] = b"***";
/// Longest line processed whole.
pub const MAX_LINE: usize = 1 << 20;
/// Bytes kept from one piece of an overlong line to the next.
const OVERLAP: usize = 4096;
/// Shortest literal worth masking: shorter values would mask ordinary words.
const MIN_LITERAL: usize = 4;

/// Characters URL encoding leaves alone (RFC 3986 unreserved).
const URL_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Masks secrets in lines.
#[derive(Debug)]
pub struct Redactor<'r> {
    rules: &'r RuleSet,
    literals: Option<AhoCorasick>,
}

/// Every form of `value` worth masking: itself, base64 at three alignments in both alphabets,
/// and URL-encoded (upper- and lower-case hex).
pub fn encodings(value: &str) -> Vec<String> {
    let v = value.as_bytes();
    let mut out = vec![value.to_owned()];
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for k in 0..3usize {
            let mut data = vec![0u8; k];
            data.extend_from_slice(v);
            let enc = engine.encode(&data);
            // Characters that mix in the prefix bytes, or the bytes after the value, vary with
            // the surrounding data: keep only those made of the value's bits alone.
            let skip = [0, 2, 3][k];
            let full = data.len() * 8 / 6;
            if full > skip && full - skip >= 8 {
                out.push(enc[skip..full].to_owned());
            }
        }
    }
    let url = utf8_percent_encode(value, URL_KEEP).to_string();
    if url != value {
        let lower_hex = lower_percent_hex(&url);
        out.push(url);
        out.push(lower_hex);
    }
    out.retain(|s| s.len() >= MIN_LITERAL);
    out.sort();
    out.dedup();
    out
}

fn lower_percent_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                if let Some(h) = chars.next() {
                    out.push(h.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

impl<'r> Redactor<'r> {
    /// A redactor for the rules plus the exact `values` (and their encodings).
    pub fn new(rules: &'r RuleSet, values: &[String]) -> Self {
        let mut patterns: Vec<String> = values
            .iter()
            .filter(|v| v.len() >= MIN_LITERAL)
            .flat_map(|v| encodings(v))
            .collect();
        patterns.sort();
        patterns.dedup();
        let literals = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
        });
        Self {
            rules,
            literals: literals.and_then(Result::ok),
        }
    }

    /// Byte ranges to mask in `text`, sorted and merged.
    pub fn ranges(&self, text: &[u8]) -> Vec<(usize, usize)> {
        let mut r: Vec<(usize, usize)> = self
            .rules
            .scan(text)
            .iter()
            .map(|h| (h.start, h.end))
            .collect();
        if let Some(ac) = &self.literals {
            r.extend(ac.find_iter(text).map(|m| (m.start(), m.end())));
        }
        r.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(r.len());
        for (s, e) in r {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
    }

    /// `text` with every secret masked.
    pub fn redact(&self, text: &[u8]) -> Vec<u8> {
        apply(text, &self.ranges(text), text.len())
    }

    /// Masks `input` line by line into `output`, flushing after each line.
    pub fn stream(&self, mut input: impl BufRead, mut output: impl Write) -> io::Result<()> {
        let mut pending: Vec<u8> = Vec::new();
        let mut in_private_key = false;
        loop {
            let buf = match input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            if let Some(i) = memchr::memchr(b'\n', buf) {
                pending.extend_from_slice(&buf[..=i]);
                input.consume(i + 1);
                self.emit_line(&pending, &mut in_private_key, &mut output)?;
                output.flush()?;
                pending.clear();
            } else {
                let n = buf.len();
                pending.extend_from_slice(buf);
                input.consume(n);
                if pending.len() > MAX_LINE {
                    // Emit all but the overlap, never cutting through a masked range.
                    let ranges = self.ranges(&pending);
                    let mut cut = pending.len() - OVERLAP;
                    if let Some(&(s, _)) = ranges.iter().find(|&&(s, e)| s < cut && cut < e) {
                        cut = s;
                    }
                    output.write_all(&apply(&pending, &ranges, cut))?;
                    pending.drain(..cut);
                }
            }
        }
        if !pending.is_empty() {
            self.emit_line(&pending, &mut in_private_key, &mut output)?;
        }
        output.flush()
    }

    fn emit_line(&self, line: &[u8], in_key: &mut bool, out: &mut impl Write) -> io::Result<()> {
        let begins = memchr::memmem::find(line, b"-----BEGIN").is_some()
            && memchr::memmem::find(line, b"PRIVATE KEY").is_some();
        let ends = memchr::memmem::find(line, b"-----END").is_some();
        if begins {
            *in_key = !ends;
            return out.write_all(b"-----BEGIN PRIVATE KEY----- *** (redacted)\n");
        }
        if *in_key {
            if ends {
                *in_key = false;
                return out.write_all(b"-----END PRIVATE KEY-----\n");
            }
            return out.write_all(if line.ends_with(b"\n") {
                b"***\n"
            } else {
                b"***"
            });
        }
        out.write_all(&self.redact(line))
    }
}

/// `text[..upto]` with `ranges` (sorted, merged) replaced by the mask.
fn apply(text: &[u8], ranges: &[(usize, usize)], upto: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(upto);
    let mut at = 0;
    for &(s, e) in ranges {
        if s >= upto {
            break;
        }
        out.extend_from_slice(&text[at..s]);
        out.extend_from_slice(MASK);
        at = e.min(upto).max(at);
    }
    if at < upto {
        out.extend_from_slice(&text[at..upto]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_forms_match_the_value_at_any_alignment() {
        let secret = "s3cr3t-Value_42!";
        let forms = encodings(secret);
        for prefix in ["", "a", "ab", "abc"] {
            let encoded = STANDARD_NO_PAD.encode(format!("{prefix}{secret}tail"));
            assert!(
                forms.iter().any(|f| encoded.contains(f.as_str())),
                "{prefix}: {encoded} vs {forms:?}"
            );
            let encoded = URL_SAFE_NO_PAD.encode(format!("{prefix}{secret}"));
            assert!(
                forms.iter().any(|f| encoded.contains(f.as_str())),
                "{prefix}: {encoded}"
            );
        }
        assert!(forms.contains(&"s3cr3t-Value_42%21".to_owned()));
    }
}
