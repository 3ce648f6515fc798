#!/usr/bin/env bash
# Fetches the test corpus (real workflows, advisories, lockfiles, Sigstore bundles, CI logs,
# Terraform outputs) from its public sources at pinned commits, and verifies every section
# against its pinned tree digest (scripts/corpus-digest.py), so a test never runs on data
# that differs from what its assertions were written against.
#
#   scripts/fetch-corpus.sh [DEST]          fetch into DEST (default: $CI_INTEL_CORPUS, else
#                                           ../shared/corpus beside the repository)
#   scripts/fetch-corpus.sh --check [DIR]   verify an existing corpus only (no network)
#
# Then run the tests with CI_INTEL_CORPUS=DEST (or with DEST at ../shared/corpus).
# Needs curl, tar and python3 (plus PyYAML for the PyPI advisories, installed into a scratch
# virtualenv when missing).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
check_only=0
if [ "${1:-}" = "--check" ]; then
    check_only=1
    shift
fi
dest="${1:-${CI_INTEL_CORPUS:-$here/../../shared/corpus}}"

# section | pinned tree digest | digest flags
pins() {
    cat <<'PINS'
workflows/electron+electron|0df5d785295195b2f496390db932cefedfbdcdf2fffa52c5b36b49dec1fc3f68|
workflows/huggingface+diffusers|b1f489deb82f4610c4f1271f24ead73bcce1beb7e99de219ba18ffcd618e1ffa|
workflows/pulumi+pulumi|ad58e994f3523b9251d52544352cedbef72de3eba559648e3580ae5b9f02bad9|
workflows/astral-sh+ruff|5ca9961a8fcdff8a17015d2413c742c476f868a000b9e9d27b88b7b84ed1277c|
workflows/microsoft+playwright|20acf4753a5abe7efd45791fd266fa9cb07e1fa05518b5bfda02f5deb32a7fa4|
osv/crates.io|9e9e2389045e838606f5058dc4dc2b387b19508ccdc1da1a4fae71000933a119|
osv/Go|576a945edd2fbae62839b46ffa8717192c8b00c437b89acccc764dbb8f975ae5|
osv/PyPI|ae1a2534fc79d02a3b775f920710bbef53775f1482529529d42d9185ce57542c|--canonical-json
lockfiles|d78b948d2f4e78a28dc0a09c01135a3af4921b8019fe18097071d9e7b65a9560|
sigstore|59162c0c88de2b479e96b840bfeafc05f88dada6ae2692d73f57c00211483785|
ci-logs|480a9b24d2452bea2c37b9f8bf5a8a93b92c513da5c06969272da70ce7ec8e79|
terraform|6bc97884840266dee0cd5d228e61d5969d0dad37a0287cded8b49576461a8ea7|
PINS
}

verify() {
    local failed=0 section want flags got
    while IFS='|' read -r section want flags; do
        if [ ! -d "$dest/$section" ]; then
            echo "MISSING  $section" >&2
            failed=1
            continue
        fi
        # shellcheck disable=SC2086
        got="$(python3 "$here/corpus-digest.py" "$dest/$section" $flags)"
        if [ "$got" = "$want" ]; then
            echo "ok       $section"
        else
            echo "DIFFERS  $section (tree digest $got, pinned $want)" >&2
            failed=1
        fi
    done < <(pins)
    return "$failed"
}

if [ "$check_only" = 1 ]; then
    verify
    exit
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Downloads OWNER/REPO at COMMIT and unpacks it into $work/REPO-COMMIT; prints that path.
repo() {
    local slug="$1" commit="$2" out="$work/${1//\//_}-$2"
    if [ ! -d "$out" ]; then
        mkdir -p "$out"
        curl -fsSL --retry 3 "https://codeload.github.com/$slug/tar.gz/$commit" |
            tar -xz -C "$out" --strip-components=1
    fi
    echo "$out"
}

