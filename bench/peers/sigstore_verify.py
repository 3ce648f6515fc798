"""sigstore-python's offline verdicts on the same bundles ci-intel verifies (bench/sigstore.sh).

    sigstore_verify.py one ROOT BUNDLE ARTIFACT        # one verification, exit 0 / 1
    sigstore_verify.py loop N ROOT BUNDLE ARTIFACT     # N in-process verifications, prints seconds
    sigstore_verify.py conformance DIR PRODUCTION_ROOT # "name verdict reason" per case

Identity policy: UnsafeNoOp for `one`/`loop` (ci-intel is run with `.*` patterns to match);
the conformance cases use their identity and issuer (defaults from the suite's README).
"""
import sys
import time
from pathlib import Path

import logging

from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy

IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISSUER = "https://token.actions.githubusercontent.com"


def verify(root: str, bundle_path: str, artifact: bytes, pol) -> None:
    verifier = Verifier(trusted_root=TrustedRoot.from_file(root))
    bundle = Bundle.from_json(Path(bundle_path).read_bytes())
    if bundle._dsse_envelope is not None:
        verifier.verify_dsse(bundle, pol)
    else:
        verifier.verify_artifact(artifact, bundle, pol)


def main() -> int:
    logging.disable(logging.WARNING)  # the no-op policy warns on every call
    mode = sys.argv[1]
    if mode == "one":
        root, bundle, artifact = sys.argv[2:5]
        try:
            verify(root, bundle, Path(artifact).read_bytes(), policy.UnsafeNoOp())
        except Exception as e:  # noqa: BLE001 - any refusal is a refusal
            print(f"refused: {e}", file=sys.stderr)
            return 1
        return 0
    if mode == "loop":
        n, root, bundle, artifact = int(sys.argv[2]), *sys.argv[3:6]
        data = Path(artifact).read_bytes()
        start = time.perf_counter()
        for _ in range(n):
            verify(root, bundle, data, policy.UnsafeNoOp())
        print(f"{(time.perf_counter() - start) / n:.6f}")
        return 0
    if mode == "conformance":
        base, production = Path(sys.argv[2]), sys.argv[3]
        for case in sorted(p for p in base.iterdir() if p.is_dir()):
            root = case / "trusted_root.json"
            artifact = case / "artifact" if (case / "artifact").exists() else base / "a.txt"
            ident = (case / "identity").read_text().strip() if (case / "identity").exists() else IDENTITY
            issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else ISSUER
            if (case / "key.pub").exists():
                print(f"{case.name} skipped managed-key")
                continue
            try:
                verify(str(root) if root.exists() else production, str(case / "bundle.sigstore.json"),
                       artifact.read_bytes(), policy.Identity(identity=ident, issuer=issuer))
                print(f"{case.name} verified")
            except Exception as e:  # noqa: BLE001
                print(f"{case.name} refused {type(e).__name__}: {' '.join(str(e).split())[:100]}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
