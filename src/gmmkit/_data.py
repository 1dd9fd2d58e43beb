"""The command line's data files: reading the user's CSV, Parquet and ``.npy`` tables, and writing
predictions, samples and tables without overwriting anything by accident.

Every problem a user can fix (a missing or empty file, a column that is not there or not
numeric, missing values, an output that already exists) raises :class:`DataError` with a
one-line message that names the file, the column or the option that fixes it.

Formats, chosen by the file's extension:

``.csv``, ``.tsv``
    A header row naming the columns, then one row per sample, every row with as many fields
    as the header. Separated by ``,`` (``.csv``) or a tab (``.tsv``) unless ``sep`` says
    otherwise; ``decimal`` reads decimal commas. Read with pandas when it is installed, else
    with the standard library's ``csv`` module. Empty cells and the usual markers (``NA``,
    ``NaN``, ``null``...) are missing values. An empty header cell is named ``Unnamed: J``
    (its 0-based position), as pandas names it.
``.parquet``, ``.pq``
    Read with pandas and pyarrow (the ``parquet`` extra).
``.npy``
    A 2-D numeric array (rows x features), read with ``allow_pickle=False``; its columns have
    no names, so they are selected by index.

When no feature columns are chosen, every numeric column but the target is a feature, except
row-index columns (:func:`index_columns`), which are left out unless ``keep_index``; text
columns are left out too. Each column left out is named in :attr:`Data.notes`.
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
PARQUET_SUFFIXES = (".parquet", ".pq")
DATA_SUFFIXES = (*CSV_SUFFIXES, *PARQUET_SUFFIXES, ".npy")
OUTPUT_SUFFIXES = (".csv", ".npy")
# What the csv-module reader treats as a missing value (pandas has its own, larger list).
NA_TOKENS = frozenset({"", "na", "n/a", "nan", "-nan", "null", "none", "#n/a"})
PARQUET_INSTALL = "pip install 'gmmkit[parquet]' (pandas and pyarrow)"
_MAX_LISTED = 12
# Names R (``write.csv``: an empty header, read back by pandas as ``Unnamed: 0``) and pandas
# (``to_csv``, ``reset_index``) give the row-index column they write.
INDEX_NAMES = frozenset({"", "rownames", "index"})
# Fewer rows than this are too few to tell a row counter from a feature by its values alone.
_MIN_COUNTED_ROWS = 3
_UNNAMED = re.compile(r"Unnamed: \d+")
# Characters that separate the fields of a CSV read as one column under the wrong separator.
_OTHER_SEPARATORS = {";": "';'", "\t": "tab", "|": "'|'"}


class DataError(Exception):
    """A problem with a data file or an output file that the user can fix; reported in one line."""


@dataclass
class Data:
    """Rows read from a data file, ready for an estimator.

    Attributes
    ----------
    X : ndarray of shape (n_rows, n_features), float64
        The selected feature columns, every value finite.
    feature_names : list of str or None
        Their names; None for a ``.npy`` file.
    y : ndarray of shape (n_rows,) or None
        The target column (labels of any type), when one was asked for.
    rows : ndarray of shape (n_rows,), int
        Each kept row's 0-based position among the file's data rows (rows dropped for missing
        values leave gaps).
    n_dropped : int
        Rows dropped for missing or infinite values (only with ``drop_na``).
    notes : list of str
        One line per kind of column left out of the default features (row indices, text
        columns), naming them and saying how to keep them.
    columns : list of str
        The feature columns as the file names them: their names, or their 0-based indices for
        a ``.npy`` file.
    """

    X: np.ndarray
    feature_names: list[str] | None
    y: np.ndarray | None
    rows: np.ndarray
    n_dropped: int
    notes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def frame(self):
        """``X`` as a pandas DataFrame with the feature names when both exist, else ``X``:
        what an estimator needs to record (or check) ``feature_names_in_``."""
        if self.feature_names is None:
            return self.X
        try:
            import pandas as pd
        except ImportError:
            return self.X
        return pd.DataFrame(self.X, columns=self.feature_names)


# ---------------------------------------------------------------------- reading
def read_data(
    path,
    *,
    columns=None,
    target=None,
    drop_na=False,
    needed_by=None,
    keep_index=False,
    sep=None,
    decimal=".",
):
    """Read a data file and select its feature and target columns.

    Parameters
    ----------
    path : str or Path
    columns : list of str or None, default=None
        Feature columns, each a column name or a 0-based index (a ``.npy`` file has indices
        only); each must be numeric. None selects every numeric column except ``target`` and
        row-index columns (:func:`index_columns`); the columns left out are named in
        ``Data.notes``.
    target : str or None, default=None
        The label column, a name or an index; excluded from the features.
    drop_na : bool, default=False
        Drop rows with a missing or infinite feature value or a missing target instead of
        refusing them.
    needed_by : str or None, default=None
        Who asked for ``columns`` (e.g. ``"the model"``), named when one is missing.
    keep_index : bool, default=False
        Keep row-index columns among the default features.
    sep : str or None, default=None
        The field separator of a CSV file; None: ``,`` for ``.csv``, a tab for ``.tsv``.
    decimal : str, default="."
        The decimal mark of a CSV file's numbers (``","`` for many European exports).

    Returns
    -------
    Data

    Raises
    ------
    DataError
        If the file is missing, empty, of an unknown type or unreadable; if a row has more or
        fewer fields than the header; if a CSV looks separated by another character than
        ``sep``; if a column is not there or a chosen feature column is not numeric; if no
        numeric feature column is left; if rows have missing values and ``drop_na`` is False;
        if no rows are left.
    """
    path = Path(path)
    names, values = _read_columns(path, sep, decimal)
    n_rows = len(values[0]) if values else 0
    if not values:
        raise DataError(f"data file {_show(path)} has no columns")
    if n_rows == 0:
        what = "a header but no data rows" if names is not None else "no rows"
        raise DataError(f"data file {_show(path)} has {what}")

    feature_index, target_index, notes = choose_columns(
        names,
        len(values),
        path,
        columns=columns,
        target=target,
        needed_by=needed_by,
        default=lambda target_index, notes: _default_features(
            names, values, target_index, keep_index, path, notes
        ),
    )

    X = np.empty((n_rows, len(feature_index)), dtype=np.float64)
    for out, j in enumerate(feature_index):
        X[:, out] = _numeric(values[j], _column_name(j, names), path)
    bad = ~np.isfinite(X).all(axis=1)
    y = None
    if target_index is not None:
        y = values[target_index]
        bad |= _missing(y)
    n_bad = int(bad.sum())
    if n_bad and not drop_na:
        first = int(np.flatnonzero(bad)[0]) + 1
        raise DataError(
            f"{plural(n_bad, 'row')} of {n_rows} in {_show(path)} "
            f"{'has' if n_bad == 1 else 'have'} missing or infinite values (the first "
            f"is data row {first}); pass --drop-na to drop them"
        )
    rows = np.flatnonzero(~bad)
    if rows.size == 0:
        raise DataError(
            f"every row of {_show(path)} has missing or infinite values; "
            f"no rows are left after --drop-na"
        )
    feature_names = None if names is None else [names[j] for j in feature_index]
    return Data(
        X=X[rows],
        feature_names=feature_names,
        y=None if y is None else _labels(y[rows]),
        rows=rows,
        n_dropped=n_bad,
        notes=notes,
        columns=[_column_name(j, names) for j in feature_index],
    )


def choose_columns(names, n_columns, path, *, columns, target, needed_by, default):
    """``(feature indices, target index or None, notes)``: ``--target`` and ``--columns``
    resolved against the file's ``names`` (0-based indices where there are none); without
    ``columns``, ``default(target_index, notes)`` picks the features and appends its notes."""
    target_index = None
    if target is not None:
        target_index = _column_index(target, names, n_columns, path, option="--target")
    notes = []
    if columns is None:
        return default(target_index, notes), target_index, notes
    features = [_column_index(c, names, n_columns, path, needed_by=needed_by) for c in columns]
    _check_distinct(features, target_index, names)
    return features, target_index, notes


def _default_features(names, values, target_index, keep_index, path, notes):
    """The numeric columns but the target and (unless ``keep_index``) row indices; appends a
    note to ``notes`` for each kind of column left out."""
    candidates = [j for j in range(len(values)) if j != target_index]
    text = [j for j in candidates if not _is_numeric_column(values[j])]
    index = [] if keep_index else [j for j in index_columns(names, values) if j in candidates]
    if index:
        notes.append(
            f"left out {_columns_phrase(index, names)} of {_show(path)}: "
            f"{'it numbers' if len(index) == 1 else 'they number'} the rows "
            f"(a row index); pass --keep-index-columns to use "
            f"{'it as a feature' if len(index) == 1 else 'them as features'}, or "
            f"choose the "
            f"features with --columns"
        )
    if text:
        notes.append(
            f"left out non-numeric {_columns_phrase(text, names)} of {_show(path)}; "
            f"only numbers can be features (choose the features with --columns)"
        )
    features = [j for j in candidates if j not in text and j not in index]
    if not features:
        besides = (
            ""
            if target_index is None
            else f" besides the target {_column_name(target_index, names)!r}"
        )
        left_out = f" ({'; '.join(notes)})" if notes else ""
        raise DataError(
            f"data file {_show(path)} has no numeric feature columns{besides}{left_out}"
        )
    return features


def index_columns(names, values):
    """The columns that number the rows, which a model must not take as a feature.

    A column is a row index when its values are strictly increasing integers and either its
    name is one R or pandas gives an index they write (empty, ``Unnamed: J``, ``rownames``,
    ``index``, in any case) or its values count the rows, ``0..n-1`` or ``1..n``.

    Parameters
    ----------
    names : list of str or None
    values : list of ndarray
        The columns, as :func:`_read_columns` returns them.

    Returns
    -------
    list of int
    """
    found = []
    for j, column in enumerate(values):
        if column.dtype.kind != "f" or not _increasing_integers(column):
            continue
        counts_rows = (
            len(column) >= _MIN_COUNTED_ROWS
            and column[0] in (0.0, 1.0)
            and column[-1] - column[0] == len(column) - 1
        )
        if counts_rows or (names is not None and _is_index_name(names[j])):
            found.append(j)
    return found


def _increasing_integers(column):
    finite = np.isfinite(column).all()
    return bool(finite and np.all(column == np.round(column)) and np.all(np.diff(column) > 0))


def _is_index_name(name):
    return name.strip().lower() in INDEX_NAMES or _UNNAMED.fullmatch(name) is not None


def _columns_phrase(indices, names):
    quoted = [repr(_column_name(j, names)) for j in indices]
    return f"column{'' if len(quoted) == 1 else 's'} {_listing(quoted)}"


def _read_columns(path, sep=None, decimal="."):
    """``(names or None, list of 1-D arrays)``: numeric columns as float64 with NaN for a
    missing value, others as object arrays with None for a missing value."""
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise DataError(
            f"cannot read {_show(path)}: unknown file type {suffix or '(none)'!r}; "
            f"expected one of {', '.join(DATA_SUFFIXES)}"
        )
    if not path.exists():
        raise DataError(f"data file {_show(path)} does not exist")
    if path.is_dir():
        raise DataError(f"data file {_show(path)} is a directory")
    if path.stat().st_size == 0:
        raise DataError(f"data file {_show(path)} is empty")
    if suffix == ".npy":
        return None, _read_npy(path)
    if suffix in PARQUET_SUFFIXES:
        return _from_frame(_read_parquet(path))
    given = sep is not None
    sep = CSV_SUFFIXES[suffix] if sep is None else sep
    if sep == decimal:
        raise DataError(
            f"--sep and --decimal are both {sep!r}; a CSV with decimal commas "
            f"separates its fields by another character, e.g. --sep ';'"
        )
    _check_field_counts(path, sep, guessed_sep=not given)
    try:
        import pandas  # noqa: F401
    except ImportError:
        names, values = _read_csv_plain(path, sep, decimal)
    else:
        names, values = _from_frame(_read_csv_pandas(path, sep, decimal))
    _check_header(names, path)
    return names, values


def _check_field_counts(path, sep, *, guessed_sep):
    """Refuse a row with more or fewer fields than the header: its values would land under
    the wrong names (pandas even takes a header one field short as naming all but an index).
    With ``guessed_sep``, first refuse a header that looks separated by another character."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter=sep)
            header = next((record for record in reader if record), None)
            if header is None:
                raise DataError(f"data file {_show(path)} is empty")
            if guessed_sep:
                _check_separator(header, path, sep)
            for record in reader:
                if record and len(record) != len(header):
                    raise DataError(
                        f"cannot parse {_show(path)} as CSV: line "
                        f"{reader.line_num} has {len(record)} fields, the header "
                        f"has {len(header)}; every row needs one field per column "
                        f"(is --sep {_shown_separator(sep)} right?)"
                    )
    except UnicodeDecodeError:
        raise DataError(f"{_show(path)} is not a UTF-8 text file") from None
    except csv.Error as exc:
        raise DataError(f"cannot parse {_show(path)} as CSV: {_one_line(exc)}") from None


