// Errors, checks and small containers shared by every part of fngrad's C++ core.
//
// Errors: C++ code throws fngrad::Error (with the Python exception kind it maps to) or
// fngrad::PythonError (a Python exception already raised by Python code we called). Every
// entry point from Python wraps its body in FNGRAD_TRY / FNGRAD_CATCH, which turns the C++
// exception into the Python one. Op errors read "[op] What is wrong." (one sentence, full
// stop); autograd errors use PyTorch's wording where users know it.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace fngrad {

enum class ErrorKind { Runtime, Value, Type, Index, NotImplemented };

class Error : public std::exception {
 public:
  Error(ErrorKind kind, std::string msg) : kind_(kind), msg_(std::move(msg)) {}
  const char* what() const noexcept override { return msg_.c_str(); }
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
  std::string msg_;
};

// A Python exception raised by Python code that C++ called (a user's forward or backward, a
// hook). It owns the exception object so that other Python code can run while it unwinds,
// and restore() raises it again, with its own type and traceback, at the boundary.
class PythonError : public std::exception {
 public:
  // Takes the currently raised Python exception. Requires the GIL.
  PythonError();
  PythonError(const PythonError& other);
  PythonError& operator=(const PythonError&) = delete;
  ~PythonError() override;
  const char* what() const noexcept override { return "Python exception"; }
  // Raises the exception in Python again and gives up ownership. Requires the GIL.
  void restore();
  PyObject* value() const { return value_; }

 private:
  PyObject* value_ = nullptr;  // a normalised exception instance, or null after restore()
};

namespace detail {
inline void str_append(std::ostringstream&) {}
template <typename T, typename... Rest> void str_append(std::ostringstream& ss, const T& first, const Rest&... rest) {
  ss << first;
  str_append(ss, rest...);
}
}  // namespace detail

template <typename... Args> std::string str(const Args&... args) {
  std::ostringstream ss;
  detail::str_append(ss, args...);
  return ss.str();
}

template <typename... Args> [[noreturn]] void fail(ErrorKind kind, const Args&... args) {
  throw Error(kind, str(args...));
}

// Converts the C++ exception being handled into a raised Python exception.
// Call only from inside a catch block.
void translate_exception() noexcept;

// The Python exception type an ErrorKind maps to (borrowed).
PyObject* python_error_type(ErrorKind kind);

}  // namespace fngrad

#define FNGRAD_CHECK(cond, kind, ...)               \
  do {                                              \
    if (!(cond)) ::fngrad::fail(kind, __VA_ARGS__); \
  } while (0)
#define FNGRAD_CHECK_VALUE(cond, ...) FNGRAD_CHECK(cond, ::fngrad::ErrorKind::Value, __VA_ARGS__)
#define FNGRAD_CHECK_TYPE(cond, ...) FNGRAD_CHECK(cond, ::fngrad::ErrorKind::Type, __VA_ARGS__)
#define FNGRAD_CHECK_RUNTIME(cond, ...) FNGRAD_CHECK(cond, ::fngrad::ErrorKind::Runtime, __VA_ARGS__)
#define FNGRAD_CHECK_INDEX(cond, ...) FNGRAD_CHECK(cond, ::fngrad::ErrorKind::Index, __VA_ARGS__)

// An internal invariant: failing it is a bug in fngrad, not in the caller's code.
#define FNGRAD_INTERNAL_ASSERT(cond)                                                                             \
  do {                                                                                                           \
    if (!(cond))                                                                                                 \
      ::fngrad::fail(::fngrad::ErrorKind::Runtime, "[internal] ", #cond, " failed at ", __FILE__, ":", __LINE__, \
                     ". This is a bug in fngrad; please report it.");                                            \
  } while (0)

// Raises a Python error (already set) as a C++ exception when a CPython call failed.
#define FNGRAD_PY_CHECK(cond)                   \
  do {                                          \
    if (!(cond)) throw ::fngrad::PythonError(); \
  } while (0)

#define FNGRAD_TRY try {
#define FNGRAD_CATCH(retval)         \
  }                                  \
  catch (...) {                      \
    ::fngrad::translate_exception(); \
    return retval;                   \
  }

