"""A CycloneDX SBOM of N components for the vulnerability-scan benchmark (bench/sbom.sh):
packages named in the OSV database (so every lookup finds candidate advisories) with versions
drawn from their advisories' events, plus unrelated packages; deterministic (seeded).

    gen_components.py OSV_DIR N OUT.cdx.json
"""
import json
import os
import random
import sys

osv, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(42)
eco_purl = {"crates.io": "cargo", "PyPI": "pypi", "Go": "golang", "npm": "npm"}
pool = []
for eco in sorted(os.listdir(osv)):
    d = os.path.join(osv, eco)
    if not os.path.isdir(d):
        continue
    for f in sorted(os.listdir(d)):
        rec = json.load(open(os.path.join(d, f)))
        for a in rec.get("affected", []):
            p = a.get("package", {})
            versions = [v for r in a.get("ranges", []) if r.get("type") != "GIT" for e in r.get("events", []) for v in e.values()]
            versions = [v for v in versions if v != "0"] or ["1.0.0"]
            pool.append((eco_purl.get(p.get("ecosystem", "").split(":")[0]), p.get("name"), versions))
pool = [p for p in pool if p[0] and p[1]]
components, seen = [], set()
while len(components) < n:
    if rng.random() < 0.7:
        ty, name, versions = rng.choice(pool)
        version = rng.choice(versions)
    else:
        ty, name, version = rng.choice(["cargo", "pypi", "golang"]), f"unrelated-{len(components)}", "1.0.0"
    if ty == "golang" and not version.startswith("v"):
        version = "v" + version
    purl = f"pkg:{ty}/{name}@{version}"
    if purl in seen:
        continue
    seen.add(purl)
    components.append({"type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl})
json.dump({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components}, open(out, "w"))
print(f"{len(components)} components -> {out}")
