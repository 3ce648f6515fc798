//! Writes a large, realistic JUnit XML report for benchmarks: many suites (Surefire-style
//! classes), long Java and Python stack traces, CDATA and escaped bodies, non-ASCII names and
//! messages, captured output, retries (`flakyFailure`, `rerunFailure`) and skips.
//!
//! Deterministic for a given size: the same bytes every time, so runs are comparable.
//!
//! Usage: `gen-junit OUT.xml [MEGABYTES]` (default 520). Prints the expected totals (distinct
//! tests, failures, errors, skipped, flaky) on stderr so a benchmark can check the readers.

use std::io::{BufWriter, Write};

/// xorshift64*: tiny, deterministic, good enough to vary content.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const PACKAGES: [&str; 6] = [
    "com.acme.billing",
    "com.acme.payments.gateway",
    "org.example.inventory",
    "io.shop.cart",
    "net.überfirma.zählwerk",
    "app.services.ledger",
];
const NOUNS: [&str; 10] = [
    "Invoice", "Customer", "Ledger", "Refund", "Währung", "Order", "Shipment", "Tax", "Coupon",
    "Session",
];
const VERBS: [&str; 8] = [
    "shouldRound",
    "rejects",
    "computes",
    "persists",
    "handlesEmpty",
    "retriesOn",
    "parses",
    "validates",
];
const FRAMES: [&str; 8] = [
    "org.junit.jupiter.engine.execution.MethodInvocation.proceed(MethodInvocation.java:60)",
    "org.junit.platform.engine.support.hierarchical.NodeTestTask.executeRecursively(NodeTestTask.java:151)",
    "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
    "java.base/java.lang.reflect.Method.invoke(Method.java:580)",
    "org.apache.maven.surefire.junitplatform.JUnitPlatformProvider.invoke(JUnitPlatformProvider.java:150)",
    "org.springframework.transaction.support.TransactionTemplate.execute(TransactionTemplate.java:140)",
    "com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)",
    "org.hibernate.internal.SessionImpl.flush(SessionImpl.java:1421)",
];

fn java_trace(rng: &mut Rng, class: &str, method: &str, out: &mut String) {
    let simple = class.rsplit('.').next().unwrap_or(class);
    out.push_str(&format!(
        "java.lang.AssertionError: expected:<{}> but was:<{}> for \"{}\" & 'ünïcödé' <tag/>\n",
        rng.below(1000),
        rng.below(1000),
        method
    ));
    out.push_str(&format!(
        "\tat org.junit.Assert.fail(Assert.java:89)\n\tat {class}.{method}({simple}.java:{})\n",
        20 + rng.below(400)
    ));
    for _ in 0..(25 + rng.below(40)) {
        out.push_str("\tat ");
        out.push_str(rng.pick(&FRAMES));
        out.push('\n');
    }
}

fn python_trace(rng: &mut Rng, method: &str, out: &mut String) {
    out.push_str("Traceback (most recent call last):\n");
    for i in 0..(10 + rng.below(20)) {
        out.push_str(&format!(
            "  File \"/usr/lib/python3.12/site-packages/pluggy/_callers.py\", line {}, in _multicall\n    res = hook_impl.function(*args)\n",
            100 + i
        ));
    }
    out.push_str(&format!(
        "  File \"/home/runner/work/app/app/tests/test_service.py\", line {}, in {method}\n    assert response.status == 200, f\"unexpected {{response!r}}\"\nAssertionError: unexpected <Response [503]> — Dienst nicht verfügbar\n",
        10 + rng.below(300)
    ));
}

/// A writer that counts what it wrote, to stop at the target size.
struct Counting {
    w: BufWriter<std::fs::File>,
    written: u64,
}

