# Writes the mclust discriminant-analysis fixtures used by tests/test_discriminant.py.
#
# Run from the repository root:
#     Rscript reference/mclust/discriminant.R
# Made with mclust 6.0.0 on R 4.2.2 (jsonlite for the output). The JSON files in
# tests/fixtures/mclust/ carry their own data, so the tests never need R.
#
#   iris_da.json      iris (150 x 4, class = Species)
#   banknote_da.json  mclust's `banknote` (200 x 6, class = Status)
#
# For each data set:
#   * `edda`: MclustDA(X, class, modelType = "EDDA"). `models` lists, for every one of the
#     14 models, mstep(model, X, z = unmap(class)) followed by estep on X: `loglik` (the
#     log-likelihood of X alone under the mixture of classes with the class proportions as
#     weights), `complete_loglik` (that of X and the labels, sum_i log pro_{y_i} +
#     log N(x_i | y_i): what the M-step maximises), the same three with the inner iterations
#     run to convergence (`*_converged`, see `converged` below), `df` = d * G + nVarParams(model, d, G) + G - 1 (means, covariance
#     parameters, class proportions) and `bic` = 2 loglik - df log n, the figure mclust
#     6.1's logLik.MclustDA reports. mclust 6.0.0 reports the chosen model's BIC without the
#     G - 1 proportions (`bic_mclust_6_0` below); the choice is the same, since the
#     proportions are the same for every model.
#   * `mclustda`: MclustDA(X, class) (G = 1:5 per class, the 14 models, hc start). Per
#     class: `model`, `G`, `n`, the class's mclustBIC table (`bic_table`, rows G, columns
#     models, null where mclust gave NA). Overall `loglik` (of X alone, as logLik.MclustDA
#     computes it), `df` (every class mixture's parameters plus the G - 1 class
#     proportions, mclust 6.1's count) and `bic` = 2 loglik - df log n; mclust 6.0.0 leaves
#     the proportions out of its df (`df_mclust_6_0`, `bic_mclust_6_0`), which is why its
#     banknote BIC is -1641.849 where mclust 6.1's vignette shows -1647.147.
#   * `cv_edda`, `cv_mclustda`: cvMclustDA(fit, nfold = 10) after set.seed(seed): `ce`,
#     `se_ce`, `brier`, `se_brier`. The folds are random, so a reimplementation matches these
#     within their standard errors, not exactly.
# BIC here has mclust's sign (higher is better); gmmkit's is its negative.

suppressPackageStartupMessages({
  library(mclust)
  library(jsonlite)
})

outdir <- file.path("tests", "fixtures", "mclust")
dir.create(outdir, recursive = TRUE, showWarnings = FALSE)

# mclust's default control stops the inner iterations of EVE's and VVE's M-steps at
# sqrt(eps) relative change with a bounded count; `converged` repeats the fit with the inner
# iterations run to 1e-13, the fixed point a reimplementation reaches.
converged <- emControl(itmax = c(.Machine$integer.max, 1e6), tol = c(1e-5, 1e-13))

edda_fit <- function(X, class, model, control) {
  n <- nrow(X)
  m <- mstep(modelName = model, data = X, z = unmap(as.numeric(class)), control = control,
             warn = FALSE)
  e <- do.call("estep", c(m, list(data = X, warn = FALSE)))
  own <- cdens(modelName = model, data = X, parameters = m$parameters, logarithm = TRUE)
  own <- own[cbind(seq_len(n), as.numeric(class))]
  list(loglik = if (is.null(e$loglik)) NA else e$loglik,
       complete = sum(own + log(m$parameters$pro[as.numeric(class)])))
}

edda_models <- function(X, class) {
  n <- nrow(X); d <- ncol(X); G <- nlevels(class)
  lapply(mclust.options("emModelNames"), function(model) {
    fit <- edda_fit(X, class, model, emControl())
    tight <- edda_fit(X, class, model, converged)
    df <- d * G + nVarParams(model, d = d, G = G) + G - 1
    list(model = model, loglik = fit$loglik, complete_loglik = fit$complete, df = df,
         bic = 2 * fit$loglik - df * log(n), loglik_converged = tight$loglik,
         complete_loglik_converged = tight$complete,
         bic_converged = 2 * tight$loglik - df * log(n))
  })
}

one_set <- function(name, X, class, seed) {
  X <- data.matrix(X)
  n <- nrow(X); d <- ncol(X)
  edda <- MclustDA(X, class, modelType = "EDDA", verbose = FALSE)
  da <- MclustDA(X, class, verbose = FALSE)
  chosen <- edda$models[[1]]$modelName
  df_chosen <- d * nlevels(class) + nVarParams(chosen, d = d, G = nlevels(class)) +
    nlevels(class) - 1
  classes <- lapply(levels(class), function(label) {
    m <- da$models[[label]]
    table <- unclass(m$BIC)
    list(label = label, n = m$n, model = m$modelName, G = m$G, loglik = m$loglik,
         G_values = as.integer(rownames(table)), models = colnames(table),
         bic_table = unname(table))
  })
  df_da <- sum(sapply(classes, function(c)
    (c$G - 1) + c$G * d + nVarParams(c$model, d = d, G = c$G))) + nlevels(class) - 1
  set.seed(seed)
  cv_edda <- cvMclustDA(edda, nfold = 10, verbose = FALSE)
  set.seed(seed)
  cv_da <- cvMclustDA(da, nfold = 10, verbose = FALSE)
  cv <- function(res) list(ce = res$ce, se_ce = res$se.ce, brier = res$brier,
                           se_brier = res$se.brier)
  out <- list(
    mclust_version = as.character(packageVersion("mclust")),
    R_version = R.version.string,
    generator = "reference/mclust/discriminant.R",
    dataset = name, n = n, d = d, columns = colnames(X),
    data = unname(X), class = as.character(class), classes = levels(class),
    edda = list(model = chosen, loglik = edda$loglik,
                df = df_chosen, bic = 2 * edda$loglik - df_chosen * log(n),
                bic_mclust_6_0 = edda$bic, df_mclust_6_0 = edda$df,
                models = edda_models(X, class),
                means = lapply(seq_len(nlevels(class)), function(k)
                  unname(as.vector(edda$models[[k]]$parameters$mean))),
                sigma = lapply(seq_len(nlevels(class)), function(k)
                  unname(edda$models[[k]]$parameters$variance$sigma[, , 1]))),
    mclustda = list(loglik = da$loglik, df = df_da, bic = 2 * da$loglik - df_da * log(n),
                    bic_mclust_6_0 = da$bic, df_mclust_6_0 = da$df, classes = classes),
    cv_seed = seed,
    cv_edda = cv(cv_edda), cv_mclustda = cv(cv_da)
  )
  path <- file.path(outdir, paste0(name, "_da.json"))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE), path)
  cat(sprintf("%-9s EDDA %s loglik %.4f BIC %.4f (6.0 reports %.4f) CV error %.4f (se %.4f)\n",
              name, chosen, edda$loglik, out$edda$bic, edda$bic, cv_edda$ce, cv_edda$se.ce))
  cat(sprintf("%-9s MclustDA %s loglik %.4f df %d BIC %.4f CV error %.4f (se %.4f)\n", name,
              paste(sapply(classes, function(c) sprintf("%s:%s,%d", c$label, c$model, c$G)),
                    collapse = " "),
              da$loglik, as.integer(df_da), out$mclustda$bic, cv_da$ce, cv_da$se.ce))
}

one_set("iris", iris[, 1:4], iris$Species, seed = 20261204)
data(banknote)
one_set("banknote", banknote[, -1], banknote$Status, seed = 20261204)
