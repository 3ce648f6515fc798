//! TLS to PostgreSQL, as the connection URL asks for it.
//!
//! `sslmode=require` (or `prefer`) in the URL turns TLS on; the server's certificate is always
//! verified, against the Mozilla roots (`webpki-roots`) and any CA in `sslrootcert=PATH`
//! (libpq's parameter, for a private CA). Without `sslmode`, connections are plain, as before.
//! `verify-ca` and `verify-full` are accepted as synonyms of `require` (which verifies fully
//! here). rustls with the `ring` provider: no OpenSSL to link, so the binary stays static.

use std::sync::Arc;

use ci_intel_store::StoreError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How to connect: the URL `postgres` understands, and the TLS connector when TLS is asked for.
pub struct Target {
    pub url: String,
    pub tls: Option<MakeRustlsConnect>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// Reads `sslmode` and `sslrootcert` from a `postgres://` URL's query.
pub fn target(url: &str) -> Result<Target, StoreError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut keep = Vec::new();
    let mut mode: Option<String> = None;
    let mut root_cert: Option<String> = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        match k {
            "sslmode" => mode = Some(v),
            "sslrootcert" => root_cert = Some(v),
            _ => keep.push(pair.to_owned()),
        }
    }
    let tls = match mode.as_deref() {
        None | Some("disable") => None,
        Some("prefer" | "require" | "verify-ca" | "verify-full") => {
            Some(connector(root_cert.as_deref())?)
        }
        Some(other) => {
            return Err(StoreError::Invalid(format!(
                "sslmode={other}: expected disable, prefer, require, verify-ca or verify-full"
            )));
        }
    };
    // `postgres` knows disable/prefer/require; the verify modes are `require` plus the
    // verification this connector always does.
    match mode.as_deref() {
        Some("prefer") => keep.push("sslmode=prefer".into()),
        Some("require" | "verify-ca" | "verify-full") => keep.push("sslmode=require".into()),
        _ => {}
    }
    let url = if keep.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", keep.join("&"))
    };
    Ok(Target { url, tls })
}

fn connector(root_cert: Option<&str>) -> Result<MakeRustlsConnect, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = root_cert {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(std::iter::Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(|e| StoreError::backend_with(format!("sslrootcert={path}"), e))?;
        if certs.is_empty() {
            return Err(StoreError::Invalid(format!(
                "sslrootcert={path}: no PEM certificate in the file"
            )));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| StoreError::backend_with(format!("sslrootcert={path}"), e))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::backend_with("TLS setup", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// `%2F` → `/` (paths in a URL's query are percent-encoded).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_decides_tls_and_the_url_keeps_the_rest() {
        let t = target("postgres://u@h:5432/db?application_name=hub").unwrap();
        assert!(t.tls.is_none());
        assert_eq!(t.url, "postgres://u@h:5432/db?application_name=hub");
        let t = target("postgres://u@h/db?sslmode=verify-full&connect_timeout=5").unwrap();
        assert!(t.tls.is_some());
        assert_eq!(t.url, "postgres://u@h/db?connect_timeout=5&sslmode=require");
        assert!(
            target("postgres://h/db?sslmode=disable")
                .unwrap()
                .tls
                .is_none()
        );
        let e = target("postgres://h/db?sslmode=allow").unwrap_err();
        assert!(e.to_string().contains("sslmode=allow"), "{e}");
        let e = target("postgres://h/db?sslmode=require&sslrootcert=%2Fno%2Fsuch.pem").unwrap_err();
        assert!(e.chain().contains("/no/such.pem"), "{}", e.chain());
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("%2Ftmp%2Fca.pem"), "/tmp/ca.pem");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
