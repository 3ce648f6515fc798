//! The streaming scanner: one pass over a log in bounded memory.
//!
//! A log is read in batches of [`BATCH`] bytes, the next one while the last is handled. Each
//! batch is split into pieces that are searched in parallel for any keyword of the rule set
//! (one Aho-Corasick automaton over the raw bytes), so lines without one — nearly all of a
//! log — are never decoded. The few lines with a keyword are then handled in order: frame
//! markers update the jobs and steps, rules are tried on the cleaned line, and error-looking
//! lines no rule knows go to the template miner. The last lines of a batch are held back to
//! the next one, so a rule can always look [`MAX_WITHIN`](crate::rules::MAX_WITHIN) lines ahead
//! and an excerpt can show the lines before.

use std::collections::BTreeMap;
use std::io::{self, Read};

use aho_corasick::Input;
use memchr::{memchr, memrchr};
use rayon::prelude::*;

use crate::line::{self, Marker};
use crate::miner::Miner;
use crate::model::{LogLocation, LogSummary, Step};
use crate::rules::{MAX_WITHIN, RuleSet};

/// Bytes read per batch.
const BATCH: usize = 8 << 20;
/// Bytes per parallel piece of a batch.
const PIECE: usize = 1 << 20;
/// Lines shown before and after a match in its excerpt.
const CONTEXT_BEFORE: usize = 2;
const CONTEXT_AFTER: usize = 2;
/// Lines held back at the end of a batch so a rule can look ahead into them.
const LOOKAHEAD: usize = MAX_WITHIN + CONTEXT_AFTER;
/// Longest line kept in an excerpt or a message (characters).
const MAX_LINE_CHARS: usize = 400;

/// A rule's match.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: usize,
    pub captures: BTreeMap<String, String>,
    /// The cleaned line the rule matched.
    pub text: String,
    pub location: LogLocation,
    pub excerpt: Vec<String>,
    /// Index into the log's steps.
    pub step: Option<usize>,
}

/// What one log yielded.
#[derive(Debug, Clone)]
pub struct LogScan {
    pub summary: LogSummary,
    pub hits: Vec<Hit>,
    /// The last lines printed before each non-zero exit status the log shows: what is left to
    /// show when nothing else explains a failed step.
    pub exit_tails: Vec<ExitTail>,
}

/// The last output before a step or job ended with a non-zero status.
#[derive(Debug, Clone)]
pub struct ExitTail {
    pub code: i64,
    /// The last printed line's place.
    pub location: LogLocation,
    pub step: Option<usize>,
    /// Up to [`TAIL_LINES`] cleaned lines, the last one printed last.
    pub lines: Vec<String>,
}

/// Lines kept before a non-zero exit status.
const TAIL_LINES: usize = 3;

