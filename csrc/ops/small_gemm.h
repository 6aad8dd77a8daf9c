// A matrix product for small float32/float64 matrices, used by the matmul kernel below a work
// threshold instead of BLAS (Note [Small GEMM], small_gemm.cpp).
#pragma once

#include <cstdint>

namespace fngrad {
namespace ops {

// Whether small_gemm, rather than BLAS, takes an (m x k) @ (k x n) product (all sizes at least 1).
bool use_small_gemm(int64_t m, int64_t n, int64_t k);

// c = a @ b: a is m x k with element strides (rsa, csa), b is k x n with (rsb, csb), c is m x n
// with rows ldc elements apart and contiguous within a row. Any strides (transposed, broadcast,
// sliced); all sizes at least 1.
template <typename T> void small_gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa, const T* b,
                                      int64_t rsb, int64_t csb, T* c, int64_t ldc);

}  // namespace ops
}  // namespace fngrad