impl Counting {
    fn put(&mut self, s: &str) -> std::io::Result<()> {
        self.written += s.len() as u64;
        self.w.write_all(s.as_bytes())
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "junit-big.xml".into());
    let megabytes: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(520);
    let target = megabytes * 1024 * 1024;
    let file = std::fs::File::create(&path)?;
    let w = BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut tests, mut failures, mut errors, mut skipped, mut flaky) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut w = Counting { w, written: 0 };
    w.put("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"generated\">\n")?;
    let mut suite_no = 0u64;
    let mut body = String::new();
    while w.written < target {
        suite_no += 1;
        let class = format!(
            "{}.{}{}Test",
            rng.pick(&PACKAGES),
            rng.pick(&NOUNS),
            suite_no
        );
        w.put(&format!(
            "  <testsuite name=\"{class}\" tests=\"0\" time=\"1.5\" timestamp=\"2026-11-23T10:00:00\">\n    <properties><property name=\"java.version\" value=\"21.0.4\"/><property name=\"file.encoding\" value=\"UTF-8\"/></properties>\n"
        ))?;
        // A nested group of parameterised tests in one suite in ten, as some runners write.
        let nested = suite_no.is_multiple_of(10);
        if nested {
            w.put(&format!("    <testsuite name=\"{class}$Parameterized\">\n"))?;
        }
        for case_no in 0..(20 + rng.below(60)) {
            tests += 1;
            let method = format!("{}{}_{}", rng.pick(&VERBS), rng.pick(&NOUNS), case_no);
            let time = format!("{}.{:03}", rng.below(3), rng.below(1000));
            let roll = rng.below(1000);
            body.clear();
            let open = format!(
                "    <testcase name=\"{}\" classname=\"{class}\" time=\"{time}\"",
                escape(&format!("{method}[\"ünï\" & <{case_no}>]"))
            );
            if roll < 20 {
                // failure with a long escaped Java trace
                failures += 1;
                let mut t = String::new();
                java_trace(&mut rng, &class, &method, &mut t);
                body.push_str(&format!(
                    "{open}>\n      <failure message=\"{}\" type=\"java.lang.AssertionError\">{}</failure>\n",
                    escape(t.lines().next().unwrap_or("")),
                    escape(&t)
                ));
                // Surefire reruns of a test that kept failing.
                for _ in 0..rng.below(3) {
                    body.push_str("      <rerunFailure message=\"still failing\" type=\"java.lang.AssertionError\"><stackTrace><![CDATA[");
                    body.push_str(&t);
                    body.push_str("]]></stackTrace></rerunFailure>\n");
                }
                body.push_str("    </testcase>\n");
            } else if roll < 30 {
                // error with a Python trace in CDATA
                errors += 1;
                let mut t = String::new();
                python_trace(&mut rng, &method, &mut t);
                body.push_str(&format!(
                    "{open}>\n      <error message=\"RuntimeError: Verbindung abgebrochen &amp; retry &lt;3&gt;\" type=\"RuntimeError\"><![CDATA[{t}]]></error>\n    </testcase>\n"
                ));
            } else if roll < 40 {
                // flaky: failed first, then passed (Surefire's flakyFailure)
                flaky += 1;
                let mut t = String::new();
                java_trace(&mut rng, &class, &method, &mut t);
                body.push_str(&format!(
                    "{open}>\n      <flakyFailure message=\"timeout waiting for lock\" type=\"java.util.concurrent.TimeoutException\"><stackTrace><![CDATA[{t}]]></stackTrace><system-out><![CDATA[retrying after 250 ms\n]]></system-out></flakyFailure>\n    </testcase>\n"
                ));
            } else if roll < 70 {
                skipped += 1;
                body.push_str(&format!(
                    "{open}>\n      <skipped message=\"@Disabled: flaky on CI — siehe Ticket #{}\"/>\n    </testcase>\n",
                    rng.below(9999)
                ));
            } else if roll < 400 {
                // passed, with captured output in CDATA
                body.push_str(&format!("{open}>\n      <system-out><![CDATA["));
                for l in 0..(5 + rng.below(30)) {
                    body.push_str(&format!(
                        "2026-11-23 10:00:{:02}.{:03} INFO  [{}] request id={} user=ü{} status=ok latency={}ms\n",
                        l % 60,
                        rng.below(1000),
                        rng.pick(&NOUNS),
                        rng.next() % 100_000,
                        rng.below(500),
                        rng.below(250)
                    ));
                }
                body.push_str("]]></system-out>\n    </testcase>\n");
            } else {
                body.push_str(&open);
                body.push_str("/>\n");
            }
            w.put(&body)?;
        }
        if nested {
            w.put("    </testsuite>\n")?;
        }
        w.put("    <system-out><![CDATA[suite finished\n]]></system-out>\n  </testsuite>\n")?;
    }
    w.put("</testsuites>\n")?;
    w.w.flush()?;
    eprintln!(
        "{path}: {:.1} MB, {suite_no} suites, {tests} tests: {failures} failures, {errors} errors, {skipped} skipped, {flaky} flaky",
        w.written as f64 / 1_048_576.0
    );
    Ok(())
}
