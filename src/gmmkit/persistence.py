"""Saving and loading fitted estimators in a file format that cannot execute code.

:func:`save` writes a fitted estimator as an uncompressed zip archive of NumPy ``.npy`` arrays
(written with ``allow_pickle=False``) and a ``meta.json`` describing the estimator, with a
SHA-256 hash of every entry; :func:`load` reads it back bit for bit and creates only the
estimator classes registered with :func:`register`. The file format (``format_version`` 1) is
specified entry by entry on the user guide's page "Saving and the file format"
(``docs/guide/persistence.md``).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import secrets
import struct
import time
import zipfile
import zlib

import numpy as np
from sklearn.exceptions import NotFittedError

from ._core.prior import ConjugatePrior
from ._processes import process_is_gone

__all__ = ["load", "register", "save"]

FORMAT_NAME = "gmmkit-model"
FORMAT_VERSION = 1

_META = "meta.json"
_META_HASH = "meta.json.sha256"
_ZIP_MAGIC = b"PK\x03\x04"
_ARRAY_KINDS = "biufcSU"
# Upper bounds on what a reader decompresses before checking, so a hostile file cannot
# make `load` allocate without limit.
_MAX_META_BYTES = 64 * 2**20
_MAX_NPY_HEADER_BYTES = 2**16 + 16
# What zipfile raises on a damaged archive: a flipped byte in the central directory gives a
# NotImplementedError ("zip file version 23.5"), a wrong directory size a negative seek
# (OSError), a set encryption flag a RuntimeError.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    ValueError,
    OSError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    zlib.error,
    OverflowError,
)

_REGISTRY: dict[str, type] = {}


def register(cls=None, *, name=None):
    """Allow ``save`` and ``load`` to handle an estimator class.

    Usable as a plain call, ``register(MyEstimator)``, or as a decorator, ``@register`` or
    ``@register(name="gmmkit.MyEstimator")``. Loading refuses every class not registered.

    Parameters
    ----------
    cls : type, default=None
        The estimator class; it must follow scikit-learn's conventions (``get_params`` and a
        constructor taking those parameters as keywords).
    name : str, default=None
        Key stored in files; defaults to ``"<top-level package>.<class name>"``, e.g.
        ``"gmmkit.GaussianMixture"``. Keep it stable: files refer to the class by it.

    Returns
    -------
    cls : type
        Unchanged, or a decorator when ``cls`` is None.
    """
    if cls is None:
        return lambda c: register(c, name=name)
    if not isinstance(cls, type):
        raise TypeError(f"register expects a class, got {cls!r} of type {type(cls).__name__}")
    key = name if name is not None else f"{cls.__module__.split('.')[0]}.{cls.__qualname__}"
    if not isinstance(key, str) or not key:
        raise ValueError(f"name must be a non-empty string, got {key!r}")
    known = _REGISTRY.get(key)
    if known is not None and known is not cls:
        raise ValueError(f"name {key!r} is already registered for {known!r}")
    _REGISTRY[key] = cls
    return cls


def _registry() -> dict[str, type]:
    # Imported on first use rather than at import time, so that an estimator module can itself
    # import `register` from here without a circular import.
    from .classification import ComponentClassifier, MixtureClassifier
    from .generation import LatentMixture
    from .mixture import GaussianMixture
    from .regression import GaussianMixtureRegressor
    from .selection import GaussianMixtureSelector

    for cls in (
        GaussianMixture,
        GaussianMixtureSelector,
        MixtureClassifier,
        ComponentClassifier,
        LatentMixture,
        GaussianMixtureRegressor,
    ):
        if cls not in _REGISTRY.values():
            register(cls)
    return _REGISTRY


# ---------------------------------------------------------------------- save
def save(model, path, overwrite=False):
    """Write a fitted estimator to ``path`` in the gmmkit model format.

    The format (described in this module's docstring) is a zip archive of ``.npy`` arrays and
    JSON metadata with a format version and SHA-256 hashes; it contains no pickle, so loading a
    file cannot run code. Predictions of the loaded model are bit-identical, and array dtypes
    (float32 included) are kept.

    The file is first written to a temporary file in the same directory and then moved into
    place, so an interrupted save never leaves a partial file at ``path``. The temporary is
    named ``.<name>.<pid>.<random hex>.tmp``; a save removes the temporaries of its own
    ``path`` that a killed save left behind (see :func:`_remove_stale_temporaries`).

    Parameters
    ----------
    model : estimator
        A fitted estimator whose class is registered (all gmmkit estimators are).
        A ``random_state`` parameter holding a ``RandomState`` or ``Generator`` instance cannot
        be stored faithfully and is saved as ``None``; integer seeds are kept. Fitted attributes
        and parameters may be ``None``, bool, int, float, str, lists, tuples and str-keyed dicts
        of those, NumPy arrays and scalars of numeric, bytes or unicode dtype, and object
        arrays of strings (``feature_names_in_``).
    path : str or os.PathLike
        Destination file; by convention with the suffix ``.gmm``.
    overwrite : bool, default=False
        Replace an existing file at ``path``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        (a ``ValueError``) if ``model`` is not fitted.
    TypeError
        If the class is not registered, or a parameter or attribute has an unsupported type.
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    path = os.fsdecode(os.fspath(path))
    key = _registry_key(type(model))
    if not overwrite and os.path.lexists(path):
        raise _exists_error(path)
    archive = _serialise(model, key)
    _write_atomically(archive, path, overwrite)


def _registry_key(cls) -> str:
    for key, known in _registry().items():
        if known is cls:
            return key
    raise TypeError(
        f"cannot save a {cls.__module__}.{cls.__qualname__}: the class is not registered; "
        "register it with gmmkit.persistence.register"
    )


def _exists_error(path) -> FileExistsError:
    return FileExistsError(f"{path} already exists; pass overwrite=True to replace it")


def _serialise(model, key) -> bytes:
    from . import __version__

    attributes = _fitted_attributes(model)
    if not attributes:
        raise NotFittedError(
            f"This {type(model).__name__} instance is not fitted: fit the model before saving"
        )
    arrays: dict[str, np.ndarray] = {}
    params, encoded_attributes = _encode_estimator(model, attributes, "", arrays)
    axes = {entry: _memory_order(array) for entry, array in arrays.items()}
    entries = {
        entry: _npy_bytes(np.asarray(np.transpose(array, axes[entry]), order="C"))
        for entry, array in arrays.items()
    }
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "gmmkit_version": __version__,
        "estimator": key,
        "params": params,
        "attributes": encoded_attributes,
        "arrays": [
            {
                "entry": entry,
                "dtype": arrays[entry].dtype.str,
                "shape": list(arrays[entry].shape),
                "axes": axes[entry],
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            for entry, data in entries.items()
        ],
    }
    meta_bytes = json.dumps(meta, indent=1, allow_nan=False).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        _write_entry(archive, _META, meta_bytes)
        _write_entry(archive, _META_HASH, hashlib.sha256(meta_bytes).hexdigest().encode("ascii"))
        for entry, data in entries.items():
            _write_entry(archive, entry, data)
    return buffer.getvalue()


def _fitted_attributes(model) -> dict:
    """Every entry of ``vars(model)`` that ends in one ``_`` and does not start with ``_``."""
    return {
        name: value
        for name, value in vars(model).items()
        if name.endswith("_") and not name.endswith("__") and not name.startswith("_")
    }


def _encode_estimator(model, attributes, prefix, arrays):
    """Tagged parameters and fitted attributes of ``model``; arrays under ``prefix``."""
    params = {}
    for name, value in model.get_params(deep=False).items():
        if isinstance(value, (np.random.RandomState, np.random.Generator)):
            value = None
        params[name] = _encode(value, f"parameter {name}", f"{prefix}params/{name}.npy", arrays)
    encoded = {
        name: _encode(value, f"attribute {name}", f"{prefix}attributes/{name}.npy", arrays)
        for name, value in attributes.items()
    }
    return params, encoded


def _write_entry(archive, name, data):
    # A fixed timestamp makes saving the same model twice give the same bytes.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    archive.writestr(info, data)


def _encode(value, what, entry, arrays):
    """Tagged JSON form of ``value``; arrays go to ``arrays[entry]`` (refused if it is None)."""
    # NumPy first: np.float64 and np.str_ are also instances of float and str.
    if isinstance(value, np.ndarray) and value.dtype == object:
        if all(isinstance(item, str) for item in value.flat):
            return {
                "type": "str_array",
                "shape": list(value.shape),
                "value": value.ravel().tolist(),
            }
    elif isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in _ARRAY_KINDS:
            if arrays is None:
                raise TypeError(
                    f"cannot save {what}: arrays nested in a list, tuple or dict are not supported"
                )
            arrays[entry] = np.asarray(value)
            return {
                "type": "array" if isinstance(value, np.ndarray) else "numpy_scalar",
                "entry": entry,
            }
    elif value is None:
        return {"type": "none"}
    elif isinstance(value, ConjugatePrior):
        return {
            "type": "conjugate_prior",
            "items": {
                name: _encode(_plain(getattr(value, name)), what, None, None)
                for name in _PRIOR_FIELDS
            },
        }
    elif arrays is not None and type(value) in _registry().values():
        # A fitted estimator held by another one (a selector's best mixture), stored inline
        # with its arrays under this attribute's name.
        key = _registry_key(type(value))
        params, attributes = _encode_estimator(
            value, _fitted_attributes(value), entry[: -len(".npy")] + "/", arrays
        )
        return {"type": "model", "estimator": key, "params": params, "attributes": attributes}
    elif isinstance(value, bool):
        return {"type": "bool", "value": value}
    elif isinstance(value, int):
        return {"type": "int", "value": int(value)}
    elif isinstance(value, float):
        value = float(value)
        return {"type": "float", "value": value if math.isfinite(value) else repr(value)}
    elif isinstance(value, str):
        return {"type": "str", "value": str(value)}
    elif isinstance(value, (list, tuple)):
        # Items may be arrays or models (a classifier's per-class mixtures), stored under
        # this entry's name and the item's index.
        base = None if entry is None else entry[: -len(".npy")]
        return {
            "type": "tuple" if isinstance(value, tuple) else "list",
            "items": [
                _encode(item, what, None if base is None else f"{base}/{i}.npy", arrays)
                for i, item in enumerate(value)
            ],
        }
    elif isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {
            "type": "dict",
            "items": {k: _encode(v, what, None, None) for k, v in value.items()},
        }
    elif isinstance(value, dict) and all(
        isinstance(k, (bool, int, float, str, np.integer, np.floating, np.bool_)) for k in value
    ):
        # Keys such as a classifier's int class labels; JSON objects only have string keys.
        return {
            "type": "mapping",
            "items": [
                [_encode(_python_scalar(k), what, None, None), _encode(v, what, None, None)]
                for k, v in value.items()
            ],
        }
    raise TypeError(
        f"cannot save {what}: got {value!r} of type {type(value).__name__}; expected None, bool, "
        "int, float, str, a list, tuple or str-keyed dict of those, a NumPy array or scalar of "
        "numeric, bytes or unicode dtype, or an object array of str"
    )


#: The fields of a saved :class:`ConjugatePrior`, each None, a float or (nested) lists of them.
_PRIOR_FIELDS = ("shrinkage", "mean", "dof", "scale")


def _plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


def _python_scalar(value):
    return value.item() if isinstance(value, np.generic) else value


def _memory_order(array) -> list[int]:
    """Axes from the largest stride to the smallest: ``[1, 0]`` for a Fortran-ordered matrix."""
    return sorted(range(array.ndim), key=lambda axis: -abs(array.strides[axis]))


def _npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


# A temporary of a save whose writer is gone is removed once it is this old; one whose writer
# cannot be checked (a name without a pid, written by gmmkit before pids were added, or a
# system where pids cannot be probed) once it is older than the longest save we expect.
_STALE_AFTER_S = 60
_ABANDONED_AFTER_S = 3600


def _write_atomically(data: bytes, path: str, overwrite: bool):
    directory, name = os.path.split(os.path.abspath(path))
    _remove_stale_temporaries(directory, name)
    while True:
        temp = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
        try:
            # Mode 0o666 filtered by the umask, like any newly created file (mkstemp gives 0o600).
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if overwrite:
            os.replace(temp, path)
        else:
            _move_without_replacing(temp, path)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)
    _fsync_directory(directory)


