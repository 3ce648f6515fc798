"""Compares the components of two sets of CycloneDX files: ours and a peer's (bench/sbom.sh).

    compare_sbom.py OURS.cdx.json -- PEER.json [PEER.json ...]

Components are compared by name@version (purl spellings differ between tools); the peer's
per-crate files are united, their own workspace crates left out. Prints counts and every
difference.
"""
import json
import sys


def components(path, skip_local=False):
    doc = json.load(open(path))
    out = {}

    def walk(list_):
        for c in list_ or []:
            purl = c.get("purl", "")
            if skip_local and "download_url=file" in purl:
                continue
            out[f"{c['name']}@{c.get('version', '')}"] = c
            walk(c.get("components"))

    walk(doc.get("components"))
    return out


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    ours = {}
    for p in args[:sep]:
        ours.update(components(p))
    peer = {}
    for p in args[sep + 1:]:
        peer.update(components(p, skip_local=True))
    only_ours = sorted(set(ours) - set(peer))
    only_peer = sorted(set(peer) - set(ours))
    print(f"ours: {len(ours)}  peer: {len(peer)}  common: {len(set(ours) & set(peer))}")
    print(f"only ours ({len(only_ours)}):", ", ".join(f"{k} [{ours[k].get('scope', '')}]" for k in only_ours))
    print(f"only peer ({len(only_peer)}):", ", ".join(only_peer))


main()
