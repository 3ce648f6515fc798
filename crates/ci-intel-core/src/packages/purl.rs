//! Package URLs (purl specification): `pkg:TYPE/NAMESPACE/NAME@VERSION`, each segment
//! percent-encoded, with each type's own name rules.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::model::Ecosystem;

/// Characters a purl segment may not hold literally.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'+');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn pypi_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for ch in name.chars() {
        if matches!(ch, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(ch.to_ascii_lowercase());
        }
    }
    out
}

/// The purl of `name@version` in `eco`.
pub fn purl(eco: Ecosystem, name: &str, version: &str) -> String {
    let v = enc(version);
    match eco {
        Ecosystem::Cargo => format!("pkg:cargo/{}@{v}", enc(name)),
        Ecosystem::PyPI => format!("pkg:pypi/{}@{v}", enc(&pypi_normalize(name))),
        Ecosystem::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            // The scope is the namespace, its `@` percent-encoded.
            Some((scope, n)) => format!("pkg:npm/%40{}/{}@{v}", enc(scope), enc(n)),
            None => format!("pkg:npm/{}@{v}", enc(name)),
        },
        Ecosystem::Go => {
            // Namespace and name are the module path's segments, each encoded, `/` kept.
            let path: Vec<String> = name.split('/').map(enc).collect();
            format!("pkg:golang/{}@{v}", path.join("/"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_per_ecosystem() {
        assert_eq!(
            purl(Ecosystem::Cargo, "regex", "1.10.2"),
            "pkg:cargo/regex@1.10.2"
        );
        assert_eq!(
            purl(Ecosystem::PyPI, "Typing_Extensions", "4.5.0"),
            "pkg:pypi/typing-extensions@4.5.0"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "@babel/core", "7.23.9"),
            "pkg:npm/%40babel/core@7.23.9"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "lodash", "4.17.21"),
            "pkg:npm/lodash@4.17.21"
        );
        assert_eq!(
            purl(Ecosystem::Go, "github.com/gorilla/mux", "v1.8.0"),
            "pkg:golang/github.com/gorilla/mux@v1.8.0"
        );
        assert_eq!(
            purl(Ecosystem::Cargo, "x", "1.0.0+build.1"),
            "pkg:cargo/x@1.0.0%2Bbuild.1"
        );
    }

    #[test]
    fn pep503() {
        assert_eq!(pypi_normalize("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(pypi_normalize("zope.interface"), "zope-interface");
    }
}

/// Parses a purl of a served ecosystem into `(ecosystem, name, version)`; the name as the
/// ecosystem writes it (`@scope/name` for npm, the module path for Go).
pub fn parse(purl: &str) -> Option<(Ecosystem, String, String)> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let (ty, path) = rest.split_once('/')?;
    let (path, version) = path.rsplit_once('@')?;
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .ok()
            .map(std::borrow::Cow::into_owned)
    };
    let name = path
        .split('/')
        .map(dec)
        .collect::<Option<Vec<_>>>()?
        .join("/");
    let version = dec(version)?;
    if name.is_empty() || version.is_empty() {
        return None;
    }
    let eco = match ty.to_ascii_lowercase().as_str() {
        "cargo" => Ecosystem::Cargo,
        "npm" => Ecosystem::Npm,
        "pypi" => Ecosystem::PyPI,
        "golang" => Ecosystem::Go,
        _ => return None,
    };
    Some((eco, name, version))
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (eco, n, v) in [
            (Ecosystem::Npm, "@babel/core", "7.23.9"),
            (Ecosystem::Cargo, "x", "1.0.0+build.1"),
            (Ecosystem::Go, "github.com/gorilla/mux", "v1.8.0"),
            (Ecosystem::PyPI, "typing-extensions", "4.5.0"),
        ] {
            assert_eq!(
                parse(&purl(eco, n, v)),
                Some((eco, n.to_owned(), v.to_owned()))
            );
        }
        assert_eq!(parse("pkg:maven/org.x/y@1"), None);
        assert_eq!(parse("pkg:npm/x"), None);
        assert_eq!(parse("nonsense"), None);
    }
}
