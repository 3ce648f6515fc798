//! What the dashboards and the JSON API show, computed from the store. Each function returns a
//! serializable value: the JSON endpoint serves it as is, the HTML page draws it.

pub mod dora;
pub mod failures;
pub mod flaky;
pub mod runs;
pub mod trends;

use ci_intel_store::DayWindow;
use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};

/// A window of whole UTC days ending with `until` (exclusive): the last `days` days.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub repo: Option<String>,
    pub days: u32,
    /// First day, inclusive (`YYYY-MM-DD`).
    pub since: String,
    /// Day after the last, exclusive.
    pub until: String,
}

impl Window {
    /// The `days` days up to and including `last_day`.
    pub fn ending(repo: Option<String>, days: u32, last_day: Date) -> Self {
        let until = last_day + Duration::days(1);
        let since = until - Duration::days(i64::from(days.max(1)));
        Window {
            repo,
            days: days.max(1),
            since: ymd(since),
            until: ymd(until),
        }
    }

    pub fn today(repo: Option<String>, days: u32) -> Self {
        Self::ending(repo, days, OffsetDateTime::now_utc().date())
    }

    pub fn day_window(&self) -> DayWindow {
        DayWindow {
            repo: self.repo.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }

    /// The window's bounds as RFC 3339 times.
    pub fn since_time(&self) -> String {
        format!("{}T00:00:00Z", self.since)
    }

    pub fn until_time(&self) -> String {
        format!("{}T00:00:00Z", self.until)
    }

    /// Every day of the window, in order.
    pub fn each_day(&self) -> Vec<String> {
        let Ok(mut d) = parse_day(&self.since) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for _ in 0..self.days {
            out.push(ymd(d));
            d += Duration::days(1);
        }
        out
    }
}

pub fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub fn parse_day(s: &str) -> Result<Date, NotADay> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &fmt).map_err(|_| NotADay(s.to_owned()))
}

/// A query's day that is not `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a day (expected YYYY-MM-DD)")]
pub struct NotADay(pub String);

/// `a / b`, or `None` when `b` is zero.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

/// Rounds for display and JSON (no 0.30000000000000004 in an API).
pub fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}