def _remove_stale_temporaries(directory, name):
    """Remove the temporaries that saves to ``directory/name`` killed mid-write left behind.

    Only names of this exact form are touched: ``.<name>.<pid>.<16 hex>.tmp``, removed when
    process ``pid`` is gone and the file is older than ``_STALE_AFTER_S`` (a live save in
    another process keeps its own), and the older ``.<name>.<16 hex>.tmp``, removed after
    ``_ABANDONED_AFTER_S``. Another target's temporaries match only in one case: the part
    between ``.<name>.`` and ``.tmp`` holds another dot, except in an old-style temporary of
    a target named ``<name>.<digits>``, which is then read as a pid (and removed only if no
    such process exists). Failures are ignored: cleaning up is a courtesy, never a reason
    for a save to fail.
    """
    pattern = re.compile(r"(?:(\d+)\.)?[0-9a-f]{16}")
    prefix, suffix = f".{name}.", ".tmp"
    now = time.time()
    try:
        candidates = [
            entry
            for entry in os.scandir(directory)
            if entry.name.startswith(prefix) and entry.name.endswith(suffix)
        ]
    except OSError:
        return
    for entry in candidates:
        match = pattern.fullmatch(entry.name[len(prefix) : -len(suffix)])
        if match is None:
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
            pid = None if match.group(1) is None else int(match.group(1))
            if age > _ABANDONED_AFTER_S or (age > _STALE_AFTER_S and process_is_gone(pid)):
                os.unlink(entry.path)
        except OSError:
            continue