/// Scans `input`, the log named `name` (of job `job`), with `rules`; error-looking lines no
/// rule knows are fed to `miner`.
pub fn scan(
    rules: &RuleSet,
    name: &str,
    job: Option<&str>,
    mut input: impl Read,
    miner: &mut Miner,
) -> io::Result<LogScan> {
    let mut state = State {
        rules,
        miner,
        summary: LogSummary {
            log: name.to_owned(),
            job: job.map(str::to_owned),
            lines: 0,
            bytes: 0,
            steps: Vec::new(),
            exit_code: None,
        },
        hits: Vec::new(),
        exit_tails: Vec::new(),
        explicit_steps: false,
        segment_start: 1,
    };
    let mut buf: Vec<u8> = Vec::with_capacity(BATCH + 2 * PIECE);
    // Offset in `buf` where lines not yet handled begin (what is before it is context).
    let mut process_start = 0usize;
    // Lines of the log before `process_start`.
    let mut base_line = 0u64;
    let mut eof = fill(&mut input, &mut buf)?;
    loop {
        let data_end = if eof {
            buf.len()
        } else {
            memrchr(b'\n', &buf[process_start..]).map_or(buf.len(), |i| process_start + i + 1)
        };
        let mut process_end = if eof {
            data_end
        } else {
            process_start + start_of_last_lines(&buf[process_start..data_end], LOOKAHEAD)
        };
        if process_end <= process_start {
            // A batch of very long lines: handle all of it, look-ahead or not.
            process_end = data_end;
        }
        if eof {
            base_line += state.handle(&buf, process_start, process_end, data_end, base_line);
            state.summary.bytes += buf.len() as u64;
            let trailing = data_end > 0 && buf[data_end - 1] != b'\n';
            state.summary.lines = base_line + u64::from(trailing);
            break;
        }
        // The next batch starts with the lines kept for context and look-ahead, and is read
        // while this one is handled.
        // (At most a piece of it: a line without end is context, not something to hold whole.)
        let keep_from = start_of_last_lines(&buf[..process_end], CONTEXT_BEFORE)
            .max(process_end.saturating_sub(PIECE));
        let mut next: Vec<u8> = Vec::with_capacity(BATCH + 2 * PIECE);
        next.extend_from_slice(&buf[keep_from..]);
        let mut lines = 0;
        let mut read = Ok(false);
        rayon::in_place_scope(|s| {
            s.spawn(|_| {
                lines = state.handle(&buf, process_start, process_end, data_end, base_line);
            });
            read = fill(&mut input, &mut next);
        });
        eof = read?;
        base_line += lines;
        state.summary.bytes += keep_from as u64;
        buf = next;
        process_start = process_end - keep_from;
    }
    Ok(LogScan {
        summary: state.summary,
        hits: state.hits,
        exit_tails: state.exit_tails,
    })
}

/// Whether the word at `text[start..end]` is a count of zero (`Errors: 0`, `Failures=0`,
/// `0 errors`, `0 failed`): a summary saying nothing went wrong, not an error line.
fn zero_count(text: &str, start: usize, end: usize) -> bool {
    let is_zero = |digits: &str| digits == "0";
    // The rest of the word (`Error` → `Errors`), then `: 0` or `=0`.
    let after = text[end..].trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let after = after.trim_start();
    if let Some(rest) = after.strip_prefix(':').or_else(|| after.strip_prefix('=')) {
        let rest = rest.trim_start();
        let digits: &str = &rest[..rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len())];
        return is_zero(digits);
    }
    // `0 errors`: the word starts after a lone 0.
    let head = text[..start].trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let Some(head) = head.strip_suffix(' ') else {
        return false;
    };
    let head = head.trim_end();
    let digits_start = head
        .char_indices()
        .rev()
        .find(|&(_, c)| !c.is_ascii_digit() && c != '.')
        .map_or(0, |(i, c)| i + c.len_utf8());
    is_zero(&head[digits_start..])
}

/// Whether the word at `text[start..end]` is a whole segment of a dotted or slashed name
/// (`core.error.Should`, `src/errors/mod.rs`): a name, not a report of an error.
fn path_segment(text: &str, start: usize, end: usize) -> bool {
    let separator = |c: Option<char>| matches!(c, Some('.' | '/'));
    let after = text[end..].trim_start_matches(|c: char| c.is_ascii_alphabetic());
    separator(text[..start].chars().next_back()) && separator(after.chars().next())
}

/// Where line `number` of the log `summary` describes is, in step `step`.
fn location(summary: &LogSummary, number: u64, step: Option<usize>) -> LogLocation {
    LogLocation {
        log: summary.log.clone(),
        line: number,
        job: summary.job.clone(),
        step: step.map(|i| summary.steps[i].name.clone()),
    }
}

