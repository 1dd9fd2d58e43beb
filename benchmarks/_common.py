"""Shared by the benchmark scripts: the machine and software they ran on, a tally of the
warnings they silence while fitting, and the JSON result file each writes."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy
import sklearn

import gmmkit


def command_output(args: list[str], cwd: Path | None = None) -> str | None:
    """A command's stripped standard output, or None when it cannot run or prints nothing."""
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, cwd=cwd, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def lscpu_model() -> str | None:
    for line in (command_output(["lscpu"]) or "").splitlines():
        if line.strip().lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return None


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_info() -> dict:
    """CPU, core counts, platform, library versions, gmmkit's git revision and the load."""
    package_dir = Path(gmmkit.__file__).resolve().parent
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": lscpu_model() or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": affinity,
        "nproc": command_output(["nproc"]) or str(os.cpu_count()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "gmmkit": gmmkit.__version__,
        "git_describe": command_output(["git", "describe", "--always", "--dirty"], package_dir),
        "load_average_before": load_average(),
    }


class WarningTally:
    """Silences warnings and counts them by (context, category), with example messages."""

    def __init__(self):
        self.counts: Counter = Counter()
        self.examples: dict[str, Counter] = {}

    @contextmanager
    def record(self, context: str):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for item in caught:
            category = item.category.__name__
            self.counts[context, category] += 1
            message = str(item.message).strip().splitlines()
            self.examples.setdefault(category, Counter())[message[0][:120] if message else ""] += 1

    def of(self, context: str) -> Counter:
        return Counter({cat: n for (ctx, cat), n in self.counts.items() if ctx == context})

    def text(self, context: str) -> str:
        return ", ".join(f"{cat} x{n}" for cat, n in sorted(self.of(context).items()))

    def total(self) -> Counter:
        total: Counter = Counter()
        for (_, cat), n in self.counts.items():
            total[cat] += n
        return total


# ---------------------------------------------------------------------------- the result file
#: Where each benchmark writes its result file unless ``--json PATH`` says otherwise.
RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parent.parent


def add_json_option(parser: argparse.ArgumentParser, bench: str) -> None:
    """``--json PATH``, by default ``benchmarks/results/<bench>.json``."""
    default = RESULTS_DIR / f"{bench}.json"
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        default=default,
        help=f"where the JSON result file goes (default {default.relative_to(REPO)})",
    )


def column(
    key: str, label: str | None = None, unit: str | None = None, fmt: str | None = None
) -> dict:
    """One column of a result table: the record field, its heading, its unit and format.

    Units the documentation knows how to format: ``"s"``, ``"ms"``, ``"x"`` (a ratio, printed
    as ``12.3x``), ``"GiB"``, ``"%"`` (a fraction of one, printed as a percentage); ``fmt`` (a
    Python format spec such as ``".12g"``) overrides the default number format of the column.
    """
    return {"key": key, "label": label or key, "unit": unit, "format": fmt}


def table(name: str, title: str, columns: list[dict], records: list[dict], note: str = "") -> dict:
    """A result table: ``records`` are dicts keyed by the columns' ``key``; None is missing."""
    keys = {c["key"] for c in columns}
    for record in records:
        unknown = set(record) - keys
        if unknown:
            raise ValueError(f"table {name!r}: record fields {sorted(unknown)} have no column")
    return {"name": name, "title": title, "note": note, "columns": columns, "records": records}


def memory_total_bytes() -> int | None:
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return int(psutil.virtual_memory().total)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def machine_record() -> dict:
    """The machine: CPU model, cores, memory and operating system."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    memory = memory_total_bytes()
    return {
        "cpu": lscpu_model() or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "usable_cores": affinity,
        "memory_gib": None if memory is None else round(memory / 2**30, 1),
        "os": platform.platform(),
    }


def blas_record() -> list[dict]:
    """The BLAS and OpenMP libraries loaded in this process, as threadpoolctl sees them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    fields = ("user_api", "internal_api", "version", "num_threads", "threading_layer")
    return [
        {f: info.get(f) for f in fields if info.get(f) is not None} for info in threadpool_info()
    ]


def versions_record(extra: dict | None = None) -> dict:
    """Python and the libraries every benchmark uses, plus ``extra`` (R/mclust, Spark, Dask)."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "gmmkit": gmmkit.__version__,
        "blas": blas_record(),
        **(extra or {}),
    }


def git_record() -> dict:
    """The commit of the repository the benchmark ran from, and what differed from it."""
    commit = command_output(["git", "rev-parse", "HEAD"], REPO)
    status = command_output(["git", "status", "--porcelain", "--untracked-files=no"], REPO)
    changed = [line.split(None, 1)[-1] for line in (status or "").splitlines()]
    return {"commit": commit, "dirty": bool(changed), "changed_files": changed}


def options_record(args: argparse.Namespace) -> dict:
    """The parsed command-line options, JSON-ready (paths and other objects as strings)."""
    out = {}
    for key, value in vars(args).items():
        if key == "json":
            continue
        if value is None or isinstance(value, bool | int | float | str):
            out[key] = value
        elif isinstance(value, list | tuple):
            out[key] = [v if isinstance(v, bool | int | float | str) else str(v) for v in value]
        else:
            out[key] = str(value)
    return out


def load_triple() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


class ResultFile:
    """One benchmark run's JSON result file, started when the run starts.

    Holds when the run started, the load average and the git commit then; :meth:`write` adds
    the machine, the versions, the options, the load average at the end, the tables and the
    raw results, and writes them atomically (a temporary file in the same directory, renamed).
    """

    def __init__(self, bench: str, args: argparse.Namespace, configuration: str = "default"):
        self.bench = bench
        self.args = args
        self.configuration = configuration
        self.started = datetime.now(timezone.utc)
        self.load_start = load_triple()
        self.git = git_record()  # at the start: the code that ran, not edits made meanwhile
        self.clock = time.perf_counter()

    def payload(self, tables: list[dict], results: dict, versions: dict | None = None) -> dict:
        return {
            "benchmark": self.bench,
            "command": " ".join(["python", f"benchmarks/{self.bench}.py", *sys.argv[1:]]),
            "configuration": self.configuration,
            "options": options_record(self.args),
            "date": self.started.isoformat(timespec="seconds"),
            "elapsed_s": round(time.perf_counter() - self.clock, 1),
            "load_average": {"start": self.load_start, "end": load_triple()},
            "machine": machine_record(),
            "versions": versions_record(versions),
            "git": self.git,
            "tables": tables,
            "results": results,
        }

    def write(self, tables: list[dict], results: dict, versions: dict | None = None) -> Path:
        """Write the result file to ``--json`` (atomically) and say where it went."""
        path = Path(self.args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.payload(tables, results, versions), indent=1, default=str)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text + "\n")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        print(f"results written to {path}")
        return path
