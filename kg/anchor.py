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
import time
from collections import Counter
from dataclasses import dataclass

from . import limits

_FOLD = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
}

CONTEXT = 32  # code points of prefix / suffix kept in a TextQuoteSelector
EDGE = 64     # characters compared at each end of a long quote when searching for the nearest passage
GRAMS = 64    # k-grams of a quote looked up in the article to align it


# every character str.isspace() holds true (tests/test_anchor.py checks the list against it)
SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
          "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_TABLE = str.maketrans({**{ch: " " for ch in SPACES}, **_FOLD})


def fold(text: str) -> str:
    """The one-to-one matching form of ``text`` (same length, same offsets)."""
    return text.translate(_TABLE)


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
        """The (start, length) of the passage of ``hay`` most like ``needle``, in bounded time.

        Candidate alignments are voted for by sampled k-grams of ``needle``
        found in ``hay`` (linear in the article, whatever the quote's length);
        the best few are then tuned within ``slack`` characters to maximise
        difflib's ratio -- over the whole window for a short quote, over its
        first and last ``EDGE`` characters for a long one.  The tuning stops at
        ``limits.NEAREST_SECONDS``, keeping the best passage found so far.
        """
        if not hay or not needle:
            return 0, min(len(needle), len(hay))
        deadline = time.monotonic() + limits.NEAREST_SECONDS
        anchors = _anchors(hay, needle)
        if len(needle) <= 2 * EDGE:
            best = (-1.0, anchors[0], min(len(needle), len(hay)))
            for anchor_start in anchors:
                for start in range(max(0, anchor_start - slack), min(len(hay), anchor_start + slack) + 1):
                    if time.monotonic() > deadline:
                        return best[1], best[2]
                    for length in range(max(1, len(needle) - slack), len(needle) + slack + 1):
                        sm = difflib.SequenceMatcher(None, hay[start:start + length], needle, autojunk=False)
                        if sm.real_quick_ratio() <= best[0] or sm.quick_ratio() <= best[0]:
                            continue
                        ratio = sm.ratio()
                        if ratio > best[0]:
                            best = (ratio, start, length)
            return best[1], best[2]
        head, tail = needle[:EDGE], needle[-EDGE:]
        best_score, best_start, best_length = -1.0, anchors[0], len(needle)
        for anchor_start in anchors:
            if time.monotonic() > deadline:
                break
            starts = range(max(0, anchor_start - slack), min(len(hay), anchor_start + slack) + 1)
            h, start = max((_ratio(hay[s:s + EDGE], head), -abs(s - anchor_start), s) for s in starts)[0::2]
            lengths = range(max(EDGE, len(needle) - slack), len(needle) + slack + 1)
            t, length = max((_ratio(hay[start + n - EDGE:start + n], tail), -abs(n - len(needle)), n) for n in lengths)[0::2]
            if h + t > best_score:
                best_score, best_start, best_length = h + t, start, length
        return best_start, best_length

    def line_col(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, col

    def prefix(self, span: Span) -> str:
        return self.text[max(0, span.start - CONTEXT):span.start]

    def suffix(self, span: Span) -> str:
        return self.text[span.end:span.end + CONTEXT]


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _anchors(hay: str, needle: str, n: int = 4, per_gram: int = 32) -> list[int]:
    """Up to ``n`` likely starts of ``needle`` in ``hay``: the alignments (hay index minus
    needle index) that most of ``GRAMS`` evenly spaced k-grams of the needle agree on."""
    k = max(2, min(12, len(needle) // 3))
    step = max(1, (len(needle) - k) // GRAMS)
    votes: Counter[int] = Counter()
    for j in range(0, max(1, len(needle) - k + 1), step):
        gram, i, found = needle[j:j + k], hay.find(needle[j:j + k]), 0
        while i >= 0 and found < per_gram:
            votes[max(0, i - j)] += 1
            found += 1
            i = hay.find(gram, i + 1)
    return [a for a, _ in votes.most_common(n)] or [0]
