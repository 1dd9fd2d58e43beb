"""``gmmkit.load`` on hostile, corrupted and tampered files, and what ``gmmkit.save`` leaves behind.

A tampered file here has its hashes recomputed (as anyone editing a file on purpose can), so
what refuses it is the reader's own checks, not the SHA-256s.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import gmmkit
from gmmkit import GaussianMixture


@pytest.fixture
def X():
    rng = np.random.RandomState(0)
    return np.r_[rng.normal(0.0, 1.0, (30, 3)), rng.normal(5.0, 1.5, (30, 3))]


@pytest.fixture
def saved(X, tmp_path):
    path = tmp_path / "model.gmm"
    gmmkit.save(GaussianMixture(n_components=2, random_state=0).fit(X), path)
    return path


def _entries(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, entries, compressed=()):
    """A zip of ``entries`` (stored, except the names in ``compressed``), with valid CRCs."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            method = zipfile.ZIP_DEFLATED if name in compressed else zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=method)


def _rehashed(entries, meta_bytes):
    return {
        **entries,
        "meta.json": meta_bytes,
        "meta.json.sha256": hashlib.sha256(meta_bytes).hexdigest().encode(),
    }


def _replace_array(path, entry, array, compressed=False, edit_meta=None):
    """Put ``array`` in ``entry`` and recompute every hash, as a deliberate edit would."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    data = buffer.getvalue()
    entries = _entries(path)
    meta = json.loads(entries["meta.json"])
    for record in meta["arrays"]:
        if record["entry"] == entry:
            record.update(
                dtype=array.dtype.str,
                shape=list(array.shape),
                axes=list(range(array.ndim)),
                sha256=hashlib.sha256(data).hexdigest(),
            )
    if edit_meta is not None:
        edit_meta(meta)
    entries = _rehashed({**entries, entry: data}, json.dumps(meta).encode())
    _write(path, entries, compressed={entry} if compressed else ())


# ---------------------------------------------------------------------- item 10: zip bombs
def test_zip_bomb_is_refused_at_once_without_decompressing_it(saved):
    # 64 MiB of zeros deflate to about 64 KiB; the declared shape matches, so a reader that
    # caps an entry by its declared shape inflates all of it.
    _replace_array(saved, "attributes/lower_bounds_.npy", np.zeros(2**23), compressed=True)
    assert saved.stat().st_size < 2**20
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ValueError, match=r"lower_bounds_\.npy' is compressed") as excinfo:
            gmmkit.load(saved)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < 8 * 2**20
    assert str(saved) in str(excinfo.value)


def test_load_refuses_a_compressed_entry(saved):
    _write(saved, _entries(saved), compressed={"attributes/means_.npy"})
    with pytest.raises(ValueError, match=r"means_\.npy' is compressed.*stored entries only"):
        gmmkit.load(saved)


def test_load_refuses_an_entry_declared_larger_than_the_file(saved):
    # The declared (uncompressed) size of the entry, in its central-directory header.
    data = bytearray(saved.read_bytes())
    central = _central_header(data, "attributes/means_.npy")
    data[central + 24 : central + 28] = (len(data) + 1).to_bytes(4, "little")
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"means_\.npy' declares \d+ bytes .* in a file of"):
        gmmkit.load(saved)


def test_save_writes_stored_entries_only(saved):
    with zipfile.ZipFile(saved) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}


# ---------------------------------------------------------------------- zip structure
def _end_of_directory(data) -> int:
    """Offset of the end-of-central-directory record (no archive comment: it is the last)."""
    offset = data.rindex(b"PK\x05\x06")
    assert offset == len(data) - 22
    return offset


def _central_directory(data) -> int:
    return int.from_bytes(
        data[_end_of_directory(data) + 16 : _end_of_directory(data) + 20], "little"
    )


def _central_header(data, name) -> int:
    """Offset of ``name``'s header in the central directory."""
    offset = _central_directory(data)
    while data[offset : offset + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = (
            int.from_bytes(data[offset + i : offset + i + 2], "little") for i in (28, 30, 32)
        )
        if data[offset + 46 : offset + 46 + name_length] == name.encode():
            return offset
        offset += 46 + name_length + extra_length + comment_length
    raise AssertionError(f"{name} is not in the central directory")


# ---------------------------------------------------------------------- item 11: corrupt archives
def _flip(path, offset, mask=0xFF):
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def test_flipped_version_byte_in_the_central_directory_gives_value_error(saved):
    # "version needed to extract", 20, flipped to 235: zipfile raises NotImplementedError.
    _flip(saved, _central_directory(saved.read_bytes()) + 6)
    with pytest.raises(ValueError, match="truncated or corrupted") as excinfo:
        gmmkit.load(saved)
    assert str(saved) in str(excinfo.value)


@pytest.mark.parametrize("field", [12, 16], ids=["directory size", "directory offset"])
def test_flipped_byte_in_the_end_of_directory_record_gives_value_error(saved, field):
    # A top byte flipped: the directory seems to start before the file (a negative seek,
    # OSError) or after its end.
    _flip(saved, _end_of_directory(saved.read_bytes()) + field + 3)
    with pytest.raises(ValueError, match="corrupted") as excinfo:
        gmmkit.load(saved)
    assert str(saved) in str(excinfo.value)


@pytest.mark.slow
def test_any_flipped_byte_in_the_zip_directory_gives_value_error_or_the_model(saved, X):
    # Bytes zipfile ignores (timestamps, file attributes) leave a loadable model; every other
    # flip must be refused with the documented error.
    data = saved.read_bytes()
    expected = gmmkit.load(saved).score_samples(X)
    for offset in range(_central_directory(data), len(data)):
        _flip(saved, offset)
        try:
            loaded = gmmkit.load(saved)
        except ValueError as exc:
            assert str(saved) in str(exc), offset
        else:
            np.testing.assert_array_equal(loaded.score_samples(X), expected, err_msg=offset)
        saved.write_bytes(data)


def test_deeply_nested_meta_json_with_its_hash_recomputed_gives_value_error(saved):
    meta_bytes = b"[" * 100_000 + b"]" * 100_000
    _write(saved, _rehashed(_entries(saved), meta_bytes))
    with pytest.raises(ValueError, match=r"meta.json is not valid JSON") as excinfo:
        gmmkit.load(saved)
    assert str(saved) in str(excinfo.value)


def test_tagged_values_nested_near_the_parser_limit_give_value_error(saved):
    # Nested about as deep as json.loads accepts at the top level; from inside load either
    # the parser or the decoder of tagged values runs out of stack, depending on the Python.
    entries = _entries(saved)
    meta = json.loads(entries["meta.json"])
    meta["params"]["verbose"] = "NESTED"
    depth = 495
    nested = '{"type": "list", "items": [' * depth + '{"type": "none"}' + "]}" * depth
    meta_bytes = json.dumps(meta).replace('"NESTED"', nested).encode()
    _write(saved, _rehashed(entries, meta_bytes))
    with pytest.raises(ValueError, match="not valid JSON|nested too deeply") as excinfo:
        gmmkit.load(saved)
    assert str(saved) in str(excinfo.value)


def test_damaged_meta_json_is_refused_by_its_hash_before_it_is_parsed(saved):
    entries = _entries(saved)
    _write(saved, {**entries, "meta.json": b"[" * 100_000})
    with pytest.raises(ValueError, match="meta.json does not match its SHA-256"):
        gmmkit.load(saved)


# ---------------------------------------------------------------------- item 13: stale temporaries
def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _temporary(directory, name, age_s):
    path = directory / name
    path.write_bytes(b"partial")
    os.utime(path, (time.time() - age_s, time.time() - age_s))
    return path


def test_save_removes_stale_temporaries_of_its_own_path_and_nothing_else(X, tmp_path):
    dead, hex16 = _dead_pid(), "0123456789abcdef"
    stale = [
        _temporary(tmp_path, f".model.gmm.{dead}.{hex16}.tmp", age_s=120),  # killed writer
        _temporary(tmp_path, f".model.gmm.{hex16}.tmp", age_s=2 * 3600),  # old name, no pid
    ]
    kept = [
        _temporary(tmp_path, f".model.gmm.{os.getppid()}.{hex16}.tmp", age_s=120),  # live
        _temporary(tmp_path, f".model.gmm.{dead}.{hex16[::-1]}.tmp", age_s=1),  # just written
        _temporary(tmp_path, f".model.gmm.{hex16[::-1]}.tmp", age_s=120),  # old name, recent
        _temporary(tmp_path, f".other.gmm.{dead}.{hex16}.tmp", age_s=2 * 3600),  # other file
        _temporary(tmp_path, f".model.gmm.bak.{dead}.{hex16}.tmp", age_s=2 * 3600),
        _temporary(tmp_path, "notes.txt", age_s=2 * 3600),
    ]
    gmmkit.save(GaussianMixture(1).fit(X), tmp_path / "model.gmm")
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)
    assert gmmkit.load(tmp_path / "model.gmm").n_components == 1


