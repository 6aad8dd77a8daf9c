// The kernel under every matrix product (linalg.cpp): NumPy's matmul, with its BLAS and the GIL
// released, writing a @ b into out over the tensors' own memory. a, b and out have one dtype and
// matmul's shapes; none is empty. NumPy interop belongs to the Python layer, so it is declared
// here and defined in python/matmul_kernel.cpp (Note [Layers], autograd/grad_math.h).
#pragma once

#include "core/tensor.h"

namespace fngrad {
namespace ops {

void matmul_kernel(TensorObject* a, TensorObject* b, TensorObject* out);

}  // namespace ops
}  // namespace fngrad
