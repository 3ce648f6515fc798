//! Small text helpers shared by reporters.

/// A 0–1 fraction as a percentage with two decimals, or `n/a`.
pub fn pct(f: Option<f64>) -> String {
    match f {
        Some(v) => ci_intel_core::format::percent(v, 2),
        None => "n/a".to_owned(),
    }
}

/// Milliseconds as a short duration (`850ms`, `3.20s`, `2m05s`).
pub fn duration(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else if ms < 60_000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as u64;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// Sorted line numbers as compact ranges: `16, 42, 50-52`.
pub fn line_ranges(lines: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start;
        while i + 1 < lines.len() && lines[i + 1] == end + 1 {
            i += 1;
            end = lines[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(", ")
}

/// The first line of `s`, cut to `max` characters.
pub fn first_line(s: &str, max: usize) -> String {
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    match line.char_indices().nth(max) {
        None => line.to_owned(),
        Some((i, _)) => format!("{}…", &line[..i]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(pct(Some(0.61111)), "61.11%");
        assert_eq!(pct(None), "n/a");
        assert_eq!(duration(850.0), "850ms");
        assert_eq!(duration(3200.0), "3.20s");
        assert_eq!(duration(125_000.0), "2m05s");
        assert_eq!(line_ranges(&[16, 42, 50, 51, 52]), "16, 42, 50-52");
        assert_eq!(first_line("\n  abc def\nx", 3), "abc…");
    }
}
