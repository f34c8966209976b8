// CBLAS and LAPACKE from Debian's libopenblas-dev and liblapacke-dev.
// Complex types are declared as structs so that the Swift importer never meets C99 _Complex.
#ifndef THEORYCHECK_CLAPACK_SHIM_H
#define THEORYCHECK_CLAPACK_SHIM_H
#define LAPACK_COMPLEX_STRUCTURE 1
#include <cblas.h>
#include <lapacke.h>
#endif