mkdir -p "$dest"
for w in electron/electron@96f3996d8d3ce6e2fcfb86326fc4b953b53936fb \
    huggingface/diffusers@58eb52c0803ea9af3abec60841c2a093bdf1f951 \
    pulumi/pulumi@1b5949891b3cefcb9974752b24a5ecef0acc86c8 \
    astral-sh/ruff@fca5c7cf2cd2f8338f18b9485f936b8e9f07bd0b \
    microsoft/playwright@d4e1023f6c03a8dced50eb3db88c2217e7c1a86a; do
    slug="${w%@*}"
    src="$(repo "$slug" "${w#*@}")"
    to="$dest/workflows/${slug/\//+}/.github"
    mkdir -p "$to" && cp -r "$src/.github/workflows" "$to/"
done

src="$(repo rustsec/advisory-db 7fa931cb90251ad2affbddac32885f3ed29a63eb)"
mkdir -p "$dest/osv/crates.io" && cp "$src"/crates/*.json "$dest/osv/crates.io/"
src="$(repo golang/vulndb a752ea54fd1b989d208a270aeef772f55a36b87a)"
mkdir -p "$dest/osv/Go" && cp "$src"/data/osv/*.json "$dest/osv/Go/"

# PyPA publishes OSV as YAML: the same records as JSON, dates as RFC 3339.
src="$(repo pypa/advisory-database 3ccb612573e2511ab5cad7dafecd838605c80cda)"
py=python3
if ! python3 -c 'import yaml' 2>/dev/null; then
    python3 -m venv "$work/venv" && "$work/venv/bin/pip" -q install pyyaml
    py="$work/venv/bin/python"
fi
mkdir -p "$dest/osv/PyPI"
"$py" - "$src/vulns" "$dest/osv/PyPI" <<'PY'
import datetime, json, pathlib, sys, yaml
def plain(v):
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v
for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.yaml")):
    doc = plain(yaml.safe_load(f.read_text()))
    out = pathlib.Path(sys.argv[2]) / (f.stem + ".json")
    out.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
PY

lock() { # lockfiles/DIR from REPO@COMMIT, the files named
    local to="$dest/lockfiles/$1" src
    src="$(repo "$2" "$3")"
    shift 3
    mkdir -p "$to"
    for f in "$@"; do cp "$src/$f" "$to/"; done
}
lock ripgrep-head BurntSushi/ripgrep 3fce3b5b Cargo.toml Cargo.lock
lock ripgrep-0.10.0 BurntSushi/ripgrep 0.10.0 Cargo.lock
lock axios axios/axios 23a25af0 package.json package-lock.json
lock poetry python-poetry/poetry f46702336 pyproject.toml poetry.lock

src="$(repo sigstore/sigstore-python 27db13db157ecae5606eb22ec0be299ef348c370)"
mkdir -p "$dest/sigstore/bundles" "$dest/sigstore/trusted_root" "$dest/sigstore/slsa"
for f in bundle.txt bundle_v3.txt bundle_v3_alt.txt staging-rekor-v2.txt a.dsse.staging-rekor-v2.txt \
    bundle_cve_2022_36056.txt bundle_invalid_version.txt bundle_no_log_entry.txt bundle_no_checkpoint.txt; do
    cp "$src/test/assets/$f" "$src"/test/assets/"$f".sigstore* "$dest/sigstore/bundles/"
done
cp "$src/sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/trusted_root.json" \
    "$dest/sigstore/trusted_root/production.trusted_root.json"
cp "$src/sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstage.dev/trusted_root.json" \
    "$dest/sigstore/trusted_root/staging.trusted_root.json"
cp "$src"/test/assets/integration/slsa_predicate_v*.json "$dest/sigstore/slsa/"
src="$(repo sigstore/sigstore-conformance a73de4970176d258e0154c530b89d20b89444e4d)"
cp -r "$src/test/assets/bundle-verify" "$dest/sigstore/conformance"

src="$(repo labri-progress/cidiff 3cad9e8e4278e0eea38551b4f71cc1cf08bd9d14)"
mkdir -p "$dest/ci-logs/cidiff"
cp -r "$src"/dataset/breakages "$src"/dataset/other_cases "$dest/ci-logs/cidiff/"

src="$(repo hashicorp/terraform-json 5a1ca9230975ec15a9885e4a35b755646fda3028)"
mkdir -p "$dest/terraform" && cp -r "$src/testdata" "$src/LICENSE" "$dest/terraform/"

verify
