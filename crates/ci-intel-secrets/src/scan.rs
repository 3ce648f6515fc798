//! The scanning engine: keywords first, then only the rules they select.

use std::borrow::Cow;

use crate::rules::{Rule, RuleSet};

/// A secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit<'r> {
    pub rule: &'r str,
    /// Byte range of the secret in the text.
    pub start: usize,
    pub end: usize,
}

/// Shannon entropy in bits per byte.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// ASCII case-insensitive search of a lower-case `needle`.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| {
        w.iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Whether a value is a reference to something else rather than a secret: a variable, a
/// template, a path.
fn looks_like_reference(s: &[u8]) -> bool {
    s.starts_with(b"$")
        || s.starts_with(b"%")
        || s.starts_with(b"{")
        || s.starts_with(b"/")
        || s.starts_with(b"./")
        || s.starts_with(b"~/")
        || s.ends_with(b"()")
        || s.windows(2).any(|w| w == b"::" || w == b"${")
}

impl RuleSet {
    /// Every secret in `text`, in order. Where a generic rule and a specific one match the same
    /// secret, only the specific one is kept.
    ///
    /// One keyword pass finds where each rule's keywords occur; a rule's regex then runs only on
    /// the lines holding them (or on the whole text for multi-line rules), so the cost of a
    /// file is one automaton scan plus a few short regex runs.
    pub fn scan<'r>(&'r self, text: &[u8]) -> Vec<Hit<'r>> {
        // (keyword, start) of every occurrence, including ones the non-overlapping search hid.
        let mut occurrences: Vec<(usize, usize)> = Vec::new();
        for m in self.keywords.find_iter(text) {
            let k = m.pattern().as_usize();
            occurrences.push((k, m.start()));
            for &j in &self.shadows[k] {
                let w = &self.words[j];
                let from = m.start().saturating_sub(w.len() - 1);
                let to = (m.end() + w.len() - 1).min(text.len());
                if let Some(at) = find_ci(&text[from..to], w) {
                    occurrences.push((j, from + at));
                }
            }
        }
        if occurrences.is_empty() {
            return Vec::new();
        }
        // Per rule, the sorted positions of its keywords.
        let mut positions: Vec<Vec<usize>> = vec![Vec::new(); self.rules.len()];
        for &(k, at) in &occurrences {
            for &r in &self.owners[k] {
                positions[r].push(at);
            }
        }
        let mut hits: Vec<(Hit<'r>, bool)> = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let pos = &mut positions[i];
            if pos.is_empty() {
                continue;
            }
            if rule.multiline {
                self.run(rule, text, 0, &mut hits);
                continue;
            }
            pos.sort_unstable();
            let mut done_until = 0usize;
            for &p in pos.iter() {
                if p < done_until {
                    continue; // this line was already scanned for this rule
                }
                let start = memchr::memrchr(b'\n', &text[..p]).map_or(0, |i| i + 1);
                let end = memchr::memchr(b'\n', &text[p..]).map_or(text.len(), |i| p + i);
                self.run(rule, &text[start..end], start, &mut hits);
                done_until = end + 1;
            }
        }
        hits.sort_by_key(|(h, generic)| (h.start, *generic, h.end));
        let specific: Vec<(usize, usize)> = hits
            .iter()
            .filter(|(_, g)| !g)
            .map(|(h, _)| (h.start, h.end))
            .collect();
        let mut out: Vec<Hit<'r>> = Vec::with_capacity(hits.len());
        for (h, generic) in hits {
            let overlaps_specific =
                generic && specific.iter().any(|&(s, e)| h.start < e && s < h.end);
            let duplicate = out
                .last()
                .is_some_and(|p| p.start == h.start && p.end == h.end);
            if !overlaps_specific && !duplicate {
                out.push(h);
            }
        }
        out
    }

    /// Runs `rule` on `slice` (which starts at `offset` in the text).
    fn run<'r>(
        &'r self,
        rule: &'r Rule,
        slice: &[u8],
        offset: usize,
        hits: &mut Vec<(Hit<'r>, bool)>,
    ) {
        for caps in rule.regex.captures_iter(slice) {
            let Some(m) = caps.get(rule.group) else {
                continue;
            };
            if self.accept(rule, m.as_bytes()) {
                hits.push((
                    Hit {
                        rule: &rule.id,
                        start: offset + m.start(),
                        end: offset + m.end(),
                    },
                    rule.generic,
                ));
            }
        }
    }

    /// Whether a candidate secret survives the rule's entropy threshold and the allow-lists.
    fn accept(&self, rule: &Rule, secret: &[u8]) -> bool {
        if self.allow_values.contains(secret) {
            return false;
        }
        let lower: Cow<'_, [u8]> = if secret.iter().any(u8::is_ascii_uppercase) {
            Cow::Owned(secret.to_ascii_lowercase())
        } else {
            Cow::Borrowed(secret)
        };
        let contains = |words: &[Vec<u8>]| {
            words
                .iter()
                .any(|w| memchr::memmem::find(&lower, w).is_some())
        };
        if contains(&self.stopwords) || (rule.generic && contains(&self.generic_stopwords)) {
            return false;
        }
        if let Some(min) = rule.entropy
            && entropy(secret) < min
        {
            return false;
        }
        if rule.generic {
            if is_uuid(secret) || looks_like_reference(secret) {
                return false;
            }
            // Identifiers (`my_password_field`) are not secrets: a secret mixes character classes.
            let classes = [
                secret.iter().any(u8::is_ascii_lowercase),
                secret.iter().any(u8::is_ascii_uppercase),
                secret.iter().any(u8::is_ascii_digit),
                secret.iter().any(|b| !b.is_ascii_alphanumeric()),
            ];
            if classes.iter().filter(|&&c| c).count() < 2 {
                return false;
            }
            // Lower-case words joined by `-`, `_` or `.` (`from-the-vault`) name things.
            if secret
                .iter()
                .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_' | b'.'))
            {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_values() {
        assert_eq!(entropy(b""), 0.0);
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn uuids_and_references() {
        assert!(is_uuid(b"123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid(b"123e4567e89b12d3a456426614174000"));
        assert!(looks_like_reference(b"${{ secrets.X }}"));
        assert!(looks_like_reference(b"$DB_PASSWORD"));
    }
}
