"""Tables as R, pandas and spreadsheets export them: row-index columns, misaligned rows,
other separators and decimal commas, text columns among the numbers, and binary features.

Each file is read both with pandas and with the standard-library reader (``reader``), which
must agree; the command line runs in-process through :func:`gmmkit.cli.main`.
"""

import sys
import warnings

import numpy as np
import pytest

import gmmkit
from gmmkit import _data
from gmmkit._data import DataError, read_data
from gmmkit.cli import main

N_ROWS = 40


@pytest.fixture(params=["pandas", "plain"])
def reader(request, monkeypatch):
    """Read CSVs with pandas, or with the csv module as when pandas is not installed (pandas
    is hidden from the reader only: scikit-learn, once imported, expects it to stay)."""
    if request.param == "plain":
        monkeypatch.setattr(_data, "_read_columns", _without_pandas(_data._read_columns))
    return request.param


def _without_pandas(read_columns):
    def read(*args, **kwargs):
        saved = sys.modules.get("pandas")
        sys.modules["pandas"] = None
        try:
            return read_columns(*args, **kwargs)
        finally:
            if saved is None:
                del sys.modules["pandas"]
            else:
                sys.modules["pandas"] = saved

    return read


def two_blobs():
    """``N_ROWS`` rows of two well-separated blobs in 2-D, as a list of Python float pairs."""
    rng = np.random.RandomState(0)
    half = N_ROWS // 2
    return np.r_[
        rng.normal((2.0, 55.0), (0.3, 5.0), (half, 2)),
        rng.normal((4.3, 80.0), (0.4, 5.0), (half, 2)),
    ].tolist()


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def faithful(path, index_header, first=1, quote=False):
    """``eruptions, waiting`` under a first column ``index_header`` numbering rows from
    ``first``, as R's ``write.csv`` (``quote``) or pandas' ``to_csv`` writes them."""
    q = '"' if quote else ""
    lines = [f"{q}{index_header}{q},{q}eruptions{q},{q}waiting{q}"]
    lines += [f"{q}{first + i}{q},{a!r},{b!r}" for i, (a, b) in enumerate(two_blobs())]
    return write_lines(path, lines)


def run(capsys, *args):
    """``gmmkit ARGS`` in-process: (exit status, stdout, stderr)."""
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------------- item 2: row indices
def test_r_write_csv_row_names_are_left_out_with_a_note(reader, tmp_path, capsys):
    path = faithful(tmp_path / "faithful.csv", "", quote=True)
    code, out, err = run(capsys, "fit", path, "-k", 2, "-o", tmp_path / "m.gmm")
    assert code == 0, err
    assert "using 2 feature columns: eruptions, waiting" in out
    assert "'Unnamed: 0'" in err and "--keep-index-columns" in err
    assert list(gmmkit.load(tmp_path / "m.gmm").feature_names_in_) == ["eruptions", "waiting"]


def test_pandas_to_csv_index_is_left_out(reader, tmp_path):
    data = read_data(faithful(tmp_path / "f.csv", "", first=0))
    assert data.feature_names == ["eruptions", "waiting"]
    assert "'Unnamed: 0'" in data.notes[0]


@pytest.mark.parametrize("name", ["rownames", "Index", "Unnamed: 0"])
def test_a_column_named_as_a_row_index_is_left_out(reader, tmp_path, name):
    lines = [f"{name},x,y"] + [f"{10 * i + 3},{a!r},{b!r}" for i, (a, b) in enumerate(two_blobs())]
    data = read_data(write_lines(tmp_path / "f.csv", lines))
    assert data.feature_names == ["x", "y"]


def test_a_row_counter_is_left_out_whatever_its_name(reader, tmp_path):
    data = read_data(faithful(tmp_path / "f.csv", "id"))
    assert data.feature_names == ["eruptions", "waiting"]
    assert "'id'" in data.notes[0]


def test_an_increasing_feature_that_is_not_a_counter_is_kept(tmp_path):
    lines = ["year,x"] + [f"{1990 + 2 * i},{a!r}" for i, (a, _) in enumerate(two_blobs())]
    assert read_data(write_lines(tmp_path / "f.csv", lines)).feature_names == ["year", "x"]


def test_keep_index_columns_keeps_them(reader, tmp_path, capsys):
    path = faithful(tmp_path / "faithful.csv", "", quote=True)
    assert read_data(path, keep_index=True).feature_names == ["Unnamed: 0", "eruptions", "waiting"]
    code, out, _ = run(
        capsys, "fit", path, "--keep-index-columns", "-k", 1, "-o", tmp_path / "m.gmm"
    )
    assert code == 0
    assert "using 3 feature columns: Unnamed: 0, eruptions, waiting" in out


