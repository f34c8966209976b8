#ifndef CFASTEXP_H
#define CFASTEXP_H
#include <stddef.h>

/// The largest of n values, NaNs ignored (-infinity when there is none).
double tc_row_max(const double *input, long n);

/// sum_i exp(input[i] - shift) for i < n, entry i summed in lane i % 8 of eight running sums (the last
/// n % 8 entries in a ninth), the lanes then added pairwise. The exps are written to `kept` when it is
/// not NULL. exp is FastExponential's (Cody-Waite, degree-13 Taylor, no FMA), so every CPU path gives
/// the same bits as the Swift scalar `FastExponential.exp`.
double tc_row_exp_sum(const double *input, long n, double shift, double *kept);

/// output[i] = exp(input[i] - shift) for i < n.
void tc_row_exp(const double *input, long n, double shift, double *output);

/// values[i] = exp(values[i]) for i < n, in place.
void tc_exp_in_place(double *values, long n);

/// values[i] = e^values[i] for i < n, in place, in float32: `Float.exponentiate` (Cody-Waite and the
/// Cephes polynomial, documented there), vectorized for the CPU like the float64 loops.
void tc_expf_in_place(float *values, long n);
#endif
