// Python functions of the fngrad package that C++ calls.
//
// Note [Python callbacks]
// A few pieces are clearer in Python and run off the hot path: binding Function.apply's keyword arguments through
// forward's signature (fngrad.autograd.function._bind_kwargs), and the positions of an advanced
// index (fngrad._indexing.positions). fngrad/__init__.py hands them over once, at import, with
// _C._register_callbacks(...), which requires every one of them by keyword. So C++ never imports
// a Python module by name, a renamed function fails at import instead of at its first call, and
// the dependency is written down in one place on each side: the enum below and that call.
#pragma once

#include "core/common.h"

namespace fngrad {

// ForwardJvp computes a pending tangent (Note [Forward AD]); FunctionForwardAD runs a custom
// Function's jvp (fngrad.autograd.forward_ad).
enum class PyCallback : int { BindKwargs, IndexPositions, ForwardJvp, FunctionForwardAD };
constexpr int kNumPyCallbacks = 4;

// The keyword that _C._register_callbacks takes for c.
const char* py_callback_name(PyCallback c);
// Stores fn (takes a new reference; releases an earlier one).
void set_py_callback(PyCallback c, PyObject* fn);
// The registered function (borrowed). A missing one is a bug in fngrad: an internal error naming it.
PyObject* py_callback(PyCallback c);

}  // namespace fngrad
