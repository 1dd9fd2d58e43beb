# Writes the mclust reference fixtures used by gmmkit's tests.
#
# Run from the repository root:
#     Rscript reference/mclust/make_fixtures.R
# Needs R and mclust (Debian: apt-get install r-base-core r-cran-mclust);
# made with mclust 6.0.0 on R 4.2.2.  The output is JSON files in
# tests/fixtures/mclust/ that carry their own data, so the test suite never
# needs R: rerun this only to regenerate the fixtures.
#
# JSON conventions (see reference/mclust/README.md):
#   * numbers are written with the shortest of %.15g / %.17g that reads back
#     to the same double; NA, NaN, Inf are written as null;
#   * an R matrix is a list of rows with R's own dimensions (mean is d x G,
#     so mean[i][k] is feature i of component k); a 3-d array such as
#     sigma (d x d x G) is a list of its last-index slices, sigma[k] = d x d;
#   * labels are R's 1-based labels.

suppressPackageStartupMessages(library(mclust))

outdir <- file.path("tests", "fixtures", "mclust")
dir.create(outdir, recursive = TRUE, showWarnings = FALSE)

# ---------------------------------------------------------------- JSON ----
num_str <- function(x) {
  out <- character(length(x))
  bad <- !is.finite(x)
  out[bad] <- "null"
  v <- x[!bad]
  s15 <- sprintf("%.15g", v)
  s17 <- sprintf("%.17g", v)
  out[!bad] <- ifelse(as.numeric(s15) == v, s15, s17)
  out
}
esc <- function(s) {
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", "\\n", s, fixed = TRUE)
  paste0("\"", s, "\"")
}
atom_str <- function(x) {
  if (is.logical(x)) return(ifelse(is.na(x), "null", ifelse(x, "true", "false")))
  if (is.integer(x)) return(ifelse(is.na(x), "null", as.character(x)))
  if (is.numeric(x)) return(num_str(x))
  if (is.factor(x)) x <- as.character(x)
  ifelse(is.na(x), "null", esc(x))
}
# Vectors of length 1 become scalars unless wrapped in I(); use I() for
# anything that is an array by nature (labels, pro, ...).
to_json <- function(x, indent = 0) {
  pad <- strrep(" ", indent + 1)
  if (is.null(x)) return("null")
  if (is.list(x) && !is.data.frame(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    items <- vapply(x, to_json, "", indent = indent + 1)
    if (!is.null(names(x))) {
      items <- paste0(esc(names(x)), ": ", items)
      return(paste0("{\n", pad, paste(items, collapse = paste0(",\n", pad)), "\n",
                    strrep(" ", indent), "}"))
    }
    return(paste0("[", paste(items, collapse = ", "), "]"))
  }
  dims <- dim(x)
  if (length(dims) == 3) {
    return(to_json(lapply(seq_len(dims[3]), function(k) {
      m <- x[, , k, drop = FALSE]; dim(m) <- dims[1:2]; m }), indent))
  }
  if (length(dims) == 2) {
    rows <- vapply(seq_len(dims[1]), function(i)
      paste0("[", paste(atom_str(unclass(x)[i, ]), collapse = ", "), "]"), "")
    return(paste0("[", paste(rows, collapse = ", "), "]"))
  }
  asis <- inherits(x, "AsIs")
  x <- unclass(x)
  attributes(x) <- NULL
  if (length(x) == 1 && !asis) return(atom_str(x))
  paste0("[", paste(atom_str(x), collapse = ", "), "]")
}
write_json <- function(obj, file) {
  path <- file.path(outdir, file)
  writeLines(to_json(obj), path)
  cat(sprintf("wrote %s (%d bytes)\n", path, file.info(path)$size))
}

strip <- function(x) { dimnames(x) <- NULL; x }

meta <- function() list(
  mclust_version = as.character(packageVersion("mclust")),
  R_version = R.version.string,
  generator = "reference/mclust/make_fixtures.R")

# ---------------------------------------------------------------- data ----
make_synthetic <- function() {
  # 3 well-separated clusters in 3 features, 200 rows, rounded to 4 decimals
  # (the rounded values are what is fitted and what the fixture stores).
  set.seed(20261203)
  n <- c(70L, 70L, 60L)
  mu <- rbind(c(0, 0, 0), c(8, 0, 0), c(0, 8, 8))
  A <- list(diag(c(1, 1, 1)),
            matrix(c(1.5, 0, 0, 0.8, 0.6, 0, 0.3, -0.2, 0.7), 3, 3),
            diag(c(0.5, 2, 1)))
  X <- NULL; lab <- NULL
  for (j in 1:3) {
    Z <- matrix(rnorm(n[j] * 3), n[j], 3)
    X <- rbind(X, sweep(Z %*% A[[j]], 2, mu[j, ], "+"))
    lab <- c(lab, rep(j, n[j]))
  }
  colnames(X) <- c("x1", "x2", "x3")
  list(X = round(X, 4), labels = lab)
}

syn <- make_synthetic()
datasets <- list(
  faithful = list(X = as.matrix(faithful), desc = "R datasets::faithful (272 x 2: eruptions, waiting)"),
  iris = list(X = as.matrix(iris[, 1:4]), desc = "R datasets::iris[, 1:4] (150 x 4)"),
  synthetic3d = list(X = syn$X, desc = paste(
    "synthetic, 200 x 3, 3 well-separated clusters (70/70/60 rows), set.seed(20261203),",
    "rows = mu_j + Z A_j with Z ~ N(0, I), rounded to 4 decimals; see make_synthetic()"),
    true_labels = syn$labels),
  faithful_waiting = list(X = matrix(faithful$waiting, ncol = 1,
                                     dimnames = list(NULL, "waiting")),
                          desc = "faithful$waiting (272 x 1)")
)

multi_models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
                  "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV")
