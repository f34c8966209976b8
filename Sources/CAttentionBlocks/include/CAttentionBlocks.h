#ifndef CATTENTIONBLOCKS_H
#define CATTENTIONBLOCKS_H

// The products of one causal attention block (T positions, row-major blocks read in place through
// their row strides), restricted to the lower triangle j <= i that causality leaves nonzero. Every
// entry is one plain left-to-right sum (no FMA, no reordering), so each CPU path gives the same bits.
// The `_f` variants are the float32 copies of the `_d` ones.

/// c[i][j] = sum_{p < k} a[i][p] b[j][p] for 0 <= j <= i < t (A B^T on the triangle; c's entries above
/// the diagonal are unspecified afterwards, and its rows need room for t entries). `scratch` holds k t
/// entries (B transposed, so the sum over p runs down contiguous rows).
void tc_lower_product_transposed_d(long t, long k, const double *a, long lda, const double *b, long ldb,
                                   double *c, long ldc, double *scratch);
void tc_lower_product_transposed_f(long t, long k, const float *a, long lda, const float *b, long ldb,
                                   float *c, long ldc, float *scratch);

/// c[i][:] = (accumulate ? c[i][:] : 0) + sum_{j = 0}^{i} l[i][j] x[j][:] for i < t, n columns: L X for
/// a lower-triangular t x t L (its entries above the diagonal are never read).
void tc_lower_times_d(long t, long n, const double *l, long ldl, const double *x, long ldx, int accumulate,
                      double *c, long ldc);
void tc_lower_times_f(long t, long n, const float *l, long ldl, const float *x, long ldx, int accumulate,
                      float *c, long ldc);

/// c[j][:] = (accumulate ? c[j][:] : 0) + sum_{i = j}^{t - 1} l[i][j] x[i][:] for j < t, n columns: L^T X
/// for a lower-triangular t x t L (its entries above the diagonal are never read).
void tc_lower_transpose_times_d(long t, long n, const double *l, long ldl, const double *x, long ldx,
                                int accumulate, double *c, long ldc);
void tc_lower_transpose_times_f(long t, long n, const float *l, long ldl, const float *x, long ldx,
                                int accumulate, float *c, long ldc);
#endif
