"""The sequential parametric-bootstrap likelihood-ratio test (:mod:`gmmkit.inference.lrt`) and
its command, ``gmmkit lrt``: what it selects on data of known structure, its p-values, its
reproducibility whatever ``n_jobs``, its observed statistics against mclust's, its errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gmmkit.cli import main
from gmmkit.inference.lrt import BootstrapLRTResult, bootstrap_lrt, bootstrap_p_value

FIXTURES = Path(__file__).parent / "fixtures" / "mclust"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CENTRES = np.array([[0.0, 0.0], [7.0, 0.0], [0.0, 7.0]])


def three_clusters(seed, n_per_cluster=50):
    """Rows from three well-separated 2-D Gaussians (unit and 0.5 scales), in random order."""
    rng = np.random.RandomState(seed)
    X = np.concatenate(
        [
            rng.normal(centre, scale, (n_per_cluster, 2))
            for centre, scale in zip(CENTRES, (1.0, 0.5, 1.0))
        ]
    )
    return X[rng.permutation(len(X))]


def one_gaussian(seed=1, n=150):
    return np.random.RandomState(seed).normal(size=(n, 2))


@pytest.fixture(scope="module")
def three_result():
    return bootstrap_lrt(three_clusters(0), "VVV", max_components=5, n_bootstrap=19, random_state=0)


# ---------------------------------------------------------------------- the p-value
def test_p_value_counts_the_observed_statistic_among_the_replicates():
    assert bootstrap_p_value(5.0, [1.0, 5.0, 7.0, 2.0]) == pytest.approx(3 / 5)
    assert bootstrap_p_value(100.0, np.arange(19.0)) == pytest.approx(1 / 20)
    assert bootstrap_p_value(-1.0, np.arange(19.0)) == 1.0


@pytest.mark.parametrize("replicates", [[], [[1.0, 2.0]], [1.0, np.nan]])
def test_p_value_refuses_replicates_that_are_not_statistics(replicates):
    with pytest.raises(ValueError, match="replicates"):
        bootstrap_p_value(1.0, replicates)


@pytest.mark.slow
def test_every_p_value_is_that_of_its_own_replicates(three_result):
    result = three_result
    assert result.bootstrap_lrts.shape == (len(result.g), 19)
    for observed, replicates, p in zip(result.lrts, result.bootstrap_lrts, result.p_values):
        assert p == bootstrap_p_value(observed, replicates)
    np.testing.assert_allclose(
        result.lrts,
        [2 * (result.log_likelihoods[g + 1] - result.log_likelihoods[g]) for g in result.g],
    )


# ---------------------------------------------------------------------- what it selects
@pytest.mark.slow
def test_three_separated_components_stop_the_sequence_at_three_for_most_seeds():
    selected = [
        bootstrap_lrt(
            three_clusters(seed), "VVV", max_components=4, n_bootstrap=19, random_state=seed
        ).n_components
        for seed in range(5)
    ]
    assert selected.count(3) >= 4, selected


def test_the_sequence_stops_at_the_first_test_that_is_not_significant(three_result):
    result = three_result
    assert result.n_components == 3
    np.testing.assert_array_equal(result.g, [1, 2, 3])
    assert (result.p_values[:2] <= 0.05).all() and result.p_values[2] > 0.05
    assert "3 vs 4" in result.stop_reason
    assert sorted(result.models) == [1, 2, 3, 4]
    assert result.models[3].n_components == 3


@pytest.mark.slow
def test_one_gaussian_stops_at_one():
    result = bootstrap_lrt(one_gaussian(), "VVV", max_components=4, n_bootstrap=19, random_state=2)
    assert result.n_components == 1
    np.testing.assert_array_equal(result.g, [1])
    assert result.p_values[0] > 0.05


@pytest.mark.slow
def test_a_sequence_significant_to_the_end_selects_max_components():
    result = bootstrap_lrt(
        three_clusters(0), "EII", max_components=3, n_bootstrap=19, random_state=0
    )
    assert result.n_components == 3
    np.testing.assert_array_equal(result.g, [1, 2])
    assert "max_components" in result.stop_reason


def test_an_ill_posed_alternative_on_the_data_stops_the_sequence_before_its_test(agg):
    # three distinct points: any component of a 2-component fit sits on single values
    X = np.repeat([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], 10, axis=0)
    result = bootstrap_lrt(X, max_components=3, n_bootstrap=19, random_state=0)
    assert result.n_components == 1
    assert result.g.size == 0 and result.bootstrap_lrts.shape == (0, 19)
    assert "ill-posed" in result.stop_reason
    with pytest.raises(ValueError, match="no test was run"):
        result.plot()


def test_replicate_statistics_are_never_negative(three_result):
    assert (three_result.bootstrap_lrts >= 0).all()
    assert (three_result.n_clamped >= 0).all() and (three_result.n_ill_posed >= 0).all()


# ---------------------------------------------------------------------- reproducibility
@pytest.mark.slow
def test_results_are_identical_for_one_and_two_jobs():
    X = one_gaussian()
    one = bootstrap_lrt(X, "VVV", max_components=3, n_bootstrap=19, random_state=3, n_jobs=1)
    two = bootstrap_lrt(X, "VVV", max_components=3, n_bootstrap=19, random_state=3, n_jobs=2)
    np.testing.assert_array_equal(one.bootstrap_lrts, two.bootstrap_lrts)
    np.testing.assert_array_equal(one.p_values, two.p_values)
    assert one.n_components == two.n_components


@pytest.mark.slow
def test_the_seed_sets_the_replicates():
    X = one_gaussian()
    first = bootstrap_lrt(X, "diag", max_components=2, n_bootstrap=19, random_state=5)
    again = bootstrap_lrt(X, "diag", max_components=2, n_bootstrap=19, random_state=5)
    other = bootstrap_lrt(X, "diag", max_components=2, n_bootstrap=19, random_state=6)
    np.testing.assert_array_equal(first.bootstrap_lrts, again.bootstrap_lrts)
    assert not np.array_equal(first.bootstrap_lrts, other.bootstrap_lrts)
    # the observed statistic does not depend on the replicates' seeds
    assert first.lrts[0] == pytest.approx(other.lrts[0], rel=1e-8)


@pytest.mark.slow
def test_a_random_state_instance_is_accepted_and_drawn_from():
    rng = np.random.RandomState(0)
    result = bootstrap_lrt(
        one_gaussian(), "spherical", max_components=2, n_bootstrap=19, random_state=rng
    )
    assert result.bootstrap_lrts.shape == (1, 19)


@pytest.mark.slow
def test_a_dataframe_gives_the_result_of_its_values():
    pd = pytest.importorskip("pandas")
    X = three_clusters(1, n_per_cluster=30)
    frame = pd.DataFrame(X, columns=["x", "y"])
    from_frame = bootstrap_lrt(frame, "EEE", max_components=2, n_bootstrap=19, random_state=1)
    from_array = bootstrap_lrt(X, "EEE", max_components=2, n_bootstrap=19, random_state=1)
    np.testing.assert_array_equal(from_frame.bootstrap_lrts, from_array.bootstrap_lrts)


# ---------------------------------------------------------------------- mclust's statistics
@pytest.mark.slow
def test_observed_statistics_match_mclust_on_old_faithful():
    """mclust's observed LRTS (reference/mclust/bootstrap_lrt.R, EM to tol 1e-10): equal to
    1e-4 where both reach the same maxima. Where gmmkit's best start finds a higher maximum
    than mclust's hierarchical start (VVV with 3 and VEV with 4 components), its
    log-likelihood is at least mclust's."""
    fixture = json.loads((FIXTURES / "faithful_lrt.json").read_text())
    X = np.array(fixture["data"], dtype=np.float64)
    higher = {"VVV": {3}, "VEV": {4}}
    for model, reference in fixture["tests"].items():
        result = bootstrap_lrt(
            X,
            model,
            max_components=4,
            n_bootstrap=1,
            level=0.99,
            random_state=0,
            tol=1e-10,
            reg_covar=0.0,
            max_iter=10_000,
        )
        for k, loglik in result.log_likelihoods.items():
            mclust = reference["loglik"][k - 1]
            if k in higher.get(model, ()):
                assert loglik > mclust + 1.0, (model, k)
            else:
                assert loglik == pytest.approx(mclust, abs=1e-4), (model, k)
        for g, lrts in zip(result.g, result.lrts):
            if not {g, g + 1} & higher.get(model, set()):
                assert lrts == pytest.approx(reference["observed_lrts"][g - 1], abs=1e-4)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_components": 1}, "max_components must be >= 2"),
        ({"max_components": 200}, "exceeds n_samples=150"),
        ({"n_bootstrap": 0}, "'n_bootstrap' parameter of bootstrap_lrt"),
        ({"n_bootstrap": 9.5}, "'n_bootstrap' parameter"),
        ({"level": 1.5}, "'level' parameter of bootstrap_lrt"),
        ({"level": 0.0}, "'level' parameter"),
        ({"covariance_type": "XYZ"}, "'covariance_type' parameter of bootstrap_lrt"),
        ({"max_components": True}, "'max_components' parameter"),
        ({"tol": -1.0}, "'tol' parameter"),
        ({"n_jobs": 0}, "n_jobs must be a number of workers"),
    ],
)
def test_bad_arguments_raise_before_any_fit(kwargs, match):
    kwargs = {"covariance_type": "full", "n_bootstrap": 19, **kwargs}
    with pytest.raises(ValueError, match=match):
        bootstrap_lrt(one_gaussian(), **kwargs)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0]]), "NaN"),
        (np.arange(5.0), "2D array"),
        (np.zeros((1, 2)), "minimum of 2"),
        (np.ma.masked_array(np.ones((4, 2)), mask=[[1, 0], [0, 0], [0, 0], [0, 0]]), "masked"),
    ],
)
def test_bad_data_raise_a_clear_value_error(X, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_lrt(X, max_components=2, n_bootstrap=19)


def test_a_text_column_is_named():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"x": np.arange(6.0), "label": list("abcabc")})
    with pytest.raises(ValueError, match="'label'"):
        bootstrap_lrt(frame, max_components=2, n_bootstrap=19)


