"""The article header of an annotation file: which article, its sha256, title, publisher and dates.

Each field's error is collected on its own, so that a bad header does not hide
the errors of the claims (kg.load reads those).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from . import limits, source
from .errors import InputError, collect
from .model import Article, Basis, Precision, Publisher
from .source import Fields, Node, YMap, as_text, parse_date, suggest

ARTICLES_DIR = "articles"
SHA_RE = re.compile(r"^[0-9a-f]{64}\Z")
ARTICLE_KEYS = ["file", "sha256", "title", "publisher", "published", "curator", "annotated_on", "draft"]
DRAFT_FIX = "review what it says against the article, then delete the `draft:` line (see README \"Drafting an annotation\")"


def article_number(file_name: str) -> str:
    """`005_fixture.txt` -> `005`: the key its annotation file is named after."""
    return Path(file_name).stem.split("_", 1)[0]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _short(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class HeaderReader:
    """Mixed into kg.load.ArticleLoader, which provides ``src``, ``root`` and ``ref``."""

    src: object
    root: str

    def _article_meta(self, key: str, display: str, node: Node, errors: list[InputError]) -> Article | None:
        """The article header.  Each field's error is collected on its own, so that a bad
        header does not hide the claims' errors; only an unknown article file stops the
        claims from being checked (there is no text to anchor them in)."""
        required = ["file", "sha256", "title", "published", "curator", "annotated_on"]
        f = collect(errors, Fields, node, "`article`", ARTICLE_KEYS, required)
        if f is None:
            if not isinstance(node, YMap):
                return None
            f = Fields(node, "`article`", list(node.entries))
        fname = collect(errors, self._article_file, key, f)
        if fname is None:
            return None
        apath, adisplay = self.src.articles[fname]
        sha = collect(errors, self._sha256, f, apath, adisplay) or ""
        text = source.read_text(apath, adisplay)
        publisher = collect(errors, self._publisher, f.get("publisher")) if f.get("publisher") is not None else None
        title = collect(errors, self._title, f.get("title")) if f.get("title") is not None else None
        published = collect(errors, parse_date, f.get("published"), "published") if f.get("published") else None
        annotated = collect(errors, self._annotated_on, f.get("annotated_on")) if f.get("annotated_on") else None
        if f.get("draft") is not None:
            errors.append(InputError(node.key_pos("draft"), f"the article header is a draft: {_short(f.text('draft'), 160)}", DRAFT_FIX))
        return Article(key, fname, sha, text, title[0] if title else "", title[1] if title else None, publisher, published,
                       f.text("curator") or "", annotated or "", display, [], node.pos)

    def _article_file(self, key: str, f: Fields) -> str:
        fname = as_text(f.get("file"), "file") if f.get("file") is not None else None
        fnode = f.get("file")
        if fname is None:
            raise InputError(f.node.pos, "`article` lacks required `file`", "add `file:` naming the article under " + f"{self.root}/{ARTICLES_DIR}/")
        if "/" in fname or "\\" in fname or fname.startswith("."):
            raise InputError(fnode.pos, f"article file {fname!r} must be a plain file name", f"put the file in {self.root}/{ARTICLES_DIR}/ and name it only")
        if fname not in self.src.articles:
            raise InputError(fnode.pos, f"article file {self.root}/{ARTICLES_DIR}/{fname} does not exist",
                             suggest(fname, sorted(self.src.articles), "article files"))
        if article_number(fname) != key:
            raise InputError(fnode.pos, f"annotation file {key}.yaml names article {fname}, whose number is {article_number(fname)}",
                             f"an annotation file is named after its article's number: name it {article_number(fname)}.yaml, "
                             f"or give the article the number {key}")
        return fname

    def _sha256(self, f: Fields, apath: Path, adisplay: str) -> str:
        # the size limit is checked before the article is read or hashed
        actual = hashlib.sha256(source.read_bytes(apath, adisplay, limits.ARTICLE_BYTES)).hexdigest()
        node = f.get("sha256")
        if node is None:
            raise InputError(f.node.pos, "`article` lacks required `sha256`", f"add `sha256: {actual}`")
        sha = as_text(node, "sha256").strip().lower()
        new = not apath.resolve().is_relative_to(self.src.seeds.resolve())
        if not SHA_RE.match(sha):
            raise InputError(node.pos, "`sha256` is not 64 hexadecimal digits",
                             f"record this sha256: {actual}" if new else f"run `sha256sum {adisplay}`")
        if actual != sha:
            if new:
                raise InputError(node.pos, f"the sha256 of {adisplay} is {actual}, the annotation records {sha}",
                                 f"record this sha256: {actual}")
            raise InputError(node.pos,
                             f"{adisplay} has changed: its sha256 is {actual}, the annotation records {sha}",
                             "articles are never edited: restore the original text (annotations are anchored to it)")
        return sha

    def _publisher(self, pnode: Node) -> Publisher:
        basis, note = Basis.STATED, None
        if isinstance(pnode, YMap):
            pf = Fields(pnode, "`publisher`", ["entity", "inferred"], ["entity"])
            note = pf.text("inferred")
            basis = Basis.INFERRED if note else Basis.STATED
            pnode = pf.get("entity")
        return Publisher(self.ref(pnode, "publisher", frozenset({"Media"})), basis, note)

    @staticmethod
    def _title(title: Node) -> tuple[str, str | None]:
        note = None
        if isinstance(title, YMap):
            tf = Fields(title, "`title`", ["value", "inferred"], ["value", "inferred"])
            title, note = tf.get("value"), tf.text("inferred")
        return as_text(title, "title").strip(), note

    @staticmethod
    def _annotated_on(node: Node) -> str:
        annotated = parse_date(node, "annotated_on")
        if annotated.precision is not Precision.DAY:
            raise InputError(node.pos, "`annotated_on` must be a full date", "write YYYY-MM-DD")
        return annotated.lexical
