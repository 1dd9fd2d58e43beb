"""Progress bars for long calls (a sweep's values of ``k``, the CLI's cross-validation folds).

tqdm's bar when tqdm is installed (the ``progress`` extra); otherwise, for callers that ask for
it, one line on stderr per step, or nothing. Imported lazily, so gmmkit never needs tqdm.
"""

from __future__ import annotations

import sys
import threading


def progress_bar(
    total: int, description: str, unit: str, *, enabled: bool = True, text_unit: str | None = None
) -> ProgressBar:
    """A bar over ``total`` steps named ``description`` (``unit``: tqdm's name of one step).

    Without tqdm, ``text_unit`` given, each step prints ``"{description}: {done}/{total}
    {text_unit}"`` on stderr; without it, nothing is shown. ``enabled=False`` shows nothing.
    """
    if not enabled:
        return ProgressBar(None)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return ProgressBar(
            None if text_unit is None else _TextProgress(total, description, text_unit)
        )
    # A space between the rate and the unit, and no unit scaling: "1.31 k-value/s", never
    # "1.31k/s", which reads as thousands.
    return ProgressBar(tqdm(total=total, desc=description, unit=f" {unit}", unit_scale=False))


class ProgressBar:
    """A bar that any thread may advance: a parallel sweep's workers each report their ``k``.

    Also a context manager that closes the bar.
    """

    def __init__(self, bar):
        self._bar, self._lock = bar, threading.Lock()

    def update(self, count: int = 1) -> None:
        if self._bar is not None:
            with self._lock:  # tqdm's counter and the text lines are not thread-safe
                self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class _TextProgress:
    """Lines on stderr, when tqdm is not installed."""

    def __init__(self, total, description, unit):
        self.total, self.description, self.unit, self.done = total, description, unit, 0

    def update(self, count):
        self.done += count
        print(
            f"{self.description}: {self.done}/{self.total} {self.unit}", file=sys.stderr, flush=True
        )

    def close(self):
        pass
