# Times mclust's Mclust() (G = 1:9, all 14 multivariate models, default
# initialisation: hierarchical VVV clustering on SVD-transformed data, on a
# random subset of 2000 rows when n > 2000) on three data sets.
#
# Run:  Rscript reference/mclust/time_mclust.R
# Needs R with mclust (Debian: apt-get install r-base-core r-cran-mclust).
# Nothing in the test suite needs R; this script only produced the timings
# quoted in reference/mclust/README.md.
#
# Synthetic blobs (20000 x 8), so Python can draw comparable (not identical)
# data:  set.seed(12345) (R's default Mersenne-Twister / Inversion);
#   5 clusters, sizes 4000 each (20000 rows), 8 features;
#   centre of cluster j: mu_j ~ N(0, 8^2 I_8), drawn first as a 5x8 matrix
#     by rows (matrix(rnorm(40, sd = 8), 5, 8));
#   then for j = 1..5: rows = mu_j + Z_j %*% diag(s_j), Z_j ~ N(0, I_8)
#     (4000x8 filled column-wise), s_j = sqrt of 8 per-feature variances
#     drawn as runif(8, 0.5, 2);
#   then rows are shuffled with sample(20000).
# The data are written to /tmp/mclust_blobs_20000x8.csv (not kept in the repo).

suppressPackageStartupMessages(library(mclust))

blobs <- function(n_per = 4000, G = 5, d = 8, seed = 12345) {
  set.seed(seed)
  mu <- matrix(rnorm(G * d, sd = 8), G, d, byrow = TRUE)
  parts <- vector("list", G)
  for (j in seq_len(G)) {
    s <- sqrt(runif(d, 0.5, 2))
    Z <- matrix(rnorm(n_per * d), n_per, d)
    parts[[j]] <- sweep(Z %*% diag(s), 2, mu[j, ], "+")
  }
  X <- do.call(rbind, parts)
  X[sample(nrow(X)), ]
}

B <- blobs()
write.csv(B, "/tmp/mclust_blobs_20000x8.csv", row.names = FALSE)

sets <- list(faithful = as.matrix(faithful),
             iris = as.matrix(iris[, 1:4]),
             blobs_20000x8 = B)

cat(sprintf("mclust %s, %s, %d cores (parallel::detectCores)\n",
            as.character(packageVersion("mclust")), R.version.string,
            parallel::detectCores()))
for (nm in names(sets)) {
  X <- sets[[nm]]
  set.seed(1)  # the subset drawn for hc when n > 2000
  tm <- system.time(m <- Mclust(X, G = 1:9, verbose = FALSE))
  cat(sprintf("%-14s n=%5d d=%d  elapsed %8.3f s (user %7.3f s, sys %7.3f s)  best %s,%d  BIC %.3f\n",
              nm, nrow(X), ncol(X), tm[["elapsed"]], tm[["user.self"]],
              tm[["sys.self"]], m$modelName, m$G, m$bic))
}
