//! Lockfile readers on the real lockfiles of the corpus (ripgrep, axios, poetry) and on this
//! repository's own: the component set is exactly what the lockfile resolved (computed here
//! independently from the raw file), purls are right, and the graph and scopes hold.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ci_intel_core::testsupport;
use ci_intel_sbom::{Scope, lockfiles};

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    testsupport::corpus(&root).map(|c| c.join("lockfiles"))
}

/// `name@version` of every package the Cargo.lock resolved from a registry or git.
fn cargo_lock_set(path: &Path) -> BTreeSet<String> {
    let t: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    t["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p.get("source").is_some())
        .map(|p| {
            format!(
                "{}@{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect()
}

fn set(sbom: &ci_intel_sbom::Sbom) -> BTreeSet<String> {
    sbom.components
        .values()
        .map(|c| format!("{}@{}", c.name, c.version))
        .collect()
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn cargo_lockfiles_of_ripgrep_and_of_this_repository() {
    let Some(dir) = corpus() else { return };
    for d in ["ripgrep-head", "ripgrep-0.10.0"] {
        let sbom = lockfiles::read_dir(&dir.join(d)).unwrap();
        assert_eq!(
            set(&sbom),
            cargo_lock_set(&dir.join(d).join("Cargo.lock")),
            "{d}"
        );
        for c in sbom.components.values() {
            // `+` (build metadata) is percent-encoded, as purl requires.
            assert_eq!(
                c.purl,
                format!("pkg:cargo/{}@{}", c.name, c.version.replace('+', "%2B"))
            );
            assert_eq!(c.hashes.len(), 1, "{d}: {} has its checksum", c.purl);
            assert_eq!(c.hashes[0].hex.len(), 64);
        }
    }
    let rg = lockfiles::read_dir(&dir.join("ripgrep-head")).unwrap();
    assert_eq!(rg.components.len(), 52);
    // The graph: regex depends on regex-syntax and aho-corasick.
    let regex = rg.components.values().find(|c| c.name == "regex").unwrap();
    assert!(
        regex
            .depends_on
            .iter()
            .any(|d| d.starts_with("pkg:cargo/regex-syntax@"))
    );
    assert!(
        regex
            .depends_on
            .iter()
            .any(|d| d.starts_with("pkg:cargo/aho-corasick@"))
    );

    // This repository: its members' manifests are here, so dev-only crates are told apart.
    let me = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sbom = lockfiles::read_dir(&me).unwrap();
    assert_eq!(
        sbom.lockfiles,
        ["Cargo.lock"],
        "test fixtures are not the product's lockfiles"
    );
    assert_eq!(set(&sbom), cargo_lock_set(&me.join("Cargo.lock")));
    let scope = |n: &str| {
        sbom.components
            .values()
            .find(|c| c.name == n)
            .unwrap()
            .scope
    };
    assert_eq!(scope("clap"), Scope::Required);
    assert_eq!(
        scope("proptest"),
        Scope::Dev,
        "proptest is only a dev-dependency"
    );
    assert_eq!(scope("assert_cmd"), Scope::Dev);
    assert!(
        sbom.components
            .values()
            .find(|c| c.name == "clap")
            .unwrap()
            .direct
    );
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn npm_lockfile_of_axios() {
    let Some(dir) = corpus() else { return };
    let sbom = lockfiles::read_dir(&dir.join("axios")).unwrap();
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("axios/package-lock.json")).unwrap(),
    )
    .unwrap();
    let want: BTreeSet<String> = lock["packages"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, v)| k.contains("node_modules/") && v.get("link").is_none())
        .map(|(k, v)| {
            format!(
                "{}@{}",
                k.rsplit("node_modules/").next().unwrap(),
                v["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(set(&sbom), want);
    assert_eq!(sbom.components.len(), 1672);
    let fr = sbom
        .components
        .values()
        .find(|c| c.name == "follow-redirects")
        .unwrap();
    assert_eq!(fr.scope, Scope::Required);
    assert!(fr.direct);
    assert!(fr.hashes.iter().any(|h| h.alg == "SHA-512"));
    let babel = sbom
        .components
        .values()
        .find(|c| c.name == "@babel/core")
        .unwrap();
    assert_eq!(
        babel.purl,
        format!("pkg:npm/%40babel/core@{}", babel.version)
    );
    assert_eq!(babel.scope, Scope::Dev);
    // form-data's own dependencies are resolved through node_modules.
    let fd = sbom
        .components
        .values()
        .find(|c| c.name == "form-data")
        .unwrap();
    assert!(
        fd.depends_on
            .iter()
            .any(|d| d.starts_with("pkg:npm/asynckit@")),
        "{:?}",
        fd.depends_on
    );
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn poetry_lockfile_with_its_pyproject() {
    let Some(dir) = corpus() else { return };
    let sbom = lockfiles::read_dir(&dir.join("poetry")).unwrap();
    let t: toml::Table = std::fs::read_to_string(dir.join("poetry/poetry.lock"))
        .unwrap()
        .parse()
        .unwrap();
    let packages = t["package"].as_array().unwrap();
    assert_eq!(sbom.components.len(), packages.len());
    let dev_want = packages
        .iter()
        .filter(|p| {
            !p["groups"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g.as_str() == Some("main"))
        })
        .count();
    assert_eq!(
        sbom.components
            .values()
            .filter(|c| c.scope == Scope::Dev)
            .count(),
        dev_want
    );
    let ext = sbom
        .components
        .values()
        .find(|c| c.name == "typing_extensions" || c.name == "typing-extensions")
        .unwrap();
    assert!(
        ext.purl.starts_with("pkg:pypi/typing-extensions@"),
        "{}",
        ext.purl
    );
    assert!(ext.hashes.iter().all(|h| h.alg == "SHA-256"));
    let anyio = sbom
        .components
        .values()
        .find(|c| c.name == "anyio")
        .unwrap();
    assert!(
        anyio
            .depends_on
            .iter()
            .any(|d| d.starts_with("pkg:pypi/idna@"))
    );
}

#[test]
fn requirements_uv_pipfile_and_go_written_here() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("requirements.txt"),
        "# pinned by pip-compile\nrequests==2.31.0 \\\n    --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f\n    # via -r requirements.in\nurllib3==1.26.18\n    # via requests\nflask>=2\n-r requirements-dev.txt\n",
    )
    .unwrap();
    std::fs::write(d.join("requirements-dev.txt"), "pytest==7.4.0  # tests\n").unwrap();
    std::fs::write(
        d.join("go.mod"),
        "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/gorilla/mux v1.8.0\n\tgolang.org/x/net v0.17.0 // indirect\n)\n\nreplace golang.org/x/net => golang.org/x/net v0.23.0\n",
    )
    .unwrap();
    std::fs::write(
        d.join("go.sum"),
        "github.com/gorilla/mux v1.8.0 h1:i40aqfkR1h2SlN9hojwV5ZA91wcXFOvkdNIeFDP5koI=\ngithub.com/gorilla/mux v1.8.0/go.mod h1:DVbg23sWSpFRCP0SfiEN6jmj59UnW/n46BH5rLB71So=\n",
    )
    .unwrap();
    let sbom = lockfiles::read_dir(d).unwrap();
    let get = |p: &str| {
        sbom.components
            .get(p)
            .unwrap_or_else(|| panic!("{p} in {:?}", sbom.components.keys()))
    };
    let req = get("pkg:pypi/requests@2.31.0");
    assert!(req.direct && req.hashes.len() == 1);
    assert!(
        req.depends_on
            .contains(&"pkg:pypi/urllib3@1.26.18".to_owned())
    );
    assert!(!get("pkg:pypi/urllib3@1.26.18").direct);
    assert_eq!(get("pkg:pypi/pytest@7.4.0").scope, Scope::Dev);
    assert!(
        sbom.notes.iter().any(|n| n.contains("flask>=2")),
        "{:?}",
        sbom.notes
    );
    let mux = get("pkg:golang/github.com/gorilla/mux@v1.8.0");
    assert!(mux.direct);
    assert_eq!(
        mux.hashes[0].hex,
        "8b8d1aa9f911d61d9294df61a23c15e5903dd7071714ebe474d21e1433f99282"
    );
    assert!(
        !get("pkg:golang/golang.org/x/net@v0.23.0").direct,
        "replaced and indirect"
    );
}

#[test]
fn uv_and_pipfile_locks_written_here() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("uv.lock"),
        r#"version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "httpx" }]

[package.optional-dependencies]
socks = [{ name = "socksio" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "idna" }]
sdist = { url = "https://example/httpx.tar.gz", hash = "sha256:a0cb88a46f32dc874e04ee956e4c2764aba2aa228f650b06788ba6bda2962ab5" }

[[package]]
name = "idna"
version = "3.7"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "socksio"
version = "1.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.2.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "idna" }]
"#,
    )
    .unwrap();
    let sbom = lockfiles::read_dir(d).unwrap();
    let get = |p: &str| {
        sbom.components
            .get(p)
            .unwrap_or_else(|| panic!("{p} in {:?}", sbom.components.keys()))
    };
    assert_eq!(
        sbom.components.len(),
        4,
        "the editable project is the root, not a component"
    );
    assert_eq!(get("pkg:pypi/httpx@0.27.0").scope, Scope::Required);
    assert!(get("pkg:pypi/httpx@0.27.0").direct);
    assert_eq!(
        get("pkg:pypi/idna@3.7").scope,
        Scope::Required,
        "needed at run time through httpx"
    );
    assert!(!get("pkg:pypi/idna@3.7").direct);
    assert_eq!(get("pkg:pypi/socksio@1.0.0").scope, Scope::Optional);
    assert_eq!(get("pkg:pypi/pytest@8.2.0").scope, Scope::Dev);

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("Pipfile"),
        "[packages]
requests = \"*\"\n[dev-packages]\nblack = \"*\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("Pipfile.lock"),
        r#"{"_meta": {"hash": {"sha256": "x"}}, "default": {"requests": {"version": "==2.32.3", "hashes": ["sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6"]}, "certifi": {"version": "==2024.7.4"}}, "develop": {"black": {"version": "==24.4.2"}}}"#,
    )
    .unwrap();
    let sbom = lockfiles::read_dir(d).unwrap();
    let get = |p: &str| {
        sbom.components
            .get(p)
            .unwrap_or_else(|| panic!("{p} in {:?}", sbom.components.keys()))
    };
    assert!(get("pkg:pypi/requests@2.32.3").direct);
    assert!(!get("pkg:pypi/certifi@2024.7.4").direct);
    assert_eq!(get("pkg:pypi/black@24.4.2").scope, Scope::Dev);
    assert_eq!(get("pkg:pypi/requests@2.32.3").hashes.len(), 1);
}

#[test]
fn garbage_lockfiles_are_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("Cargo.lock", "[[package]]\nname = \"a\"\nversion = \n"),
        (
            "package-lock.json",
            "{\"lockfileVersion\": 3, \"packages\": {\n",
        ),
        ("poetry.lock", "[[package]]\nname = \"x\"\n"),
        ("go.mod", "require (\n  a\n)\n"),
        ("requirements.txt", "==1.0\n"),
        ("Pipfile.lock", "[]"),
        ("uv.lock", "version = 1\n[[package]\n"),
        (
            "yarn.lock",
            "# yarn lockfile v1\n\nfoo@^1:\n  resolved \"x\"\n",
        ),
        (
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\npackages:\n  nonsense: {}\n",
        ),
    ] {
        let sub = dir.path().join(name.replace('.', "_"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(name), text).unwrap();
        let err = lockfiles::read_dir(&sub).unwrap_err();
        assert!(err.path.ends_with(name), "{name}: {err}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn readers_never_panic(text in "\\PC{0,300}") {
        let dir = tempfile::tempdir().unwrap();
        for name in ["Cargo.lock", "package-lock.json", "poetry.lock", "uv.lock", "Pipfile.lock", "requirements.txt", "go.mod", "yarn.lock", "pnpm-lock.yaml"] {
            let p = dir.path().join(name);
            std::fs::write(&p, &text).unwrap();
            let mut sbom = ci_intel_sbom::Sbom::default();
            let _ = lockfiles::read_file(&p, name, &mut sbom);
        }
    }
}

/// Lockfiles that npm 11, pnpm 9, Yarn 1.22 and Yarn 4 wrote for the same `package.json`
/// (express and debug at run time, mocha for development, fsevents optional), kept in
/// `tests/fixtures/js`.
fn js(dir: &str) -> ci_intel_sbom::Sbom {
    lockfiles::read_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/js")
            .join(dir),
    )
    .unwrap()
}

#[test]
fn pnpm_and_yarn_resolve_what_their_lockfiles_say() {
    let npm = js("npm");
    let pnpm = js("pnpm9");
    // pnpm resolved exactly the packages npm did for this manifest.
    assert_eq!(set(&pnpm), set(&npm));
    for sbom in [&npm, &pnpm, &js("yarn1"), &js("berry")] {
        let get = |n: &str| {
            sbom.components
                .values()
                .find(|c| c.name == n)
                .unwrap_or_else(|| panic!("{n} in {:?}", sbom.lockfiles))
        };
        assert_eq!(
            get("express").scope,
            Scope::Required,
            "{:?}",
            sbom.lockfiles
        );
        assert!(get("express").direct);
        assert_eq!(get("mocha").scope, Scope::Dev, "{:?}", sbom.lockfiles);
        assert_eq!(
            get("fsevents").scope,
            Scope::Optional,
            "{:?}",
            sbom.lockfiles
        );
        assert_eq!(
            get("body-parser").scope,
            Scope::Required,
            "express's dependency"
        );
        assert!(!get("body-parser").direct);
        assert!(
            get("express")
                .depends_on
                .iter()
                .any(|d| d.starts_with("pkg:npm/body-parser@")),
            "{:?}",
            get("express").depends_on
        );
    }
    // Yarn 1: one component per distinct name@version of its entries.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/js/yarn1/yarn.lock"),
    )
    .unwrap();
    let mut want = BTreeSet::new();
    let mut name = String::new();
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            let first = line
                .trim_end_matches(':')
                .split(", ")
                .next()
                .unwrap()
                .trim_matches('"');
            name = first[..=first[1..].find('@').unwrap()].to_owned();
        } else if let Some(v) = line.strip_prefix("  version ") {
            want.insert(format!("{name}@{}", v.trim_matches('"')));
        }
    }
    assert_eq!(set(&js("yarn1")), want);
    assert!(
        js("yarn1")
            .components
            .values()
            .all(|c| c.hashes.iter().any(|h| h.alg == "SHA-512"))
    );
    // Yarn 4: one component per `@npm:` resolution.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/js/berry/yarn.lock"),
    )
    .unwrap();
    let want: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  resolution: \""))
        .map(|r| r.trim_end_matches('"'))
        .filter(|r| r.contains("@npm:"))
        .map(|r| r.replacen("@npm:", "@", 1))
        .collect();
    assert_eq!(set(&js("berry")), want);
}
