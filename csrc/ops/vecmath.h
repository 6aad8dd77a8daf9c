// Vectorised transcendental functions over contiguous arrays (out may equal in).
//
// On x86-64 with AVX2 and glibc's libmvec, these use libmvec's 8-wide (float) and 4-wide
// (double) functions, which are accurate to a few ulp; elsewhere they fall back to the scalar
// <cmath> functions. Kernels call them on chunks that fit in L1 and do the rest of their
// arithmetic in plain loops, which the compiler vectorises.
#pragma once

#include <cstdint>

namespace fngrad {
namespace vmath {

enum class Fn { Exp, Log, Sin, Cos, Tanh, Expm1, Log1p, Erf };

void apply(Fn fn, const float* in, float* out, int64_t n);
void apply(Fn fn, const double* in, double* out, int64_t n);

// Whether the vector library is in use (reported by the benchmarks).
bool accelerated();

// The chunk size kernels use for their scratch buffers.
constexpr int64_t kChunk = 256;

}  // namespace vmath
}  // namespace fngrad