def _move_without_replacing(temp, path):
    # A hard link fails if `path` exists, closing the gap between checking and renaming.
    try:
        os.link(temp, path)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError:  # file system without hard links
        if os.path.lexists(path):
            raise _exists_error(path) from None
        os.replace(temp, path)


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- load
def load(path):
    """Read an estimator written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    model : estimator
        A fitted estimator of the saved class, with the saved parameters (a ``RandomState``
        ``random_state`` comes back as ``None``) and fitted attributes.

    Raises
    ------
    ValueError
        If the file is not a gmmkit model file (not a zip archive, no ``meta.json``, another
        ``format``); if it was written by a newer gmmkit (``format_version`` above
        :data:`FORMAT_VERSION`); if it is truncated, corrupted or modified (a zip error, a
        missing or unexpected entry, a compressed entry or one larger than the file, a SHA-256,
        dtype or shape mismatch); if ``meta.json`` is malformed; if its ``estimator`` is not a
        registered class; or if the fitted attributes are not what ``fit`` gives (a mixture's
        arrays checked for dtype, shape for its ``n_components`` and ``covariance_type``,
        finiteness, and weights summing to 1).
    """
    path = os.fsdecode(os.fspath(path))
    with open(path, "rb") as file:
        magic = file.read(len(_ZIP_MAGIC))
        size = os.fstat(file.fileno()).st_size
        try:
            archive = zipfile.ZipFile(file)
        except _ZIP_ERRORS as exc:
            if magic == _ZIP_MAGIC:
                raise ValueError(
                    f"{path} is truncated or corrupted: cannot read it as a zip archive ({exc})"
                ) from None
            raise ValueError(f"{path} is not a gmmkit model file (not a zip archive)") from None
        with archive:
            return _read(archive, size, path)


