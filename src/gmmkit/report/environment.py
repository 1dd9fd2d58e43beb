"""The machine a report was computed on, for its header."""

from __future__ import annotations

import os
import platform


def machine_facts():
    """Platform, Python version and CPU count of this machine.

    Returns
    -------
    dict
        ``platform`` (as :func:`platform.platform`), ``python``, ``cpu_count`` (logical CPUs,
        None when unknown) and ``usable_cpus`` (those this process may run on).
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
    }


def describe_machine(facts):
    """One line for the report header, e.g. ``Linux-6.1-x86_64, Python 3.11.7, 2 CPUs``."""
    cpus = facts.get("usable_cpus") or facts.get("cpu_count")
    text = f"{facts['platform']}, Python {facts['python']}"
    return f"{text}, {cpus} CPU{'s' if cpus != 1 else ''}" if cpus else text