@pytest.mark.slow
def test_too_few_replicates_for_the_level_warn_that_nothing_can_be_significant():
    with pytest.warns(UserWarning, match="no test can be significant"):
        result = bootstrap_lrt(
            three_clusters(0, 20), max_components=2, n_bootstrap=9, random_state=0
        )
    assert result.n_components == 1 and result.p_values[0] == pytest.approx(0.1)


# ---------------------------------------------------------------------- result
def test_the_table_shows_every_test_and_the_selection(three_result):
    text = str(three_result)
    assert repr(three_result) == text
    lines = text.splitlines()
    assert "covariance VVV" in lines[0] and "19 replicates" in lines[0]
    for g in (1, 2, 3):
        assert any(line.split()[:3] == [str(g), "vs", str(g + 1)] for line in lines)
    assert any(line.startswith("selected: 3 components") for line in lines)
    counted = three_result.n_clamped.sum() + three_result.n_ill_posed.sum()
    assert lines[-1].startswith("note: ") == bool(counted)


def test_records_and_frame_hold_one_row_per_test(three_result):
    records = three_result.records()
    assert [row["g"] for row in records] == [1, 2, 3]
    assert [row["significant"] for row in records] == [True, True, False]
    pytest.importorskip("pandas")
    frame = three_result.to_frame()
    assert list(frame["alternative"]) == [2, 3, 4]
    np.testing.assert_array_equal(frame["p_value"], three_result.p_values)


