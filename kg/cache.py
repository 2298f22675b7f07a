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

Beside the entries, ``<dir>/files.json`` remembers the SHA-256 of each source file
a build read, by what ``stat`` says of it (size, modification and change times
in nanoseconds, inode, device), as git's index and make do: a lookup of 10,000
articles then reads none of their 20,000 files unless one changed.  Any write,
rename or ``touch`` changes the change time, which no tool sets back; a file
changed in the last two seconds is not remembered (it could change again within
one timestamp tick); the file carries its own checksum, and a bad one is ignored.

And ``<dir>/headers.json`` holds the headers (metas) of the entries the last build read, each
with its entry file's stat signature (size, modification and change times, inode, device), in
one file with its own checksum: a lookup of 10,000 articles then reads one file, not 10,000
(0.57 s warm, more after the dumps' writes have pushed the entries out of the page cache). A
header is taken from it only while the entry file's stat is the one recorded; a rewritten,
truncated, touched or removed entry is read from its file as before. A bad index is ignored.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
from pathlib import Path

MAGIC = b"hrkg-cache 2\n"
CACHE_DIR = ".cache"   # under a build's --out: the cache's directory (kg.build, the CLI's defaults)


class Cache:
    INDEX = "headers.json"

    def __init__(self, directory: Path | None) -> None:
        self.dir = directory
        self._metas: dict[str, dict] = {}     # headers read in this process (a kg add assesses more than once)
        self._sigs: dict[str, list] = {}      # the stat signature of the entry file each was read from
        self._files: FileDigests | None = None
        self._index: dict[str, list] | None = None   # headers.json: key -> signature + [meta]
        self._pending: list[tuple] = []               # see put_later

    @property
    def files(self) -> "FileDigests":
        """The source files' SHA-256, remembered by their stat (read when first needed)."""
        if self._files is None:
            self._files = FileDigests(self.dir / FileDigests.NAME if self.dir is not None else None)
        return self._files

    def _path(self, key: str) -> Path:
        assert self.dir is not None
        return self.dir / key[:2] / f"{key}.entry"

    def meta(self, key: str) -> dict | None:
        """An entry's meta, its header checksum verified, without reading its parts."""
        if self.dir is None:
            return None
        if key in self._metas:
            return self._metas[key]
        path = self._path(key)
        indexed = self._indexed().get(key)
        if indexed is not None:
            try:
                sig = _sig(os.stat(path))
            except OSError:
                return None
            if sig == indexed[:-1]:
                self._metas[key], self._sigs[key] = indexed[-1], sig
                return indexed[-1]
        try:
            with open(path, "rb") as fh:
                found = _read_header(fh)
                sig = _sig(os.fstat(fh.fileno()))
        except OSError:
            return None
        if found is not None:
            self._metas[key], self._sigs[key] = found[0]["meta"], sig
            return found[0]["meta"]
        return None

    def _indexed(self) -> dict[str, list]:
        if self._index is None:
            self._index = {}
            found = _read_checked(self.dir / self.INDEX)
            if isinstance(found, dict) and all(isinstance(v, list) and len(v) == 6 and isinstance(v[-1], dict)
                                               for v in found.values()):
                self._index = found
        return self._index

    def save_index(self, keys) -> None:
        """Keep the headers of the entries ``keys`` names (a build's articles) in the index, atomically;
        nothing is written if it already holds exactly those."""
        if self.dir is None:
            return
        index = {}
        for key in sorted(set(keys)):
            meta = self.meta(key)
            if meta is not None and key in self._sigs:
                index[key] = self._sigs[key] + [meta]
        if index == self._indexed():
            return
        _write_checked(self.dir / self.INDEX, index)
        self._index = index

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
        self._sigs.pop(key, None)

    def put_later(self, key: str, meta: dict, parts: dict[str, bytes]) -> None:
        """An entry to ``put`` once the caller knows its inputs are good (``put_pending``): a build
        stopped by an input error writes nothing, not even its cache directory."""
        self._pending.append((key, meta, parts))

    def put_pending(self) -> None:
        pending, self._pending = self._pending, []
        for entry in pending:
            self.put(*entry)

    def delete(self, key: str) -> None:
        """Remove an entry (no error if there is none)."""
        if self.dir is None:
            return
        self._path(key).unlink(missing_ok=True)
        self._metas.pop(key, None)
        self._sigs.pop(key, None)


def _sig(st: os.stat_result) -> list[int]:
    """A file's stat signature: size, modification and change times (ns), inode, device."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _read_checked(path: Path):
    """The JSON value of a file ``_write_checked`` wrote, or None if it is missing or damaged."""
    try:
        sha, _, body = path.read_bytes().partition(b"\n")
        return json.loads(body) if hashlib.sha256(body).hexdigest().encode() == sha else None
    except (OSError, ValueError):
        return None


def _write_checked(path: Path, value) -> None:
    """``value`` as JSON under its SHA-256 (one line before it), replaced atomically."""
    body = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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


class FileDigests:
    """SHA-256 of files, remembered by their stat signature in one small JSON file (see above)."""

    NAME = "files.json"
    SETTLED_NS = 2_000_000_000   # a file changed more recently than this is hashed every time

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.known: dict[str, list] = {}
        self.used: dict[str, list] = {}    # what this process looked up: what the next one will want
        self._saved: dict[str, list] = {}  # what the file holds
        found = _read_checked(path) if path is not None else None
        if isinstance(found, dict):
            self.known = found
            self._saved = dict(found)

    def sha256(self, path: Path | str) -> str:
        """The file's SHA-256 (hex): remembered if its stat is as when it was hashed, else read."""
        p = os.fspath(path)
        st = os.stat(p)
        sig = _sig(st)
        k = self.known.get(p)
        if isinstance(k, list) and len(k) == 6 and k[:5] == sig:
            self.used[p] = k
            return k[5]
        with open(p, "rb") as fh:
            data = fh.read()
        sha = hashlib.sha256(data).hexdigest()
        if len(data) == st.st_size and time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > self.SETTLED_NS:
            self.known[p] = self.used[p] = sig + [sha]
        return sha

    def save(self) -> None:
        """Keep what this process looked up (a file no longer read is forgotten), atomically."""
        if self.path is None or not self.used:
            return
        if self.used == self._saved:
            return
        _write_checked(self.path, self.used)
        self._saved = dict(self.used)


def digest(*chunks: bytes | str) -> str:
    """A content key over several inputs (each length-prefixed, so boundaries count)."""
    h = hashlib.sha256()
    for c in chunks:
        b = c.encode() if isinstance(c, str) else c
        h.update(str(len(b)).encode() + b":" + b)
    return h.hexdigest()
