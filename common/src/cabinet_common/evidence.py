"""Where receipt files are kept: content-addressed by SHA-256 behind a small interface.
Intake writes them; the receipts service only reads them, by the SHA-256 that
FormSubmitted carries (the event is the claim check, the store holds the bytes: a 10MB
scan never travels on Kafka). It is storage both are given, like a bucket, not either
service's database.

The address of a file is the SHA-256 of its bytes, never the client's file name, so the
same receipt stored twice is one object, and nothing a client sends can choose a path.
`LocalEvidenceStore` keeps them on disk (the default); an S3-compatible adapter would
implement the same four methods with keys like `sha256/ab/abcdef…` (put with
`If-None-Match: *`, get, head)."""

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

_SHA256 = re.compile(r"[0-9a-f]{64}")


class EvidenceNotFound(KeyError):
    pass


@runtime_checkable
class EvidenceStore(Protocol):
    def put(self, content: bytes) -> str:
        """Store the bytes (once) and return their SHA-256 in lowercase hex."""
        ...

    def read(self, sha256: str) -> bytes:
        """The stored bytes; EvidenceNotFound if there are none."""
        ...

    def exists(self, sha256: str) -> bool: ...


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _checked(sha256: str) -> str:
    if _SHA256.fullmatch(sha256) is None:
        raise ValueError("a SHA-256 is 64 lowercase hex digits")
    return sha256


class LocalEvidenceStore:
    """Files under `root/ab/abcdef…`, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def path_of(self, sha256: str) -> Path:
        sha256 = _checked(sha256)
        return self._root / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        sha256 = sha256_of(content)
        target = self.path_of(sha256)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
                tmp.write(content)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp.name, target)
        return sha256

    def read(self, sha256: str) -> bytes:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError as error:
            raise EvidenceNotFound(sha256) from error

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()
