//! JaCoCo XML (`report > package > sourcefile > line`).
//!
//! Files are named `package/SourceFile.java` (the package path, as JaCoCo writes it); the
//! repository resolver finds them under `src/main/java/` or wherever the sources live. A line
//! is covered when any of its instructions ran (`ci > 0`), as JaCoCo's own LINE counter does.

use std::io::BufRead;
use std::path::Path;

use ci_intel_core::InputError;
use quick_xml::events::BytesStart;

use super::{FileCoverage, Format, Report};
use crate::xmlutil::{self, Flow, Node, attr, local_name};

pub(super) fn read<R: BufRead>(path: &Path, input: R) -> Result<Report, InputError> {
    let mut report = Report {
        format: Some(Format::Jacoco),
        ..Report::default()
    };
    let mut package = String::new();
    let mut file: Option<(String, FileCoverage)> = None;
    xmlutil::walk(path, input, &mut |node, pos| {
        let (e, has_children) = match node {
            Node::Open(e) => (e, true),
            Node::Leaf(e) => (e, false),
            Node::Close("sourcefile") => {
                if let Some((name, fc)) = file.take() {
                    report.files.entry(name).or_default().merge(&fc);
                }
                return Ok(Flow::Continue);
            }
            Node::Close("package") => {
                package.clear();
                return Ok(Flow::Continue);
            }
            Node::Close(_) | Node::Text(_) => return Ok(Flow::Continue),
        };
        match local_name(e.name()) {
            "package" if has_children => {
                package = attr(e, "name").unwrap_or_default().into_owned();
            }
            "sourcefile" => {
                let name = attr(e, "name").unwrap_or_default().into_owned();
                if name.is_empty() {
                    return Err(xmlutil::located(
                        path,
                        pos,
                        "expected a `name` attribute on <sourcefile>".into(),
                    ));
                }
                let full = if package.is_empty() {
                    name
                } else {
                    format!("{}/{name}", package.trim_end_matches('/'))
                };
                if has_children {
                    file = Some((full, FileCoverage::default()));
                } else {
                    report.files.entry(full).or_default();
                }
            }
            "line" => {
                if let Some((_, fc)) = file.as_mut() {
                    add_line(path, pos, e, fc)?;
                }
            }
            _ => {}
        }
        Ok(Flow::Continue)
    })?;
    Ok(report)
}

/// A `<line nr ci mb cb>`: covered when any instruction ran, branches from `mb + cb`.
fn add_line(
    path: &Path,
    pos: u64,
    e: &BytesStart<'_>,
    fc: &mut FileCoverage,
) -> Result<(), InputError> {
    let nr = xmlutil::line_number(path, pos, e, "nr")?;
    let count = |k: &str| attr(e, k).map_or(0, |v| xmlutil::parse_count(&v));
    let (ci, mb, cb) = (count("ci"), count("mb"), count("cb"));
    let total = u32::try_from(mb + cb).unwrap_or(u32::MAX);
    let covered = u32::try_from(cb).unwrap_or(u32::MAX);
    fc.add_line(nr, ci, (total > 0).then_some((covered, total)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sourcefile_lines() {
        let xml = r#"<report name="b"><package name="com/x"><class name="com/x/A"><method name="m"><counter type="LINE" missed="0" covered="1"/></method></class>
<sourcefile name="A.java"><line nr="3" mi="0" ci="2" mb="1" cb="1"/><line nr="4" mi="5" ci="0" mb="0" cb="0"/></sourcefile></package></report>"#;
        let r = read(Path::new("j.xml"), xml.as_bytes()).unwrap();
        let t = r.files["com/x/A.java"].totals();
        assert_eq!(
            (
                t.lines_covered,
                t.lines_valid,
                t.branches_covered,
                t.branches_valid
            ),
            (1, 2, 1, 2)
        );
    }

    #[test]
    fn refuses_missing_attributes_and_truncation() {
        assert!(
            read(
                Path::new("j.xml"),
                "<report><package name=\"p\"><sourcefile>".as_bytes()
            )
            .is_err()
        );
        let e = read(Path::new("j.xml"), "<report><package name=\"p\"><sourcefile name=\"A\"><line ci=\"1\"/></sourcefile></package></report>".as_bytes()).unwrap_err();
        assert!(e.message.contains("nr"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "(<report>|<package name=\"p\">|<sourcefile name=\"A.java\">|<line nr=\"[0-9]{0,3}\" ci=\"[0-9]{0,3}\" mb=\"[0-9]{0,2}\" cb=\"[0-9]{0,12}\"/>|</sourcefile>|</package>|</report>|x){0,25}") {
            let _ = read(Path::new("g.xml"), s.as_bytes());
        }
    }
}
