// The Python face of the elementwise op tables (see op_table_bindings.cpp).
#pragma once

#include <vector>

#include "python/py_utils.h"

namespace fngrad {

// Adds _C.<name> for every table op, _C.unary_ops, _C.binary_ops and the JVP test hooks.
void add_op_table_functions(PyObject* module);
// Appends Tensor.<name> and Tensor.<name>_ for every table op.
void append_op_table_methods(std::vector<PyMethodDef>& out);

}  // namespace fngrad
