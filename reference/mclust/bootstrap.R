# Reference standard errors of mclust's MclustBootstrap for tests/test_bootstrap.py.
#
# Run from the repository root: Rscript reference/mclust/bootstrap.R
# Writes tests/fixtures/mclust/faithful_bootstrap.json: the data (faithful, 272 x 2), the
# fitted two-component VVV mixture (Mclust(faithful, G = 2, modelNames = "VVV")) and, for
# each resampling type ("bs", "wlbs", "pb"), the bootstrap standard errors of 999 replicates
# (summary(..., what = "se")). Arrays are written component first: pro (G), mean (G x d),
# variance (G x d x d). The replicates are random, so the tests only compare loosely.
suppressPackageStartupMessages({
  library(mclust)
  library(jsonlite)
})
set.seed(20261204)
data <- as.matrix(faithful)
fit <- Mclust(data, G = 2, modelNames = "VVV", verbose = FALSE)
params <- fit$parameters
types <- c(bs = "nonparametric", wlbs = "weighted", pb = "parametric")
se <- list()
for (type in names(types)) {
  boot <- MclustBootstrap(fit, nboot = 999, type = type, verbose = FALSE)
  s <- summary(boot, what = "se")
  se[[types[[type]]]] <- list(
    pro = as.numeric(s$pro),
    mean = t(s$mean),
    variance = aperm(s$variance, c(3, 1, 2)),
    nonfit = boot$nonfit
  )
}
out <- list(
  mclust_version = as.character(packageVersion("mclust")),
  R_version = R.version.string,
  generator = "reference/mclust/bootstrap.R",
  dataset = "faithful",
  n = nrow(data), d = ncol(data), columns = colnames(data),
  data = unname(data),
  model = "VVV", G = 2, nboot = 999,
  pro = as.numeric(params$pro),
  mean = t(params$mean),
  variance = aperm(params$variance$sigma, c(3, 1, 2)),
  loglik = fit$loglik,
  se = se
)
dir.create("tests/fixtures/mclust", showWarnings = FALSE, recursive = TRUE)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = FALSE),
           "tests/fixtures/mclust/faithful_bootstrap.json")
cat("wrote tests/fixtures/mclust/faithful_bootstrap.json\n")
