//! Cobertura XML, as coverage.py, istanbul (jest), gocover-cobertura and many others write it.
//!
//! Only `class > lines > line` counts: istanbul repeats each function's first line under
//! `methods > method > lines`, and counting those too would measure lines twice.

use std::io::BufRead;
use std::path::Path;

use ci_intel_core::InputError;
use quick_xml::events::BytesStart;

use super::{FileCoverage, Format, Report};
use crate::xmlutil::{self, Flow, Node, attr, local_name};

pub(super) fn read<R: BufRead>(path: &Path, input: R) -> Result<Report, InputError> {
    let mut report = Report {
        format: Some(Format::Cobertura),
        ..Report::default()
    };
    let mut sources: Vec<String> = Vec::new();
    let mut in_source = false;
    let mut source_text = String::new();
    let mut class: Option<(String, FileCoverage)> = None;
    xmlutil::walk(path, input, &mut |node, pos| {
        match node {
            Node::Open(e) => match local_name(e.name()) {
                "source" => {
                    in_source = true;
                    source_text.clear();
                }
                "class" => {
                    class = Some((class_filename(path, pos, e)?, FileCoverage::default()));
                }
                // Method lines duplicate class lines (istanbul); skip the whole subtree.
                "methods" => return Ok(Flow::SkipChildren),
                "line" => {
                    if let Some((_, fc)) = class.as_mut() {
                        add_line(path, pos, e, fc)?;
                    }
                }
                _ => {}
            },
            Node::Leaf(e) => match local_name(e.name()) {
                "line" => {
                    if let Some((_, fc)) = class.as_mut() {
                        add_line(path, pos, e, fc)?;
                    }
                }
                "class" => {
                    // A class without lines still names a measured file.
                    let name = class_filename(path, pos, e)?;
                    report.files.entry(name).or_default();
                }
                _ => {}
            },
            Node::Text(t) if in_source => source_text.push_str(&t.decoded()),
            Node::Close("source") => {
                in_source = false;
                let s = source_text.trim();
                if !s.is_empty() {
                    sources.push(s.to_owned());
                }
            }
            Node::Close("class") => {
                if let Some((name, fc)) = class.take() {
                    report.files.entry(name).or_default().merge(&fc);
                }
            }
            _ => {}
        }
        Ok(Flow::Continue)
    })?;
    for name in report.files.keys() {
        if Path::new(name).is_absolute() {
            continue;
        }
        let alts: Vec<String> = sources
            .iter()
            .map(|s| format!("{}/{}", s.trim_end_matches(['/', '\\']), name))
            .collect();
        if !alts.is_empty() {
            report.aliases.insert(name.clone(), alts);
        }
    }
    // Prefer the source-rooted name as the primary key when the filename is relative: it is
    // what resolves against the repository when the report was written there.
    Ok(report)
}

fn class_filename(path: &Path, pos: u64, e: &BytesStart<'_>) -> Result<String, InputError> {
    attr(e, "filename")
        .map(|f| f.replace('\\', "/"))
        .filter(|f| !f.is_empty())
        .ok_or_else(|| {
            xmlutil::located(
                path,
                pos,
                "expected a `filename` attribute on <class>".to_owned(),
            )
        })
}

fn add_line(
    path: &Path,
    pos: u64,
    e: &BytesStart<'_>,
    fc: &mut FileCoverage,
) -> Result<(), InputError> {
    let number = xmlutil::line_number(path, pos, e, "number")?;
    let hits = attr(e, "hits")
        .map(|h| xmlutil::parse_count(&h))
        .unwrap_or(0);
    let branches = if attr(e, "branch").as_deref() == Some("true") {
        attr(e, "condition-coverage").and_then(|c| parse_condition(&c))
    } else {
        None
    };
    fc.add_line(number, hits, branches);
    Ok(())
}

/// `"50% (1/2)"` → `(1, 2)`.
fn parse_condition(s: &str) -> Option<(u32, u32)> {
    let inner = s.split_once('(')?.1.split_once(')')?.0;
    let (c, t) = inner.split_once('/')?;
    let c: u32 = c.trim().parse().ok()?;
    let t: u32 = t.trim().parse().ok()?;
    (c <= t).then_some((c, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_class_lines_not_method_lines() {
        let xml = r#"<?xml version="1.0" ?>
<coverage line-rate="0.5"><sources><source>/src/app</source></sources><packages><package name="p"><classes>
<class name="a" filename="pkg/a.py"><methods><method name="f"><lines><line number="1" hits="1"/></lines></method></methods>
<lines><line number="1" hits="1"/><line number="2" hits="0" branch="true" condition-coverage="50% (1/2)"/></lines></class>
</classes></package></packages></coverage>"#;
        let r = read(Path::new("c.xml"), xml.as_bytes()).unwrap();
        let f = &r.files["pkg/a.py"];
        let t = f.totals();
        assert_eq!((t.lines_covered, t.lines_valid), (1, 2));
        assert_eq!((t.branches_covered, t.branches_valid), (1, 2));
        assert_eq!(r.aliases["pkg/a.py"], vec!["/src/app/pkg/a.py".to_owned()]);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = read(
            Path::new("c.xml"),
            "<coverage><packages><class name=\"a\">".as_bytes(),
        )
        .unwrap_err();
        assert!(e.message.contains("filename"), "{e}");
        let e = read(
            Path::new("c.xml"),
            "<coverage><class filename=\"a\"><lines><line hits=\"1\"/></lines></class></coverage>"
                .as_bytes(),
        )
        .unwrap_err();
        assert!(e.message.contains("number"), "{e}");
        let e = read(Path::new("c.xml"), "<coverage><packages>".as_bytes()).unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
    }

    #[test]
    fn condition_coverage() {
        assert_eq!(parse_condition("50% (1/2)"), Some((1, 2)));
        assert_eq!(parse_condition("100%"), None);
        assert_eq!(parse_condition("x (3/2)"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "(<coverage>|<sources>|<source>/a</source>|<class filename=\"f\">|<methods>|</methods>|<lines>|<line number=\"[0-9]{1,3}\" hits=\"[0-9-]{1,3}\" branch=\"true\" condition-coverage=\"[0-9%() /]{0,8}\"/>|</lines>|</class>|</coverage>|&amp;|x){0,25}") {
            let _ = read(Path::new("g.xml"), s.as_bytes());
        }
    }
}
