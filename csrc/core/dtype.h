// The element types a tensor can hold, their names, NumPy type numbers and PyTorch's
// promotion rules; dispatch() turns a runtime DType into a C++ type for kernels.
#pragma once

#include "core/common.h"

namespace fngrad {

enum class DType : uint8_t { Bool = 0, Int64 = 1, Float32 = 2, Float64 = 3 };
constexpr int kNumDTypes = 4;

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Bool: return 1;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}

inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }

// "float32": the name after "fngrad." in Python.
inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

// "FloatTensor": the legacy type name PyTorch prints in autograd messages.
inline const char* legacy_type_name(DType d) {
  switch (d) {
    case DType::Bool: return "BoolTensor";
    case DType::Int64: return "LongTensor";
    case DType::Float32: return "FloatTensor";
    case DType::Float64: return "DoubleTensor";
  }
  return "?";
}

// "Float": the scalar type name PyTorch prints in kernel messages ("... not implemented for 'Long'").
inline const char* scalar_type_name(DType d) {
  switch (d) {
    case DType::Bool: return "Bool";
    case DType::Int64: return "Long";
    case DType::Float32: return "Float";
    case DType::Float64: return "Double";
  }
  return "?";
}

// Category order used by promotion: bool < integral < floating.
inline int dtype_category(DType d) {
  switch (d) {
    case DType::Bool: return 0;
    case DType::Int64: return 1;
    default: return 2;
  }
}

// The dtype of an op on two tensors (PyTorch's promote_types for the dtypes fngrad has).
inline DType promote_types(DType a, DType b) {
  return static_cast<uint8_t>(a) > static_cast<uint8_t>(b) ? a : b;
}

template <typename T>
struct TypeTag {
  using type = T;
};

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<bool>() { return DType::Bool; }
template <>
constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <>
constexpr DType dtype_of<float>() { return DType::Float32; }
template <>
constexpr DType dtype_of<double>() { return DType::Float64; }

// dispatch(dtype, [&](auto tag) { using T = typename decltype(tag)::type; ... });
template <typename F>
decltype(auto) dispatch(DType d, F&& f) {
  switch (d) {
    case DType::Bool: return f(TypeTag<bool>{});
    case DType::Int64: return f(TypeTag<int64_t>{});
    case DType::Float32: return f(TypeTag<float>{});
    case DType::Float64: break;
  }
  return f(TypeTag<double>{});
}

template <typename F>
decltype(auto) dispatch_floating(DType d, F&& f) {
  if (d == DType::Float32) return f(TypeTag<float>{});
  return f(TypeTag<double>{});
}

// Parses "float32", "float64", "int64", "bool"; returns false for anything else.
bool dtype_from_name(const std::string& name, DType* out);

}  // namespace fngrad
