// Internal to the TensorBase files (tensor_type.cpp and the tensor_*_methods.cpp files): each
// methods file appends its PyMethodDef rows, and tensor_type.cpp joins them into the type.
#pragma once

#include <vector>

#include "python/arg_parser.h"
#include "python/tensor_type.h"

namespace fngrad {

// Casts a METH_FASTCALL function to the PyCFunction a PyMethodDef holds.
#define FNGRAD_FASTCALL(fn) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(fn))

// tensor_methods.cpp: conversion, autograd state, pointwise (clamp, comparisons, fill, where,
// logical), products (matmul family).
void append_general_methods(std::vector<PyMethodDef>& out);
// tensor_shape_methods.cpp: views, reshapes, splits.
void append_shape_methods(std::vector<PyMethodDef>& out);
// tensor_reduce_methods.cpp: reductions and softmax.
void append_reduce_methods(std::vector<PyMethodDef>& out);

// Tensor.T and Tensor.mT (tensor_shape_methods.cpp).
PyObject* tensor_get_T(PyObject* self, void*);
PyObject* tensor_get_mT(PyObject* self, void*);

// Sets t.requires_grad, refusing where PyTorch refuses (non-leaves, integer dtypes, inference
// tensors) (tensor_type.cpp).
void set_requires_grad_flag(TensorObject* t, bool value);

// The fngrad.dtype and fngrad.Size types (dtype_type.cpp), made by init_tensor_types.
void init_dtype_and_size_types(PyObject* module);

}  // namespace fngrad
