// Helpers for the bindings' raw CPython code on the hot paths (tensor methods, Function.apply).
// pybind11 defines the module and the functions that are not on a hot path; see
// docs/architecture.md, "Binding layer". PyRef and Scalar, which every layer uses, are in core/.
#pragma once

#include "core/common.h"
#include "core/py_ref.h"
#include "core/scalar.h"

namespace fngrad {

// Reads a Python bool/int/float (or NumPy scalar); returns false when o is not a number.
bool parse_scalar(PyObject* o, Scalar* out);

}  // namespace fngrad
