// The BLAS that NumPy loaded, called directly by the matmul kernel (Note [Direct BLAS],
// matmul_kernel.cpp).
#pragma once

#include <string>

namespace fngrad {

// Sets the BLAS's thread count (fngrad.set_num_threads); nothing when fngrad did not find a BLAS
// it knows how to set.
void set_blas_num_threads(int n);

// The path of the BLAS library fngrad calls ("" when it found none: NumPy's matmul is used).
std::string blas_library();

// The BLAS's thread count, or -1 when unknown.
int blas_num_threads();

}  // namespace fngrad
