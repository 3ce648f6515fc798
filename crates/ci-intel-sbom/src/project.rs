//! The project an SBOM describes: its name and version as its own manifest declares them
//! (`Cargo.toml` `[package]`, `package.json`, `pyproject.toml` `[project]` or
//! `[tool.poetry]`), so the root component is `ripgrep 14.1.0`, not the checkout's folder name.

use std::path::Path;

/// Name and version from the first manifest in `dir` that declares a name; `None` when none
/// does (a virtual workspace, a bare requirements file). Unreadable or malformed manifests
/// count as declaring nothing: the lockfile readers report real problems.
pub fn identity(dir: &Path) -> Option<(String, Option<String>)> {
    cargo(dir).or_else(|| npm(dir)).or_else(|| python(dir))
}

fn read_toml(path: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(path).ok()?.parse().ok()
}

fn name_version(t: &toml::Table) -> Option<(String, Option<String>)> {
    let name = t.get("name")?.as_str()?.trim();
    if name.is_empty() {
        return None;
    }
    let version = t
        .get("version")
        .and_then(toml::Value::as_str)
        .map(str::to_owned);
    Some((name.to_owned(), version))
}

fn cargo(dir: &Path) -> Option<(String, Option<String>)> {
    let t = read_toml(&dir.join("Cargo.toml"))?;
    name_version(t.get("package")?.as_table()?)
}

fn npm(dir: &Path) -> Option<(String, Option<String>)> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = v.get("name")?.as_str()?.trim();
    if name.is_empty() {
        return None;
    }
    let version = v.get("version").and_then(|v| v.as_str()).map(str::to_owned);
    Some((name.to_owned(), version))
}

fn python(dir: &Path) -> Option<(String, Option<String>)> {
    let t = read_toml(&dir.join("pyproject.toml"))?;
    t.get("project")
        .and_then(toml::Value::as_table)
        .and_then(name_version)
        .or_else(|| {
            t.get("tool")?
                .get("poetry")?
                .as_table()
                .and_then(name_version)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_manifest_names_the_project() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        assert_eq!(identity(p), None);
        std::fs::write(
            p.join("pyproject.toml"),
            "[tool.poetry]\nname = \"poetry\"\nversion = \"2.1.0\"\n",
        )
        .unwrap();
        assert_eq!(identity(p), Some(("poetry".into(), Some("2.1.0".into()))));
        std::fs::write(
            p.join("package.json"),
            r#"{"name": "axios", "version": "1.7.9"}"#,
        )
        .unwrap();
        assert_eq!(identity(p), Some(("axios".into(), Some("1.7.9".into()))));
        std::fs::write(p.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        assert_eq!(
            identity(p).map(|i| i.0),
            Some("axios".into()),
            "a virtual workspace names nothing"
        );
        std::fs::write(
            p.join("Cargo.toml"),
            "[package]\nname = \"ripgrep\"\nversion = \"14.1.0\"\n",
        )
        .unwrap();
        assert_eq!(identity(p), Some(("ripgrep".into(), Some("14.1.0".into()))));
        std::fs::write(p.join("Cargo.toml"), "[package\n").unwrap();
        assert_eq!(
            identity(p).map(|i| i.0),
            Some("axios".into()),
            "garbage declares nothing"
        );
    }
}
