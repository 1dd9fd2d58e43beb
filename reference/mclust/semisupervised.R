# Writes tests/fixtures/mclust/iris_ssc.json: mclust's semi-supervised classification
# (MclustSSC.fit) of iris with a subset of the labels, for gmmkit's semi-supervised
# MixtureClassifier (one component per class, models VVV, VVI, VII: each class's covariance
# its own, as gmmkit's full, diag and spherical per-class mixtures).
#
# Run from the repository root:
#     Rscript reference/mclust/semisupervised.R
# Made with mclust 6.0.0 on R 4.2.2. The fixture carries its data, so tests never need R.
# Conventions as in make_fixtures.R (see README.md): mean is d x G, sigma a list of G
# d x d slices, labels 1-based with null for an unlabelled row.

suppressPackageStartupMessages(library(mclust))

num <- function(x) {
  s15 <- sprintf("%.15g", x)
  ifelse(as.numeric(s15) == x, s15, sprintf("%.17g", x))
}
vec <- function(x) {
  out <- rep("null", length(x))
  out[!is.na(x)] <- num(x[!is.na(x)])
  paste0("[", paste(out, collapse = ", "), "]")
}
mat <- function(m) paste0("[", paste(apply(m, 1, vec), collapse = ", "), "]")

data <- as.matrix(iris[, 1:4])
truth <- as.integer(iris$Species)
# the labelled rows: every 10th row of each class (5 per class), the rest unlabelled
labelled <- unlist(lapply(split(seq_len(nrow(data)), truth),
                          function(rows) rows[seq(1, length(rows), by = 10)]))
class <- rep(NA_integer_, nrow(data))
class[labelled] <- truth[labelled]
control <- emControl(tol = c(1e-13, sqrt(.Machine$double.eps)), itmax = c(10000L, 10000L))

fits <- character(0)
for (model in c("VVV", "VVI", "VII")) {
  fit <- mclust:::MclustSSC.fit(data, class, G = 3, modelName = model, control = control)
  sigma <- fit$parameters$variance$sigma
  slices <- vapply(seq_len(dim(sigma)[3]), function(k) mat(sigma[, , k]), "")
  fits <- c(fits, sprintf(
    '"%s": {"loglik": %s, "pro": %s, "mean": %s, "sigma": [%s], "classification": %s}',
    model, num(fit$loglik), vec(fit$parameters$pro), mat(fit$parameters$mean),
    paste(slices, collapse = ", "), vec(as.integer(fit$classification))))
}

json <- paste0(
  "{\n",
  sprintf(' "mclust_version": "%s",\n', as.character(packageVersion("mclust"))),
  sprintf(' "R_version": "%s",\n', paste(R.version$major, R.version$minor, sep = ".")),
  ' "generator": "reference/mclust/semisupervised.R",\n',
  ' "description": "MclustSSC.fit(iris[,1:4], class, G = 3, modelName, control = emControl(tol = c(1e-13, sqrt(eps)), itmax = 10000)) with 5 labels per class (every 10th row of each species)",\n',
  sprintf(' "data": %s,\n', mat(data)),
  sprintf(' "class": %s,\n', vec(class)),
  sprintf(' "true_class": %s,\n', vec(truth)),
  ' "fits": {\n  ', paste(fits, collapse = ",\n  "), "\n }\n}\n")
writeLines(json, file.path("tests", "fixtures", "mclust", "iris_ssc.json"))
