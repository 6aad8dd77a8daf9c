// The BLAS that NumPy loaded, called directly by the matmul kernel (Note [Direct BLAS],
// matmul_kernel.cpp).
#pragma once

namespace fngrad {

// Sets the BLAS's thread count (fngrad.set_num_threads); nothing when fngrad did not find a BLAS
// it knows how to set.
void set_blas_num_threads(int n);

}  // namespace fngrad