def test_save_names_its_temporary_after_its_process(X, tmp_path, monkeypatch):
    seen = []
    replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (seen.append(src), replace(src, dst)))
    gmmkit.save(GaussianMixture(1).fit(X), tmp_path / "model.gmm", overwrite=True)
    assert [os.path.basename(name).split(".")[:4] for name in seen] == [
        ["", "model", "gmm", str(os.getpid())]
    ]


# ---------------------------------------------------------------------- item 12: tampered values
def test_nan_weights_with_hashes_recomputed_are_refused_at_load(saved):
    _replace_array(saved, "attributes/weights_.npy", np.array([np.nan, 0.5]))
    with pytest.raises(
        ValueError, match="not a valid fitted gmmkit.GaussianMixture: weights_ must be finite"
    ) as excinfo:
        gmmkit.load(saved)
    assert str(saved) in str(excinfo.value)


def test_weights_that_are_not_a_distribution_are_refused_at_load(saved):
    _replace_array(saved, "attributes/weights_.npy", np.array([0.9, 0.9]))
    with pytest.raises(ValueError, match="weights_ must be non-negative and sum to 1"):
        gmmkit.load(saved)


def test_switched_covariance_type_with_hashes_recomputed_is_refused_at_load(saved):
    _replace_array(
        saved,
        "attributes/weights_.npy",
        np.array([0.5, 0.5]),
        edit_meta=lambda meta: meta["params"]["covariance_type"].update(value="diag"),
    )
    with pytest.raises(
        ValueError,
        match=r"covariances_ must have shape \(2, 3\) for "
        r"covariance_type='diag', got \(2, 3, 3\)",
    ):
        gmmkit.load(saved)


