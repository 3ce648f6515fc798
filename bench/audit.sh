#!/usr/bin/env bash
# Benchmark: `ci-intel audit` against zizmor (PyPI) on the 156 real workflows of the shared
# corpus and on a 10x copy of it: files/s, peak memory, and a per-audit comparison of what each
# tool flagged (bench/peers/compare_audit.py).
#
# Usage: bench/audit.sh   (needs python3, hyperfine, /usr/bin/time, PyPI access)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CORPUS=${CI_INTEL_CORPUS:-$ROOT/../shared/corpus}/workflows
OUT=$ROOT/bench/out/audit
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release --locked -q -p ci-intel
CI_INTEL=$ROOT/target/release/ci-intel
PEERS=${PEERS:-$(mktemp -d)}
[ -x "$PEERS/venv/bin/zizmor" ] || { python3 -m venv "$PEERS/venv" && "$PEERS/venv/bin/pip" install -q zizmor==1.32.0; }
ZIZMOR=$PEERS/venv/bin/zizmor

# The 10x copy: ten renamed copies of every repository.
BIG=$OUT/corpus-x10
for i in $(seq 1 10); do
  for repo in "$CORPUS"/*/; do
    name=$(basename "$repo")
    mkdir -p "$BIG/$name-$i"
    cp -r "$repo/.github" "$BIG/$name-$i/"
  done
done

for dir in "$CORPUS" "$BIG"; do
  files=$(find "$dir" -path '*/.github/workflows/*' -name '*.y*ml' | wc -l)
  echo "== $dir ($files workflow files)"
  cd "$dir"
  "$CI_INTEL" audit . --format json --output "$OUT/ours.json" --no-github >/dev/null 2>&1 || true
  "$ZIZMOR" --offline --format json . > "$OUT/zizmor.json" 2>/dev/null || true
  rss() { for _ in 1 2 3; do /usr/bin/time -f %M "$@" >/dev/null 2>>"$OUT/rss.txt" || true; tail -1 "$OUT/rss.txt"; done | sort -n | sed -n 2p; }
  echo "peak RSS (KB, median of 3): ci-intel $(rss "$CI_INTEL" audit . --format json --output /dev/null --no-github), zizmor $(rss "$ZIZMOR" --offline --format json .)"
  hyperfine -N -i --warmup 1 --runs 10 --export-json "$OUT/hyperfine.json" \
    "$CI_INTEL audit . --format json --output /dev/null --no-github" \
    "$ZIZMOR --offline --format json ." >/dev/null
  python3 - "$OUT/hyperfine.json" "$files" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
ours, theirs = r[0]["median"], r[1]["median"]
print(f"median: ci-intel {ours*1000:.0f} ms ({n/ours:.0f} files/s), zizmor {theirs*1000:.0f} ms ({n/theirs:.0f} files/s), ratio {theirs/ours:.1f}x")
PY
  if [ "$dir" = "$CORPUS" ]; then python3 "$ROOT/bench/peers/compare_audit.py" "$OUT/ours.json" "$OUT/zizmor.json"; fi
  cd "$ROOT"
done
