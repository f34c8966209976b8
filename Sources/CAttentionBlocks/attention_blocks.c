// The triangular block products of causal attention (see CAttentionBlocks.h), in float64 and float32.
//
// Why not BLAS: the tiny model's attention blocks are about 37 x 37 x 8, and at that size a library
// gemm spends most of its time in call overhead, packing and edge handling (the Hamiltonian run made six
// million such calls at an eighth of the flop rate), and it computes the upper triangle that the causal
// mask throws away. These loops read the blocks in place, skip the masked triangle, and vectorize over
// eight output columns at a time.
//
// Portability: no -march flags. On x86-64 ELF each function is compiled three times (AVX-512, AVX2,
// baseline SSE2) and the loader picks one (target_clones); elsewhere the portable copy alone is built.
// FP contraction is off, so no copy fuses a multiply and an add: all copies give the same bits.
#include "CAttentionBlocks.h"

#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__ELF__)
#define TC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TC_CLONES
#endif

#define TC_REAL double
#define TC_NAME(x) x##_d
#include "attention_blocks_body.inc"
#undef TC_REAL
#undef TC_NAME

#define TC_REAL float
#define TC_NAME(x) x##_f
#include "attention_blocks_body.inc"
#undef TC_REAL
#undef TC_NAME
