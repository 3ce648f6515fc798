#!/usr/bin/env bash
# Benchmark: `ci-intel attest digest` against sha256sum (coreutils) and b3sum (crates.io) on a
# 2 GB file and on a tree of 100,000 small files: GB/s and ratio, medians of hyperfine runs.
#
# Usage: bench/digest.sh   (needs hyperfine, cargo; ~2.5 GB free disk under bench/out)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out/digest
mkdir -p "$OUT"
cargo build --release --locked -q -p ci-intel
CI_INTEL=$ROOT/target/release/ci-intel
PEERS=${PEERS:-$(mktemp -d)}
[ -x "$PEERS/b3/bin/b3sum" ] || cargo install b3sum --version 1.8.7 --locked -q --root "$PEERS/b3"
B3SUM=$PEERS/b3/bin/b3sum

BIG=$OUT/big.bin
if [ ! -f "$BIG" ] || [ "$(stat -c %s "$BIG")" -ne 2147483648 ]; then
  head -c 2147483648 /dev/urandom > "$BIG"
fi
TREE=$OUT/tree
if [ ! -d "$TREE" ] || [ "$(find "$TREE" -type f | wc -l)" -ne 100000 ]; then
  rm -rf "$TREE"
  python3 - "$TREE" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(7)
for i in range(100_000):
    d = os.path.join(root, f"d{i // 1000:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:06d}.txt"), "wb") as f:
        f.write(rng.randbytes(rng.randint(100, 4000)))
PY
fi
cat "$BIG" > /dev/null   # warm the page cache

report() {  # hyperfine JSON, bytes
  python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
for x in r:
    print(f"  {x['command'][:70]:70}  median {x['median']:.3f} s  {n / x['median'] / 1e9:.2f} GB/s")
ours = {x["command"]: x["median"] for x in r}
cmds = list(ours)
for i, name in zip(range(0, len(cmds) - 1, 2), ["sha256sum", "b3sum"]):
    print(f"  {name} time / ci-intel time: {ours[cmds[i+1]] / ours[cmds[i]]:.2f} (above 1: ci-intel faster)")
PY
}

echo "== 2 GB file"
hyperfine -N --warmup 1 --runs 5 --export-json "$OUT/big.json" \
  "$CI_INTEL attest digest -a sha256 $BIG" "sha256sum $BIG" \
  "$CI_INTEL attest digest -a blake3 $BIG" "$B3SUM $BIG" >/dev/null
report "$OUT/big.json" 2147483648

bytes=$(find "$TREE" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "== tree of 100,000 files ($bytes bytes)"
cd "$OUT"
hyperfine --warmup 1 --runs 5 --export-json "$OUT/tree.json" \
  "$CI_INTEL attest digest -a sha256 tree" "find tree -type f -print0 | sort -z | xargs -0 sha256sum" \
  "$CI_INTEL attest digest -a blake3 tree" "find tree -type f -print0 | sort -z | xargs -0 $B3SUM" >/dev/null
report "$OUT/tree.json" "$bytes"
