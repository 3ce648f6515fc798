//! Finding the file and line of a test failure in its message or stack trace.
//!
//! Runners write traces in their language's format: Python tracebacks and pytest's
//! `path.py:19: AssertionError`, JavaScript `at fn (/abs/file.js:18:35)`, Java
//! `at com.x.FooTest.m(FooTest.java:20)`, Rust `panicked at src/lib.rs:22:9`, Go
//! `foo_test.go:20: message`. We collect every frame, drop frames in dependencies and runtimes,
//! and prefer a frame in the test's own file (where a person fixes the test), else the
//! innermost frame of the project.

use std::sync::OnceLock;

use regex::Regex;

/// A frame found in a trace: the path as the trace wrote it, and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub file: String,
    pub line: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Python: the outermost frame is printed first.
    OutermostFirst,
    /// JavaScript, Java, Rust backtraces: the innermost frame is printed first.
    InnermostFirst,
}

struct Pattern {
    /// A literal every match contains: traces without it skip the regex entirely.
    needle: &'static str,
    re: Regex,
    order: Order,
    /// Java frames name a class, not a file path: the package becomes the directory.
    java: bool,
}

fn patterns() -> &'static [Pattern] {
    static P: OnceLock<Vec<Pattern>> = OnceLock::new();
    P.get_or_init(|| {
        let mk = |needle, re: &str, order, java| Pattern {
            needle,
            // The patterns are constants; a typo is caught by the unit tests.
            re: Regex::new(re).unwrap_or_else(|e| {
                #[expect(clippy::panic, reason = "constant patterns, compiled by the unit tests")]
                {
                    panic!("bad trace regex {re}: {e}")
                }
            }),
            order,
            java,
        };
        vec![
            // Rust: the panic location comes first and is the assertion itself.
            mk(
                "panicked at",
                r"panicked at (?P<file>[^\s:]+\.rs):(?P<line>\d+)(?::\d+)?",
                Order::InnermostFirst,
                false,
            ),
            // Python traceback frames.
            mk(
                "File \"",
                r#"File "(?P<file>[^"]+)", line (?P<line>\d+)"#,
                Order::OutermostFirst,
                false,
            ),
            // pytest's long format: `tests/test_x.py:19: AssertionError` at the start of a line.
            mk(
                ".py:",
                r"(?m)^(?P<file>[^\s:][^:\n]*\.py):(?P<line>\d+): ",
                Order::OutermostFirst,
                false,
            ),
            // Java / Kotlin / Scala frames.
            mk(
                "at ",
                r"at (?P<class>[\w$.]+)\.[\w$<>]+\((?P<file>[\w$-]+\.(?:java|kt|scala|groovy)):(?P<line>\d+)\)",
                Order::InnermostFirst,
                true,
            ),
            // JavaScript / TypeScript frames, with or without a function name.
            mk(
                "at ",
                r"at (?:[^\n(]*?\()?(?P<file>(?:file://)?[^\s()]+?\.(?:[cm]?[jt]sx?|vue|svelte)):(?P<line>\d+):\d+\)?",
                Order::InnermostFirst,
                false,
            ),
            // .NET frames: `at Ns.Class.Method() in /src/File.cs:line 21`.
            mk(
                ":line ",
                r"in (?P<file>[^\n]+?\.(?:cs|fs|vb)):line (?P<line>\d+)",
                Order::InnermostFirst,
                false,
            ),
            // Go testing output: `    foo_test.go:20: message`.
            mk(
                ".go:",
                r"(?m)^\s*(?P<file>[\w./-]+\.go):(?P<line>\d+): ",
                Order::OutermostFirst,
                false,
            ),
        ]
    })
}

/// Path fragments of code that is not the project's: dependencies, runtimes, test frameworks.
const FOREIGN: [&str; 14] = [
    "site-packages/",
    "dist-packages/",
    "/lib/python",
    "node_modules/",
    "node:internal",
    "/rustc/",
    "/.cargo/registry/",
    "library/std/",
    "library/core/",
    "<frozen ",
    "/usr/lib/",
    "/usr/local/go/",
    "_pytest/",
    "/pluggy/",
];