def _check_separator(names, path, sep):
    """Refuse a CSV read as one column whose name holds another separator: e.g. a ';'-separated
    export, whose every row would be one text value."""
    if len(names) != 1:
        return
    for char, shown in _OTHER_SEPARATORS.items():
        if char != sep and char in names[0]:
            decimal = " (and --decimal , for decimal commas)" if char == ";" else ""
            raise DataError(
                f"{_show(path)} was read as one column named {_clip(names[0])!r}, "
                f"which looks separated by {shown}; pass --sep {shown}{decimal}"
            )


def _shown_separator(sep):
    return "tab" if sep == "\t" else repr(sep)


def _read_npy(path):
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{_show(path)} holds Python objects, not numbers; only numeric "
                f".npy arrays are read (nothing is unpickled)"
            ) from None
        raise DataError(f"cannot read {_show(path)} as a .npy array: {_one_line(exc)}") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read {_show(path)} as a .npy array: {_one_line(exc)}") from None
    if not isinstance(array, np.ndarray):  # an .npz archive saved under a .npy name
        raise DataError(f"{_show(path)} is not a single .npy array")
    if array.dtype.kind not in "biuf":
        raise DataError(f"{_show(path)} holds {array.dtype} values; expected a numeric array")
    if array.ndim != 2:
        raise DataError(
            f"{_show(path)} holds an array of shape {array.shape}; expected a 2-D "
            f"array (rows x features), e.g. X.reshape(-1, 1) for one feature"
        )
    return [array[:, j].astype(np.float64) for j in range(array.shape[1])]


