"""Inference on fitted mixtures: how many components the data support, and how sure the fitted
parameters are (parametric and nonparametric bootstraps)."""
