#!/usr/bin/env bash
# Benchmark (a): a generated ≥500 MB JUnit report (long stack traces, CDATA, escaped and
# non-ASCII text, nested suites, retries) read by `ci-intel tests` and by junitparser (PyPI),
# side by side: throughput, peak memory, and the counts each reports.
#
# Usage: bench/junit.sh [MEGABYTES]   (needs python3, hyperfine, /usr/bin/time, PyPI access)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MB=${1:-520}
OUT=$ROOT/bench/out
mkdir -p "$OUT"
cargo build --release --locked -q -p ci-intel -p ci-intel-bench
CI_INTEL=$ROOT/target/release/ci-intel
REPORT=$OUT/junit-$MB.xml
[ -f "$REPORT" ] || "$ROOT/target/release/gen-junit" "$REPORT" "$MB"
SIZE=$(stat -c %s "$REPORT")

PEERS=${PEERS:-$(mktemp -d)}
[ -x "$PEERS/venv/bin/junitparser" ] || { python3 -m venv "$PEERS/venv" && "$PEERS/venv/bin/pip" install -q junitparser==5.0.3; }
PY=$PEERS/venv/bin/python

cd "$(mktemp -d)" # no .ci-intel/config.yml here: built-in defaults
OURS="$CI_INTEL tests --junit $REPORT --format json --output ours.json --no-github"
VERIFY="$PEERS/venv/bin/junitparser verify $REPORT"
COUNT="$PY $ROOT/bench/peers/junitparser_count.py $REPORT"

echo "== counts"
$OURS 2>/dev/null || true
python3 -c "import json; c = json.load(open('ours.json'))['counts']; print('ci-intel:    tests={total} failures={failures} errors={errors} skipped={skipped} flaky={flaky}'.format(**c))"
echo "junitparser: $($COUNT)"

echo "== peak memory (median of 3, KB)"
rss() { for _ in 1 2 3; do /usr/bin/time -f %M "$@" >/dev/null 2>>rss.txt || true; tail -1 rss.txt; done | sort -n | sed -n 2p; }
echo "ci-intel:           $(rss $OURS)"
echo "junitparser verify: $(rss $VERIFY)"
echo "junitparser count:  $(rss $COUNT)"

echo "== time"
hyperfine -N -i --warmup 1 --runs 7 --export-json "$OUT/junit-hyperfine.json" "$OURS" "$VERIFY" "$COUNT"
python3 - "$OUT/junit-hyperfine.json" "$SIZE" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
size_mb = int(sys.argv[2]) / 1e6
ours, verify, count = (x["median"] for x in r)
print(f"median: ci-intel {ours:.2f} s ({size_mb / ours:.0f} MB/s), junitparser verify {verify:.2f} s "
      f"({verify / ours:.1f}x slower), junitparser count script {count:.2f} s ({count / ours:.1f}x slower)")
PY
