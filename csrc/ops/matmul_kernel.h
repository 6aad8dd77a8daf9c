// The kernel under every matrix product (linalg.cpp): fngrad's small-matrix kernel (Note [Small
// GEMM]), the BLAS NumPy loaded (Note [Direct BLAS]) or NumPy's matmul, with the GIL released for
// large products, writing a @ b into out over the tensors' own memory. a, b and out have one dtype and
// matmul's shapes; none is empty. NumPy interop belongs to the Python layer, so it is declared
// here and defined in python/matmul_kernel.cpp (Note [Layers], autograd/grad_math.h).
#pragma once

#include "core/tensor.h"

namespace fngrad {
namespace ops {

void matmul_kernel(TensorObject* a, TensorObject* b, TensorObject* out);

}  // namespace ops
}  // namespace fngrad