const FOREIGN_JAVA_PREFIXES: [&str; 9] = [
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "org.junit.",
    "junit.",
    "org.apache.maven.",
    "org.gradle.",
    "kotlin.",
];

fn is_foreign(path: &str) -> bool {
    FOREIGN.iter().any(|f| path.contains(f))
}

/// Whether a path looks like a test file (so a frame in it is where the test failed).
fn looks_like_test_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name.starts_with("test_")
        || name.contains("_test.")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains("test.java")
        || name.contains("tests.")
        || path.contains("/tests/")
        || path.starts_with("tests/")
        || path.contains("__tests__/")
}

/// At most this many frames are kept: the interesting ones are at the ends of a trace.
const MAX_FRAMES: usize = 64;

/// Frames of `text`, innermost first, with dependency frames removed.
pub fn project_frames(text: &str) -> Vec<Frame> {
    let mut frames = Vec::new();
    let order = scan(text, &mut |f| {
        frames.push(f);
        frames.len() >= MAX_FRAMES
    });
    if order == Some(Order::OutermostFirst) {
        frames.reverse();
    }
    frames.dedup();
    frames
}

/// Visits the project frames of the first trace format `text` contains, in the order the trace
/// lists them, until `visit` returns `true`. Returns the format's frame order.
///
/// Each match is found by the regex's DFA and only then split into captures on its own short
/// span, which keeps long traces cheap.
fn scan(text: &str, visit: &mut dyn FnMut(Frame) -> bool) -> Option<Order> {
    for p in patterns() {
        if !text.contains(p.needle) {
            continue;
        }
        let mut found = false;
        for m in p.re.find_iter(text) {
            let span = m.as_str();
            if p.java
                && FOREIGN_JAVA_PREFIXES
                    .iter()
                    .any(|f| span[3..].starts_with(f))
            {
                continue;
            }
            let Some(c) = p.re.captures(span) else {
                continue;
            };
            let (Some(file), Some(line)) = (c.name("file"), c.name("line")) else {
                continue;
            };
            let Ok(line) = line.as_str().parse::<u32>() else {
                continue;
            };
            if line == 0 {
                continue;
            }
            let file = if p.java {
                java_path(c.name("class").map_or("", |m| m.as_str()), file.as_str())
            } else {
                let f = file.as_str();
                let f = f.strip_prefix("file://").unwrap_or(f);
                if is_foreign(f) {
                    continue;
                }
                f.strip_prefix("./").unwrap_or(f).to_owned()
            };
            found = true;
            // Outermost-first traces end with the innermost frame: they are read to the end.
            if visit(Frame { file, line }) && p.order == Order::InnermostFirst {
                break;
            }
        }
        if found {
            return Some(p.order);
        }
    }
    None
}

/// `com.example.bank.AccountTest$Inner` + `AccountTest.java` → `com/example/bank/AccountTest.java`.
fn java_path(class: &str, file: &str) -> String {
    let package: Vec<&str> = class
        .split('.')
        .take_while(|seg| seg.chars().next().is_some_and(char::is_lowercase))
        .collect();
    if package.is_empty() {
        file.to_owned()
    } else {
        format!("{}/{file}", package.join("/"))
    }
}

