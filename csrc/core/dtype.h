// The element types a tensor can hold, their names, NumPy type numbers and PyTorch's
// promotion rules; dispatch() turns a runtime DType into a C++ type for kernels.
//
// Note [Storage dtypes]: kernels are instantiated for four compute dtypes only (bool, int64,
// float32, float64). The narrower dtypes (uint8, int8, int16, int32, float16, bfloat16) are
// storage dtypes: copy, cast, fill and the byte-moving ops handle them directly, and every op
// that computes converts its inputs to kernel_dtype() (int64 or float32), runs, and casts its
// result back. Integer add/sub/mul then wrap around as in PyTorch after the narrowing cast, and
// half results are rounded once per op, as PyTorch's CPU half kernels (which compute in float)
// round them. This keeps the build from instantiating every kernel ten times.
#pragma once

#include <cmath>
#include <cstring>

#include "core/common.h"

namespace fngrad {

enum class DType : uint8_t {
  Bool = 0,
  Int64 = 1,
  Float32 = 2,
  Float64 = 3,
  UInt8 = 4,
  Int8 = 5,
  Int16 = 6,
  Int32 = 7,
  Float16 = 8,
  BFloat16 = 9,
};
constexpr int kNumDTypes = 10;

// IEEE binary16 and bfloat16 as storage: conversions to and from float round to nearest even
// (the same bit manipulations as c10::Half / c10::BFloat16). Arithmetic happens in float.
inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

struct Half {
  uint16_t bits;
  Half() = default;
  Half(float f) : bits(from_float(f)) {}  // NOLINT: implicit, as c10::Half
  operator float() const {                // NOLINT
    const uint32_t w = static_cast<uint32_t>(bits) << 16;
    const uint32_t sign = w & 0x80000000u;
    const uint32_t two_w = w + w;
    const float normalized = bits_float((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
    const float denormalized = bits_float((two_w >> 17) | (126u << 23)) - 0.5f;
    return bits_float(sign | (two_w < (1u << 27) ? float_bits(denormalized) : float_bits(normalized)));
  }
  static uint16_t from_float(float f) {
    float base = (std::fabs(f) * 0x1.0p+112f) * 0x1.0p-110f;
    const uint32_t w = float_bits(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = bits_float((bias >> 1) + 0x07800000u) + base;
    const uint32_t b = float_bits(base);
    const uint32_t nonsign = ((b >> 13) & 0x00007C00u) + (b & 0x00000FFFu);
    return static_cast<uint16_t>((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
  }
};

struct BFloat16 {
  uint16_t bits;
  BFloat16() = default;
  BFloat16(float f) : bits(from_float(f)) {}                                        // NOLINT
  operator float() const { return bits_float(static_cast<uint32_t>(bits) << 16); }  // NOLINT
  static uint16_t from_float(float f) {
    if (f != f) return 0x7FC0;
    uint32_t u = float_bits(f);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
  }
};

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Bool:
    case DType::UInt8:
    case DType::Int8:
      return 1;
    case DType::Int16:
    case DType::Float16:
    case DType::BFloat16:
      return 2;
    case DType::Int32:
    case DType::Float32:
      return 4;
    case DType::Int64:
    case DType::Float64:
      return 8;
  }
  return 0;
}

inline bool is_floating(DType d) {
  return d == DType::Float32 || d == DType::Float64 || d == DType::Float16 || d == DType::BFloat16;
}
inline bool is_integral(DType d) { return !is_floating(d) && d != DType::Bool; }

// The dtype kernels compute in for d (Note [Storage dtypes]).
inline DType kernel_dtype(DType d) {
  switch (d) {
    case DType::UInt8:
    case DType::Int8:
    case DType::Int16:
    case DType::Int32:
      return DType::Int64;
    case DType::Float16:
    case DType::BFloat16:
      return DType::Float32;
    default:
      return d;
  }
}
inline bool is_storage_only(DType d) { return kernel_dtype(d) != d; }

// "float32": the name after "fngrad." in Python.
inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool:
      return "bool";
    case DType::Int64:
      return "int64";
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
    case DType::UInt8:
      return "uint8";
    case DType::Int8:
      return "int8";
    case DType::Int16:
      return "int16";
    case DType::Int32:
      return "int32";
    case DType::Float16:
      return "float16";
    case DType::BFloat16:
      return "bfloat16";
  }
  return "?";
}

// "FloatTensor": the legacy type name PyTorch prints in autograd messages.
inline const char* legacy_type_name(DType d) {
  switch (d) {
    case DType::Bool:
      return "BoolTensor";
    case DType::Int64:
      return "LongTensor";
    case DType::Float32:
      return "FloatTensor";
    case DType::Float64:
      return "DoubleTensor";
    case DType::UInt8:
      return "ByteTensor";
    case DType::Int8:
      return "CharTensor";
    case DType::Int16:
      return "ShortTensor";
    case DType::Int32:
      return "IntTensor";
    case DType::Float16:
      return "HalfTensor";
    case DType::BFloat16:
      return "BFloat16Tensor";
  }
  return "?";
}

// "Float": the scalar type name PyTorch prints in kernel messages ("... not implemented for 'Long'").
inline const char* scalar_type_name(DType d) {
  switch (d) {
    case DType::Bool:
      return "Bool";
    case DType::Int64:
      return "Long";
    case DType::Float32:
      return "Float";
    case DType::Float64:
      return "Double";
    case DType::UInt8:
      return "Byte";
    case DType::Int8:
      return "Char";
    case DType::Int16:
      return "Short";
    case DType::Int32:
      return "Int";
    case DType::Float16:
      return "Half";
    case DType::BFloat16:
      return "BFloat16";
  }
  return "?";
}

// Category order used by promotion: bool < integral < floating.
inline int dtype_category(DType d) { return d == DType::Bool ? 0 : is_floating(d) ? 2 : 1; }

// The dtype of an op on two tensors: PyTorch's promote_types table (c10/core/ScalarType.cpp).
inline DType promote_types(DType a, DType b) {
  if (a == b || b == DType::Bool) return a;
  if (a == DType::Bool) return b;
  const bool fa = is_floating(a), fb = is_floating(b);
  if (fa != fb) return fa ? a : b;
  // Width ranks within a category; uint8 and bfloat16 are the odd ones out.
  auto rank = [](DType d) {
    switch (d) {
      case DType::UInt8:
      case DType::Int8:
      case DType::Float16:
      case DType::BFloat16:
        return 1;
      case DType::Int16:
        return 2;
      case DType::Int32:
      case DType::Float32:
        return 3;
      default:
        return 4;  // Int64, Float64
    }
  };
  if (fa) {
    if (rank(a) == 1 && rank(b) == 1) return DType::Float32;  // float16 with bfloat16
    return rank(a) > rank(b) ? a : b;
  }
  if (a == DType::UInt8 || b == DType::UInt8) {
    DType other = a == DType::UInt8 ? b : a;
    return other == DType::Int8 ? DType::Int16 : other;
  }
  return rank(a) > rank(b) ? a : b;
}

template <typename T> struct TypeTag {
  using type = T;
};

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }

[[noreturn]] void fail_storage_dispatch(DType d);

// dispatch(dtype, [&](auto tag) { using T = typename decltype(tag)::type; ... });
// Over the four compute dtypes only (Note [Storage dtypes]): a storage dtype reaching a kernel
// is a bug, reported as an internal error rather than computed in the wrong type.
template <typename F> decltype(auto) dispatch(DType d, F&& f) {
  switch (d) {
    case DType::Bool:
      return f(TypeTag<bool>{});
    case DType::Int64:
      return f(TypeTag<int64_t>{});
    case DType::Float32:
      return f(TypeTag<float>{});
    case DType::Float64:
      break;
    default:
      fail_storage_dispatch(d);
  }
  return f(TypeTag<double>{});
}

template <typename F> decltype(auto) dispatch_floating(DType d, F&& f) {
  if (d == DType::Float32) return f(TypeTag<float>{});
  if (d != DType::Float64) fail_storage_dispatch(d);
  return f(TypeTag<double>{});
}

// Over every dtype: for the data-moving operations only (copy, cast, fill, item).
template <typename F> decltype(auto) dispatch_all(DType d, F&& f) {
  switch (d) {
    case DType::Bool:
      return f(TypeTag<bool>{});
    case DType::Int64:
      return f(TypeTag<int64_t>{});
    case DType::Float32:
      return f(TypeTag<float>{});
    case DType::Float64:
      return f(TypeTag<double>{});
    case DType::UInt8:
      return f(TypeTag<uint8_t>{});
    case DType::Int8:
      return f(TypeTag<int8_t>{});
    case DType::Int16:
      return f(TypeTag<int16_t>{});
    case DType::Int32:
      return f(TypeTag<int32_t>{});
    case DType::Float16:
      return f(TypeTag<Half>{});
    case DType::BFloat16:
      break;
  }
  return f(TypeTag<BFloat16>{});
}

// By element width, as unsigned integers: for kernels that only move elements (gather, put,
// masked_fill), which then handle every dtype with four instantiations.
template <typename F> decltype(auto) dispatch_bytes(DType d, F&& f) {
  switch (itemsize(d)) {
    case 1:
      return f(TypeTag<uint8_t>{});
    case 2:
      return f(TypeTag<uint16_t>{});
    case 4:
      return f(TypeTag<uint32_t>{});
    default:
      break;
  }
  return f(TypeTag<uint64_t>{});
}

// Parses "float32", "float64", "int64", "bool", ...; returns false for anything else.
bool dtype_from_name(const std::string& name, DType* out);

}  // namespace fngrad