def _read_csv_pandas(path, sep, decimal):
    import pandas as pd

    try:
        return pd.read_csv(path, sep=sep, decimal=decimal, index_col=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {_show(path)} is empty") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"cannot parse {_show(path)} as CSV: {_one_line(exc)}") from None
    except UnicodeDecodeError:
        raise DataError(f"{_show(path)} is not a UTF-8 text file") from None


def _read_parquet(path):
    try:
        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError:
        raise DataError(
            f"reading Parquet ({_show(path)}) needs pandas and pyarrow; install "
            f"them with: {PARQUET_INSTALL}"
        ) from None
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {_show(path)} as Parquet: {_one_line(exc)}") from None


def _from_frame(frame):
    names = [str(name) for name in frame.columns]
    values = []
    for name in frame.columns:
        series = frame[name]
        if _is_numeric_series(series):
            values.append(series.to_numpy(dtype=np.float64, na_value=np.nan))
        else:
            column = np.array(series.to_numpy(dtype=object), dtype=object)  # a writable copy
            column[series.isna().to_numpy()] = None
            values.append(column)
    return names, values


def _is_numeric_series(series):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return is_numeric_dtype(series.dtype) or is_bool_dtype(series.dtype)


def _read_csv_plain(path, sep, decimal):
    """The same table as pandas would give, from the standard library alone (the field
    counts are checked by :func:`_check_field_counts`)."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            records = [row for row in csv.reader(handle, delimiter=sep) if row]
    except UnicodeDecodeError:
        raise DataError(f"{_show(path)} is not a UTF-8 text file") from None
    except csv.Error as exc:
        raise DataError(f"cannot parse {_show(path)} as CSV: {_one_line(exc)}") from None
    if not records:
        raise DataError(f"data file {_show(path)} is empty")
    names = [name.strip() or f"Unnamed: {j}" for j, name in enumerate(records[0])]
    body = records[1:]
    values = []
    for j in range(len(names)):
        cells = [record[j].strip() for record in body]
        numbers = _parse_floats(cells, decimal)
        if numbers is None:
            values.append(
                np.array([None if c.lower() in NA_TOKENS else c for c in cells], dtype=object)
            )
        else:
            values.append(numbers)
    return names, values


def _parse_floats(cells, decimal="."):
    """Cells as float64 (NaN where missing), or None when one is not a number."""
    out = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        if cell.lower() in NA_TOKENS:
            out[i] = np.nan
            continue
        if decimal != ".":
            if "." in cell:
                return None
            cell = cell.replace(decimal, ".")
        try:
            out[i] = float(cell)
        except ValueError:
            return None
    return out


def _check_header(names, path):
    """Refuse a CSV whose first line is data: its 'names' would silently become features."""
    if names and all(_is_number(name) for name in names):
        raise DataError(
            f"the first line of {_show(path)} holds numbers, not column names; add "
            f"a header row naming the columns"
        )


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _column_index(selector, names, n_columns, path, *, option="--columns", needed_by=None):
    """The 0-based index of the column named (or numbered) by ``selector``."""
    if names is not None and selector in names:
        return names.index(selector)
    try:
        index = int(selector)
    except ValueError:
        index = None
    if index is not None and -n_columns <= index < n_columns:
        return index % n_columns
    if names is None:
        raise DataError(
            f"{option}: {_show(path)} has no column names and {n_columns} columns; "
            f"give 0-based indices 0..{n_columns - 1}, got {selector!r}"
        )
    who = f" (needed by {needed_by})" if needed_by else ""
    raise DataError(
        f"column {selector!r}{who} is not in {_show(path)}; its columns are {_listing(names)}"
    )


def _check_distinct(feature_index, target_index, names):
    seen = set()
    for j in feature_index:
        if j == target_index:
            raise DataError(
                f"column {_column_name(j, names)!r} is the --target; it cannot also "
                f"be a feature in --columns"
            )
        if j in seen:
            raise DataError(f"column {_column_name(j, names)!r} is selected twice in --columns")
        seen.add(j)


def _is_numeric_column(column):
    """Whether every value of a column read from the file is a number or missing."""
    if column.dtype.kind in "biuf":
        return True
    try:
        [float(value) for value in column if value is not None]
    except (TypeError, ValueError):
        return False
    return True


def _numeric(column, name, path):
    """A feature column as float64, or a DataError naming the column and a value."""
    if column.dtype.kind in "biuf":
        return column
    for row, value in enumerate(column, start=1):
        if value is None:
            continue
        try:
            float(value)
        except (TypeError, ValueError):
            raise DataError(
                f"column {name!r} of {_show(path)} is not numeric (data row {row} "
                f"is {_clip(value)!r}); choose numeric columns with --columns, or "
                f"leave --columns out to skip text columns"
            ) from None
    return np.array(
        [np.nan if value is None else float(value) for value in column], dtype=np.float64
    )


def _missing(column):
    if column.dtype.kind == "f":
        return np.isnan(column)
    return np.array([value is None for value in column], dtype=bool)


def _labels(column):
    """Target values as an array numpy can sort: integral floats as ints, text as str."""
    if column.dtype.kind == "f":
        if np.all(column == np.round(column)) and np.all(np.abs(column) < 2**53):
            return column.astype(np.int64)
        return column
    if column.dtype.kind in "biu":
        return column
    if all(isinstance(value, str) for value in column):
        return column.astype(str)
    return np.array([str(value) for value in column])


def _column_name(index, names):
    return str(index) if names is None else names[index]


def _listing(names):
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _MAX_LISTED else "")


# ---------------------------------------------------------------------- writing
def check_new_file(path, force):
    """Refuse to replace an existing file unless ``force``; never replace a directory; refuse
    a file in a directory that does not exist (checked before any fit, not at the write).

    Raises
    ------
    DataError
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"output {_show(path)} is a directory; give a file name")
    if os.path.lexists(path) and not force:
        raise DataError(
            f"output file {_show(path)} already exists; choose another name or pass "
            f"--force to overwrite it"
        )
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a directory" if folder.exists() else "does not exist"
        raise DataError(
            f"cannot write output file {_show(path)}: its directory {_show(folder)} {problem}"
        )


