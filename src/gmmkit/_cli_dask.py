"""The command line's Dask engine (``--engine dask``): data read lazily, fits and sweeps on
a Dask scheduler, predictions streamed to the output block by block.

Data (``DATA``) may be

* a directory of Parquet files (``.parquet``/``.pq``), or of CSV files (``.csv``/``.tsv``),
* a glob of such files (``'data/part-*.parquet'``, quoted for the shell),
* a single Parquet or CSV file, or
* a zarr store (a directory holding ``zarr.json`` or ``.zarray``): a 2-D numeric array whose
  columns, like a ``.npy`` file's, have no names and are chosen by 0-based index.

Tables are read with ``dask.dataframe.read_parquet``/``read_csv`` and arrays with
``dask.array.from_zarr``: nothing is read until a pass needs it, and no pass holds more than a
block. The column rules of the in-memory loader (:mod:`gmmkit._data`) apply where they can be
decided from the columns' names and types alone: ``--columns`` and ``--target`` by name or
index, numeric feature columns only, text columns left out of the default features with a
note, row-index columns left out by their names (``rownames``, ``index``, ``Unnamed: J``, an
empty name; a nameless counter is not recognised, which would need a pass). Rows with missing
or infinite values are an error naming the block and row unless ``--drop-na`` drops them
(lazily).

``--scheduler ADDRESS`` connects to a running ``distributed`` scheduler; ``threads``,
``processes`` or ``synchronous`` use Dask's local schedulers without ``distributed``; by
default a ``LocalCluster`` of one in-process worker with a thread per core is started and
closed at the end (the kernels are NumPy and release the GIL, and no block is pickled between
processes).

Nothing here imports Dask at module level: ``gmmkit --help`` stays light, and without Dask
``--engine dask`` exits 1 with the install hint.
"""

from __future__ import annotations

import contextlib
import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

from ._data import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    DataError,
    _cell,
    _check_distinct,
    _column_index,
    _columns_phrase,
    _is_index_name,
    _listing,
    _replace,
    _show,
    _write_rows,
    choose_columns,
)

LOCAL_SCHEDULERS = ("threads", "processes", "synchronous")
DASK_INSTALL = "pip install 'gmmkit[dask]'"
#: Output blocks computed together before they are written, in order.
BLOCKS_PER_WRITE = 4


def check_dask_installed() -> None:
    """Raise :class:`DataError` with the install hint when Dask (or, for a cluster,
    ``distributed``) is missing."""
    import importlib.util

    for name in ("dask", "dask.array"):
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise DataError(
                f"--engine dask needs dask, which is not installed; install it with: {DASK_INSTALL}"
            )


@contextlib.contextmanager
def scheduler(address: str | None):
    """Run the block under the chosen scheduler (see the module docstring)."""
    check_dask_installed()
    import dask

    if address in LOCAL_SCHEDULERS:
        with dask.config.set(scheduler=address):
            yield
        return
    try:
        import logging

        from distributed import Client, LocalCluster
    except ModuleNotFoundError:
        raise DataError(
            f"--engine dask needs distributed for a cluster, which is not "
            f"installed; install it with: {DASK_INSTALL}, or pass --scheduler "
            f"threads"
        ) from None
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if address is not None:
        try:
            client = Client(address, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise DataError(f"--scheduler {address!r}: cannot connect ({_one_line(exc)})") from None
        with client:
            yield
        return
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=os.cpu_count() or 1,
            processes=False,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster),
    ):
        yield


def _one_line(exc) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------------- reading
@dataclass
class LazyData:
    """Rows of a data set, not yet read.

    Attributes
    ----------
    X : dask.array.Array of shape (n_rows, n_features), float64
    y : dask.array.Array of shape (n_rows,) or None
    rows : dask.array.Array of shape (n_rows,), int
        Each row's 0-based position among the data's rows (rows dropped by ``--drop-na``
        leave gaps).
    feature_names : list of str or None
    columns : list of str
        The feature columns as the data names them (indices for a zarr store).
    notes : list of str
    """

    X: object
    y: object
    rows: object
    feature_names: list | None
    columns: list
    notes: list = field(default_factory=list)
    n_dropped: int = 0

    def frame(self):
        """``X`` as a Dask DataFrame with the feature names when there are names (what an
        estimator records as ``feature_names_in_``), else ``X``."""
        if self.feature_names is None:
            return self.X
        import dask.dataframe as dd

        return dd.from_dask_array(self.X, columns=self.feature_names)


