"""Specification of ``gmmkit.save`` and ``gmmkit.load``."""

import hashlib
import io
import json
import os
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

import gmmkit
from gmmkit import GaussianMixture, persistence

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def _blobs(dtype=np.float64, n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = np.r_[rng.normal(0.0, 1.0, (n // 2, 3)), rng.normal(5.0, 1.5, (n - n // 2, 3))]
    return X.astype(dtype)


@pytest.fixture
def X():
    return _blobs()


@pytest.fixture
def model(X):
    return GaussianMixture(n_components=2, random_state=0).fit(X)


@pytest.fixture
def saved(model, tmp_path):
    path = tmp_path / "model.gmm"
    gmmkit.save(model, path)
    return path


def _assert_same_predictions(original, loaded, X):
    for method in ("predict", "predict_proba", "score_samples"):
        expected, got = getattr(original, method)(X), getattr(loaded, method)(X)
        assert got.dtype == expected.dtype, method
        np.testing.assert_array_equal(got, expected, err_msg=method)


def _assert_same_params(original, loaded):
    expected, got = original.get_params(), loaded.get_params()
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        if isinstance(value, np.ndarray):
            assert isinstance(got[name], np.ndarray) and got[name].dtype == value.dtype, name
            np.testing.assert_array_equal(got[name], value, err_msg=name)
        else:
            assert got[name] == value and type(got[name]) is type(value), name


def _rewrite(path, changes):
    """Rebuild the archive (with valid zip CRCs), replacing (bytes) or dropping (None) entries."""
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    for name, data in changes.items():
        if data is None:
            del entries[name]
        else:
            entries[name] = data
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def _rewrite_meta(path, edit, rehash):
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read("meta.json"))
    edit(meta)
    meta_bytes = json.dumps(meta).encode()
    changes = {"meta.json": meta_bytes}
    if rehash:
        changes["meta.json.sha256"] = hashlib.sha256(meta_bytes).hexdigest().encode()
    _rewrite(path, changes)


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_gives_identical_predictions_samples_and_params(
    covariance_type, dtype, tmp_path
):
    X = _blobs(dtype)
    original = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    path = tmp_path / "model.gmm"
    gmmkit.save(original, path)
    loaded = gmmkit.load(path)

    assert type(loaded) is GaussianMixture
    assert loaded.means_.dtype == dtype
    _assert_same_predictions(original, loaded, X)
    for got, expected in zip(loaded.sample(7, random_state=0), original.sample(7, random_state=0)):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    _assert_same_params(original, loaded)


def test_round_trip_restores_every_fitted_attribute_with_its_type(model, saved):
    loaded = gmmkit.load(saved)
    fitted = {name for name in vars(model) if name.endswith("_")}
    assert {name for name in vars(loaded) if name.endswith("_")} == fitted
    for name in fitted:
        expected, got = getattr(model, name), getattr(loaded, name)
        assert type(got) is type(expected), name
        np.testing.assert_array_equal(got, expected, err_msg=name)
    assert isinstance(loaded.lower_bounds_, np.ndarray)


def test_round_trip_keeps_the_memory_order_of_arrays(model, tmp_path):
    # Linear algebra results can depend on memory order in the last bit.
    model.means_ = np.asfortranarray(model.means_)
    gmmkit.save(model, tmp_path / "model.gmm")
    loaded = gmmkit.load(tmp_path / "model.gmm")
    for name, value in vars(model).items():
        if isinstance(value, np.ndarray):
            assert getattr(loaded, name).strides == value.strides, name


def test_round_trip_keeps_array_parameters(X, tmp_path):
    means_init = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]])
    original = GaussianMixture(2, means_init=means_init, weights_init=[0.5, 0.5]).fit(X)
    gmmkit.save(original, tmp_path / "model.gmm")
    _assert_same_params(original, gmmkit.load(tmp_path / "model.gmm"))


