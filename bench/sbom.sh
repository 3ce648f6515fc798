#!/usr/bin/env bash
# Benchmark: `ci-intel sbom generate` vs cargo-cyclonedx (crates.io) on this repository's
# Cargo.lock and vs cyclonedx-py (PyPI) on a real Python project's pinned requirements
# (poetry's own lockfile, exported with its hashes), components compared one by one; and
# `ci-intel vuln scan` of 10,000 components against the whole corpus OSV database (time and
# peak memory). Medians of hyperfine runs.
#
# Usage: bench/sbom.sh   (needs hyperfine, cargo, python3; installs the peers into $PEERS)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CORPUS=${CI_INTEL_CORPUS:-$ROOT/../shared/corpus}
OUT=$ROOT/bench/out/sbom
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release --locked -q -p ci-intel
CI_INTEL=$ROOT/target/release/ci-intel
PEERS=${PEERS:-$(mktemp -d)}
[ -x "$PEERS/cdx/bin/cargo-cyclonedx" ] || cargo install cargo-cyclonedx --version 0.5.9 --locked -q --root "$PEERS/cdx"
[ -x "$PEERS/sbomv/bin/cyclonedx-py" ] || { python3 -m venv "$PEERS/sbomv" && "$PEERS/sbomv/bin/pip" install -q cyclonedx-bom==7.5.0 'cyclonedx-python-lib[json-validation]==11.12.0' spdx-tools==0.8.5; }

echo "== Cargo: this repository (a clean copy, so the peer's per-crate files land outside the tree)"
git clone -q "$ROOT" "$OUT/self"
( cd "$OUT/self" && "$PEERS/cdx/bin/cargo-cyclonedx" cyclonedx --format json --target all --override-filename peer >/dev/null )
"$CI_INTEL" sbom generate "$OUT/self" -o "$OUT/self.cdx.json" 2>/dev/null
"$CI_INTEL" sbom generate "$OUT/self" --no-dev -o "$OUT/self-nodev.cdx.json" 2>/dev/null
echo "-- all components:"; python3 bench/peers/compare_sbom.py "$OUT/self.cdx.json" -- $(find "$OUT/self" -name peer.json)
echo "-- without dev-only:"; python3 bench/peers/compare_sbom.py "$OUT/self-nodev.cdx.json" -- $(find "$OUT/self" -name peer.json)
hyperfine -N --warmup 2 --runs 15 --export-json "$OUT/cargo-time.json" \
  -n ci-intel "$CI_INTEL sbom generate $OUT/self -o $OUT/t.cdx.json" \
  -n cargo-cyclonedx "bash -c 'cd $OUT/self && $PEERS/cdx/bin/cargo-cyclonedx cyclonedx --format json --target all --override-filename peer'"

echo "== Python: poetry's lockfile exported as pinned requirements with hashes"
python3 - "$CORPUS/lockfiles/poetry/poetry.lock" "$OUT/py/requirements.txt" <<'PY'
import os, sys, tomllib
lock = tomllib.load(open(sys.argv[1], "rb"))
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
with open(sys.argv[2], "w") as f:
    for p in lock["package"]:
        hashes = " ".join(f"--hash={x['hash']}" for x in p.get("files", []))
        f.write(f"{p['name']}=={p['version']} {hashes}\n")
PY
"$PEERS/sbomv/bin/cyclonedx-py" requirements "$OUT/py/requirements.txt" --of JSON -o "$OUT/py-peer.json" 2>/dev/null
"$CI_INTEL" sbom generate "$OUT/py" -o "$OUT/py.cdx.json" 2>/dev/null
python3 bench/peers/compare_sbom.py "$OUT/py.cdx.json" -- "$OUT/py-peer.json"
hyperfine -N --warmup 2 --runs 15 --export-json "$OUT/py-time.json" \
  -n ci-intel "$CI_INTEL sbom generate $OUT/py -o $OUT/t.cdx.json" \
  -n cyclonedx-py "$PEERS/sbomv/bin/cyclonedx-py requirements $OUT/py/requirements.txt --of JSON -o $OUT/t2.json"

echo "== Validity: official CycloneDX 1.6 schema (strict) and SPDX 2.3 tools"
for d in ripgrep-head ripgrep-0.10.0 axios poetry; do
  "$CI_INTEL" sbom generate "$CORPUS/lockfiles/$d" --format both -o "$OUT/v-$d" 2>/dev/null
done
"$PEERS/sbomv/bin/python" - "$OUT"/v-*.cdx.json "$OUT/self.cdx.json" <<'PY'
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
v = JsonStrictValidator(SchemaVersion.V1_6)
for f in sys.argv[1:]:
    e = v.validate_str(open(f).read())
    print(f.rsplit("/", 1)[-1], "valid" if e is None else f"INVALID {e}")
PY
for f in "$OUT"/v-*.spdx.json; do
  msg=$("$PEERS/sbomv/bin/pyspdxtools" -i "$f" 2>&1 || true)
  echo "$(basename "$f") ${msg:-valid}"
done
echo "-- byte-identical runs:"
"$CI_INTEL" sbom generate "$CORPUS/lockfiles/axios" --format both -o "$OUT/again" 2>/dev/null
cmp "$OUT/v-axios.cdx.json" "$OUT/again.cdx.json" && cmp "$OUT/v-axios.spdx.json" "$OUT/again.spdx.json" && echo identical

echo "== vuln scan: 10,000 components, the whole corpus OSV database"
python3 bench/peers/gen_components.py "$CORPUS/osv" 10000 "$OUT/10k.cdx.json"
"$CI_INTEL" vuln db index --db "$CORPUS/osv" -o "$OUT/osv.idx"
hyperfine -N -i --warmup 2 --runs 15 --export-json "$OUT/vuln-time.json" \
  -n "scan, indexed" "$CI_INTEL vuln scan $OUT/10k.cdx.json --db $OUT/osv.idx -o $OUT/scan.txt" \
  -n "scan, raw database" "$CI_INTEL vuln scan $OUT/10k.cdx.json --db $CORPUS/osv -o $OUT/scan.txt" \
  -n "scan, indexed, JSON of every match" "$CI_INTEL vuln scan $OUT/10k.cdx.json --db $OUT/osv.idx --format json -o $OUT/scan.json"
/usr/bin/time -f "indexed: peak RSS %M KiB, %e s" "$CI_INTEL" vuln scan "$OUT/10k.cdx.json" --db "$OUT/osv.idx" -o /dev/null || true
"$CI_INTEL" vuln scan "$OUT/10k.cdx.json" --db "$OUT/osv.idx" | tail -3 || true
