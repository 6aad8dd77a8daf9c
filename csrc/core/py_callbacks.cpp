#include "core/py_callbacks.h"

namespace fngrad {

namespace {

PyObject* g_callbacks[kNumPyCallbacks] = {};

}  // namespace

const char* py_callback_name(PyCallback c) {
  switch (c) {
    case PyCallback::BindKwargs:
      return "bind_kwargs";
    case PyCallback::IndexPositions:
      return "index_positions";
    case PyCallback::ForwardJvp:
      return "forward_jvp";
    case PyCallback::FunctionForwardAD:
      return "function_forward_ad";
  }
  return "?";
}

void set_py_callback(PyCallback c, PyObject* fn) {
  Py_INCREF(fn);
  Py_XSETREF(g_callbacks[static_cast<int>(c)], fn);
}

PyObject* py_callback(PyCallback c) {
  PyObject* fn = g_callbacks[static_cast<int>(c)];
  if (fn == nullptr) {
    fail(ErrorKind::Runtime, "[internal] the Python callback '", py_callback_name(c),
         "' was never registered (fngrad/__init__.py registers it with _C._register_callbacks). "
         "This is a bug in fngrad; please report it.");
  }
  return fn;
}

}  // namespace fngrad