def test_explicit_columns_keep_an_index_column(reader, tmp_path):
    data = read_data(faithful(tmp_path / "f.csv", "rownames"), columns=["rownames", "waiting"])
    assert data.feature_names == ["rownames", "waiting"]
    assert data.notes == []


def test_every_command_names_the_columns_it_uses(tmp_path, capsys):
    path = faithful(tmp_path / "faithful.csv", "", quote=True)
    model = tmp_path / "m.gmm"
    assert run(capsys, "fit", path, "-k", 2, "-o", model)[0] == 0
    code, out, _ = run(capsys, "score", model, path)
    assert code == 0 and "using 2 feature columns: eruptions, waiting" in out
    code, out, _ = run(
        capsys, "select", path, "-k", "1:2", "--covariance", "diag", "-o", tmp_path / "sweep"
    )
    assert code == 0 and "using 2 feature columns: eruptions, waiting" in out


def test_a_row_number_does_not_leak_the_class_into_classify(tmp_path, capsys):
    labels = ["short"] * (N_ROWS // 2) + ["long"] * (N_ROWS // 2)
    lines = ['"","eruptions","kind"'] + [
        f'"{i + 1}",{x!r},"{label}"' for i, ((x, _), label) in enumerate(zip(two_blobs(), labels))
    ]
    path = write_lines(tmp_path / "faithful.csv", lines)
    code, out, _ = run(
        capsys, "classify", path, "--target", "kind", "-k", 1, "--cv", 0, "-o", tmp_path / "c.gmm"
    )
    assert code == 0
    assert "using 1 feature column: eruptions" in out
    assert gmmkit.load(tmp_path / "c.gmm").n_features_in_ == 1


# ---------------------------------------------------------------------- item 3: misaligned CSVs
def test_rows_with_more_fields_than_the_header_are_an_error_naming_the_line(reader, tmp_path):
    path = write_lines(tmp_path / "f.csv", ["a,b,c", "1,2,3", "1,2,3", "4,5,6,7", "1,2,3"])
    with pytest.raises(DataError, match=r"line 4 has 4 fields, the header has 3"):
        read_data(path)


def test_a_header_one_field_short_is_not_taken_as_an_index(reader, tmp_path, capsys):
    path = write_lines(tmp_path / "f.csv", ["a,b,c", "1,2,3,4", "5,6,7,8", "9,1,2,3"])
    code, _, err = run(capsys, "fit", path, "-k", 1, "-o", tmp_path / "m.gmm")
    assert code == 1
    assert "line 2 has 4 fields, the header has 3" in err


def test_rows_with_fewer_fields_than_the_header_are_an_error(reader, tmp_path):
    path = write_lines(tmp_path / "f.csv", ["a,b,c", "1,2,3", "4,5", "1,2,3"])
    with pytest.raises(DataError, match=r"line 3 has 2 fields, the header has 3"):
        read_data(path)


def european(path):
    lines = ["eruptions;waiting"] + [f"{a:.3f};{b:.1f}".replace(".", ",") for a, b in two_blobs()]
    return write_lines(path, lines)


def test_a_semicolon_header_read_as_one_column_suggests_sep(reader, tmp_path):
    with pytest.raises(
        DataError,
        match=r"one column named 'eruptions;waiting'.*--sep ';'"
        r".*--decimal ,",
    ):
        read_data(european(tmp_path / "f.csv"))


def test_a_tab_separated_csv_suggests_sep_tab(reader, tmp_path):
    path = write_lines(tmp_path / "f.csv", ["a\tb", "1\t2", "3\t4"])
    with pytest.raises(DataError, match=r"separated by tab; pass --sep tab"):
        read_data(path)


def test_sep_and_decimal_read_european_exports(reader, tmp_path, capsys):
    path = european(tmp_path / "f.csv")
    data = read_data(path, sep=";", decimal=",")
    np.testing.assert_allclose(data.X, two_blobs(), atol=0.051)
    code, out, err = run(
        capsys, "fit", path, "--sep", ";", "--decimal", ",", "-k", 2, "-o", tmp_path / "m.gmm"
    )
    assert code == 0, err
    assert "using 2 feature columns: eruptions, waiting" in out


def test_sep_tab_reads_a_tab_separated_csv(reader, tmp_path):
    path = write_lines(tmp_path / "f.csv", ["a\tb", "1.5\t2", "3\t4", "5\t7"])
    assert read_data(path, sep="\t").X.tolist() == [[1.5, 2.0], [3.0, 4.0], [5.0, 7.0]]


def test_the_same_sep_and_decimal_are_refused(tmp_path):
    with pytest.raises(DataError, match="--sep and --decimal are both ','"):
        read_data(european(tmp_path / "f.csv"), decimal=",")


# ---------------------------------------------------------------------- item 5: text columns
def penguins(path):
    X = two_blobs()
    species = ["Adelie"] * (N_ROWS // 2) + ["Gentoo"] * (N_ROWS // 2)
    islands = ["Biscoe", "Dream"] * (N_ROWS // 2)
    lines = ["species,island,bill,flipper"] + [
        f"{s},{i},{a!r},{b!r}" for s, i, (a, b) in zip(species, islands, X)
    ]
    return write_lines(path, lines)


def test_text_columns_are_left_out_by_default_with_a_note(reader, tmp_path, capsys):
    code, out, err = run(
        capsys,
        "classify",
        penguins(tmp_path / "p.csv"),
        "--target",
        "species",
        "-k",
        1,
        "--cv",
        2,
        "-o",
        tmp_path / "c.gmm",
    )
    assert code == 0, err
    assert "using 2 feature columns: bill, flipper" in out
    assert "non-numeric column 'island'" in err


def test_a_chosen_text_column_stays_an_error(reader, tmp_path):
    with pytest.raises(DataError, match="column 'island' .* is not numeric"):
        read_data(penguins(tmp_path / "p.csv"), columns=["bill", "island"])


def test_no_numeric_column_left_is_an_error_naming_what_was_left_out(tmp_path):
    path = write_lines(tmp_path / "f.csv", ["name,kind", "a,x", "b,y", "c,x"])
    with pytest.raises(
        DataError, match="no numeric feature columns besides the target 'kind'.*'name'"
    ):
        read_data(path, target="kind")


@pytest.mark.parametrize(
    "column",
    [
        pytest.param(lambda pd: pd.Categorical([1.0, 2.0] * (N_ROWS // 2)), id="category"),
        pytest.param(
            lambda pd: np.array(["Biscoe", "Dream"] * (N_ROWS // 2), dtype=object), id="object"
        ),
        pytest.param(
            lambda pd: pd.array(["1.5", "2.5"] * (N_ROWS // 2), dtype="string"), id="string"
        ),
    ],
)
@pytest.mark.parametrize(
    "estimator",
    [gmmkit.GaussianMixture(2, random_state=0), gmmkit.MixtureClassifier(1, random_state=0)],
    ids=["GaussianMixture", "MixtureClassifier"],
)
def test_a_dataframe_with_a_non_numeric_column_is_refused_naming_it(column, estimator):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(two_blobs(), columns=["bill", "flipper"]).assign(island=column(pd))
    y = np.array([0, 1] * (N_ROWS // 2))
    with pytest.raises(ValueError, match=r"'island' \(.*\).*select_dtypes"):
        estimator.fit(frame, y)


# ---------------------------------------------------------------------- item 5: binary features
def with_binary_feature():
    """Two continuous features and a 0/1 one of larger spread, as unscaled survey data have:
    EM puts every component on one of its values."""
    rng = np.random.RandomState(0)
    return np.c_[rng.normal(0.0, 0.3, (300, 2)), rng.randint(0, 2, 300)]


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_a_binary_feature_warns_that_components_collapse_onto_its_values(covariance_type):
    gm = gmmkit.GaussianMixture(3, covariance_type=covariance_type, random_state=0)
    with pytest.warns(
        gmmkit.DegenerateComponentWarning,
        match=r"feature 2 takes only two values \(0 and 1\): component\(s\) "
        r"\[0, 1, 2\] collapsed",
    ):
        gm.fit(with_binary_feature())


def test_a_bool_column_is_named_in_the_warning():
    pd = pytest.importorskip("pandas")
    X = with_binary_feature()
    frame = pd.DataFrame(X[:, :2], columns=["bill", "flipper"]).assign(male=X[:, 2] == 1)
    with pytest.warns(
        gmmkit.DegenerateComponentWarning,
        match=r"feature 2 \('male'\) takes "
        r"only two values",
    ):
        gmmkit.GaussianMixture(3, random_state=0).fit(frame)


def test_well_spread_features_give_no_collapse_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", gmmkit.DegenerateComponentWarning)
        gmmkit.GaussianMixture(3, random_state=0).fit(np.array(two_blobs()))


@pytest.mark.parametrize("option", [["--sep", "ab"], ["--decimal", ";"]])
def test_a_bad_sep_or_decimal_is_a_usage_error(option, tmp_path, capsys):
    path = european(tmp_path / "f.csv")
    code, _, err = run(capsys, "fit", path, *option, "-k", 1, "-o", tmp_path / "m.gmm")
    assert code == 2
    assert err.splitlines()[-1].startswith("gmmkit fit: error: argument " + option[0])