/// Reads into `buf` until it holds [`BATCH`] bytes, and at least one more [`PIECE`], or the
/// input ends; true at the end.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<bool> {
    let target = BATCH.max(buf.len() + PIECE);
    while buf.len() < target {
        let want = (target - buf.len()) as u64;
        match input.by_ref().take(want).read_to_end(buf) {
            Ok(0) => return Ok(true),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Offset of the first of the last `n` lines of `s` (which ends at a line end, or is empty).
fn start_of_last_lines(s: &[u8], n: usize) -> usize {
    let mut pos = s.len();
    for _ in 0..n {
        if pos == 0 {
            return 0;
        }
        pos = memrchr(b'\n', &s[..pos - 1]).map_or(0, |j| j + 1);
    }
    pos
}

/// The lines of one parallel piece that hold a keyword: `(start, end, newlines before it in
/// the piece, what was worked out about it)`, and the piece's newline count.
struct PieceHits {
    hits: Vec<(usize, usize, u64, Pre)>,
    newlines: u64,
}

/// What can be worked out about a keyword line without the log's running state, so it is done
/// in the parallel pieces: cleaning, the rules, their `then`/`before` lines and the excerpt.
enum Pre {
    /// A frame marker, a `gh` column prefix or an `##[error]` annotation: it changes or reads
    /// the jobs and steps, so it is handled in order by [`State::line`].
    Ordered,
    /// Any other line: the rule that matched it (captures, excerpt), else whether it holds an
    /// error word (then it goes to the template miner, in order).
    Plain {
        text: String,
        matched: Option<(usize, BTreeMap<String, String>, Vec<String>)>,
        error_word: bool,
    },
}

struct State<'a> {
    rules: &'a RuleSet,
    miner: &'a mut Miner,
    summary: LogSummary,
    hits: Vec<Hit>,
    exit_tails: Vec<ExitTail>,
    /// The log frames its steps (GitHub groups or `gh` columns, GitLab sections): build
    /// results do not make steps of their own.
    explicit_steps: bool,
    /// The first line after the last build result: where the current implicit build began.
    segment_start: u64,
}

impl State<'_> {
    /// Handles the lines in `buf[start..end]` (the first is line `base + 1`); `buf[..limit]` may
    /// be read for look-ahead and context. Returns the number of lines handled.
    fn handle(&mut self, buf: &[u8], start: usize, end: usize, limit: usize, base: u64) -> u64 {
        let pieces = split_pieces(buf, start, end);
        let found: Vec<PieceHits> = pieces
            .par_iter()
            .map(|&(s, e)| self.find_lines(buf, s, e, limit))
            .collect();
        let mut line_base = base;
        for piece in found {
            for (ls, le, rel, pre) in piece.hits {
                let number = line_base + rel + 1;
                match pre {
                    Pre::Ordered => self.line(buf, ls, le, limit, number),
                    Pre::Plain {
                        text,
                        matched,
                        error_word,
                    } => self.record(&text, matched, error_word, number),
                }
            }
            line_base += piece.newlines;
        }
        line_base - base
    }

    fn find_lines(&self, buf: &[u8], start: usize, end: usize, limit: usize) -> PieceHits {
        let mut hits = Vec::new();
        let mut pos = start;
        let mut counted_to = start;
        let mut newlines = 0u64;
        while pos < end {
            let Some(m) = self.rules.keywords.find(Input::new(buf).range(pos..end)) else {
                break;
            };
            let ls = memrchr(b'\n', &buf[start..m.start()]).map_or(start, |i| start + i + 1);
            let le = memchr(b'\n', &buf[m.end()..end]).map_or(end, |i| m.end() + i);
            newlines += bytecount::count(&buf[counted_to..ls], b'\n') as u64;
            counted_to = ls;
            hits.push((ls, le, newlines, self.pre(buf, ls, le, limit)));
            pos = le + 1;
        }
        newlines += bytecount::count(&buf[counted_to.min(end)..end], b'\n') as u64;
        PieceHits { hits, newlines }
    }

    /// The step a line now being handled belongs to, when the log frames its steps.
    fn current_step(&self) -> Option<usize> {
        if self.explicit_steps {
            self.summary.steps.len().checked_sub(1)
        } else {
            None
        }
    }

    /// The order-free part of a keyword line's handling (see [`Pre`]).
    fn pre(&self, buf: &[u8], ls: usize, le: usize, limit: usize) -> Pre {
        let raw = String::from_utf8_lossy(&buf[ls..le]);
        if line::gh_cli_prefix(&raw).is_some() {
            return Pre::Ordered;
        }
        let text = line::clean(&raw);
        if line::marker(&text).is_some() {
            return Pre::Ordered;
        }
        let (candidates, error_word) = self.candidates(&text);
        let matched = self
            .best_rule(&candidates, &text, buf, (ls, le), limit)
            .map(|(rule, captures, last)| (rule, captures, excerpt(buf, ls, le, last, limit)));
        Pre::Plain {
            text: text.into_owned(),
            matched,
            error_word,
        }
    }

    /// A keyword line, in order: its hit, or (when `mine`) its template for the miner.
    fn record(
        &mut self,
        text: &str,
        matched: Option<(usize, BTreeMap<String, String>, Vec<String>)>,
        mine: bool,
        number: u64,
    ) {
        let step = self.current_step();
        // Built only for a match or a new template: most keyword lines need none.
        let at = || location(&self.summary, number, step);
        if let Some((rule, captures, excerpt)) = matched {
            self.hits.push(Hit {
                rule,
                captures,
                text: truncate(text),
                location: at(),
                excerpt,
                step,
            });
        } else if mine {
            self.miner.add_with(&truncate(text), || Some(at()));
        }
    }

    /// One line holding a keyword that needs the running state (see [`Pre::Ordered`]).
    fn line(&mut self, buf: &[u8], ls: usize, le: usize, limit: usize, number: u64) {
        let raw = String::from_utf8_lossy(&buf[ls..le]);
        if let Some((_, step, _)) = line::gh_cli_prefix(&raw) {
            self.explicit_steps = true;
            if self.summary.steps.last().is_none_or(|s| s.name != step) {
                self.summary.steps.push(Step {
                    name: step.to_owned(),
                    line: number,
                    exit_code: None,
                    cleanup: step.starts_with("Post ") || step == "Complete job",
                });
            }
        }
        let text = line::clean(&raw);
        let mut extra: BTreeMap<String, String> = BTreeMap::new();
        // An exit status is also tried against the rules (137 says "killed"), but is not an
        // unknown failure of its own.
        let mut exit_status = false;
        let text: &str = match line::marker(&text) {
            Some(Marker::Error {
                message,
                file,
                line,
            }) => {
                if let Some(f) = file {
                    extra.insert("file".into(), f.to_owned());
                }
                if let Some(l) = line {
                    extra.insert("line".into(), l.to_string());
                }
                message
            }
            Some(m @ Marker::ExitCode(code)) => {
                self.marker(&m, number);
                if code != 0 {
                    self.exit_tail(buf, ls, number, code);
                }
                exit_status = true;
                &text
            }
            Some(m) => {
                self.marker(&m, number);
                return;
            }
            None => &text,
        };
        let (candidates, error_word) = self.candidates(text);
        let mine = !exit_status && (error_word || !extra.is_empty());
        let matched = self.best_rule(&candidates, text, buf, (ls, le), limit).map(
            |(rule, mut captures, last)| {
                for (k, v) in extra {
                    captures.entry(k).or_insert(v);
                }
                (rule, captures, excerpt(buf, ls, le, last, limit))
            },
        );
        self.record(text, matched, mine, number);
    }

    /// Rules with a keyword on the line, in pack order, and whether an error word is there
    /// (other than as a zero count, `Errors: 0`, or a segment of a path or package name,
    /// `org.assertj.core.error.ShouldBeEqual`).
    fn candidates(&self, text: &str) -> (Vec<usize>, bool) {
        let mut rules = Vec::new();
        let mut error_word = false;
        for m in self.rules.keywords.find_overlapping_iter(text) {
            let owner = &self.rules.owners[m.pattern().as_usize()];
            rules.extend_from_slice(&owner.rules);
            error_word |= owner.error_word
                && !zero_count(text, m.start(), m.end())
                && !path_segment(text, m.start(), m.end());
        }
        rules.sort_unstable();
        rules.dedup();
        (rules, error_word)
    }

    /// The most confident rule matching `text` (the earlier one on a tie), its captures
    /// (with those of its `then` regexes on the following lines), and where the last line it
    /// used ends.
    fn best_rule(
        &self,
        candidates: &[usize],
        text: &str,
        buf: &[u8],
        (ls, le): (usize, usize),
        limit: usize,
    ) -> Option<(usize, BTreeMap<String, String>, usize)> {
        let mut order: Vec<usize> = candidates.to_vec();
        order.sort_by(|a, b| {
            self.rules.rules[*b]
                .confidence
                .total_cmp(&self.rules.rules[*a].confidence)
                .then(a.cmp(b))
        });
        let mut following: Option<Vec<(usize, String)>> = None;
        for i in order {
            let rule = &self.rules.rules[i];
            let Some(c) = rule.pattern.captures(text) else {
                continue;
            };
            if rule.unless.as_ref().is_some_and(|u| u.is_match(text)) {
                continue;
            }
            let mut captures: BTreeMap<String, String> = BTreeMap::new();
            add_captures(&mut captures, &rule.pattern, &c);
            let mut last = le;
            let mut all_found = true;
            if !rule.then.is_empty() {
                let lines =
                    following.get_or_insert_with(|| following_lines(buf, le, limit, MAX_WITHIN));
                for then in &rule.then {
                    let found = lines
                        .iter()
                        .take(rule.within)
                        .find_map(|(end, l)| then.captures(l).map(|c| (*end, c)));
                    match found {
                        Some((end, c)) => {
                            add_captures(&mut captures, then, &c);
                            last = last.max(end);
                        }
                        None => all_found = false,
                    }
                }
            }
            if rule.require_then && !all_found {
                continue;
            }
            if !rule.before.is_empty() {
                let above = preceding_lines(buf, ls, rule.within);
                let mut all_before = true;
                for before in &rule.before {
                    match above.iter().find_map(|l| before.captures(l)) {
                        Some(c) => add_captures(&mut captures, before, &c),
                        None => all_before = false,
                    }
                }
                if rule.require_before && !all_before {
                    continue;
                }
            }
            return Some((i, captures, last));
        }
        None
    }

    /// Keeps the last printed lines above the exit status on line `number` (starting at `ls`).
    fn exit_tail(&mut self, buf: &[u8], ls: usize, number: u64, code: i64) {
        // Blank lines and frame markers are not output; look a little further for them.
        let above = preceding_lines(buf, ls, TAIL_LINES * 4);
        // (How far above the status each printed line is, and the line.)
        let printed: Vec<(usize, &String)> = above
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && line::marker(l).is_none())
            .take(TAIL_LINES)
            .collect();
        let Some(&(nearest, _)) = printed.first() else {
            return;
        };
        let lines = printed.iter().rev().map(|(_, l)| truncate(l)).collect();
        let step = self.current_step();
        let last_line = number.saturating_sub(1 + nearest as u64).max(1);
        self.exit_tails.push(ExitTail {
            code,
            location: location(&self.summary, last_line, step),
            step,
            lines,
        });
    }

    fn marker(&mut self, m: &Marker<'_>, number: u64) {
        if matches!(
            m,
            Marker::GroupStart(t) if t.starts_with("Run ")
        ) || matches!(m, Marker::Section(_) | Marker::Cleanup)
        {
            self.explicit_steps = true;
        }
        if let Marker::BuildResult(ok) = m {
            self.build_result(*ok, number);
            return;
        }
        let mut start = |name: &str, cleanup: bool| {
            self.summary.steps.push(Step {
                name: name.to_owned(),
                line: number,
                exit_code: None,
                cleanup,
            });
        };
        match m {
            Marker::GroupStart(title) if title.starts_with("Run ") => start(title, false),
            Marker::Section(title) => start(title, false),
            Marker::Cleanup => start("Post job cleanup", true),
            Marker::ExitCode(code) => {
                if let Some(step) = self.summary.steps.last_mut() {
                    step.exit_code = Some(*code);
                }
                self.summary.exit_code = Some(*code);
            }
            Marker::GroupStart(_)
            | Marker::GroupEnd
            | Marker::Error { .. }
            | Marker::BuildResult(_) => {}
        }
    }

    /// A build tool's result line in a log without explicit steps: the lines since the last
    /// one become an implicit step with that status, and the matches in them belong to it.
    fn build_result(&mut self, ok: bool, number: u64) {
        if self.explicit_steps {
            return;
        }
        let index = self.summary.steps.len();
        let name = format!("build ending at line {number}");
        self.summary.steps.push(Step {
            name: name.clone(),
            line: self.segment_start,
            exit_code: Some(i64::from(!ok)),
            cleanup: false,
        });
        for hit in self.hits.iter_mut().rev() {
            if hit.location.line < self.segment_start {
                break;
            }
            hit.step = Some(index);
            hit.location.step = Some(name.clone());
        }
        self.summary.exit_code = Some(i64::from(!ok));
        self.segment_start = number + 1;
    }
}

