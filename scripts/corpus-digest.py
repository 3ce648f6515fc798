#!/usr/bin/env python3
"""Tree digest of a corpus section, for scripts/fetch-corpus.sh.

The digest is SHA-256 over the sorted lines `<sha256 of file>  <path relative to the section>`,
so it pins every file's content and name. A `README.md` at the section's top is the corpus
curator's description, not source data, and is left out. JSON files of sections marked canonical are hashed in
canonical form (keys sorted, no insignificant white space): those sections are converted from
YAML by the fetch script, and only their content, not a converter's layout, is pinned.

usage: corpus-digest.py DIR [--canonical-json]
"""

import hashlib
import json
import os
import sys


def file_digest(path: str, canonical: bool) -> str:
    with open(path, "rb") as f:
        data = f.read()
    if canonical and path.endswith(".json"):
        data = json.dumps(
            json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    return hashlib.sha256(data).hexdigest()


def tree_digest(root: str, canonical: bool) -> str:
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if rel == "README.md":
                continue
            lines.append(f"{file_digest(path, canonical)}  {rel}\n")
    lines.sort()
    return hashlib.sha256("".join(lines).encode()).hexdigest()


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: corpus-digest.py DIR [--canonical-json]")
    print(tree_digest(sys.argv[1], "--canonical-json" in sys.argv[2:]))
