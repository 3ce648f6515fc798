//! API tokens: `cih_<id>_<secret>`. The hub stores the id, the SHA-256 of the secret, the
//! repositories the token covers and its scope; never the token. The secret's hash is compared
//! in constant time, so response timing tells an attacker nothing about how close a guess was.

use ci_intel_store::{Scope, Store, StoreError, TokenRecord};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

const PREFIX: &str = "cih_";

/// A token that authenticated, with what it may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: String,
    pub repo_pattern: String,
    pub scope: Scope,
}

impl Principal {
    /// Whether the token covers `repo` (`*`, `org/*` or `org/name`; GitHub names compare
    /// case-insensitively).
    pub fn covers(&self, repo: &str) -> bool {
        repo_matches(&self.repo_pattern, repo)
    }

    pub fn may_ingest(&self) -> bool {
        self.scope == Scope::Ingest
    }
}

/// `*` covers every repository, `org/*` every repository of `org`, anything else one
/// repository.
pub fn repo_matches(pattern: &str, repo: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_suffix("/*") {
        Some(owner) => repo
            .split_once('/')
            .is_some_and(|(o, name)| o.eq_ignore_ascii_case(owner) && !name.contains('/')),
        None => pattern.eq_ignore_ascii_case(repo),
    }
}

/// Checks a repository pattern when a token is created.
pub fn valid_pattern(pattern: &str) -> bool {
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    pattern == "*"
        || match pattern.split_once('/') {
            Some((owner, "*")) => name_ok(owner),
            Some((owner, name)) => name_ok(owner) && name_ok(name),
            None => false,
        }
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A new token: what to store, and the token to show the user once.
pub fn mint(
    repo_pattern: &str,
    scope: Scope,
    now: &str,
) -> Result<(TokenRecord, String), MintError> {
    if !valid_pattern(repo_pattern) {
        return Err(MintError::Pattern(repo_pattern.to_owned()));
    }
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    getrandom::fill(&mut id).map_err(MintError::Randomness)?;
    getrandom::fill(&mut secret).map_err(MintError::Randomness)?;
    let (id, secret) = (hex::encode(id), hex::encode(secret));
    let record = TokenRecord {
        id: id.clone(),
        secret_sha256: sha256_hex(&secret),
        repo_pattern: repo_pattern.to_owned(),
        scope,
        created_at: now.to_owned(),
    };
    Ok((record, format!("{PREFIX}{id}_{secret}")))
}

/// Why a token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("repository pattern `{0}`: expected `owner/name`, `owner/*` or `*`")]
    Pattern(String),
    #[error("the system has no randomness to offer")]
    Randomness(#[source] getrandom::Error),
}

/// Why a request was not authenticated (the message a client sees; never the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Malformed,
    Unknown,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Missing => "missing `Authorization: Bearer <token>` header",
            Refusal::Malformed => "the bearer token is not a ci-intel token (`cih_…`)",
            Refusal::Unknown => "the bearer token is not valid",
        }
    }
}

/// Authenticates an `Authorization` header value.
pub fn authenticate(
    store: &dyn Store,
    header: Option<&str>,
) -> Result<Result<Principal, Refusal>, StoreError> {
    let Some(h) = header else {
        return Ok(Err(Refusal::Missing));
    };
    let Some(token) = h
        .strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))
    else {
        return Ok(Err(Refusal::Missing));
    };
    let Some((id, secret)) = token
        .trim()
        .strip_prefix(PREFIX)
        .and_then(|t| t.split_once('_'))
    else {
        return Ok(Err(Refusal::Malformed));
    };
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Err(Refusal::Malformed));
    }
    let Some(record) = store.token(id)? else {
        return Ok(Err(Refusal::Unknown));
    };
    let given = sha256_hex(secret);
    if bool::from(given.as_bytes().ct_eq(record.secret_sha256.as_bytes())) {
        Ok(Ok(Principal {
            token_id: record.id,
            repo_pattern: record.repo_pattern,
            scope: record.scope,
        }))
    } else {
        Ok(Err(Refusal::Unknown))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(repo_matches("*", "a/b"));
        assert!(repo_matches("org/*", "org/app"));
        assert!(repo_matches("org/*", "ORG/app"));
        assert!(!repo_matches("org/*", "organisation/app"));
        assert!(!repo_matches("org/*", "other/app"));
        assert!(repo_matches("org/app", "Org/App"));
        assert!(!repo_matches("org/app", "org/app2"));
        for ok in ["*", "org/*", "my-org/app.rs"] {
            assert!(valid_pattern(ok), "{ok}");
        }
        for bad in ["", "org", "org/", "*/app", "org/a b", "org/**", "a/b/c"] {
            assert!(!valid_pattern(bad), "{bad}");
        }
    }

    proptest::proptest! {
        /// Any repository pattern and name are compared without a panic; `*` covers all.
        #[test]
        fn any_pattern_and_repo(pattern in "\\PC{0,20}", repo in "\\PC{0,20}") {
            let _ = valid_pattern(&pattern);
            let _ = repo_matches(&pattern, &repo);
            proptest::prop_assert!(repo_matches("*", &repo));
        }
    }
}
