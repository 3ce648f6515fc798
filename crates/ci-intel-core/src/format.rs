//! The one way ci-intel writes times and percentages, so a report, a record, the hub and a
//! gate's reason never disagree on how `2026-12-04T10:00:00Z` or `61.11%` look.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The canonical text of a time: UTC, whole seconds, `YYYY-MM-DDTHH:MM:SSZ` (text order is
/// time order, which the stores rely on).
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// [`rfc3339`] of a Unix time; `None` outside the years the format can write.
pub fn rfc3339_unix(unix: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(unix).ok().map(rfc3339)
}

/// Now, as [`rfc3339`].
pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

/// Parses any RFC 3339 time (any offset, fractional seconds).
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A 0–1 fraction as a percentage with `decimals` places (`0.6111` → `61.11%`).
pub fn percent(fraction: f64, decimals: usize) -> String {
    format!("{:.*}%", decimals, fraction * 100.0)
}

/// The first eight items of a list, `, `-joined, and how many more (for a gate's reason).
pub fn first_few(list: &[String]) -> String {
    let mut s = list.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    if list.len() > 8 {
        s.push_str(&format!(" and {} more", list.len() - 8));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_whole_seconds() {
        let t = parse_rfc3339("2026-12-04T11:30:05.987+01:00").unwrap();
        assert_eq!(rfc3339(t), "2026-12-04T10:30:05Z");
        assert_eq!(rfc3339_unix(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(rfc3339_unix(i64::MAX), None);
        assert!(parse_rfc3339("yesterday").is_none());
    }

    #[test]
    fn long_lists_are_cut_at_eight() {
        let l: Vec<String> = (1..=10).map(|i| i.to_string()).collect();
        assert_eq!(first_few(&l), "1, 2, 3, 4, 5, 6, 7, 8 and 2 more");
        assert_eq!(first_few(&l[..2]), "1, 2");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(0.6111, 2), "61.11%");
        assert_eq!(percent(0.45, 1), "45.0%");
        assert_eq!(percent(1.0, 0), "100%");
    }

    proptest::proptest! {
        #[test]
        fn any_unix_time_round_trips(secs in -62_000_000_000i64..250_000_000_000) {
            let text = rfc3339_unix(secs).unwrap();
            proptest::prop_assert_eq!(parse_rfc3339(&text).unwrap().unix_timestamp(), secs);
        }
    }
}
