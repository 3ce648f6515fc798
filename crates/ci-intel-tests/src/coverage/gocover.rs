//! Go cover profiles (`go test -coverprofile`): `mode:` then `file:sl.sc,el.ec stmts count`.
//!
//! Statement coverage is what `go tool cover -func` reports (statements of blocks that ran ÷ all
//! statements). Line coverage follows gocover-cobertura: every line a block spans is measured,
//! and covered when any block spanning it ran. A block listed several times (profiles merged
//! from several test binaries) counts once, with its highest count.

use std::collections::BTreeMap;
use std::path::Path;

use ci_intel_core::{InputError, Position};

use super::{FileCoverage, Format, Report};

type BlockKey = (String, u32, u32, u32, u32);

pub(super) fn parse(path: &Path, text: &str) -> Result<Report, InputError> {
    let mut blocks: BTreeMap<BlockKey, (u64, u64)> = BTreeMap::new();
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_start_matches('\u{feff}').starts_with("mode:") => {}
        _ => {
            return Err(InputError::at(
                path,
                Position::line(1),
                "expected `mode: set|count|atomic`",
            ));
        }
    }
    for (i, line) in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        // Profiles concatenated from several packages repeat the mode line.
        if line.starts_with("mode:") {
            continue;
        }
        let bad = || {
            InputError::at(
                path,
                Position::line(i as u64 + 1),
                format!(
                    "expected `file.go:line.col,line.col statements count`, found `{}`",
                    crate::junit::truncate(line, 80)
                ),
            )
        };
        let (file, rest) = line.rsplit_once(':').ok_or_else(bad)?;
        let mut parts = rest.split_whitespace();
        let range = parts.next().ok_or_else(bad)?;
        let stmts: u64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let count: u64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let (start, end) = range.split_once(',').ok_or_else(bad)?;
        let pair = |s: &str| -> Option<(u32, u32)> {
            let (l, c) = s.split_once('.')?;
            Some((l.parse().ok()?, c.parse().ok()?))
        };
        let (sl, sc) = pair(start).ok_or_else(bad)?;
        let (el, ec) = pair(end).ok_or_else(bad)?;
        if sl == 0 || el < sl {
            return Err(bad());
        }
        let e = blocks
            .entry((file.to_owned(), sl, sc, el, ec))
            .or_insert((stmts, 0));
        e.1 = e.1.max(count);
    }
    let mut report = Report {
        format: Some(Format::GoCover),
        ..Report::default()
    };
    let (mut covered, mut total) = (0u64, 0u64);
    for ((file, sl, _, el, _), (stmts, count)) in blocks {
        total += stmts;
        if count > 0 {
            covered += stmts;
        }
        let fc: &mut FileCoverage = report.files.entry(file).or_default();
        // Cap absurd ranges so a corrupt profile cannot allocate without bound.
        for l in sl..=el.min(sl.saturating_add(100_000)) {
            let entry = fc.lines.entry(l).or_default();
            entry.hits = entry.hits.max(count);
        }
    }
    report.statements = Some((covered, total));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_lines() {
        let text = "mode: set\nm/a.go:3.10,5.2 2 1\nm/a.go:5.2,6.3 1 0\nm/a.go:3.10,5.2 2 0\n";
        let r = parse(Path::new("c.out"), text).unwrap();
        assert_eq!(r.statements, Some((2, 3)));
        let t = r.files["m/a.go"].totals();
        // lines 3,4,5 covered (5 is shared with the uncovered block), 6 not
        assert_eq!((t.lines_covered, t.lines_valid), (3, 4));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse(Path::new("c.out"), "mode: set\nm/a.go:3.10 2 1\n").unwrap_err();
        assert_eq!(e.position, Some(Position::line(2)));
        assert!(parse(Path::new("c.out"), "hello\n").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "mode: set\n([a-z/.]{0,5}:[0-9.,]{0,12} [0-9]{0,3} [0-9]{0,3}\n){0,10}") {
            let _ = parse(Path::new("g.out"), &s);
        }
    }
}
