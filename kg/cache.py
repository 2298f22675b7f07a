"""The build cache: per-article stage results, stored under a content key, never trusted blindly.

An entry is one file ``<dir>/<key[:2]>/<key>.entry``:

    hrkg-cache 2\n
    <length of the JSON header>\n
    <sha256 of the JSON header>\n
    <sha256 of the parts' bytes>\n
    <JSON header: {"meta": …, "parts": [[name, length], …]}>
    <the parts' bytes, in that order>

The header has its own checksum so that a lookup (:meth:`Cache.meta`: is this
article's result still good?) reads and checks a few kilobytes, not the
article's dump fragments, which only the dump and store writers read
(:meth:`Cache.get`, which checks both).

A missing, truncated or corrupt entry (wrong magic, checksum, lengths or JSON)
reads as a miss and is recomputed; nothing in the cache is executed (JSON and
bytes only, no pickle).  Entries are written to a temporary name and renamed,
so a killed build leaves no half entry.  Deleting the directory is always safe:
the next build is then cold.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

MAGIC = b"hrkg-cache 2\n"


class Cache:
    def __init__(self, directory: Path | None) -> None:
        self.dir = directory
        self._metas: dict[str, dict] = {}     # headers read in this process (a kg add assesses more than once)

    def _path(self, key: str) -> Path:
        assert self.dir is not None
        return self.dir / key[:2] / f"{key}.entry"

    def meta(self, key: str) -> dict | None:
        """An entry's meta, its header checksum verified, without reading its parts."""
        if self.dir is None:
            return None
        if key in self._metas:
            return self._metas[key]
        try:
            with open(self._path(key), "rb") as fh:
                found = _read_header(fh)
        except OSError:
            return None
        if found is not None:
            self._metas[key] = found[0]["meta"]
            return found[0]["meta"]
        return None

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
        self._metas.pop(key, None)

    def delete(self, key: str) -> None:
        """Remove an entry (no error if there is none)."""
        if self.dir is None:
            return
        self._path(key).unlink(missing_ok=True)
        self._metas.pop(key, None)


def encode(meta: dict, parts: dict[str, bytes]) -> bytes:
    header = json.dumps({"meta": meta, "parts": [[k, len(v)] for k, v in parts.items()]},
                        sort_keys=True, ensure_ascii=False).encode()
    body = b"".join(parts.values())
    return (MAGIC + str(len(header)).encode() + b"\n" + hashlib.sha256(header).hexdigest().encode() + b"\n"
            + hashlib.sha256(body).hexdigest().encode() + b"\n" + header + body)


def _read_header(fh) -> tuple[dict, bytes] | None:
    """(header, sha256 of the parts as recorded) from an open entry, or None if it is not a good one."""
    if fh.read(len(MAGIC)) != MAGIC:
        return None
    try:
        n = int(fh.readline(32))
        header_sha, body_sha = fh.readline(80).strip(), fh.readline(80).strip()
        raw = fh.read(n)
        if len(raw) != n or hashlib.sha256(raw).hexdigest().encode() != header_sha:
            return None
        header = json.loads(raw)
        if not isinstance(header, dict) or "meta" not in header or not isinstance(header.get("parts"), list):
            return None
        return header, body_sha
    except (ValueError, TypeError):
        return None


def decode(data: bytes) -> tuple[dict, dict[str, bytes]] | None:
    fh = io.BytesIO(data)
    found = _read_header(fh)
    if found is None:
        return None
    header, body_sha = found
    body = fh.read()
    if hashlib.sha256(body).hexdigest().encode() != body_sha:
        return None
    try:
        offset, parts = 0, {}
        for name, size in header["parts"]:
            parts[name] = body[offset:offset + size]
            offset += size
        if offset != len(body):
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