def _read(archive: zipfile.ZipFile, size, path):
    names = archive.namelist()
    if len(set(names)) != len(names):
        raise _corrupted(path, "the archive lists an entry twice")
    _check_entry_sizes(archive, size, path)
    if _META not in names:
        raise ValueError(f"{path} is not a gmmkit model file (no {_META} entry)")
    meta_bytes = _read_entry(archive, _META, _MAX_META_BYTES, path)
    # The hash is checked before the JSON is parsed, so that damaged bytes never reach the
    # parser; a file without the hash entry is parsed first, to tell a newer layout (which
    # may lack it) from a damaged file.
    if _META_HASH in names:
        _check_meta_hash(archive, meta_bytes, path)
    try:
        meta = json.loads(meta_bytes.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, depth
        raise _corrupted(
            path, f"{_META} is not valid JSON ({type(exc).__name__}: {str(exc)[:200]})"
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(
            f"{path} is not a gmmkit model file ({_META} has format {found!r}, "
            f"expected {FORMAT_NAME!r})"
        )
    # Checked before the hashes, so that a newer layout is reported as such.
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _malformed(path, f"format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by a newer gmmkit ({meta.get('gmmkit_version')!r}, format "
            f"version {version}); this gmmkit reads format versions up to {FORMAT_VERSION}: "
            "upgrade gmmkit to load it"
        )
    if _META_HASH not in names:
        raise _corrupted(path, f"the {_META_HASH} entry is missing")

    key = _field(meta, "estimator", str, path)
    _registered_class(key, path)
    arrays = _read_arrays(archive, meta, names, path)
    try:
        return _build(
            key,
            _field(meta, "params", dict, path),
            _field(meta, "attributes", dict, path),
            arrays,
            path,
        )
    except RecursionError:  # lists nested as deep as the parser allows
        raise _malformed(path, "values are nested too deeply") from None


def _check_meta_hash(archive, meta_bytes, path):
    stored_hash = _read_entry(archive, _META_HASH, 64, path).decode("ascii", "replace")
    if hashlib.sha256(meta_bytes).hexdigest() != stored_hash:
        raise _corrupted(path, f"{_META} does not match its SHA-256")


def _check_entry_sizes(archive, size, path):
    """Every entry stored, and no larger than the file holding it (``size`` bytes).

    A stored entry's bytes are in the file, so a larger declared size is a lie; and refusing
    compression means no entry can expand when read (a 1 MiB DEFLATE entry can declare 1 GiB
    of zeros and cost that much memory before any hash is checked).
    """
    for info in archive.infolist():
        if info.compress_type != zipfile.ZIP_STORED:
            raise _corrupted(
                path,
                f"the entry {info.filename!r} is compressed (zip method "
                f"{info.compress_type}); model files hold stored entries only",
            )
        if info.file_size > size or info.compress_size != info.file_size:
            raise _corrupted(
                path,
                f"the entry {info.filename!r} declares {info.file_size} "
                f"bytes ({info.compress_size} stored) in a file of {size} "
                "bytes",
            )


def _registered_class(key, path):
    cls = _registry().get(key)
    if cls is None:
        raise ValueError(
            f"{path}: refusing to load estimator class {key!r}, which is not "
            f"registered; registered classes: {sorted(_registry())}"
        )
    return cls


def _build(key, encoded_params, encoded_attributes, arrays, path):
    """An estimator of the registered class ``key`` from its tagged params and attributes."""
    cls = _registered_class(key, path)
    params = {name: _decode(value, arrays, path) for name, value in encoded_params.items()}
    attributes = {name: _decode(value, arrays, path) for name, value in encoded_attributes.items()}
    for name in attributes:
        if not (
            name.isidentifier()
            and name.endswith("_")
            and not name.endswith("__")
            and not name.startswith("_")
        ):
            raise _malformed(path, f"{name!r} is not a fitted attribute name")
    # a class that knows how its fitted state is made (GaussianMixture) rebuilds it that way
    rebuild = getattr(cls, "_from_fitted_attributes", None)
    try:
        model = cls(**params) if rebuild is None else rebuild(params, attributes)
    except TypeError as exc:
        raise _malformed(path, f"its params do not fit {key} ({exc})") from None
    except KeyError as exc:
        raise _malformed(
            path, f"the fitted attribute {exc.args[0]!r} of {key} is missing"
        ) from None
    except ValueError as exc:  # an attribute that fit would not give
        raise _invalid(path, key, str(exc)) from None
    if rebuild is None:
        _check_fitted(key, attributes, path)
        for name, value in attributes.items():
            setattr(model, name, value)
    return model


_MIXTURE = "gmmkit.GaussianMixture"
#: What ``fit`` gives gmmkit's estimators that are not rebuilt from their attributes (a
#: mixture is, and checks its own): the registry keys of the estimators that an attribute
#: holds (a list of them for ``mixtures_``), and the float arrays that are finite. Only
#: attributes present are checked: the builder of each class decides which it needs.
_FITTED_MODELS = {
    "gmmkit.GaussianMixtureSelector": {"best_estimator_": (_MIXTURE,)},
    "gmmkit.MixtureClassifier": {"mixtures_": (_MIXTURE,)},
    "gmmkit.ComponentClassifier": {"mixture_": (_MIXTURE,)},
    "gmmkit.LatentMixture": {
        "mixture_": (_MIXTURE, "gmmkit.MixtureClassifier", "gmmkit.ComponentClassifier")
    },
    "gmmkit.GaussianMixtureRegressor": {"mixture_": (_MIXTURE,)},
}
_FINITE_ARRAYS = {
    "gmmkit.MixtureClassifier": ("class_prior_",),
    "gmmkit.ComponentClassifier": (
        "class_prior_",
        "component_labelled_mass_",
        "component_class_proba_",
    ),
    "gmmkit.LatentMixture": (
        "components_",
        "mean_",
        "explained_variance_",
        "data_min_",
        "data_max_",
    ),
}


def _check_fitted(key, attributes, path):
    for name, keys in _FITTED_MODELS.get(key, {}).items():
        if name not in attributes:
            continue
        value = attributes[name]
        if name == "mixtures_":
            items = value if isinstance(value, list) and value else [None]
        else:
            items = [value]
        classes = tuple(_registry()[known] for known in keys)
        if not all(type(item) in classes for item in items):
            expected = "a non-empty list of " if name == "mixtures_" else ""
            raise _invalid(
                path, key, f"{name} must be {expected}a fitted {' or '.join(keys)}, got {value!r}"
            )
    for name in _FINITE_ARRAYS.get(key, ()):
        if name not in attributes:
            continue
        value = attributes[name]
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise _invalid(path, key, f"{name} must be a float array, got {value!r}")
        if not np.isfinite(value).all():
            raise _invalid(path, key, f"{name} must be finite, got NaN or infinity")


def _read_arrays(archive, meta, names, path) -> dict[str, np.ndarray]:
    arrays = {}
    for record in _field(meta, "arrays", list, path):
        if not isinstance(record, dict):
            raise _malformed(path, f"arrays must hold objects, got {record!r}")
        entry = _field(record, "entry", str, path)
        shape = _field(record, "shape", list, path)
        axes = _field(record, "axes", list, path)
        expected_hash = _field(record, "sha256", str, path)
        try:
            dtype = np.dtype(_field(record, "dtype", str, path))
        except (TypeError, ValueError):
            raise _malformed(path, f"entry {entry!r} has dtype {record['dtype']!r}") from None
        if dtype.kind not in _ARRAY_KINDS or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise _malformed(path, f"entry {entry!r} has dtype {dtype.str!r} and shape {shape!r}")
        if sorted(axes) != list(range(len(shape))):
            raise _malformed(
                path,
                f"entry {entry!r} has axes {axes!r}, which is not a "
                f"permutation of range({len(shape)})",
            )
        if entry not in names:
            raise _corrupted(path, f"the array entry {entry!r} is missing")
        limit = math.prod(shape) * dtype.itemsize + _MAX_NPY_HEADER_BYTES
        data = _read_entry(archive, entry, limit, path)
        if hashlib.sha256(data).hexdigest() != expected_hash:
            raise _corrupted(path, f"the array entry {entry!r} does not match its SHA-256")
        try:
            array = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise _corrupted(
                path, f"the array entry {entry!r} is not a valid .npy ({exc})"
            ) from None
        stored_shape = tuple(shape[axis] for axis in axes)
        if array.dtype != dtype or array.shape != stored_shape:
            raise _corrupted(
                path,
                f"the array entry {entry!r} holds {array.dtype.str} "
                f"{array.shape}, but {_META} says {dtype.str} {stored_shape}",
            )
        arrays[entry] = np.transpose(array, np.argsort(axes))
    unexpected = set(names) - set(arrays) - {_META, _META_HASH}
    if unexpected:
        raise _corrupted(path, f"unexpected entries {sorted(unexpected)}")
    return arrays


def _read_entry(archive, name, limit, path) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise _corrupted(
            path, f"the entry {name!r} is {info.file_size} bytes, more than the {limit} expected"
        )
    try:
        with archive.open(info) as entry:
            return entry.read(limit + 1)
    except _ZIP_ERRORS as exc:
        raise _corrupted(path, f"cannot read the entry {name!r} ({exc})") from None


def _decode(value, arrays, path):
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "none":
        return None
    if kind in ("bool", "int", "str"):
        result = value.get("value")
        expected = {"bool": bool, "int": int, "str": str}[kind]
        if isinstance(result, expected) and (kind == "bool" or not isinstance(result, bool)):
            return result
    elif kind == "float":
        result = value.get("value")
        if isinstance(result, (int, float)) and not isinstance(result, bool):
            return float(result)
        if result in ("nan", "inf", "-inf"):
            return float(result)
    elif kind in ("list", "tuple"):
        items = value.get("items")
        if isinstance(items, list):
            decoded = [_decode(item, arrays, path) for item in items]
            return decoded if kind == "list" else tuple(decoded)
    elif kind == "dict":
        items = value.get("items")
        if isinstance(items, dict):
            return {k: _decode(v, {}, path) for k, v in items.items()}
    elif kind == "mapping":
        items = value.get("items")
        if isinstance(items, list) and all(isinstance(p, list) and len(p) == 2 for p in items):
            keys = [_decode(key, {}, path) for key, _ in items]
            if all(isinstance(key, (bool, int, float, str)) for key in keys):
                return {key: _decode(v, {}, path) for key, (_, v) in zip(keys, items)}
    elif kind == "str_array":
        shape, items = value.get("shape"), value.get("value")
        if (
            isinstance(shape, list)
            and isinstance(items, list)
            and all(isinstance(item, str) for item in items)
            and all(isinstance(n, int) and n >= 0 for n in shape)
            and math.prod(shape) == len(items)
        ):
            result = np.empty(len(items), dtype=object)
            result[:] = items
            return result.reshape(shape)
    elif kind == "conjugate_prior":
        items = value.get("items")
        if isinstance(items, dict) and set(items) == set(_PRIOR_FIELDS):
            fields = {name: _decode(items[name], {}, path) for name in _PRIOR_FIELDS}
            try:
                return ConjugatePrior(**fields)
            except (TypeError, ValueError) as exc:
                raise _malformed(path, f"invalid prior {fields!r}: {exc}") from None
    elif kind == "model":
        key, params, attributes = (
            value.get(name) for name in ("estimator", "params", "attributes")
        )
        if isinstance(key, str) and isinstance(params, dict) and isinstance(attributes, dict):
            return _build(key, params, attributes, arrays, path)
    elif kind in ("array", "numpy_scalar"):
        entry = value.get("entry")
        if entry in arrays:
            array = arrays[entry]
            if kind == "array":
                return array
            if array.ndim == 0:
                return array[()]
    raise _malformed(path, f"cannot decode {value!r}")


def _field(record, key, expected, path):
    value = record.get(key)
    if not isinstance(value, expected):
        raise _malformed(path, f"{key!r} must be a {expected.__name__}, got {value!r}")
    return value


def _corrupted(path, problem) -> ValueError:
    return ValueError(f"{path}: file is corrupted or was modified: {problem}")


def _invalid(path, key, problem) -> ValueError:
    return ValueError(f"{path}: not a valid fitted {key}: {problem}")


def _malformed(path, problem) -> ValueError:
    return ValueError(f"{path}: malformed {_META}: {problem}")
