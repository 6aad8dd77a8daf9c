#define Py_BUILD_CORE
#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030D0000 && defined(__has_include)
#if __has_include("internal/pycore_frame.h")
#include "internal/pycore_frame.h"
#define FNGRAD_FAST_FRAMES 1
#endif
#endif
#undef Py_BUILD_CORE

#include "core/frames.h"

namespace fngrad {

#ifdef FNGRAD_FAST_FRAMES

void walk_frames(bool (*visit)(PyObject*, int, void*), void* ctx) {
  PyThreadState* ts = PyThreadState_Get();
  for (_PyInterpreterFrame* f = ts->cframe->current_frame; f != nullptr; f = f->previous) {
    if (_PyFrame_IsIncomplete(f)) continue;
    int lasti = _PyInterpreterFrame_LASTI(f) * static_cast<int>(sizeof(_Py_CODEUNIT));
    if (visit(reinterpret_cast<PyObject*>(f->f_code), lasti, ctx)) return;
  }
}

#else

void walk_frames(bool (*visit)(PyObject*, int, void*), void* ctx) {
  PyFrameObject* frame = PyEval_GetFrame();  // borrowed
  PyObject* owned = nullptr;                 // frames from PyFrame_GetBack are new references
  while (frame != nullptr) {
    PyObject* code = reinterpret_cast<PyObject*>(PyFrame_GetCode(frame));
#if PY_VERSION_HEX >= 0x030B0000
    int lasti = PyFrame_GetLasti(frame);
#else
    int lasti = PyFrame_GetLineNumber(frame);
#endif
    bool done = visit(code, lasti, ctx);
    Py_DECREF(code);  // still alive: its frame is on the stack
    if (done) break;
    PyFrameObject* back = PyFrame_GetBack(frame);
    Py_XDECREF(owned);
    owned = reinterpret_cast<PyObject*>(back);
    frame = back;
  }
  Py_XDECREF(owned);
}

#endif

}  // namespace fngrad
