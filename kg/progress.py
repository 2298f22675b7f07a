"""A progress bar on stderr: stage, done of total, rate, time left.  Only on a terminal."""

from __future__ import annotations

import sys
import time


class Bar:
    def __init__(self, enabled: bool = True, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.stage = ""
        self.start = 0.0
        self.last = 0.0
        self.shown = False

    def __enter__(self) -> "Bar":
        return self

    def __exit__(self, *exc) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.start, self.last = stage, now, 0.0
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        left = (total - done) / rate if rate else 0.0
        width = 30
        filled = int(width * done / total) if total else width
        self.stream.write(f"\r\033[K{stage:9} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                          f"{rate:6.1f}/s  {left:5.0f} s left")
        self.stream.flush()
        self.shown = True
