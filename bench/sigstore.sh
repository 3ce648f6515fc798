#!/usr/bin/env bash
# Benchmark: `ci-intel attest verify-bundle` against sigstore-python 4.5 (PyPI), offline, on the
# same real bundles and trusted roots (../shared/corpus/sigstore): verdicts on the 70
# sigstore-conformance cases, and time per verification (whole command, medians of hyperfine
# runs; plus sigstore-python in-process, which leaves out its interpreter start-up).
#
# Usage: bench/sigstore.sh   (needs hyperfine, cargo, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
S=${CI_INTEL_CORPUS:-$ROOT/../shared/corpus}/sigstore
OUT=$ROOT/bench/out/sigstore
mkdir -p "$OUT"
cargo build --release --locked -q -p ci-intel
CI_INTEL=$ROOT/target/release/ci-intel
PEERS=${PEERS:-$(mktemp -d)}
[ -x "$PEERS/sig/bin/python" ] || { python3 -m venv "$PEERS/sig" && "$PEERS/sig/bin/pip" install -q sigstore==4.5.1; }
PY=$PEERS/sig/bin/python
STAGING=$S/trusted_root/staging.trusted_root.json
PRODUCTION=$S/trusted_root/production.trusted_root.json

echo "== verdicts on the conformance cases (expected: name ends in _fail = refused)"
"$PY" bench/peers/sigstore_verify.py conformance "$S/conformance" "$PRODUCTION" > "$OUT/peer-verdicts.txt"
wrong=0
while read -r name verdict _; do
  [ "$verdict" = skipped ] && continue
  case "$name" in *_fail) want=refused ;; *) want=verified ;; esac
  [ "$verdict" = "$want" ] || { echo "sigstore-python wrong: $name ($verdict)"; wrong=$((wrong + 1)); }
done < "$OUT/peer-verdicts.txt"
echo "sigstore-python: $wrong wrong of $(grep -vc skipped "$OUT/peer-verdicts.txt") judged"
cargo test -q --locked -p ci-intel-attest --test sigstore_corpus conformance 2>&1 | grep -E "test result|wrong" || true

echo "== time per verification (whole command)"
B=$S/bundles
hyperfine -N --warmup 3 --runs 30 --export-json "$OUT/time.json" \
  -n "ci-intel v0.3 hashedrekord" "$CI_INTEL attest verify-bundle $B/bundle_v3.txt --bundle $B/bundle_v3.txt.sigstore --trusted-root $STAGING --identity .* --issuer .*" \
  -n "sigstore-python v0.3 hashedrekord" "$PY bench/peers/sigstore_verify.py one $STAGING $B/bundle_v3.txt.sigstore $B/bundle_v3.txt" \
  -n "ci-intel rekor v2 + RFC 3161" "$CI_INTEL attest verify-bundle $B/staging-rekor-v2.txt --trusted-root $STAGING --identity .* --issuer .*" \
  -n "sigstore-python rekor v2 + RFC 3161" "$PY bench/peers/sigstore_verify.py one $STAGING $B/staging-rekor-v2.txt.sigstore.json $B/staging-rekor-v2.txt"

echo "== sigstore-python in process (seconds per verification, 50 runs)"
"$PY" bench/peers/sigstore_verify.py loop 50 "$STAGING" "$B/bundle_v3.txt.sigstore" "$B/bundle_v3.txt"
