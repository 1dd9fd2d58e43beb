# Writes tests/fixtures/mclust/faithful_lrt.json: mclust's sequential bootstrap
# likelihood-ratio test (mclustBootstrapLRT) on Old Faithful for a few models,
# the reference for gmmkit.inference.lrt's observed statistics.
#
# Run from the repository root (needs R, mclust and jsonlite):
#     Rscript reference/mclust/bootstrap_lrt.R
# Made with mclust 6.0.0 on R 4.2.2. The fixture carries its data, so the
# tests never need R.
#
# The observed statistics LRTS_g = 2 (loglik_{g+1} - loglik_g) are
# deterministic (mclust's fits start from its hierarchical clustering), and EM
# runs to a tight tolerance so that they are the likelihood maxima to many
# digits. The bootstrap statistics and p-values depend on R's random stream;
# they are stored for information, and for EEE with 199 replicates to compare
# the bootstrap distributions. maxG is given, so mclust tests every g = 1..maxG
# without stopping at the first non-significant one.

suppressPackageStartupMessages({
  library(mclust)
  library(jsonlite)
})

models <- c("VVV", "EEE", "VVI", "EII", "VEV")
max_g <- 3
n_boot <- 19
control <- emControl(tol = c(1e-10, sqrt(.Machine$double.eps)))
X <- as.matrix(faithful)

tests <- list()
for (model in models) {
  set.seed(20261204)
  lrt <- mclustBootstrapLRT(X, modelName = model, nboot = n_boot, maxG = max_g,
                            verbose = FALSE, control = control)
  bic <- mclustBIC(X, G = 1:(max_g + 1), modelNames = model, verbose = FALSE,
                   control = control)
  loglik <- sapply(1:(max_g + 1), function(G)
    summary(bic, X, G = G, modelNames = model)$loglik)
  tests[[model]] <- list(
    g = lrt$G,
    observed_lrts = lrt$obs,
    loglik = loglik,
    p_value = lrt$p.value,
    bootstrap_lrts = unname(lrt$boot))
}

# A larger bootstrap for one model whose fits gmmkit and mclust share, to compare
# the simulated null distributions themselves (two-sample tests in the suite).
distribution_model <- "EEE"
distribution_boot <- 199
set.seed(20261205)
distribution <- mclustBootstrapLRT(X, modelName = distribution_model,
                                   nboot = distribution_boot, maxG = 2,
                                   verbose = FALSE, control = control)

fixture <- list(
  mclust_version = as.character(packageVersion("mclust")),
  R_version = R.version.string,
  generator = "reference/mclust/bootstrap_lrt.R",
  dataset = "faithful",
  columns = colnames(faithful),
  data = unname(X),
  n_bootstrap = n_boot,
  max_g = max_g,
  em_control = list(tol = control$tol, itmax = control$itmax[1]),
  tests = tests,
  bootstrap_distribution = list(
    model = distribution_model,
    n_bootstrap = distribution_boot,
    g = distribution$G,
    observed_lrts = distribution$obs,
    p_value = distribution$p.value,
    bootstrap_lrts = unname(distribution$boot)))

path <- file.path("tests", "fixtures", "mclust", "faithful_lrt.json")
writeLines(toJSON(fixture, digits = NA, auto_unbox = TRUE, pretty = TRUE), path)
cat(sprintf("wrote %s\n", path))
