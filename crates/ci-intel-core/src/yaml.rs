//! YAML that remembers where every value came from.
//!
//! Configuration errors must name the file and line of the offending key, so YAML is parsed with
//! `saphyr` (a maintained YAML 1.2 parser that keeps source spans) into JSON values plus a map
//! from each value's JSON pointer to its line and column. JSON Schema validation then runs on
//! the JSON, and its instance paths are mapped back to lines.

use std::collections::BTreeMap;
use std::path::Path;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::{Map, Number, Value};

use crate::error::{InputError, Position};

/// A parsed YAML document as JSON plus the position of every node.
#[derive(Debug, Clone, Default)]
pub struct PositionedJson {
    pub value: Value,
    /// JSON pointer → position of the node (for mapping entries: of the key).
    pub positions: BTreeMap<String, Position>,
}

impl PositionedJson {
    /// The position of `pointer`, or of its nearest ancestor that has one.
    pub fn position_of(&self, pointer: &str) -> Option<Position> {
        let mut p = pointer.to_owned();
        loop {
            if let Some(pos) = self.positions.get(&p) {
                return Some(*pos);
            }
            let cut = p.rfind('/')?;
            p.truncate(cut);
        }
    }
}

/// A YAML syntax error as an [`InputError`] at its line and column: the one mapping every
/// YAML reader (configuration, workflows, lockfiles) uses.
pub fn syntax_error(path: &Path, e: &saphyr::ScanError) -> InputError {
    let m = e.marker();
    InputError::at(
        path,
        Position::at(m.line() as u64, m.col() as u64 + 1),
        format!("invalid YAML: {}", e.info()),
    )
}

/// Parses one YAML document (an empty file is an empty mapping).
pub fn parse(path: &Path, text: &str) -> Result<PositionedJson, InputError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| syntax_error(path, &e))?;
    let mut out = PositionedJson::default();
    match docs.len() {
        0 => out.value = Value::Object(Map::new()),
        1 => out.value = convert(path, &docs[0], String::new(), &mut out.positions)?,
        _ => {
            let m = docs[1].span.start;
            return Err(InputError::at(
                path,
                Position::at(m.line() as u64, m.col() as u64 + 1),
                "expected a single YAML document, found a second one",
            ));
        }
    }
    Ok(out)
}

fn pos(node: &MarkedYaml<'_>) -> Position {
    Position::at(
        node.span.start.line() as u64,
        node.span.start.col() as u64 + 1,
    )
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn pointer_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn convert(
    path: &Path,
    node: &MarkedYaml<'_>,
    pointer: String,
    positions: &mut BTreeMap<String, Position>,
) -> Result<Value, InputError> {
    positions
        .entry(pointer.clone())
        .or_insert_with(|| pos(node));
    Ok(match &node.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(text, _, _) => Value::String(text.to_string()),
        YamlData::Sequence(items) => {
            let mut arr = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                arr.push(convert(path, item, format!("{pointer}/{i}"), positions)?);
            }
            Value::Array(arr)
        }
        YamlData::Mapping(map) => {
            let mut obj = Map::new();
            for (k, v) in map {
                let key = match &k.data {
                    YamlData::Value(Scalar::String(s)) => s.to_string(),
                    YamlData::Value(s) => match scalar(s) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    },
                    _ => {
                        return Err(InputError::at(
                            path,
                            pos(k),
                            "expected a plain key (string, number or boolean), found a complex key",
                        ));
                    }
                };
                let child = format!("{pointer}/{}", pointer_segment(&key));
                positions.insert(child.clone(), pos(k));
                let value = convert(path, v, child, positions)?;
                obj.insert(key, value);
            }
            Value::Object(obj)
        }
        YamlData::Tagged(_, inner) => convert(path, inner, pointer, positions)?,
        YamlData::Alias(_) => {
            return Err(InputError::at(
                path,
                pos(node),
                "YAML aliases are not supported here; write the value out",
            ));
        }
        YamlData::BadValue => {
            return Err(InputError::at(path, pos(node), "invalid YAML value"));
        }
    })
}

fn scalar(s: &Scalar<'_>) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner())
            .map_or_else(|| Value::String(f.to_string()), Value::Number),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_records_positions() {
        let text =
            "tests:\n  max_failures: 3\n  reports:\n    - a.xml\n    - 'b/*.xml'\nflag: true\n";
        let p = parse(Path::new("c.yml"), text).unwrap();
        assert_eq!(
            p.value,
            serde_json::json!({"tests": {"max_failures": 3, "reports": ["a.xml", "b/*.xml"]}, "flag": true})
        );
        assert_eq!(p.positions["/tests/max_failures"], Position::at(2, 3));
        assert_eq!(p.positions["/tests/reports/1"], Position::at(5, 7));
        assert_eq!(p.positions["/flag"].line, 6);
        assert_eq!(
            p.position_of("/tests/reports/9/x").unwrap(),
            Position::at(3, 3)
        );
    }

    #[test]
    fn empty_document_is_an_empty_mapping() {
        let p = parse(Path::new("c.yml"), "").unwrap();
        assert_eq!(p.value, serde_json::json!({}));
        let p = parse(Path::new("c.yml"), "# only a comment\n").unwrap();
        assert_eq!(p.value, serde_json::json!({}));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = parse(Path::new("c.yml"), "a: 1\nb: [1, 2\n").unwrap_err();
        assert_eq!(e.path, Path::new("c.yml"));
        assert!(e.position.unwrap().line >= 2, "{e}");
        let e = parse(Path::new("c.yml"), "a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("duplicated key"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
            let _ = parse(Path::new("x.yml"), &s);
        }

        #[test]
        fn never_panics_on_yamlish_text(s in "[a-z:\\-\\[\\]{}'\"&*!|> \\n#0-9.]{0,120}") {
            let _ = parse(Path::new("x.yml"), &s);
        }
    }
}