def test_random_state_instance_is_saved_as_none(X, tmp_path):
    original = GaussianMixture(2, random_state=np.random.RandomState(0)).fit(X)
    gmmkit.save(original, tmp_path / "model.gmm")
    loaded = gmmkit.load(tmp_path / "model.gmm")
    assert loaded.random_state is None
    _assert_same_predictions(original, loaded, X)


def test_round_trip_restores_feature_names_from_dataframe(X, tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["height", "weight", "age"])
    original = GaussianMixture(2, random_state=0).fit(frame)
    gmmkit.save(original, tmp_path / "model.gmm")
    loaded = gmmkit.load(tmp_path / "model.gmm")

    assert loaded.feature_names_in_.dtype == object
    assert loaded.feature_names_in_.tolist() == ["height", "weight", "age"]
    _assert_same_predictions(original, loaded, frame)


def test_round_trip_keeps_non_finite_float_attributes(model, tmp_path):
    model.lower_bound_ = float("-inf")
    gmmkit.save(model, tmp_path / "model.gmm")
    assert gmmkit.load(tmp_path / "model.gmm").lower_bound_ == float("-inf")


def test_save_and_load_accept_str_paths(model, X, tmp_path):
    path = str(tmp_path / "model.gmm")
    gmmkit.save(model, path)
    _assert_same_predictions(model, gmmkit.load(path), X)


def test_saving_a_model_twice_gives_identical_bytes(model, tmp_path):
    gmmkit.save(model, tmp_path / "a.gmm")
    gmmkit.save(model, tmp_path / "b.gmm")
    assert (tmp_path / "a.gmm").read_bytes() == (tmp_path / "b.gmm").read_bytes()


def test_registered_estimator_round_trips(tmp_path, monkeypatch):
    monkeypatch.setattr(persistence, "_REGISTRY", {})

    @persistence.register(name="tests.Centre")
    class Centre(BaseEstimator):
        def __init__(self, scale=1.0):
            self.scale = scale

    centre = Centre(scale=2.0)
    centre.centre_, centre.labels_ = np.float32(3.5), ("a", "b")
    gmmkit.save(centre, tmp_path / "centre.gmm")
    loaded = gmmkit.load(tmp_path / "centre.gmm")

    assert type(loaded) is Centre and loaded.scale == 2.0
    assert type(loaded.centre_) is np.float32 and loaded.centre_ == np.float32(3.5)
    assert loaded.labels_ == ("a", "b")


# ---------------------------------------------------------------------- saving
def test_save_refuses_to_overwrite_an_existing_file(model, saved):
    before = saved.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True") as excinfo:
        gmmkit.save(GaussianMixture(1).fit(_blobs()), saved)
    assert str(saved) in str(excinfo.value)
    assert saved.read_bytes() == before


def test_save_with_overwrite_replaces_the_file(saved):
    other = GaussianMixture(1, covariance_type="diag").fit(_blobs(seed=1))
    gmmkit.save(other, saved, overwrite=True)
    loaded = gmmkit.load(saved)
    assert loaded.covariance_type == "diag"
    np.testing.assert_array_equal(loaded.means_, other.means_)


def test_save_leaves_no_temporary_file(model, saved):
    assert os.listdir(saved.parent) == [saved.name]


def test_failed_save_keeps_the_existing_file_and_removes_the_temporary_one(
    model, saved, monkeypatch
):
    before = saved.read_bytes()

    def crash(src, dst):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        gmmkit.save(GaussianMixture(1).fit(_blobs()), saved, overwrite=True)
    assert saved.read_bytes() == before
    assert os.listdir(saved.parent) == [saved.name]


def test_save_refuses_an_unfitted_model(tmp_path):
    with pytest.raises(NotFittedError, match="fit the model before saving"):
        gmmkit.save(GaussianMixture(2), tmp_path / "model.gmm")
    assert not (tmp_path / "model.gmm").exists()


def test_save_refuses_an_unregistered_class(X, tmp_path):
    class Custom(GaussianMixture):
        pass

    with pytest.raises(TypeError, match="not registered"):
        gmmkit.save(Custom(1).fit(X), tmp_path / "model.gmm")


