// Walking the Python call stack cheaply, for creation sites (Note [Creation site]).
#pragma once

#include "core/common.h"

namespace fngrad {

// Calls visit(code, lasti) for each Python frame from the innermost outwards until it returns
// true; code is borrowed (its frame is on the stack) and lasti is the offset in bytes of the
// frame's current instruction. On CPython 3.11 and 3.12 this reads the interpreter's frames
// directly: asking for frame objects would make CPython allocate one for every short-lived
// frame, which costs more than the op being recorded.
void walk_frames(bool (*visit)(PyObject* code, int lasti, void* ctx), void* ctx);

}  // namespace fngrad
