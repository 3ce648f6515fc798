"""An independent DSSE implementation (Python `cryptography`, PAE written from the DSSE spec).

Usage:
  python dsse_interop.py verify ENVELOPE.json KEY.pub      # exit 0 when a signature verifies
  python dsse_interop.py make OUTDIR                       # Ed25519 and ECDSA P-256 envelopes
                                                           # (and their public keys) for tests
"""

import base64
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def verify(envelope_path, key_path):
    env = json.load(open(envelope_path))
    key = serialization.load_pem_public_key(open(key_path, "rb").read())
    payload = base64.b64decode(env["payload"])
    message = pae(env["payloadType"], payload)
    for s in env["signatures"]:
        sig = base64.b64decode(s["sig"])
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(sig, message)
            else:
                key.verify(sig, message, ec.ECDSA(hashes.SHA256()))
            print("verified")
            return 0
        except Exception:
            continue
    print("no signature verifies")
    return 1


def make(out):
    os.makedirs(out, exist_ok=True)
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "hello.txt", "digest": {"sha256": "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"ref": "refs/tags/v1.0.0", "repository": "https://github.com/acme/app", "path": ".github/workflows/release.yml"}},
                "internalParameters": {},
                "resolvedDependencies": [{"uri": "git+https://github.com/acme/app@refs/tags/v1.0.0", "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}],
            },
            "runDetails": {"builder": {"id": "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0"}, "metadata": {}},
        },
    }
    payload = json.dumps(statement, separators=(",", ":")).encode()
    ptype = "application/vnd.in-toto+json"
    for name, key in [("ed25519", ed25519.Ed25519PrivateKey.generate()), ("p256", ec.generate_private_key(ec.SECP256R1()))]:
        if name == "ed25519":
            sig = key.sign(pae(ptype, payload))
        else:
            sig = key.sign(pae(ptype, payload), ec.ECDSA(hashes.SHA256()))  # DER, as cosign
        env = {"payload": base64.b64encode(payload).decode(), "payloadType": ptype,
               "signatures": [{"keyid": "", "sig": base64.b64encode(sig).decode()}]}
        json.dump(env, open(os.path.join(out, f"python-{name}.dsse.json"), "w"), indent=2)
        pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        open(os.path.join(out, f"python-{name}.pub"), "wb").write(pub)
    open(os.path.join(out, "hello.txt"), "w").write("hello\n")


if __name__ == "__main__":
    if sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    make(sys.argv[2])
