//! LCOV tracefiles (`SF:`, `DA:`, `BRDA:`, `end_of_record`), as genhtml's toolchain,
//! coverage.py, istanbul, cargo-llvm-cov and grcov write them.
//!
//! Summary records (`LF`, `LH`, `BRF`, `BRH`, function records) are ignored: totals are
//! recomputed from the line records so merged reports stay consistent.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use ci_intel_core::{InputError, Position};

use super::{FileCoverage, Format, Report};

/// The record being read: its file, its line coverage, and branch counts per line.
type Record = (String, FileCoverage, BTreeMap<u32, (u32, u32)>);

pub(super) fn read<R: BufRead>(path: &Path, input: R) -> Result<Report, InputError> {
    let mut report = Report {
        format: Some(Format::Lcov),
        ..Report::default()
    };
    let mut current: Option<Record> = None;
    for (i, line) in input.split(b'\n').enumerate() {
        let line = line.map_err(|e| InputError::io(path, &e))?;
        let line = String::from_utf8_lossy(&line);
        let line = line.trim();
        let lineno = i as u64 + 1;
        let bad = |what: &str| {
            InputError::at(
                path,
                Position::line(lineno),
                format!("expected {what}, found `{}`", shorten(line)),
            )
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(sf) = line.strip_prefix("SF:") {
            if let Some((name, fc, br)) = current.take() {
                finish(&mut report, name, fc, br);
            }
            current = Some((
                sf.replace('\\', "/"),
                FileCoverage::default(),
                BTreeMap::new(),
            ));
        } else if let Some(da) = line.strip_prefix("DA:") {
            let Some((_, fc, _)) = current.as_mut() else {
                return Err(bad("`SF:` before `DA:`"));
            };
            let mut parts = da.split(',');
            let n = parts
                .next()
                .and_then(|n| n.trim().parse::<u32>().ok())
                .filter(|&n| n > 0);
            let hits = parts.next().map(crate::xmlutil::parse_count);
            match (n, hits) {
                (Some(n), Some(h)) => fc.add_line(n, h, None),
                _ => return Err(bad("`DA:<line>,<hits>`")),
            }
        } else if let Some(brda) = line.strip_prefix("BRDA:") {
            let Some((_, _, br)) = current.as_mut() else {
                return Err(bad("`SF:` before `BRDA:`"));
            };
            let parts: Vec<&str> = brda.split(',').collect();
            let n = parts
                .first()
                .and_then(|n| n.trim().parse::<u32>().ok())
                .filter(|&n| n > 0);
            let (Some(n), Some(taken)) = (n, parts.get(3)) else {
                return Err(bad("`BRDA:<line>,<block>,<branch>,<taken>`"));
            };
            let taken = taken.trim();
            let hit = taken != "-" && crate::xmlutil::parse_count(taken) > 0;
            let e = br.entry(n).or_insert((0, 0));
            e.1 += 1;
            if hit {
                e.0 += 1;
            }
        } else if line == "end_of_record"
            && let Some((name, fc, br)) = current.take()
        {
            finish(&mut report, name, fc, br);
        }
        // TN, FN, FNDA, FNF, FNH, LF, LH, BRF, BRH, VER: summaries we recompute or do not use.
    }
    if let Some((name, fc, br)) = current.take() {
        finish(&mut report, name, fc, br);
    }
    if report.files.is_empty() {
        return Err(InputError::new(
            path,
            "expected LCOV records (`SF:` … `end_of_record`), found none",
        ));
    }
    Ok(report)
}

fn finish(
    report: &mut Report,
    name: String,
    mut fc: FileCoverage,
    branches: BTreeMap<u32, (u32, u32)>,
) {
    for (n, (covered, total)) in branches {
        fc.add_line(n, 0, Some((covered, total)));
    }
    report.files.entry(name).or_default().merge(&fc);
}

fn shorten(s: &str) -> String {
    crate::junit::truncate(s, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_records() {
        let text = "TN:\nSF:src/a.js\nFN:1,f\nDA:1,1\nDA:2,0\nBRDA:2,0,0,1\nBRDA:2,0,1,-\nLF:2\nLH:1\nend_of_record\nSF:src/b.js\nDA:5,3\nend_of_record\n";
        let r = read(Path::new("l.info"), text.as_bytes()).unwrap();
        let t = r.files["src/a.js"].totals();
        assert_eq!(
            (
                t.lines_covered,
                t.lines_valid,
                t.branches_covered,
                t.branches_valid
            ),
            (1, 2, 1, 2)
        );
        assert_eq!(r.files["src/b.js"].totals().lines_covered, 1);
    }

    #[test]
    fn errors_name_the_line() {
        let e = read(Path::new("l.info"), "SF:a\nDA:x,1\n".as_bytes()).unwrap_err();
        assert_eq!(e.position, Some(Position::line(2)));
        let e = read(Path::new("l.info"), "DA:1,1\n".as_bytes()).unwrap_err();
        assert!(e.message.contains("SF:"), "{e}");
        assert!(read(Path::new("l.info"), "TN:\n".as_bytes()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "((SF:[a-z./]{0,6}|DA:[0-9,-]{0,6}|BRDA:[0-9,-]{0,9}|end_of_record|LF:[0-9]{0,3}|[^\n]{0,5})\n){0,20}") {
            let _ = read(Path::new("g.info"), s.as_bytes());
        }
    }
}
