//! Small, dependency-free SVG charts for server-rendered pages: no scripts, no external fonts
//! or styles, so a page works air-gapped and in any browser. Values are plotted as given; the
//! caller chooses units and labels.

use std::fmt::Write as _;

/// One line (or bar series) of a chart.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    pub name: &'a str,
    /// CSS colour.
    pub color: &'a str,
    /// One value per x label; `None` leaves a gap.
    pub values: Vec<Option<f64>>,
    /// Draw with a dashed stroke (limits, targets).
    pub dashed: bool,
}

/// Escapes text for XML and HTML content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const W: f64 = 720.0;
const H: f64 = 220.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 28.0;

fn fmt_value(v: f64) -> String {
    let a = v.abs();
    if a >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if a >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

struct Frame {
    lo: f64,
    hi: f64,
    n: usize,
}

impl Frame {
    fn new(series: &[Series<'_>], n: usize, zero_based: bool) -> Self {
        let vals = series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied());
        let (mut lo, mut hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if zero_based {
            lo = lo.min(0.0);
        }
        if (hi - lo).abs() < f64::EPSILON {
            hi = lo + 1.0;
        }
        Frame { lo, hi, n }
    }

    fn x(&self, i: usize) -> f64 {
        let span = W - LEFT - RIGHT;
        if self.n <= 1 {
            LEFT + span / 2.0
        } else {
            LEFT + span * i as f64 / (self.n - 1) as f64
        }
    }

    fn y(&self, v: f64) -> f64 {
        TOP + (H - TOP - BOTTOM) * (1.0 - (v - self.lo) / (self.hi - self.lo))
    }

    /// Axes, grid lines and x labels (a few, evenly spaced).
    fn axes(&self, out: &mut String, labels: &[String]) {
        for k in 0..=4 {
            let v = self.lo + (self.hi - self.lo) * f64::from(k) / 4.0;
            let y = self.y(v);
            let _ = write!(
                out,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e7eb"/><text x="{}" y="{:.1}" text-anchor="end" font-size="11" fill="#6b7280">{}</text>"##,
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                fmt_value(v)
            );
        }
        let step = labels.len().div_ceil(6).max(1);
        for (i, l) in labels.iter().enumerate().step_by(step) {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{}" text-anchor="middle" font-size="11" fill="#6b7280">{}</text>"##,
                self.x(i),
                H - 8.0,
                escape(l)
            );
        }
    }
}

fn open(out: &mut String, title: &str, series: &[Series<'_>]) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{}" class="chart"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    // The title, visible, at the top right; the legend at the top left.
    let _ = write!(
        out,
        r##"<text x="{:.0}" y="15" font-size="12" font-weight="600" text-anchor="end" fill="#111827">{}</text>"##,
        W - RIGHT,
        escape(title)
    );
    let mut x = LEFT;
    for s in series {
        let _ = write!(
            out,
            r##"<rect x="{x:.0}" y="6" width="10" height="10" fill="{}"/><text x="{:.0}" y="15" font-size="11" fill="#374151">{}</text>"##,
            escape(s.color),
            x + 14.0,
            escape(s.name)
        );
        x += 24.0 + 7.0 * s.name.chars().count() as f64;
    }
}

/// A line chart: one polyline per series, gaps where a value is missing.
pub fn line_chart(
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    zero_based: bool,
) -> String {
    let f = Frame::new(series, labels.len(), zero_based);
    let mut out = String::new();
    open(&mut out, title, series);
    f.axes(&mut out, labels);
    for s in series {
        let dash = if s.dashed {
            r#" stroke-dasharray="4 3""#
        } else {
            ""
        };
        let mut segment: Vec<String> = Vec::new();
        let flush = |seg: &mut Vec<String>, out: &mut String| {
            if seg.len() > 1 {
                let _ = write!(
                    out,
                    r#"<polyline class="d" fill="none" stroke="{}" stroke-width="2"{dash} points="{}"/>"#,
                    escape(s.color),
                    seg.join(" ")
                );
            } else if let Some(p) = seg.first()
                && let Some((x, y)) = p.split_once(',')
            {
                let _ = write!(
                    out,
                    r#"<circle class="d" cx="{x}" cy="{y}" r="2.5" fill="{}"/>"#,
                    escape(s.color)
                );
            }
            seg.clear();
        };
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => segment.push(format!("{:.1},{:.1}", f.x(i), f.y(*v))),
                None => flush(&mut segment, &mut out),
            }
        }
        flush(&mut segment, &mut out);
    }
    out.push_str("</svg>");
    out
}

/// A bar chart: bars of each series side by side per label.
pub fn bar_chart(title: &str, labels: &[String], series: &[Series<'_>]) -> String {
    let f = Frame::new(series, labels.len(), true);
    let mut out = String::new();
    open(&mut out, title, series);
    f.axes(&mut out, labels);
    let n = labels.len().max(1) as f64;
    let slot = (W - LEFT - RIGHT) / n;
    let bar = (slot * 0.8 / series.len().max(1) as f64).max(1.0);
    for (k, s) in series.iter().enumerate() {
        for (i, v) in s.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let x = LEFT + slot * i as f64 + slot * 0.1 + bar * k as f64;
            let (y0, y1) = (f.y(0.0_f64.max(f.lo)), f.y(*v));
            let _ = write!(
                out,
                r#"<rect class="d" x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                y1.min(y0),
                (y0 - y1).abs(),
                escape(s.color),
                escape(&labels[i]),
                fmt_value(*v)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// How many data points the charts in `html` (from this module) draw: each vertex of a line,
/// each lone point, each bar; legends and axes are not data (they carry no `class="d"`). For
/// checks that a rendered page shows data, not just empty frames.
pub fn plotted_points(html: &str) -> usize {
    html.split('<')
        .filter(|tag| tag.contains("class=\"d\"") && !tag.starts_with('/'))
        .map(|tag| match tag.split("points=\"").nth(1) {
            Some(points) => points
                .split('"')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .count(),
            None => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_draw_their_data_and_escape_labels() {
        let labels: Vec<String> = ["a<b", "c", "d"]
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        let s = Series {
            name: "runs & more",
            color: "#2563eb",
            values: vec![Some(1.0), None, Some(3.0)],
            dashed: false,
        };
        let line = line_chart("t", &labels, std::slice::from_ref(&s), true);
        assert!(line.starts_with("<svg") && line.ends_with("</svg>"));
        assert_eq!(line.matches("<circle").count(), 2, "a gap splits the line");
        assert!(line.contains("a&lt;b") && line.contains("runs &amp; more"));
        let bars = bar_chart("t", &labels, &[s]);
        assert_eq!(
            bars.matches("<rect ").count() - 1,
            2,
            "one legend box, two bars"
        );
        assert_eq!(plotted_points(&bars), 2, "legend boxes are not data");
        assert_eq!(plotted_points(&line), 2, "two lone points");
        let full = Series {
            name: "s",
            color: "#000",
            values: vec![Some(1.0), Some(2.0), Some(3.0)],
            dashed: false,
        };
        let joined = line_chart("t", &labels, &[full], true);
        assert_eq!(plotted_points(&joined), 3, "one line of three vertices");
        assert_eq!(plotted_points(&line_chart("t", &labels, &[], true)), 0);
    }
}