/// Adds the named groups of `c` not yet in `captures` (trimmed, empty ones left out).
fn add_captures(
    captures: &mut BTreeMap<String, String>,
    re: &regex::Regex,
    c: &regex::Captures<'_>,
) {
    for name in re.capture_names().flatten() {
        if let Some(v) = c.name(name) {
            let v = v.as_str().trim();
            if !v.is_empty() {
                captures
                    .entry(name.to_owned())
                    .or_insert_with(|| v.to_owned());
            }
        }
    }
}

/// Splits `buf[start..end]` into pieces of about [`PIECE`] bytes that end at line ends.
fn split_pieces(buf: &[u8], start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    let mut s = start;
    while s < end {
        let tentative = (s + PIECE).min(end);
        let e = if tentative == end {
            end
        } else {
            memchr(b'\n', &buf[tentative..end]).map_or(end, |i| tentative + i + 1)
        };
        pieces.push((s, e));
        s = e;
    }
    pieces
}

/// Up to `n` cleaned lines after the line ending at `le`, with where each ends.
fn following_lines(buf: &[u8], le: usize, limit: usize, n: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pos = le + 1;
    while out.len() < n && pos < limit {
        let end = memchr(b'\n', &buf[pos..limit]).map_or(limit, |i| pos + i);
        let text = line::clean(&String::from_utf8_lossy(&buf[pos..end])).into_owned();
        out.push((end, text));
        pos = end + 1;
    }
    out
}

