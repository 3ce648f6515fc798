//! The dashboards in a real browser: headless Chromium (Debian's `chromium`, which `.ci/run`
//! installs) loads each page of a `--demo` hub, the DOM it rendered must hold charts with data,
//! and the screenshot must show them (chart-coloured pixels). Screenshots are kept under the
//! target directory (`hub-screenshots/`). Without Chromium the test skips, unless
//! `CI_INTEL_REQUIRE_SERVICES=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::hub::Hub;

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Runs headless Chromium on `url` with `what` (`--dump-dom` or `--screenshot=…`).
fn browse(chromium: &Path, profile: &Path, url: &str, what: &str) -> String {
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(what)
        .arg(url)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "chromium on {url}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Pixels of the charts' main colours (blue #2563eb, red #dc2626, green #16a34a).
fn chart_pixels(png_path: &Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| {
            matches!(
                (p[0], p[1], p[2]),
                (37, 99, 235) | (220, 38, 38) | (22, 163, 74)
            )
        })
        .count()
}

#[test]
fn the_dashboards_render_their_charts_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var("CI_INTEL_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "CI_INTEL_REQUIRE_SERVICES=1 but Chromium is not installed (apt-get install chromium)"
        );
        eprintln!("SKIPPED: Chromium is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = format!("sqlite://{}", d.join("demo.sqlite3").display());
    let hub = Hub::start(d, &db, &["--demo"]);
    let base = hub.url.clone();

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hub-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let profile = d.join("chromium-profile");
    let pages = [
        ("overview", "/"),
        ("repository", "/repos/acme/web"),
        ("dora", "/dora"),
        ("flaky", "/flaky?repo=acme/web"),
        ("resilience", "/resilience"),
        ("cost", "/cost"),
    ];
    for (name, path) in pages {
        let url = format!("{base}{path}");
        let dom = browse(&chromium, &profile, &url, "--dump-dom");
        assert!(dom.contains("<svg"), "{name}: no chart in the rendered DOM");
        let points = ci_intel_render::svg::plotted_points(&dom);
        assert!(points > 3, "{name}: the charts have no data");
        // Nothing is loaded from anywhere, over http:// or https:// (links a person may
        // follow, such as a run's URL, are fine; SVG's namespace is not a fetch).
        for loaded in [
            "src=\"http",
            "src='http",
            "url(http",
            "url(\"http",
            "url('http",
            "@import",
            "<link",
            "<script",
            "<iframe",
        ] {
            assert!(
                !dom.contains(loaded),
                "{name}: loads an external asset ({loaded})"
            );
        }

        let shot = shots.join(format!("{name}.png"));
        browse(
            &chromium,
            &profile,
            &url,
            &format!("--screenshot={}", shot.display()),
        );
        let coloured = chart_pixels(&shot);
        assert!(
            coloured > 500,
            "{name}: only {coloured} chart-coloured pixels in {}",
            shot.display()
        );
    }
    eprintln!("screenshots in {}", shots.display());
}
