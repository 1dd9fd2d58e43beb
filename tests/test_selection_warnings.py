"""A sweep says when its best model is at the edge of the searched range and names the fits that
did not converge (issue: diamonds' BIC picked k=10 of 1..10, k=20 of 1..20, silently)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

import gmmkit
from gmmkit import SelectionRangeWarning, select
from gmmkit.cli import main


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(300, centers=3, n_features=2, cluster_std=0.5, random_state=0)[0]


def _quiet_select(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = select(*args, **kwargs)
    return result, caught


def test_a_best_model_at_the_largest_k_searched_is_flagged(blobs):
    result, caught = _quiet_select(blobs, [1, 2], "full", random_state=0, silhouette_samples=None)
    assert result.range_edge == "largest"
    edge = [w for w in caught if issubclass(w.category, SelectionRangeWarning)]
    assert len(edge) == 1
    assert "largest n_components searched (1..2)" in str(edge[0].message)


def test_a_best_model_at_the_smallest_k_above_one_is_flagged(blobs):
    result, caught = _quiet_select(
        blobs, [3, 6, 9], "full", random_state=0, silhouette_samples=None
    )
    assert result.range_edge == "smallest"
    assert any("smallest n_components searched (3..9)" in str(w.message) for w in caught)


def test_a_best_model_inside_the_range_is_not_flagged(blobs):
    result, caught = _quiet_select(
        blobs, range(1, 7), "full", random_state=0, silhouette_samples=None
    )
    assert result.best_params_["n_components"] == 3
    assert result.range_edge is None
    assert not [w for w in caught if issubclass(w.category, SelectionRangeWarning)]


def test_configurations_that_did_not_converge_are_named_in_one_warning(blobs):
    result, caught = _quiet_select(
        blobs,
        range(2, 5),
        ["diag", "spherical"],
        random_state=0,
        max_iter=1,
        silhouette_samples=None,
    )
    assert result.unconverged and set(result.unconverged) <= {
        (k, kind) for k in range(2, 5) for kind in ("diag", "spherical")
    }
    convergence = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(convergence) == 1
    for k, kind in result.unconverged:
        assert f"{kind} k={k}" in str(convergence[0].message)


def test_the_command_line_says_so_too(blobs, tmp_path, capsys):
    data = tmp_path / "blobs.csv"
    np.savetxt(data, blobs, delimiter=",", header="x,y", comments="")
    assert (
        main(
            ["select", str(data), "-k", "1:2", "--covariance", "full", "-o", str(tmp_path / "out")]
        )
        == 0
    )
    output = capsys.readouterr()
    assert "largest n_components searched (1..2)" in output.err
    header = next(line for line in output.out.splitlines() if "BIC" in line)
    assert "converged" in header.split()


def test_the_warning_class_is_exported():
    assert issubclass(gmmkit.SelectionRangeWarning, UserWarning)