def read_lazy(
    path,
    *,
    columns=None,
    target=None,
    drop_na=False,
    needed_by=None,
    keep_index=False,
    sep=None,
    decimal=".",
) -> LazyData:
    """Open ``path`` lazily and select its feature and target columns (see the module
    docstring); raises :class:`DataError` for what the user can fix."""
    check_dask_installed()
    path = Path(path)
    kind, source = _locate(path)
    if kind == "zarr":
        return _zarr_data(path, source, columns, target, drop_na)
    frame = _open_frame(kind, source, path, sep, decimal)
    names = [str(name) for name in frame.columns]
    if not names:
        raise DataError(f"data {_show(path)} has no columns")
    kinds = [frame.dtypes.iloc[j].kind for j in range(len(names))]
    features, target_index, notes = choose_columns(
        names,
        len(names),
        path,
        columns=columns,
        target=target,
        needed_by=needed_by,
        default=lambda target_index, notes: _default_features(
            names, kinds, target_index, keep_index, path, notes
        ),
    )
    if columns is not None:
        for j in features:
            if kinds[j] not in "biuf":
                raise DataError(
                    f"column {names[j]!r} of {_show(path)} is not numeric (its "
                    f"type is {frame.dtypes.iloc[j]}); choose numeric columns with "
                    f"--columns, or leave --columns out to skip text columns"
                )
    # the block sizes are learnt from the arrays themselves: dask may merge the partitions of
    # a column selection when it counts them (to_dask_array(lengths=True)), and then refuses
    X = frame[[names[j] for j in features]].to_dask_array().compute_chunk_sizes()
    X = X.astype("float64")
    y = None
    if target_index is not None:
        labels = frame[names[target_index]]
        if kinds[target_index] not in "biuf":  # text labels: an array of Python strings
            labels = labels.astype(object)
        y = labels.to_dask_array().compute_chunk_sizes()
        if y.chunks[0] != X.chunks[0]:
            y = y.rechunk((X.chunks[0],))
    data = _finish(X, y, drop_na, path)
    data.feature_names = [names[j] for j in features]
    data.columns = list(data.feature_names)
    data.notes = notes
    return data


def _locate(path: Path) -> tuple[str, object]:
    """``(kind, what to open)``: 'zarr', 'parquet' or 'csv' and the path or list of files."""
    text = str(path)
    if glob.has_magic(text):
        files = sorted(glob.glob(text))
        if not files:
            raise DataError(f"no files match {_show(path)}")
        return _kind_of_files([Path(f) for f in files], path), files
    if not path.exists():
        raise DataError(f"data {_show(path)} does not exist")
    if path.is_dir():
        if is_zarr_store(path):
            return "zarr", path
        entries = sorted(
            p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_"))
        )
        if not entries:
            raise DataError(f"directory {_show(path)} holds no data files")
        return _kind_of_files(entries, path), [str(f) for f in entries]
    return _kind_of_files([path], path), [str(path)]


def _kind_of_files(files, path) -> str:
    suffixes = {f.suffix.lower() for f in files}
    if suffixes <= set(PARQUET_SUFFIXES):
        return "parquet"
    if suffixes <= set(CSV_SUFFIXES):
        return "csv"
    raise DataError(
        f"--engine dask reads Parquet ({', '.join(PARQUET_SUFFIXES)}) or CSV "
        f"({', '.join(CSV_SUFFIXES)}) files, all of one kind, or a zarr store; "
        f"{_show(path)} holds {', '.join(sorted(s or '(no suffix)' for s in suffixes))}"
    )


def _open_frame(kind, files, path, sep, decimal):
    import dask.dataframe as dd

    try:
        if kind == "parquet":
            return dd.read_parquet(files)
        if sep is None:
            sep = CSV_SUFFIXES[Path(files[0]).suffix.lower()]
        return dd.read_csv(files, sep=sep, decimal=decimal)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {_show(path)}: {_one_line(exc)}") from None


def _default_features(names, kinds, target_index, keep_index, path, notes):
    """The numeric columns but the target and (unless ``keep_index``) columns named as row
    indices; a note for each kind left out (the rules of :func:`gmmkit._data.read_data`
    that the columns' names and types decide)."""
    candidates = [j for j in range(len(names)) if j != target_index]
    text = [j for j in candidates if kinds[j] not in "biuf"]
    index = (
        [] if keep_index else [j for j in candidates if j not in text and _is_index_name(names[j])]
    )
    if index:
        notes.append(
            f"left out {_columns_phrase(index, names)} of {_show(path)}: named as a "
            f"row index; pass --keep-index-columns to use "
            f"{'it' if len(index) == 1 else 'them'} as features, or choose the "
            f"features with --columns"
        )
    if text:
        notes.append(
            f"left out non-numeric {_columns_phrase(text, names)} of {_show(path)}; "
            f"only numbers can be features (choose the features with --columns)"
        )
    features = [j for j in candidates if j not in text and j not in index]
    if not features:
        raise DataError(
            f"data {_show(path)} has no numeric feature columns (its columns: {_listing(names)})"
        )
    return features


