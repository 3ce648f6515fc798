#!/usr/bin/env bash
# Benchmark (j): Pipeline Autopsy. (1) Throughput of `ci-intel autopsy` with the full rule pack
# on ≥ 1 GB of real CI logs: the cidiff builds of the shared corpus (real Maven and Gradle logs,
# Jenkins and GitHub Actions) and this repository's labelled failing logs, concatenated and
# repeated. (2) The template miner against drain3 (PyPI) on the same real lines: speed ratio
# and line-by-line template agreement (same algorithm and defaults, so they should agree).
#
# Usage: bench/autopsy.sh   (needs python3, hyperfine, /usr/bin/time, PyPI access; GB=N for size)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CORPUS=${CI_INTEL_CORPUS:-$ROOT/../shared/corpus}
OUT=$ROOT/bench/out/autopsy
GB=${GB:-1}
for tool in hyperfine python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench/autopsy.sh needs $tool (hyperfine: apt-get install hyperfine)" >&2; exit 2; }
done
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release --locked -q -p ci-intel -p ci-intel-bench
CI_INTEL=$ROOT/target/release/ci-intel
PEERS=${PEERS:-$(mktemp -d)}
[ -x "$PEERS/venv/bin/python" ] && "$PEERS/venv/bin/python" -c 'import drain3' 2>/dev/null \
    || { python3 -m venv "$PEERS/venv" && "$PEERS/venv/bin/pip" install -q drain3==0.9.11; }

python3 - "$CORPUS/ci-logs/cidiff" "$ROOT/crates/ci-intel-autopsy/tests/fixtures/logs" "$OUT" "$GB" <<'PY'
import os, sys
cidiff, fixtures, out, gb = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
logs = []
for base in (cidiff, fixtures):
    for d, _, files in sorted(os.walk(base)):
        for f in sorted(files):
            if f.endswith(".log"):
                logs.append(os.path.join(d, f))
real = b"".join(open(p, "rb").read().rstrip(b"\n") + b"\n" for p in logs)
open(os.path.join(out, "real.log"), "wb").write(real)
with open(os.path.join(out, "big.log"), "wb") as big:
    n = 0
    while n < gb * 1e9:
        big.write(real)
        n += len(real)
# The miner's input: every real line, carriage returns and control characters removed (Python
# and Rust disagree on whether \x1c-\x1f are whitespace).
text = real.decode("utf-8", "replace")
clean = ["".join(c for c in l if c == "\t" or ord(c) >= 32) for l in text.split("\n")]
open(os.path.join(out, "lines.txt"), "w", encoding="utf-8").write("\n".join(clean) + "\n")
print(f"{len(logs)} real logs, {len(real)/1e6:.1f} MB; big.log {n/1e9:.2f} GB; {len(clean)} lines for the miners")
PY

echo "== throughput (full rule pack)"
BIG=$OUT/big.log
hyperfine -N --warmup 1 --runs 5 --export-json "$OUT/throughput.json" \
    "$CI_INTEL autopsy $BIG --format json --output $OUT/report.json" >/dev/null
/usr/bin/time -f "ci-intel autopsy: %e s wall, %M KB peak RSS" "$CI_INTEL" autopsy "$BIG" --format json --output "$OUT/report.json" 2>&1 >/dev/null | tail -1
python3 - "$OUT/throughput.json" "$(stat -c %s "$BIG")" "$OUT/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
size = int(sys.argv[2])
rep = json.load(open(sys.argv[3]))
print("runs (s): " + " ".join(f"{t:.3f}" for t in sorted(r["times"])))
print(f"median {r['median']:.2f} s for {size/1e9:.2f} GB = {size/1e9/r['median']:.2f} GB/s; "
      f"{rep['stats']['lines']} lines, {rep['stats']['rules']} rules, {rep['stats']['root_causes_total']} root causes")
PY

echo "== template miner vs drain3 (same lines, 3 runs each)"
for i in 1 2 3; do "$ROOT/target/release/mine-templates" "$OUT/lines.txt" "$OUT/ours.txt"; done | tee "$OUT/ours-times.txt"
for i in 1 2 3; do "$PEERS/venv/bin/python" "$ROOT/bench/peers/drain3_templates.py" "$OUT/lines.txt" "$OUT/theirs.txt"; done | tee "$OUT/theirs-times.txt"
python3 - "$OUT" <<'PY'
import re, statistics, sys
out = sys.argv[1]
def times(name):
    return [float(re.search(r"([\d.]+) s$", l).group(1)) for l in open(f"{out}/{name}") if l.strip()]
ours, theirs = statistics.median(times("ours-times.txt")), statistics.median(times("theirs-times.txt"))
a = open(f"{out}/ours.txt", encoding="utf-8").read().split("\n")
b = open(f"{out}/theirs.txt", encoding="utf-8").read().split("\n")
same = sum(1 for x, y in zip(a, b) if x == y)
# Cluster agreement independent of template text: pairs of lines grouped together by one tool
# and apart by the other (Rand index over a sample of line pairs).
import random
random.seed(7)
n = min(len(a), len(b))
pairs = [(random.randrange(n), random.randrange(n)) for _ in range(200000)]
agree = sum(1 for i, j in pairs if (a[i] == a[j]) == (b[i] == b[j]))
print(f"median: ci-intel miner {ours:.3f} s, drain3 {theirs:.2f} s, {theirs/ours:.0f}x faster")
print(f"identical final template on {same}/{min(len(a), len(b))} lines ({100*same/min(len(a), len(b)):.2f} %); "
      f"Rand index over 200,000 line pairs {agree/len(pairs):.4f}")
PY