namespace fngrad {

// A vector with N elements stored inline: shapes, strides, edges and gradient lists are almost
// always short, and the inline storage saves one heap allocation per tensor or node.
template <typename T, unsigned N> class SmallVec {
 public:
  SmallVec() = default;
  explicit SmallVec(size_t n) { resize(n); }
  SmallVec(size_t n, const T& value) {
    reserve(n);
    for (size_t i = 0; i < n; i++) push_back(value);
  }
  SmallVec(std::initializer_list<T> init) {
    reserve(init.size());
    for (const T& v : init) push_back(v);
  }
  template <typename It, typename = decltype(*std::declval<It>())> SmallVec(It first, It last) {
    for (; first != last; ++first) push_back(*first);
  }
  SmallVec(const SmallVec& other) {
    reserve(other.size_);
    for (size_t i = 0; i < other.size_; i++) new (data_ + i) T(other.data_[i]);
    size_ = other.size_;
  }
  SmallVec(SmallVec&& other) noexcept { steal(std::move(other)); }
  SmallVec& operator=(const SmallVec& other) {
    if (this != &other) {
      clear();
      reserve(other.size_);
      for (size_t i = 0; i < other.size_; i++) new (data_ + i) T(other.data_[i]);
      size_ = other.size_;
    }
    return *this;
  }
  SmallVec& operator=(SmallVec&& other) noexcept {
    if (this != &other) {
      clear();
      free_heap();
      steal(std::move(other));
    }
    return *this;
  }
  ~SmallVec() {
    clear();
    free_heap();
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    size_t cap = capacity_ * 2 > n ? capacity_ * 2 : n;
    T* fresh = static_cast<T*>(::operator new(cap * sizeof(T)));
    for (size_t i = 0; i < size_; i++) {
      new (fresh + i) T(std::move(data_[i]));
      data_[i].~T();
    }
    free_heap();
    data_ = fresh;
    capacity_ = static_cast<uint32_t>(cap);
  }
  void push_back(const T& v) {
    if (size_ == capacity_) {
      T copy(v);  // v may live inside this vector
      reserve(size_ + 1);
      new (data_ + size_) T(std::move(copy));
    } else {
      new (data_ + size_) T(v);
    }
    size_++;
  }
  void push_back(T&& v) {
    if (size_ == capacity_) {
      T moved(std::move(v));
      reserve(size_ + 1);
      new (data_ + size_) T(std::move(moved));
    } else {
      new (data_ + size_) T(std::move(v));
    }
    size_++;
  }
  template <typename... Args> T& emplace_back(Args&&... args) {
    reserve(size_ + 1);
    new (data_ + size_) T(std::forward<Args>(args)...);
    return data_[size_++];
  }
  void pop_back() { data_[--size_].~T(); }
  void resize(size_t n) {
    reserve(n);
    while (size_ < n) new (data_ + size_++) T();
    while (size_ > n) data_[--size_].~T();
  }
  void clear() {
    for (size_t i = 0; i < size_; i++) data_[i].~T();
    size_ = 0;
  }
  void insert_at(size_t pos, const T& v) {
    push_back(v);
    for (size_t i = size_ - 1; i > pos; i--) std::swap(data_[i], data_[i - 1]);
  }
  void erase_at(size_t pos) {
    for (size_t i = pos; i + 1 < size_; i++) data_[i] = std::move(data_[i + 1]);
    pop_back();
  }
  bool operator==(const SmallVec& o) const {
    if (size_ != o.size_) return false;
    for (size_t i = 0; i < size_; i++)
      if (!(data_[i] == o.data_[i])) return false;
    return true;
  }
  bool operator!=(const SmallVec& o) const { return !(*this == o); }

 private:
  bool on_heap() const { return data_ != inline_ptr(); }
  T* inline_ptr() const { return reinterpret_cast<T*>(const_cast<unsigned char*>(inline_)); }
  void free_heap() {
    if (on_heap()) ::operator delete(data_);
    data_ = inline_ptr();
    capacity_ = N;
  }
  void steal(SmallVec&& other) {
    if (other.on_heap()) {
      data_ = other.data_;
      capacity_ = other.capacity_;
      size_ = other.size_;
      other.data_ = other.inline_ptr();
      other.capacity_ = N;
      other.size_ = 0;
    } else {
      data_ = inline_ptr();
      capacity_ = N;
      for (size_t i = 0; i < other.size_; i++) new (data_ + i) T(std::move(other.data_[i]));
      size_ = other.size_;
      other.clear();
    }
  }

  T* data_ = inline_ptr();
  uint32_t size_ = 0;
  uint32_t capacity_ = N;
  alignas(T) unsigned char inline_[N * sizeof(T)];
};

// Shapes and strides (in elements). Four dimensions inline covers almost every tensor.
using DimVec = SmallVec<int64_t, 4>;

inline int64_t product(const DimVec& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// "[2, 3]", the way PyTorch prints sizes in its messages.
std::string shape_str(const DimVec& v);

}  // namespace fngrad
