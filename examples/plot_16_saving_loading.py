"""
Saving and loading models
=========================

:func:`gmmkit.save` writes any gmmkit estimator to one file and :func:`gmmkit.load` reads it
back, bit for bit. The file is a zip archive of NumPy ``.npy`` arrays and a ``meta.json``
(format, versions, estimator class, parameters, fitted attributes) with a SHA-256 hash of every
entry. It holds no pickle, so loading a file cannot run code, and a truncated or modified file
is refused with a ``ValueError`` that says what is wrong.
"""

# %%
# Save and load
# -------------
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris

import gmmkit
from gmmkit import plotting

X, y = load_iris(return_X_y=True)
gm = gmmkit.GaussianMixture(n_components=3, random_state=0).fit(X)
clf = gmmkit.MixtureClassifier(n_components=2, random_state=0).fit(X, y)

folder = Path(tempfile.mkdtemp())
gmmkit.save(gm, folder / "mixture.gmm")
gmmkit.save(clf, folder / "classifier.gmm")
again = gmmkit.load(folder / "mixture.gmm")
print("identical probabilities:", np.array_equal(again.predict_proba(X), gm.predict_proba(X)))
print(
    "identical predictions:",
    np.array_equal(gmmkit.load(folder / "classifier.gmm").predict(X), clf.predict(X)),
)

# %%
# The loaded mixture is a fitted estimator like the one saved: here mclust's classification
# plot of it, on the petal measurements.
names = load_iris().feature_names
figure = plotting.plot_classification(again, X, dims=(2, 3), feature_names=names).figure

# %%
# Saving never overwrites by accident
# -----------------------------------
try:
    gmmkit.save(gm, folder / "mixture.gmm")
except FileExistsError as error:
    print("FileExistsError:", error)
gmmkit.save(gm, folder / "mixture.gmm", overwrite=True)

# %%
# What the file holds
# -------------------
with zipfile.ZipFile(folder / "mixture.gmm") as archive:
    print(archive.namelist())
    meta = json.loads(archive.read("meta.json"))
print({key: meta[key] for key in meta if key in ("format", "format_version", "estimator")})

# %%
# A damaged file is refused
# -------------------------
data = bytearray((folder / "mixture.gmm").read_bytes())
data[len(data) // 2] ^= 0xFF
(folder / "damaged.gmm").write_bytes(bytes(data))
try:
    gmmkit.load(folder / "damaged.gmm")
except ValueError as error:
    print("ValueError:", error)

# %%
# The files were written to a temporary folder, removed now.
shutil.rmtree(folder)
