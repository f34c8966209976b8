#include "CFastExp.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

#define TC_CHUNK 512  // a multiple of 8, so a row summed in chunks sums as in one pass

// 2^(j/64), j = 0 ..< 64, from libm's exp2 when the library loads.
static double tc_exp2_table[64];

__attribute__((constructor)) static void tc_fill_table(void) {
    for (int j = 0; j < 64; j++) tc_exp2_table[j] = exp2(j / 64.0);
}

#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx2,avx"))), apply_to = function)
#define TC_NAME(x) x##_avx512
#include "fastexp_body.inc"
#undef TC_NAME
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,avx"))), apply_to = function)
#if defined(__x86_64__)
#include "fastexp_avx2_lanes.inc"
#define TC_EXP_LANES tc_row_exp_lanes_avx2
#endif
#define TC_NAME(x) x##_avx2
#include "fastexp_body.inc"
#undef TC_NAME
#undef TC_EXP_LANES
#pragma clang attribute pop

#define TC_NAME(x) x##_sse2
#include "fastexp_body.inc"
#undef TC_NAME

// 2: AVX-512, 1: AVX2, 0: baseline; chosen once (a benign race: every thread computes the same value).
static int tc_level = -1;

static int level(void) {
    int l = tc_level;
    if (l < 0) {
        __builtin_cpu_init();
        l = (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) ? 2
            : __builtin_cpu_supports("avx2") ? 1 : 0;
        tc_level = l;
    }
    return l;
}

double tc_row_max(const double *input, long n) {
    switch (level()) {
    case 2: return row_max_avx512(input, n);
    case 1: return row_max_avx2(input, n);
    default: return row_max_sse2(input, n);
    }
}

double tc_row_exp_sum(const double *input, long n, double shift, double *kept) {
    switch (level()) {
    case 2: return row_exp_sum_avx512(input, n, shift, kept);
    case 1: return row_exp_sum_avx2(input, n, shift, kept);
    default: return row_exp_sum_sse2(input, n, shift, kept);
    }
}

void tc_row_exp(const double *input, long n, double shift, double *output) {
    switch (level()) {
    case 2: row_exp_avx512(input, n, shift, output); break;
    case 1: row_exp_avx2(input, n, shift, output); break;
    default: row_exp_sse2(input, n, shift, output); break;
    }
}

void tc_exp_in_place(double *values, long n) {
    switch (level()) {
    case 2: exp_in_place_avx512(values, n); break;
    case 1: exp_in_place_avx2(values, n); break;
    default: exp_in_place_sse2(values, n); break;
    }
}

void tc_expf_in_place(float *values, long n) {
    switch (level()) {
    case 2: expf_in_place_avx512(values, n); break;
    case 1: expf_in_place_avx2(values, n); break;
    default: expf_in_place_sse2(values, n); break;
    }
}
