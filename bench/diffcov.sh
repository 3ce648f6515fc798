#!/usr/bin/env bash
# Benchmark (b): diff coverage on a real git history with a real coverage.xml,
# `ci-intel tests` against diff-cover (PyPI), side by side.
#
# The history is four real releases of more-itertools (sdists from PyPI, which include the test
# suite) committed in order: 10.0.0 is `main`, then 10.2.0, 10.4.0 and 10.5.0 on `feature`.
# coverage.py measures the test suite of 10.5.0; both tools compare `feature` with `main`.
#
# Usage: bench/diffcov.sh   (needs python3, hyperfine and network access to PyPI)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out/diffcov
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release --locked -q -p ci-intel
CI_INTEL=$ROOT/target/release/ci-intel

PEERS=${PEERS:-$(mktemp -d)}
python3 -m venv "$PEERS/venv"
"$PEERS/venv/bin/pip" install -q diff-cover==11.0.1 pytest==9.2.0 coverage==7.18.0
"$PEERS/venv/bin/pip" download -q --no-deps --no-binary :all: -d "$OUT/sdists" \
  more-itertools==10.0.0 2>/dev/null || true
for v in 10.2.0 10.4.0 10.5.0; do
  "$PEERS/venv/bin/pip" download -q --no-deps --no-binary :all: -d "$OUT/sdists" "more-itertools==$v"
done

REPO=$OUT/repo
mkdir -p "$REPO" && cd "$REPO"
git init -q -b main
g() { git -c user.email=bench@example.com -c user.name=bench "$@"; }
first=1
for v in 10.0.0 10.2.0 10.4.0 10.5.0; do
  find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
  tar xzf "$OUT/sdists/more-itertools-$v.tar.gz" --strip-components=1
  g add -A && g commit -qm "more-itertools $v"
  if [ $first = 1 ]; then g checkout -qb feature; first=0; fi
done
printf 'coverage.xml\n.coverage\n*.json\n' >> .git/info/exclude

"$PEERS/venv/bin/python" -m coverage run --branch --source=more_itertools -m pytest -q -p no:cacheprovider tests >/dev/null 2>&1 || true
"$PEERS/venv/bin/python" -m coverage xml -o coverage.xml >/dev/null

# Same answer?
"$PEERS/venv/bin/diff-cover" coverage.xml --compare-branch=main --json-report "$OUT/diff-cover.json" --total-percent-float >/dev/null
"$CI_INTEL" tests --coverage coverage.xml --base main --format json --output "$OUT/ci-intel.json" --no-github 2>/dev/null || true
python3 - "$OUT/diff-cover.json" "$OUT/ci-intel.json" <<'PY'
import json, sys
dc = json.load(open(sys.argv[1])); ci = json.load(open(sys.argv[2]))["diff_coverage"]
theirs = {p: sorted(s["violation_lines"]) for p, s in dc["src_stats"].items() if s["violation_lines"]}
ours = {}
for u in ci["uncovered"]:
    ours.setdefault(u["path"], []).append(u["line"])
print(f"diff-cover: {dc['total_num_lines']} measured changed lines, {dc['total_num_violations']} uncovered, {dc['total_percent_covered']:.4f}%")
print(f"ci-intel:   {ci['measured_lines']} measured changed lines, {len(ci['uncovered'])} uncovered, {ci['lines_pct']*100:.4f}%")
same = theirs == ours and dc["total_num_lines"] == ci["measured_lines"] and abs(dc["total_percent_covered"] - ci["lines_pct"]*100) < 0.01
print("same uncovered lines and percentage:", same)
sys.exit(0 if same else 1)
PY

hyperfine -N -i --warmup 2 --runs 20 --export-json "$OUT/hyperfine.json" \
  "$CI_INTEL tests --coverage coverage.xml --base main --format json --output $OUT/ci-intel.json --no-github" \
  "$PEERS/venv/bin/diff-cover coverage.xml --compare-branch=main --json-report $OUT/diff-cover.json --total-percent-float"
python3 - "$OUT/hyperfine.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ours, theirs = r[0]["median"], r[1]["median"]
print(f"median ci-intel {ours*1000:.1f} ms, diff-cover {theirs*1000:.1f} ms, ratio {theirs/ours:.1f}x")
PY
