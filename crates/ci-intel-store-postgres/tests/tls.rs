//! TLS to PostgreSQL against a server of the test's own (initdb + postgres from the installed
//! binaries, on a free port, with a certificate from a CA made here): `sslmode=require` with the
//! CA in `sslrootcert` connects over TLS; without the CA the certificate is refused; against a
//! server without TLS, `require` is refused. The shared server on 5432 is not touched.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use ci_intel_store::Store;
use ci_intel_store_postgres::PostgresStore;

/// The newest installed PostgreSQL's `bin` directory.
fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args…`, as the `postgres` user when we are root (the server refuses root).
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(c: &mut Command) {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 signed by it, made with the openssl CLI.
fn certificates(dir: &Path) {
    let ssl = |args: &[&str]| run(Command::new("openssl").current_dir(dir).args(args));
    ssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=ci-intel test CA",
    ]);
    ssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    ssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}

/// A running server; killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// initdb and start a server in `dir`, with TLS when `tls`; returns once it logs that it
/// accepts connections (read from its log stream, no sleeping).
fn start(bin: &Path, dir: &Path, tls: bool) -> Server {
    let data = dir.join("data");
    run(as_server_user(&bin.join("initdb"))
        .args(["-D"])
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"]));
    let port = free_port();
    let mut conf = format!(
        "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n",
        dir.display()
    );
    if tls {
        conf.push_str(&format!(
            "ssl = on\nssl_cert_file = '{0}/server.crt'\nssl_key_file = '{0}/server.key'\n",
            dir.display()
        ));
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .unwrap();
    std::io::Write::write_all(&mut f, conf.as_bytes()).unwrap();
    let mut child = as_server_user(&bin.join("postgres"))
        .arg("-D")
        .arg(&data)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let log = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in log.lines() {
        let line = line.unwrap();
        if line.contains("ready to accept connections") {
            return Server { child, port };
        }
        seen.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the test's PostgreSQL did not start:\n{}", seen.join("\n"));
}

/// A fresh directory the server user may use.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if is_root() {
        run(Command::new("chown").arg("postgres").arg(dir.path()));
    }
    dir
}

#[test]
fn sslmode_require_verifies_the_server_certificate() {
    let Some(bin) = pg_bin() else {
        assert!(
            std::env::var("CI_INTEL_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "CI_INTEL_REQUIRE_SERVICES=1 but no PostgreSQL server binaries under /usr/lib/postgresql"
        );
        eprintln!("SKIPPED: no PostgreSQL server binaries under /usr/lib/postgresql");
        return;
    };
    let dir = workdir();
    let d = dir.path();
    certificates(d);
    if is_root() {
        run(Command::new("chown").args(["-R", "postgres"]).arg(d));
    }
    run(Command::new("chmod").arg("600").arg(d.join("server.key")));
    let server = start(&bin, d, true);
    let base = format!("postgres://postgres@127.0.0.1:{}/postgres", server.port);

    let ca = d.join("ca.pem");
    let store = PostgresStore::connect(
        &format!("{base}?sslmode=verify-full&sslrootcert={}", ca.display()),
        None,
    )
    .unwrap_or_else(|e| panic!("{}", e.chain()));
    store.migrate().unwrap();
    // The session is encrypted: the server says so of itself.
    let mut c = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    let encrypted: i64 = c
        .query_one("SELECT count(*) FROM pg_stat_ssl WHERE ssl", &[])
        .unwrap()
        .get(0);
    assert!(encrypted >= 1, "no TLS session on the server");

    // Without the CA the certificate is not trusted: refused, and the reason kept.
    let e = PostgresStore::connect(&format!("{base}?sslmode=require"), None).unwrap_err();
    let why = e.chain();
    assert!(why.starts_with("cannot connect to PostgreSQL"), "{why}");
    assert!(why.to_lowercase().contains("certificate"), "{why}");
    drop(server);

    // A server without TLS refuses `require`, and serves a URL without sslmode as before.
    let plain_dir = workdir();
    let plain = start(&bin, plain_dir.path(), false);
    let plain_url = format!("postgres://postgres@127.0.0.1:{}/postgres", plain.port);
    let e = PostgresStore::connect(
        &format!("{plain_url}?sslmode=require&sslrootcert={}", ca.display()),
        None,
    )
    .unwrap_err();
    assert!(
        e.chain().contains("TLS") || e.chain().contains("tls"),
        "{}",
        e.chain()
    );
    PostgresStore::connect(&plain_url, None).unwrap();
}