def _zarr_data(path, store, columns, target, drop_na) -> LazyData:
    import dask.array as da

    if target is not None:
        raise DataError(
            f"--target: the zarr store {_show(path)} is one numeric array with no "
            "label column; read labels from a Parquet or CSV table"
        )
    try:
        X = da.from_zarr(str(store))
    except Exception as exc:  # zarr's own errors for a damaged store
        raise DataError(f"cannot read the zarr store {_show(path)}: {_one_line(exc)}") from None
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise DataError(
            f"the zarr store {_show(path)} must hold a 2-D numeric array (rows x "
            f"features), got shape {X.shape} of {X.dtype}"
        )
    n_columns = X.shape[1]
    if columns is None:
        chosen = list(range(n_columns))
    else:
        chosen = [_column_index(c, None, n_columns, path) for c in columns]
        _check_distinct(chosen, None, None)
    X = X[:, chosen].astype("float64")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    data = _finish(X, None, drop_na, path)
    data.feature_names, data.columns = None, [str(j) for j in chosen]
    return data


def _finish(X, y, drop_na, path) -> LazyData:
    """``X``, ``y`` and their row positions, with rows of missing values dropped lazily when
    ``drop_na`` (one pass counts what is left)."""
    import dask.array as da

    rows = da.arange(X.shape[0], chunks=(X.chunks[0],))
    n_dropped = 0
    if drop_na:
        keep = da.isfinite(X).all(axis=1)
        if y is not None:
            keep &= ~_missing(y)
        n_before = X.shape[0]
        X, rows = X[keep].compute_chunk_sizes(), rows[keep].compute_chunk_sizes()
        y = None if y is None else y[keep].compute_chunk_sizes()
        n_dropped = n_before - X.shape[0]
        if X.shape[0] == 0:
            raise DataError(
                f"every row of {_show(path)} has missing or infinite values; no "
                "rows are left after --drop-na"
            )
    return LazyData(X, y, rows, None, [], n_dropped=n_dropped)


def _missing(y):
    import dask.array as da

    if y.dtype.kind == "f":
        return da.isnan(y)
    return y.map_blocks(lambda block: _missing_block(block), dtype=bool)


def _missing_block(block):
    import numpy as np
    import pandas as pd

    return np.asarray(pd.isna(block), dtype=bool)


def is_zarr_store(path) -> bool:
    """Whether ``path`` is a zarr store (its columns have no names)."""
    path = Path(path)
    return path.is_dir() and ((path / "zarr.json").exists() or (path / ".zarray").exists())


@contextlib.contextmanager
def iteration_progress(model, enabled: bool):
    """A bar over the EM iterations of ``model``'s next fit (at most ``max_iter`` per
    start)."""
    from ._progress import progress_bar

    bar = progress_bar(
        model.max_iter * model.n_init,
        "gmmkit.fit",
        "iteration",
        enabled=enabled,
        text_unit="EM iterations",
    )
    from ._config import config_context

    with bar, config_context(on_iteration=lambda n_iter, lower_bound, change: bar.update(1)):
        yield


# ---------------------------------------------------------------------- writing
def stream_table(path: Path, header, rows, values, dtype=None) -> int:
    """Write ``rows`` (lazy ``(n,)`` 0-based positions, written from 1) and ``values`` (lazy
    ``(n,)`` or ``(n, m)``) to a ``.csv`` under ``header`` (the row column's name, then one
    per value column), or the bare values to a ``.npy`` (in ``dtype``, by default theirs),
    atomically, computing :data:`BLOCKS_PER_WRITE` row blocks at a time: the output is never
    held whole. Returns the number of rows written."""
    import dask
    import numpy as np

    shape = (int(sum(rows.chunks[0])), *values.shape[1:])
    if values.ndim == 1:
        values = values[:, None]
    values = values.rechunk({0: rows.chunks[0], 1: -1})
    blocks = list(zip(rows.to_delayed().ravel(), values.to_delayed().ravel()))

    def batches():
        for start in range(0, len(blocks), BLOCKS_PER_WRITE):
            yield from dask.compute(*blocks[start : start + BLOCKS_PER_WRITE])

    if path.suffix.lower() == ".npy":
        kind = np.dtype(values.dtype if dtype is None else dtype)

        def write_npy(handle):
            np.lib.format.write_array_header_2_0(handle, _header(kind, shape))
            for _, part in batches():
                handle.write(np.ascontiguousarray(np.asarray(part).astype(kind)).tobytes())

        _replace(path, write_npy, text=False)
        return shape[0]

    def write_csv(handle):
        _write_rows(handle, header, [])
        for row_block, value_block in batches():
            table = zip(np.asarray(row_block) + 1, *np.asarray(value_block).T)
            _write_rows_only(handle, ([_cell(v) for v in line] for line in table))

    _replace(path, write_csv, text=True)
    return shape[0]


def _write_rows_only(handle, rows):
    import csv

    csv.writer(handle).writerows(rows)


def _header(dtype, shape) -> dict:
    import numpy as np

    return {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