/// The frame to point a person at: one in `test_file` (or any test file) if the trace has one,
/// else the innermost project frame.
pub fn failure_location(text: &str, test_file: Option<&str>) -> Option<Frame> {
    let tf = test_file.map(|t| t.trim_start_matches("./"));
    let in_test_file = |f: &Frame| match tf {
        Some(tf) => {
            f.file == tf
                || f.file.ends_with(&format!("/{tf}"))
                || tf.ends_with(&format!("/{}", f.file))
        }
        None => false,
    };
    // Candidates in trace order; for innermost-first traces the scan stops at the first frame
    // that settles the answer.
    let mut frames: Vec<Frame> = Vec::new();
    let order = scan(text, &mut |f| {
        let settles = in_test_file(&f) || (tf.is_none() && looks_like_test_file(&f.file));
        frames.push(f);
        settles || frames.len() >= MAX_FRAMES
    })?;
    if order == Order::OutermostFirst {
        frames.reverse();
    }
    frames
        .iter()
        .find(|f| in_test_file(f))
        .or_else(|| frames.iter().find(|f| looks_like_test_file(&f.file)))
        .or_else(|| frames.first())
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(text: &str) -> Option<(String, u32)> {
        failure_location(text, None).map(|f| (f.file, f.line))
    }

    #[test]
    fn pytest_long_format_prefers_the_test_file() {
        let t = "def test_raises_type_error():\n>       add(1, None)\n\ntests/test_calc.py:57: \n_ _ _\n\n    def add(a, b):\n>       return a + b\nE       TypeError: unsupported\n\nsrc/calc/__init__.py:5: TypeError";
        assert_eq!(loc(t), Some(("tests/test_calc.py".into(), 57)));
    }

    #[test]
    fn python_traceback_skips_site_packages() {
        let t = "Traceback (most recent call last):\n  File \"/app/tests/test_api.py\", line 12, in test_get\n    client.get()\n  File \"/usr/lib/python3.11/site-packages/requests/api.py\", line 73, in get\n";
        assert_eq!(loc(t), Some(("/app/tests/test_api.py".into(), 12)));
    }

    #[test]
    fn jest_trace_skips_node_modules() {
        let t = "Error: expect(received).toBe(expected)\n    at Object.toBe (/tmp/fix/jsproj/__tests__/cart.test.js:18:35)\n    at Promise.finally.completed (/tmp/fix/jsproj/node_modules/jest-circus/build/jestAdapterInit.js:1834:28)";
        assert_eq!(
            loc(t),
            Some(("/tmp/fix/jsproj/__tests__/cart.test.js".into(), 18))
        );
        // A throw inside the code under test: the test's frame is still preferred.
        let t = "TypeError: not a quantity\n    at parseQty (/p/src/cart.js:22:11)\n    at Object.parseQty (/p/__tests__/cart.test.js:31:5)";
        assert_eq!(loc(t), Some(("/p/__tests__/cart.test.js".into(), 31)));
    }

    #[test]
    fn java_frames_become_package_paths() {
        let t = "java.lang.AssertionError: expected:<4> but was:<5>\n\tat org.junit.Assert.fail(Assert.java:89)\n\tat com.example.bank.AccountTest.withdraw(AccountTest.java:20)\n";
        assert_eq!(
            loc(t),
            Some(("com/example/bank/AccountTest.java".into(), 20))
        );
    }

    #[test]
    fn rust_panic_location() {
        let t = "thread 'tests::x' (6982) panicked at src/lib.rs:22:9:\nassertion failed\n   2: core::panicking::panic_fmt\n             at /rustc/abc/library/core/src/panicking.rs:80:14";
        assert_eq!(loc(t), Some(("src/lib.rs".into(), 22)));
    }

    #[test]
    fn dotnet_frames() {
        let t = "Assert.Equal() Failure\n   at Calc.Helpers.Check() in /src/Calc/Helpers.cs:line 9\n   at Calc.Tests.CalcTests.Divides() in /src/Calc.Tests/CalcTests.cs:line 21";
        assert_eq!(loc(t), Some(("/src/Calc.Tests/CalcTests.cs".into(), 21)));
    }

    #[test]
    fn go_test_output() {
        let t = "=== RUN   TestClassify/25\n    temps_test.go:20: Classify(25) = \"warm\", want \"hot\"\n";
        assert_eq!(loc(t), Some(("temps_test.go".into(), 20)));
    }

    #[test]
    fn test_file_attribute_wins() {
        let t =
            "  File \"/a/src/x.py\", line 3, in f\n  File \"/a/tests/helpers.py\", line 9, in g\n";
        let f = failure_location(t, Some("src/x.py")).unwrap();
        assert_eq!((f.file.as_str(), f.line), ("/a/src/x.py", 3));
    }

    #[test]
    fn nothing_to_find() {
        assert_eq!(loc("expected 1 got 2"), None);
        assert_eq!(loc(""), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = failure_location(&s, Some("x.py"));
        }
    }
}
