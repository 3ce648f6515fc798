//! The rules file itself: every rule finds its own example, once; hashes, UUIDs, lockfile
//! integrity strings, documented example keys and placeholders are not reported.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use ci_intel_secrets::RuleSet;

/// xorshift: deterministic "random" characters for example templates.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick(&mut self, alphabet: &[u8]) -> char {
        alphabet[(self.next() % alphabet.len() as u64) as usize] as char
    }
}

/// Expands `{class:N}` placeholders (see the rules file's header).
fn expand(template: &str, rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let spec = &rest[open + 1..open + close];
        let Some((class, n)) = spec.split_once(':') else {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        };
        let alphabet: &[u8] = match class {
            "alnum" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "hex" => b"0123456789abcdef",
            "HEX" => b"0123456789ABCDEF",
            "lower" => b"abcdefghijklmnopqrstuvwxyz0123456789",
            "upper" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            "digits" => b"0123456789",
            "b64" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            "b64url" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            "base32" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
            "bech32" => b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
            "alpha" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            _ => panic!("unknown class {class} in {template}"),
        };
        out.push_str(&rest[..open]);
        for _ in 0..n.parse::<usize>().unwrap() {
            out.push(rng.pick(alphabet));
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("\\n", "\n")
}

#[test]
fn there_are_at_least_100_credential_types() {
    assert!(
        RuleSet::builtin().rules.len() >= 100,
        "{}",
        RuleSet::builtin().rules.len()
    );
}

#[test]
fn every_rule_finds_its_example_once() {
    let rules = RuleSet::builtin();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut failures = Vec::new();
    for rule in &rules.rules {
        let example = expand(&rule.example, &mut rng);
        let text = format!("# configuration\nname: service\n{example}\nmore: text\n");
        let hits = rules.scan(text.as_bytes());
        let own: Vec<_> = hits.iter().filter(|h| h.rule == rule.id).collect();
        if own.len() != 1 {
            failures.push(format!(
                "{}: {} hit(s) of its own rule in {example:?}; all hits: {:?}",
                rule.id,
                own.len(),
                hits.iter().map(|h| h.rule).collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_secret_not_the_context_is_what_a_hit_covers() {
    let rules = RuleSet::builtin();
    let text = b"export GITHUB_TOKEN=ghp_Zq8s0mK3L1xY7PdN4c9TvB2wR6eHfA5gJuQi\n";
    let hits = rules.scan(text);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        &text[hits[0].start..hits[0].end],
        b"ghp_Zq8s0mK3L1xY7PdN4c9TvB2wR6eHfA5gJuQi"
    );
    assert_eq!(
        hits[0].rule, "github-pat",
        "the specific rule wins over the generic one"
    );
}

#[test]
fn hashes_uuids_integrity_strings_examples_and_placeholders_are_not_secrets() {
    let rules = RuleSet::builtin();
    let clean = r#"
commit 3d3c42e5aac5ba805825da76410c181273ba90b1
sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
checksum = "d41d8cd98f00b204e9800998ecf8427e"
id: 123e4567-e89b-12d3-a456-426614174000
request_token: 123e4567-e89b-12d3-a456-426614174000
"integrity": "sha512-XoSd4jQ0YVqCyN8YCJ2mWMiEJyFUDNyCz8h1t4X3hgEv9zqXwy1rBKSYU5xb0ccHrN5dRIkSb0nVg68LfgaN8w=="
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
password: "changeme"
password = "${DB_PASSWORD}"
token: ${{ secrets.GITHUB_TOKEN }}
api_key = os.environ["API_KEY"]
secret_name = "my_secret_name_here"
PASSWORD_FILE=/run/secrets/password
GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
"password": "<your password here>"
const token = "your-token-here";
tokens: ["a", "b"]
url: https://user:${PASSWORD}@example.com
docs: https://example.com/path?query=1
"#;
    let hits = rules.scan(clean.as_bytes());
    let shown: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| (h.rule, &clean[h.start..h.end]))
        .collect();
    assert!(hits.is_empty(), "{shown:#?}");
}

#[test]
fn planted_credentials_are_found_once_at_the_right_line() {
    let rules = RuleSet::builtin();
    let text = "line one\nconfig:\n  slack: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx\n  db: postgres://app:Tr0ub4dor-and-3@db.internal/app\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBDxXtDLJWaBpP3dYcOYj1SPaUfnD9BXlB7SX+MZ3jC7wAAAJDHbrq2x266\n-----END OPENSSH PRIVATE KEY-----\n";
    let hits = rules.scan(text.as_bytes());
    let found: Vec<(&str, usize)> = hits
        .iter()
        .map(|h| (h.rule, text[..h.start].matches('\n').count() + 1))
        .collect();
    assert_eq!(
        found,
        vec![
            ("slack-bot-token", 3),
            ("url-with-password", 4),
            ("private-key", 5)
        ],
    );
}

#[test]
fn invalid_rule_files_are_refused_with_the_rule_named() {
    let e = RuleSet::from_toml("[allowlist]\n[[rule]]\nid = \"x\"\nname = \"x\"\nregex = \"(\"\nkeywords = [\"x\"]\nexample = \"x\"\n").unwrap_err();
    assert!(e.to_string().contains("rule `x`: invalid regex"), "{e}");
    let e = RuleSet::from_toml("[allowlist]\n[[rule]]\nid = \"x\"\nname = \"x\"\nregex = \"x\"\nkeywords = []\nexample = \"x\"\n").unwrap_err();
    assert!(e.to_string().contains("keyword"), "{e}");
    assert!(RuleSet::from_toml("not toml [").is_err());
}

proptest::proptest! {
    #[test]
    fn scanning_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2000)) {
        let _ = RuleSet::builtin().scan(&bytes);
    }

    #[test]
    fn scanning_secretish_text_never_panics(s in "(ghp_|xoxb-|AKIA|password=\"|://u:|-----BEGIN RSA PRIVATE KEY-----|eyJ|[A-Za-z0-9+/=_-]{0,50}|\n){0,30}") {
        let _ = RuleSet::builtin().scan(s.as_bytes());
    }
}