def write_csv(path, header, columns):
    """Write equally long 1-D columns under ``header`` to a CSV file, atomically.

    Floats are written in their shortest round-tripping form; NaN as an empty cell.
    """
    path = Path(path)
    rows = zip(*[[_cell(value) for value in column] for column in columns])
    _replace(path, lambda handle: _write_rows(handle, header, rows), text=True)


def write_npy(path, array):
    """Save ``array`` as a ``.npy`` file (no pickle), atomically."""
    array = np.asarray(array)
    if array.dtype.kind == "O":
        array = array.astype(str)
    _replace(Path(path), lambda handle: np.save(handle, array, allow_pickle=False), text=False)


def _write_rows(handle, header, rows):
    writer = csv.writer(handle)
    writer.writerow(header)
    writer.writerows(rows)


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else repr(float(value))
    if isinstance(value, np.generic):
        return value.item()
    return value


def _replace(path, write, *, text):
    """Write to a temporary file beside ``path`` and rename it: an interrupted write leaves
    no half-written output and never damages an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(
            temporary,
            "w" if text else "wb",
            **({"newline": "", "encoding": "utf-8"} if text else {}),
        ) as handle:
            write(handle)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


# ---------------------------------------------------------------------- messages
def plural(count, noun):
    """``'1 row'``, ``'3 rows'``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _show(path):
    return repr(str(path))


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def _clip(value, width=40):
    text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."
