// A Python number as the ops take it (a bound, a fill value, one side of a binary op).
#pragma once

#include <cstdint>
#include <type_traits>

namespace fngrad {

// A Python number (bool, int or float, including NumPy scalars) as a tagged value.
struct Scalar {
  enum Kind : uint8_t { Bool, Int, Float } kind = Float;
  double d = 0;
  int64_t i = 0;
  static Scalar of_double(double v) {
    Scalar s;
    s.kind = Float;
    s.d = v;
    s.i = static_cast<int64_t>(v);
    return s;
  }
  static Scalar of_int(int64_t v) {
    Scalar s;
    s.kind = Int;
    s.i = v;
    s.d = static_cast<double>(v);
    return s;
  }
  static Scalar of_bool(bool v) {
    Scalar s;
    s.kind = Bool;
    s.i = v;
    s.d = v;
    return s;
  }
  template <typename T> T to() const {
    if constexpr (std::is_same_v<T, bool>)
      return kind == Float ? d != 0 : i != 0;
    else if constexpr (std::is_integral_v<T>)
      return kind == Float ? static_cast<T>(d) : static_cast<T>(i);
    else
      return kind == Float ? static_cast<T>(d) : static_cast<T>(i);
  }
};

}  // namespace fngrad
