#!/usr/bin/env bash
# Benchmark (i): what building ci-intel costs a new user, and what a release ships.
#   - the README's two quick-start commands on a fresh clone with an empty target directory:
#     wall time of each build and the target directory's size after each;
#   - `cargo build --profile dist` with and without the hub (default and slim agent): binary
#     and split debug-info sizes;
#   - start-up time of `ci-intel --version` (hyperfine when installed, else 30 runs timed here).
#
# Usage: bench/build.sh   (needs network access to crates.io for a cold cargo registry only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out/build
rm -rf "$OUT" && mkdir -p "$OUT"
CLONE=$OUT/clone
git clone -q "$ROOT" "$CLONE"
cd "$CLONE"

secs() { local s; s=$(date +%s); "$@" >/dev/null 2>&1; echo $(( $(date +%s) - s )); }
size() { du -sh "$1" | cut -f1; }

t1=$(secs cargo run -q -- check --root examples/quickstart)
s1=$(size target)
t2=$(secs cargo test --workspace --locked --no-run)
s2=$(size target)
echo "quick start: command 1 (build + check) ${t1} s, target/ ${s1}; command 2's build ${t2} s more, target/ ${s2}"

cargo build -q --profile dist --locked -p ci-intel
cp target/dist/ci-intel "$OUT/ci-intel-default"
cp target/dist/ci-intel.dwp "$OUT/ci-intel-default.dwp" 2>/dev/null || true
cargo build -q --profile dist --locked -p ci-intel --no-default-features
cp target/dist/ci-intel "$OUT/ci-intel-slim"
cp target/dist/ci-intel.dwp "$OUT/ci-intel-slim.dwp" 2>/dev/null || true
for b in default slim; do
    echo "dist binary ($b): $(stat -c %s "$OUT/ci-intel-$b") bytes; split debug info $(stat -c %s "$OUT/ci-intel-$b.dwp" 2>/dev/null || echo 0) bytes"
done

if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 5 --runs 50 --export-json "$OUT/version.json" "$OUT/ci-intel-slim --version" "$OUT/ci-intel-default --version"
else
    python3 - "$OUT" <<'PY'
import statistics, subprocess, sys, time
for b in ("slim", "default"):
    ts = []
    for _ in range(30):
        t = time.perf_counter()
        subprocess.run([f"{sys.argv[1]}/ci-intel-{b}", "--version"], stdout=subprocess.DEVNULL, check=True)
        ts.append(time.perf_counter() - t)
    print(f"--version ({b}): median {statistics.median(ts) * 1000:.2f} ms over 30 runs")
PY
fi