uni_models <- c("E", "V")

tight <- emControl(tol = c(1e-10, sqrt(.Machine$double.eps)),
                   itmax = c(.Machine$integer.max, .Machine$integer.max))

# ---------------------------------------------------------------- fits ----
variance_fields <- function(v) {
  keep <- setdiff(names(v), c("modelName", "d", "G"))
  out <- lapply(v[keep], function(a) if (is.numeric(a)) strip(a) else a)
  # scalars that are arrays by nature
  for (nm in intersect(names(out), c("scale", "sigmasq")))
    if (is.null(dim(out[[nm]]))) out[[nm]] <- I(out[[nm]])
  out
}

fit_one <- function(X, model, labels, G, prior = NULL) {
  n <- nrow(X); d <- ncol(X)
  warns <- character(0)
  z <- unmap(labels, groups = seq_len(G))
  fit <- withCallingHandlers(
    tryCatch(me(X, modelName = model, z = z, prior = prior, control = tight,
                warn = TRUE),
             error = function(e) e),
    warning = function(w) { warns <<- c(warns, conditionMessage(w))
                            invokeRestart("muffleWarning") })
  npar <- nMclustParams(model, d, G)
  res <- list(model = model, G = G, npar = npar)
  if (inherits(fit, "error")) {
    res$loglik <- NA_real_; res$bic <- NA_real_
    res$singular <- TRUE
    res$reason <- paste("error:", conditionMessage(fit))
    return(res)
  }
  rc <- attr(fit, "returnCode")
  info <- attr(fit, "info")
  res$returnCode <- if (is.null(rc)) NA_integer_ else as.integer(rc)
  # info is c(iterations, error) or, for the iterative M-steps (VEI, VEE,
  # EVE, VVE, ...), c(niterout, errout) with attr "inner" = c(niterin, errin)
  if (length(info) < 2) info <- NULL   # NA when me() did not run EM
  res$iterations <- if (is.null(info)) NA_integer_ else as.integer(info[[1]])
  res$error <- if (is.null(info)) NA_real_ else unname(as.numeric(info[[2]]))
  inner <- attr(info, "inner")
  if (!is.null(inner)) {
    res$inner_iterations <- as.integer(inner[[1]])
    res$inner_error <- unname(as.numeric(inner[[2]]))
  }
  res$loglik <- fit$loglik
  res$bic <- if (is.finite(fit$loglik)) bic(model, fit$loglik, n, d, G) else NA_real_
  res$singular <- !is.finite(fit$loglik)
  if (length(warns)) res$warnings <- I(unique(warns))
  if (res$singular) {
    res$reason <- if (length(warns)) paste(unique(warns), collapse = "; ") else
      sprintf("me() returned loglik NA with returnCode %s", res$returnCode)
    return(res)
  }
  p <- fit$parameters
  res$pro <- I(as.numeric(p$pro))
  res$mean <- strip(matrix(p$mean, nrow = d))
  res$variance <- variance_fields(p$variance)
  res
}

init_partition <- function(X, G, tree) {
  if (ncol(X) == 1) as.integer(mclust:::qclass(X[, 1], G)) else as.integer(hclass(tree, G))
}

hc_record <- function(tree) {
  list(merge = t(strip(unclass(tree)[1:2, , drop = FALSE])),
       use = attr(tree, "use"), modelName = attr(tree, "modelName"),
       dimensions = I(attr(tree, "dimensions")),
       initialPartition = I(as.integer(attr(tree, "initialPartition"))))
}

bic_table <- function(B) {
  list(G = I(as.integer(rownames(B))), models = I(colnames(B)),
       bic = strip(unclass(B)[, , drop = FALSE]))
}

