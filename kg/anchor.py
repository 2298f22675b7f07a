"""Anchor exact quotes in an article: find the character span a quote occupies.

Matching folds a few characters one-to-one (so offsets never shift): every
whitespace character (the articles contain U+00A0 no-break spaces) matches a
plain space, and typographic quotes and apostrophes match straight ones.
Nothing fuzzier.  The graph records the article's own characters.
Offsets are Unicode code points, as Python ``str`` indexes them and as the
W3C Web Annotation ``TextPositionSelector`` defines them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

_FOLD = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
}

CONTEXT = 32  # code points of prefix / suffix kept in a TextQuoteSelector


def fold(text: str) -> str:
    """The one-to-one matching form of ``text`` (same length, same offsets)."""
    return "".join(" " if ch.isspace() else _FOLD.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class QuoteNotFound(Exception):
    def __init__(self, nearest: str, differs_at: int, nearest_start: int) -> None:
        self.nearest = nearest
        self.differs_at = differs_at
        self.nearest_start = nearest_start


class QuoteAmbiguous(Exception):
    def __init__(self, starts: list[int]) -> None:
        self.starts = starts


class Article:
    """An article's text with its folded form, for repeated lookups."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)

    def occurrences(self, quote: str) -> list[int]:
        needle = fold(quote)
        starts, i = [], self.folded.find(needle)
        while i != -1 and needle:
            starts.append(i)
            i = self.folded.find(needle, i + 1)
        return starts

    def locate(self, quote: str, occurrence: int | None = None, prefix: str | None = None,
               within: Span | None = None) -> Span:
        """The span of ``quote``.

        Several occurrences are an error unless ``occurrence`` (1-based) picks
        one, ``prefix`` (the words right before it) singles one out, or
        ``within`` restricts the search to an enclosing span.
        """
        starts = self.occurrences(quote)
        if within is not None:
            starts = [s for s in starts if within.start <= s and s + len(quote) <= within.end]
        if prefix is not None:
            fp = fold(prefix)
            starts = [s for s in starts if self.folded[:s].endswith(fp)]
        if not starts:
            self._not_found(quote, within)
        if occurrence is not None:
            if not 1 <= occurrence <= len(starts):
                raise QuoteAmbiguous(starts)
            starts = [starts[occurrence - 1]]
        if len(starts) > 1:
            raise QuoteAmbiguous(starts)
        return Span(starts[0], starts[0] + len(quote))

    def _not_found(self, quote: str, within: Span | None) -> None:
        lo, hi = (within.start, within.end) if within else (0, len(self.text))
        hay, needle = self.folded[lo:hi], fold(quote)
        start, length = self._nearest(hay, needle)
        window = hay[start:start + length]
        differs = next((i for i, (a, b) in enumerate(zip(window, needle)) if a != b), min(len(window), len(needle)))
        raise QuoteNotFound(self.text[lo + start:lo + start + length], differs, lo + start)

    @staticmethod
    def _nearest(hay: str, needle: str, slack: int = 12) -> tuple[int, int]:
        """The (start, length) of the passage of ``hay`` most like ``needle``.

        Anchored on the longest common blocks, then the start and length are
        tuned within ``slack`` characters to maximise difflib's ratio.
        """
        blocks = difflib.SequenceMatcher(None, hay, needle, autojunk=False).get_matching_blocks()
        anchors = sorted({max(0, b.a - b.b) for b in sorted(blocks, key=lambda b: -b.size)[:4] if b.size})
        best = (-1.0, 0, min(len(needle), len(hay)))
        for anchor_start in anchors or [0]:
            for start in range(max(0, anchor_start - slack), min(len(hay), anchor_start + slack) + 1):
                for length in range(max(1, len(needle) - slack), len(needle) + slack + 1):
                    window = hay[start:start + length]
                    sm = difflib.SequenceMatcher(None, window, needle, autojunk=False)
                    if sm.real_quick_ratio() <= best[0] or sm.quick_ratio() <= best[0]:
                        continue
                    ratio = sm.ratio()
                    if ratio > best[0]:
                        best = (ratio, start, length)
        return best[1], best[2]

    def line_col(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, col

    def prefix(self, span: Span) -> str:
        return self.text[max(0, span.start - CONTEXT):span.start]

    def suffix(self, span: Span) -> str:
        return self.text[span.end:span.end + CONTEXT]
