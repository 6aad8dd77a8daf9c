// The NumPy C API, shared by every file that uses it; python/module.cpp imports it.
#pragma once

#include "core/common.h"

#define PY_ARRAY_UNIQUE_SYMBOL FNGRAD_NUMPY_ARRAY_API
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#ifndef FNGRAD_IMPORT_NUMPY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>