/// Up to `n` cleaned lines before the line starting at `ls`, nearest first (within the batch).
fn preceding_lines(buf: &[u8], ls: usize, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut pos = ls;
    while out.len() < n && pos > 0 {
        let start = memrchr(b'\n', &buf[..pos - 1]).map_or(0, |j| j + 1);
        out.push(line::clean(&String::from_utf8_lossy(&buf[start..pos - 1])).into_owned());
        pos = start;
    }
    out
}

/// The lines around a match: [`CONTEXT_BEFORE`] before it, and after it up to the last line a
/// rule used (at least [`CONTEXT_AFTER`]). Frame markers and blank lines are left out.
fn excerpt(buf: &[u8], ls: usize, le: usize, last: usize, limit: usize) -> Vec<String> {
    let mut lines = preceding_lines(buf, ls, CONTEXT_BEFORE);
    lines.reverse();
    lines.push(line::clean(&String::from_utf8_lossy(&buf[ls..le])).into_owned());
    let mut after = following_lines(buf, le, limit, MAX_WITHIN);
    let keep = after
        .iter()
        .position(|(end, _)| *end >= last)
        .map_or(CONTEXT_AFTER, |i| (i + 1).max(CONTEXT_AFTER));
    after.truncate(keep);
    lines.extend(after.into_iter().map(|(_, t)| t));
    lines
        .into_iter()
        .filter(|l| !l.trim().is_empty() && line::marker(l).is_none())
        .map(|l| truncate(&l))
        .collect()
}