@pytest.fixture
def agg():
    """matplotlib, drawing without a display (the test is skipped without matplotlib)."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    return matplotlib


def test_plot_draws_one_panel_per_test_with_the_observed_statistic(three_result, agg):
    figure = three_result.plot()
    assert len(figure.axes) == 3
    for axis, observed in zip(figure.axes, three_result.lrts):
        assert len(axis.patches) > 0  # the histogram's bars
        np.testing.assert_allclose(axis.lines[0].get_xdata(), [observed, observed])


@pytest.mark.slow
def test_plot_draws_on_given_axes_and_refuses_the_wrong_number(agg):
    from matplotlib.figure import Figure

    result = three_result_small()
    figure = Figure()
    axes = figure.subplots(1, len(result.g))
    assert result.plot(ax=axes) is figure
    with pytest.raises(ValueError, match="one Axes per test"):
        result.plot(ax=Figure().subplots(1, len(result.g) + 1))


def three_result_small() -> BootstrapLRTResult:
    return bootstrap_lrt(
        three_clusters(2, 30), "EII", max_components=3, n_bootstrap=19, random_state=0
    )


# ---------------------------------------------------------------------- the command line
@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("lrt") / "three.csv"
    X = three_clusters(0, 30)
    path.write_text("x,y\n" + "\n".join(f"{a:.17g},{b:.17g}" for a, b in X))
    return path


@pytest.mark.slow
def test_cli_prints_the_table_and_draws_the_plot(data_csv, tmp_path, capsys, agg):
    figure = tmp_path / "lrt.png"
    status = main(
        [
            "lrt",
            str(data_csv),
            "--covariance",
            "VVV",
            "--max-components",
            "4",
            "--bootstrap",
            "19",
            "--seed",
            "0",
            "--plot",
            str(figure),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "using 2 feature columns: x, y" in out
    assert "selected: 3 components" in out
    assert figure.read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.slow
def test_cli_matches_the_function(data_csv, capsys):
    assert (
        main(
            [
                "lrt",
                str(data_csv),
                "--covariance",
                "EII",
                "--max-components",
                "2",
                "--bootstrap",
                "19",
                "--seed",
                "4",
                "--level",
                "0.1",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    X = np.loadtxt(data_csv, delimiter=",", skiprows=1)
    expected = bootstrap_lrt(X, "EII", max_components=2, n_bootstrap=19, level=0.1, random_state=4)
    assert str(expected) in out


@pytest.mark.parametrize(
    "option, value",
    [
        ("--level", "1"),
        ("--max-components", "1"),
        ("--bootstrap", "0"),
        ("--covariance", "XYZ"),
        ("--plot", "lrt.pdf"),
    ],
)
def test_cli_usage_errors_exit_2(data_csv, capsys, option, value):
    assert main(["lrt", str(data_csv), option, value]) == 2
    err = capsys.readouterr().err
    assert "usage: gmmkit lrt" in err and option.split("-")[-1] in err


def test_cli_refuses_an_existing_plot_without_force(data_csv, tmp_path, capsys):
    figure = tmp_path / "lrt.png"
    figure.write_bytes(b"old")
    assert main(["lrt", str(data_csv), "--bootstrap", "19", "--plot", str(figure)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gmmkit: error: ") and "already exists" in err
    assert figure.read_bytes() == b"old"


def test_cli_help_imports_neither_scipy_stats_nor_sklearn():
    code = (
        "import sys; from gmmkit.cli import main; main(['lrt', '--help']); "
        "print(sorted(m for m in ('scipy.stats', 'sklearn', 'joblib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "gmmkit lrt" in result.stdout and result.stdout.splitlines()[-1] == "[]"


@pytest.mark.slow
def test_bootstrap_distributions_match_mclusts_on_old_faithful():
    """mclust's 199 bootstrap statistics of EEE (1 vs 2, 2 vs 3; EM to tol 1e-10) and
    gmmkit's 199 are draws from the same null distribution: a two-sample Kolmogorov-Smirnov
    test does not tell them apart (at 0.001; with tol 1e-5 and no acceleration, 2 vs 3
    fails it: early stops bias the statistics low)."""
    from scipy.stats import ks_2samp

    fixture = json.loads((FIXTURES / "faithful_lrt.json").read_text())
    reference = fixture["bootstrap_distribution"]
    X = np.array(fixture["data"], dtype=np.float64)
    result = bootstrap_lrt(
        X,
        reference["model"],
        max_components=3,
        n_bootstrap=reference["n_bootstrap"],
        random_state=0,
    )
    np.testing.assert_array_equal(result.g, reference["g"])
    np.testing.assert_allclose(result.lrts, reference["observed_lrts"], atol=1e-3)
    mclust = np.array(reference["bootstrap_lrts"])
    for ours, theirs in zip(result.bootstrap_lrts, mclust.T):
        assert ks_2samp(ours, theirs).pvalue > 1e-3


@pytest.mark.slow
def test_the_first_test_rejects_a_true_single_gaussian_about_level_of_the_time():
    """Under the null hypothesis the p-value is uniform on {1/20, ..., 1}: of 30 data sets
    drawn from one Gaussian, about 1.5 are rejected (7 or more has probability 2e-4). A data
    set whose best 2-component fit is ill-posed (a component on 2 rows) is not tested and
    selects 1 component."""
    results = [
        bootstrap_lrt(
            one_gaussian(seed, n=100), "VVV", max_components=2, n_bootstrap=19, random_state=seed
        )
        for seed in range(30)
    ]
    assert sum(result.n_components > 1 for result in results) <= 6
    p_values = [p for result in results for p in result.p_values]
    assert len(p_values) >= 25 and np.median(p_values) > 0.2, p_values


def two_clusters(n_per_cluster=40):
    rng = np.random.RandomState(0)
    return np.r_[rng.normal(0, 1, (n_per_cluster, 2)), rng.normal(6, 1, (n_per_cluster, 2))]


@pytest.mark.slow
def test_an_accelerated_fit_that_breaks_is_refitted_with_plain_em():
    # on these data SQUAREM jumps to statistics EVE's M-step cannot decompose
    result = bootstrap_lrt(two_clusters(), "EVE", max_components=3, n_bootstrap=19, random_state=0)
    assert result.n_components == 2 and np.isfinite(result.bootstrap_lrts).all()


@pytest.mark.slow
@pytest.mark.parametrize(
    "covariance_type",
    [
        "full",
        "tied",
        "diag",
        "spherical",
        "EII",
        "VII",
        "EEI",
        "VEI",
        "EVI",
        "VVI",
        "EEE",
        "VEE",
        "VVE",
        "EEV",
        "VEV",
        "EVV",
        "VVV",
        "E",
        "V",
    ],
)
def test_every_covariance_model_finds_two_separated_clusters(covariance_type):
    X = two_clusters()
    if covariance_type in ("E", "V"):
        X = X[:, :1]
    result = bootstrap_lrt(X, covariance_type, max_components=3, n_bootstrap=19, random_state=0)
    assert result.n_components == 2, str(result)


@pytest.mark.slow
def test_cli_without_matplotlib_refuses_plot_before_testing(data_csv, tmp_path):
    blocking = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from gmmkit.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    figure = tmp_path / "lrt.png"
    result = subprocess.run(
        [sys.executable, "-c", blocking, "lrt", str(data_csv), "--plot", str(figure)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    expected = (
        "gmmkit: error: matplotlib is needed here and is not installed; install it "
        "with: pip install 'gmmkit[plot]'"
    )
    assert result.stderr.splitlines() == [expected]
    assert "selected" not in result.stdout and not figure.exists()


def test_cli_help_has_examples_and_exit_codes(capsys):
    assert main(["lrt", "--help"]) == 0
    text = capsys.readouterr().out
    assert "usage: gmmkit lrt" in text and "examples:" in text and "exit status:" in text
    for option in (
        "--covariance",
        "--max-components",
        "--bootstrap",
        "--seed",
        "--jobs",
        "--level",
        "--plot",
    ):
        assert option in text