def test_means_of_the_wrong_shape_with_hashes_recomputed_are_refused_at_load(saved):
    _replace_array(saved, "attributes/means_.npy", np.zeros((3, 3)))
    with pytest.raises(
        ValueError,
        match=r"means_ must have shape \(n_components=2, n_features\)"
        r", got \(3, 3\)",
    ):
        gmmkit.load(saved)


def test_string_weights_with_hashes_recomputed_are_refused_at_load(saved):
    _replace_array(saved, "attributes/weights_.npy", np.array(["0.5", "0.5"]))
    with pytest.raises(
        ValueError, match="weights_ must be a float array, got an array of dtype <U3"
    ):
        gmmkit.load(saved)


def test_n_features_in_that_disagrees_with_means_is_refused_at_load(saved):
    def edit(meta):
        meta["attributes"]["n_features_in_"]["value"] = 4

    _replace_array(saved, "attributes/weights_.npy", np.array([0.5, 0.5]), edit_meta=edit)
    with pytest.raises(ValueError, match="n_features_in_ must be 3"):
        gmmkit.load(saved)


@pytest.fixture
def saved_classifier(X, tmp_path):
    y = np.r_[np.zeros(30, int), np.ones(30, int)]
    path = tmp_path / "classifier.gmm"
    gmmkit.save(gmmkit.MixtureClassifier(random_state=0).fit(X, y), path)
    return path


def test_a_classifier_with_nan_class_priors_is_refused_at_load(saved_classifier):
    _replace_array(saved_classifier, "attributes/class_prior_.npy", np.array([np.nan, 0.5]))
    with pytest.raises(ValueError, match="gmmkit.MixtureClassifier: class_prior_ must be finite"):
        gmmkit.load(saved_classifier)


def test_a_classifier_whose_class_mixture_has_nan_weights_is_refused_at_load(saved_classifier):
    _replace_array(
        saved_classifier, "attributes/mixtures_/1/attributes/weights_.npy", np.array([np.nan])
    )
    with pytest.raises(ValueError, match="gmmkit.GaussianMixture: weights_ must be finite"):
        gmmkit.load(saved_classifier)


def test_a_classifier_without_its_class_mixtures_is_refused_at_load(saved_classifier):
    def edit(meta):
        meta["attributes"]["mixtures_"] = {"type": "list", "items": []}
        meta["arrays"] = [
            record
            for record in meta["arrays"]
            if not record["entry"].startswith("attributes/mixtures_/")
        ]

    entries = _entries(saved_classifier)
    meta = json.loads(entries["meta.json"])
    edit(meta)
    entries = {
        name: data for name, data in entries.items() if not name.startswith("attributes/mixtures_/")
    }
    _write(saved_classifier, _rehashed(entries, json.dumps(meta).encode()))
    with pytest.raises(
        ValueError, match="mixtures_ must be a non-empty list of a fitted gmmkit.GaussianMixture"
    ):
        gmmkit.load(saved_classifier)


# ---------------------------------------------------------------------- loaded definiteness
def test_precisions_that_are_not_positive_definite_are_refused_at_load(saved):
    precisions = np.load(io.BytesIO(_entries(saved)["attributes/precisions_.npy"]))
    precisions[0] = -np.eye(3)
    _replace_array(saved, "attributes/precisions_.npy", precisions)
    with pytest.raises(ValueError, match="precisions_ must be positive definite"):
        gmmkit.load(saved)


def test_a_cholesky_factor_with_a_negative_pivot_is_refused_at_load(saved):
    factor = np.load(io.BytesIO(_entries(saved)["attributes/precisions_cholesky_.npy"]))
    factor[1] = -factor[1]
    _replace_array(saved, "attributes/precisions_cholesky_.npy", factor)
    with pytest.raises(ValueError, match="precisions_cholesky_ must be a Cholesky factor"):
        gmmkit.load(saved)


def test_a_cholesky_factor_of_other_precisions_is_refused_at_load(saved):
    factor = np.load(io.BytesIO(_entries(saved)["attributes/precisions_cholesky_.npy"]))
    factor[0] *= 2.0
    _replace_array(saved, "attributes/precisions_cholesky_.npy", factor)
    with pytest.raises(ValueError, match="is not the Cholesky factor of precisions_"):
        gmmkit.load(saved)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_every_fitted_structure_still_loads(X, tmp_path, covariance_type):
    path = tmp_path / f"{covariance_type}.gmm"
    model = gmmkit.GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    gmmkit.save(model, path)
    np.testing.assert_array_equal(gmmkit.load(path).score_samples(X), model.score_samples(X))