/// `s` cut to [`MAX_LINE_CHARS`] characters.
pub(crate) fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `test(line, word)` on the first occurrence of `word` in `line`.
    fn on_word(test: fn(&str, usize, usize) -> bool) -> impl Fn(&str, &str) -> bool {
        move |line, word| {
            let start = line.find(word).unwrap();
            test(line, start, start + word.len())
        }
    }

    #[test]
    fn segments_of_names_are_not_error_words() {
        let at = on_word(path_segment);
        assert!(at(
            "[INFO] Running org.assertj.core.error.ShouldBeEqual",
            "error"
        ));
        assert!(at("Compiling src/errors/mod.rs", "error"));
        assert!(!at("java.lang.Error: boom", "Error"));
        assert!(!at("error: expected `;`", "error"));
        assert!(!at("AssertionError.java", "Error"));
    }

    #[test]
    fn zero_counts_are_not_error_words() {
        let at = on_word(zero_count);
        assert!(at(
            "Tests run: 5, Failures: 0, Errors: 0, Skipped: 0",
            "Error"
        ));
        assert!(at(
            "Tests run: 5, Failures: 0, Errors: 0, Skipped: 0",
            "Fail"
        ));
        assert!(at("test result: ok. 3 passed; 0 failed; 0 ignored", "fail"));
        assert!(at("errors=0", "error"));
        assert!(!at(
            "Tests run: 5, Failures: 0, Errors: 1, Skipped: 0",
            "Error"
        ));
        assert!(!at("Tests run: 5, Failures: 0, Errors: 10", "Error"));
        assert!(!at("10 errors generated.", "error"));
        assert!(!at("error: expected `;`", "error"));
        assert!(!at("1.0 failed", "fail"));
        assert!(!at("Error:", "Error"));
        assert!(!at("⎯⎯ Failed Tests 1 ⎯⎯", "Fail"));
        assert!(at("⎯ 0 failed", "fail"));
    }

    proptest::proptest! {
        #[test]
        fn zero_count_takes_any_text(text in "\\PC{0,40}", a in 0usize..48, b in 0usize..48) {
            let (a, b) = (a.min(b).min(text.len()), a.max(b).min(text.len()));
            if text.is_char_boundary(a) && text.is_char_boundary(b) {
                let _ = zero_count(&text, a, b);
            }
        }
    }

    #[test]
    fn last_lines() {
        let s = b"a\nbb\nccc\n";
        assert_eq!(start_of_last_lines(s, 1), 5);
        assert_eq!(start_of_last_lines(s, 2), 2);
        assert_eq!(start_of_last_lines(s, 3), 0);
        assert_eq!(start_of_last_lines(s, 9), 0);
        assert_eq!(start_of_last_lines(b"", 2), 0);
    }

    #[test]
    fn pieces_end_at_line_ends() {
        let mut buf = Vec::new();
        for i in 0..300_000 {
            buf.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let pieces = split_pieces(&buf, 0, buf.len());
        assert!(pieces.len() > 1);
        assert_eq!(pieces[0].0, 0);
        assert_eq!(pieces.last().unwrap().1, buf.len());
        for w in pieces.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert_eq!(buf[w[0].1 - 1], b'\n');
        }
    }
}