run_dataset <- function(name, ds) {
  X <- ds$X
  n <- nrow(X); d <- ncol(X)
  models <- if (d == 1) uni_models else multi_models
  out <- c(meta(), list(dataset = name, description = ds$desc, n = n, d = d,
                        columns = I(colnames(X)), data = strip(X)))
  if (!is.null(ds$true_labels)) out$true_labels <- I(as.integer(ds$true_labels))
  tree <- NULL
  if (d > 1) {
    tree <- hc(X, modelName = "VVV", use = "VARS")
    out$init <- "hclass(hc(data, modelName = 'VVV', use = 'VARS'), G) (= hcVVV on the raw data)"
  } else {
    out$init <- "qclass(data, G) (quantile classes: what Mclust uses for one-dimensional data)"
  }
  out$em_control <- list(tol = I(tight$tol), itmax = I(as.numeric(tight$itmax)),
                         eps = tight$eps)
  parts <- list(); fits <- list()
  for (G in 1:3) {
    lab <- init_partition(X, G, tree)
    parts[[as.character(G)]] <- I(lab)
    for (M in models) fits[[length(fits) + 1]] <- fit_one(X, M, lab, G)
  }
  out$partitions <- parts
  out$fits <- fits
  out
}

for (nm in names(datasets)) {
  obj <- run_dataset(nm, datasets[[nm]])
  write_json(obj, paste0(nm, "_em.json"))
}

# ------------------------------------------------------- hc merge trees ----
for (nm in c("faithful", "iris")) {
  X <- datasets[[nm]]$X
  vars <- hc(X)                       # mclust 6.0.0: default use = "VARS"
  svd <- hc(X, use = "SVD")           # what Mclust() uses (mclust.options("hcUse"))
  Z <- attr(svd, "data")
  write_json(c(meta(), list(
    dataset = nm, n = nrow(X), d = ncol(X), data = strip(X),
    note = paste("merge is the (n-1) x 2 transpose of mclust's 2 x (n-1) hc matrix;",
                 "row i gives the two groups (1-based, named by their smallest",
                 "original index) merged at stage i"),
    hc_default = c(list(call = "hc(data)"), hc_record(vars)),
    hc_svd = c(list(call = "hc(data, use = 'SVD')", transformed_data = strip(Z)),
               hc_record(svd)),
    hclass_svd = lapply(setNames(1:9, 1:9), function(G) I(as.integer(hclass(svd, G)))),
    hclass_default = lapply(setNames(1:9, 1:9), function(G) I(as.integer(hclass(vars, G))))
  )), paste0(nm, "_hc.json"))
}

# ---------------------------------------------------- default Mclust() ----
mclust_default <- function(X, nm, prior = NULL) {
  m <- if (is.null(prior)) Mclust(X, G = 1:9, verbose = FALSE) else
    Mclust(X, G = 1:9, prior = prior, verbose = FALSE)
  list(call = if (is.null(prior)) sprintf("Mclust(%s)", nm) else
         sprintf("Mclust(%s, prior = priorControl())", nm),
       bic_table = bic_table(m$BIC),
       best_model = m$modelName, best_G = m$G, best_bic = m$bic,
       best_loglik = m$loglik, best_npar = m$df,
       best_pro = I(as.numeric(m$parameters$pro)),
       best_mean = strip(matrix(m$parameters$mean, nrow = ncol(X))),
       best_sigma = strip(m$parameters$variance$sigma),
       classification = I(as.integer(m$classification)))
}

for (nm in c("faithful", "iris")) {
  X <- datasets[[nm]]$X
  write_json(c(meta(), list(dataset = nm, n = nrow(X), d = ncol(X), data = strip(X),
                            mclust = mclust_default(X, nm))),
             paste0(nm, "_Mclust.json"))
}

# ------------------------------------------------------------- priors ----
X <- datasets$faithful$X
dp <- defaultPrior(X, G = 3, modelName = "VVV")
pc <- priorControl()
tree <- hc(X, modelName = "VVV", use = "VARS")
lab3 <- as.integer(hclass(tree, 3))
map_fits <- list()
for (G in 1:3) {
  lab <- as.integer(hclass(tree, G))
  for (M in multi_models) map_fits[[length(map_fits) + 1]] <- fit_one(X, M, lab, G, prior = pc)
}
write_json(c(meta(), list(
  dataset = "faithful", n = nrow(X), d = ncol(X), data = strip(X),
  priorControl = list(functionName = pc$functionName),
  defaultPrior_call = "defaultPrior(faithful, G = 3, modelName = 'VVV')",
  defaultPrior = list(shrinkage = dp$shrinkage, mean = I(as.numeric(dp$mean)),
                      dof = dp$dof, scale = strip(dp$scale)),
  defaultPrior_EII = {p <- defaultPrior(X, G = 3, modelName = "EII")
    list(shrinkage = p$shrinkage, mean = I(as.numeric(p$mean)), dof = p$dof,
         scale = p$scale)},
  init = "hclass(hc(data, modelName = 'VVV', use = 'VARS'), G)",
  partitions = lapply(setNames(1:3, 1:3), function(G) I(as.integer(hclass(tree, G)))),
  map_fits_note = "me(data, M, z = unmap(partition), prior = priorControl(), control = tight)",
  map_fits = map_fits,
  mclust_prior = mclust_default(X, "faithful", prior = pc)
)), "faithful_prior.json")
