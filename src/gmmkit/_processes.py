"""Whether another process is still running: the one question the cleaners of stale
temporary files (:mod:`gmmkit.persistence`, :mod:`gmmkit._staging`) ask."""

from __future__ import annotations

import os


def process_is_gone(pid) -> bool:
    """True only when no process ``pid`` exists (False when unsure, for this process and for
    None)."""
    # On Windows os.kill(pid, 0) would terminate the process, not probe it.
    if pid is None or pid == os.getpid() or os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # alive but another user's (EPERM), or not a valid pid
        return False
    return False
