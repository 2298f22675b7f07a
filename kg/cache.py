"""The build cache: per-article stage results, stored under a content key, never trusted blindly.

An entry is one file ``<dir>/<key[:2]>/<key>.entry``:

    hrkg-cache 1\n
    <sha256 of everything after this line>\n
    <length of the JSON header>\n
    <JSON header: {"meta": …, "parts": [[name, length], …]}>
    <the parts' bytes, in that order>

A missing, truncated or corrupt entry (wrong magic, checksum, lengths or JSON)
reads as a miss and is recomputed; nothing in the cache is executed (JSON and
bytes only, no pickle).  Entries are written to a temporary name and renamed,
so a killed build leaves no half entry.  Deleting the directory is always safe:
the next build is then cold.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

MAGIC = b"hrkg-cache 1\n"


class Cache:
    def __init__(self, directory: Path | None) -> None:
        self.dir = directory
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        assert self.dir is not None
        return self.dir / key[:2] / f"{key}.entry"

    def get(self, key: str) -> tuple[dict, dict[str, bytes]] | None:
        if self.dir is None:
            return None
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None
        return decode(data)

    def put(self, key: str, meta: dict, parts: dict[str, bytes]) -> None:
        if self.dir is None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(encode(meta, parts))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def encode(meta: dict, parts: dict[str, bytes]) -> bytes:
    header = json.dumps({"meta": meta, "parts": [[k, len(v)] for k, v in parts.items()]},
                        sort_keys=True, ensure_ascii=False).encode()
    body = str(len(header)).encode() + b"\n" + header + b"".join(parts.values())
    return MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def decode(data: bytes) -> tuple[dict, dict[str, bytes]] | None:
    if not data.startswith(MAGIC):
        return None
    rest = data[len(MAGIC):]
    digest, sep, body = rest.partition(b"\n")
    if not sep or hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    try:
        length, _, after = body.partition(b"\n")
        n = int(length)
        header = json.loads(after[:n])
        offset = n
        parts = {}
        for name, size in header["parts"]:
            parts[name] = after[offset:offset + size]
            offset += size
        if offset != len(after):
            return None
        return header["meta"], parts
    except (ValueError, KeyError, TypeError):
        return None


def digest(*chunks: bytes | str) -> str:
    """A content key over several inputs (each length-prefixed, so boundaries count)."""
    h = hashlib.sha256()
    for c in chunks:
        b = c.encode() if isinstance(c, str) else c
        h.update(str(len(b)).encode() + b":" + b)
    return h.hexdigest()
