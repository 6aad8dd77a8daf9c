// _C.TensorBase, _C.dtype and _C.Size: the Python types of the tensor core.
#pragma once

#include "core/tensor.h"
#include "python/py_utils.h"

namespace fngrad {

void init_tensor_types(PyObject* module);

// The fngrad.<dtype> object for d (borrowed), and the reverse; false if o is not a dtype.
PyObject* dtype_object(DType d);
bool dtype_from_object(PyObject* o, DType* out);
// Reads a dtype argument: a fngrad dtype, or Python's float (float64), int (int64) or bool, as
// PyTorch accepts; anything else (a name, a NumPy dtype) is a TypeError naming op.
DType parse_dtype(PyObject* o, const char* op);

// Reads an int argument (what: "dim", "size", ...), naming op in errors. A Python int that does
// not fit in int64 raises PyTorch's exception: TypeError for a size, ValueError otherwise.
int64_t parse_int(PyObject* o, const char* op, const char* what);

// A _C.Size for sizes (a new reference).
PyObject* make_size(const DimVec& sizes);
// Reads a shape: a sequence of ints, or ints passed as separate arguments.
DimVec parse_shape(PyObject* const* args, Py_ssize_t nargs, const char* op);
DimVec parse_shape_object(PyObject* o, const char* op);

// Tensor <-> NumPy without copies.
PyObject* tensor_to_numpy(TensorObject* t, bool force);
TensorRef tensor_from_numpy(PyObject* array);

// Fast argument parsing for METH_FASTCALL | METH_KEYWORDS: fills out[i] (borrowed, or null
// when absent) for each name. Raises TypeError naming fname for unknown or repeated names.
void parse_args(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, const char* const* names,
                size_t n_names, PyObject** out, const char* fname);

}  // namespace fngrad
