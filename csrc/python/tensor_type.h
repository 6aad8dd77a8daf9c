// _C.TensorBase, _C.dtype and _C.Size: the Python types of the tensor core.
#pragma once

#include "core/tensor.h"
#include "python/arg_parser.h"  // the argument readers every binding uses
#include "python/py_utils.h"

namespace fngrad {

void init_tensor_types(PyObject* module);

// The fngrad.<dtype> object for d (borrowed), and the reverse; false if o is not a dtype.
PyObject* dtype_object(DType d);
bool dtype_from_object(PyObject* o, DType* out);
// Reads a dtype argument: a fngrad dtype, or Python's float (float64), int (int64) or bool, as
// PyTorch accepts; anything else (a name, a NumPy dtype) is a TypeError naming op.
DType parse_dtype(PyObject* o, const char* op);

// A _C.Size for sizes (a new reference).
PyObject* make_size(const DimVec& sizes);
// Tensor <-> NumPy without copies (numpy_interop.cpp).
// track=false for arrays fngrad makes and drops internally (Note [NumPy writes to saved memory]:
// a tracked array's memory counts as writable through NumPy while the array lives).
PyObject* tensor_to_numpy(TensorObject* t, bool force, bool track = true);
// private_result: the array is a result fngrad computed for itself and handed over (nothing else
// writes it), so a graph saving the tensor skips Note [NumPy writes to saved memory]'s checksums.
TensorRef tensor_from_numpy(PyObject* array, bool private_result = false);

}  // namespace fngrad