# ---------------------------------------------------------------------- loading bad files
@pytest.mark.parametrize("keep", [10, 0.5, -1], ids=["10 bytes", "half", "all but one byte"])
def test_load_rejects_a_truncated_file(saved, keep):
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        gmmkit.load(saved)


def test_load_rejects_a_flipped_byte_in_array_data(saved):
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("attributes/means_.npy")
    data = bytearray(saved.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + info.compress_size - 1] ^= 0x01
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupted or was modified"):
        gmmkit.load(saved)


def test_load_rejects_tampered_array_bytes(saved):
    with zipfile.ZipFile(saved) as archive:
        data = bytearray(archive.read("attributes/means_.npy"))
    data[-1] ^= 0x01
    _rewrite(saved, {"attributes/means_.npy": bytes(data)})
    with pytest.raises(ValueError, match="corrupted or was modified.*means_.*SHA-256"):
        gmmkit.load(saved)


def test_load_rejects_tampered_meta_json(saved):
    _rewrite_meta(saved, lambda meta: meta["params"]["n_components"].update(value=3), rehash=False)
    with pytest.raises(ValueError, match="corrupted or was modified.*meta.json"):
        gmmkit.load(saved)


def test_load_rejects_a_newer_format_version(saved):
    _rewrite_meta(saved, lambda meta: meta.update(format_version=2), rehash=True)
    with pytest.raises(ValueError, match="newer gmmkit.*upgrade"):
        gmmkit.load(saved)


def test_load_rejects_a_file_that_is_not_a_zip_archive(tmp_path):
    path = tmp_path / "model.gmm"
    path.write_bytes(b"\x80\x04\x95 this is a pickle, not a model")
    with pytest.raises(ValueError, match="not a gmmkit model file"):
        gmmkit.load(path)


def test_load_rejects_a_zip_without_meta_json(tmp_path):
    path = tmp_path / "model.gmm"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="not a gmmkit model file.*meta.json"):
        gmmkit.load(path)


def test_load_rejects_another_format_name(saved):
    _rewrite_meta(saved, lambda meta: meta.update(format="other-model"), rehash=True)
    with pytest.raises(ValueError, match="not a gmmkit model file.*other-model"):
        gmmkit.load(saved)


def test_load_rejects_a_missing_array_entry(saved):
    _rewrite(saved, {"attributes/covariances_.npy": None})
    with pytest.raises(ValueError, match="covariances_.npy' is missing"):
        gmmkit.load(saved)


def test_load_rejects_an_unregistered_estimator_class(saved):
    _rewrite_meta(saved, lambda meta: meta.update(estimator="os.system"), rehash=True)
    with pytest.raises(ValueError, match="refusing to load estimator class 'os.system'"):
        gmmkit.load(saved)


def test_archive_contains_no_pickle(saved):
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
        json.loads(archive.read("meta.json"))
        for name in names:
            if name.endswith(".npy"):
                np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
    assert set(names) - {"meta.json", "meta.json.sha256"} == {
        name for name in names if name.endswith(".npy")
    }


# ---------------------------------------------------------------------- property
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.integers(20, 60).flatmap(
        lambda n: st.integers(1, 3).flatmap(
            lambda d: arrays(
                np.float64,
                (n, d),
                elements=st.floats(-100, 100, allow_nan=False, allow_infinity=False),
            )
        )
    ),
    n_components=st.integers(1, 3),
    covariance_type=st.sampled_from(COVARIANCE_TYPES),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_round_trip_preserves_predictions_for_any_data(
    data, n_components, covariance_type, dtype, tmp_path
):
    # Jitter keeps rows distinct when hypothesis proposes constant columns.
    X = (data + np.random.RandomState(0).normal(0.0, 0.1, data.shape)).astype(dtype)
    assume(np.isfinite(X).all())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original = GaussianMixture(
            n_components, covariance_type=covariance_type, max_iter=20, random_state=0
        ).fit(X)
        path = tmp_path / "model.gmm"
        gmmkit.save(original, path, overwrite=True)
        _assert_same_predictions(original, gmmkit.load(path), X)
