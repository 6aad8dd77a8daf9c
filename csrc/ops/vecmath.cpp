// See vecmath.h. Only the functions between the target pragmas use AVX2, and they run only
// after a runtime check of the CPU: the library itself stays at the baseline instruction set.
#include "ops/vecmath.h"

#include <cmath>

#if defined(__x86_64__) && defined(__linux__)
#include <dlfcn.h>
#include <immintrin.h>
#define FNGRAD_USE_MVEC 1
#endif

namespace fngrad {
namespace vmath {

namespace {

template <typename T> T scalar(Fn fn, T x) {
  switch (fn) {
    case Fn::Exp:
      return std::exp(x);
    case Fn::Log:
      return std::log(x);
    case Fn::Sin:
      return std::sin(x);
    case Fn::Cos:
      return std::cos(x);
    case Fn::Tanh:
      return std::tanh(x);
    case Fn::Expm1:
      return std::expm1(x);
    case Fn::Log1p:
      return std::log1p(x);
    case Fn::Erf:
      break;
  }
  return std::erf(x);
}

template <typename T> void scalar_loop(Fn fn, const T* in, T* out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = scalar(fn, in[i]);
}

#ifdef FNGRAD_USE_MVEC
bool cpu_has_avx2() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

#pragma GCC push_options
#pragma GCC target("avx2,fma")
using VecF = __m256 (*)(__m256);
using VecD = __m256d (*)(__m256d);

// glibc's libmvec, AVX2 variants (x86-64 vector function ABI), looked up once. dlopen rather than
// linking: the library is optional, and a link-time reference would be dropped by --as-needed.
struct MvecTable {
  VecF f[8] = {};
  VecD d[8] = {};
  MvecTable() {
    void* lib = dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return;
    static const char* const float_names[8] = {"_ZGVdN8v_expf",  "_ZGVdN8v_logf",   "_ZGVdN8v_sinf",   "_ZGVdN8v_cosf",
                                               "_ZGVdN8v_tanhf", "_ZGVdN8v_expm1f", "_ZGVdN8v_log1pf", "_ZGVdN8v_erff"};
    static const char* const double_names[8] = {"_ZGVdN4v_exp",  "_ZGVdN4v_log",   "_ZGVdN4v_sin",   "_ZGVdN4v_cos",
                                                "_ZGVdN4v_tanh", "_ZGVdN4v_expm1", "_ZGVdN4v_log1p", "_ZGVdN4v_erf"};
    for (int i = 0; i < 8; i++) {
      f[i] = reinterpret_cast<VecF>(dlsym(lib, float_names[i]));
      d[i] = reinterpret_cast<VecD>(dlsym(lib, double_names[i]));
    }
  }
};

const MvecTable& mvec() {
  static const MvecTable table;  // never destroyed before use: a function-local static
  return table;
}

VecF vec_float(Fn fn) { return mvec().f[static_cast<int>(fn)]; }
VecD vec_double(Fn fn) { return mvec().d[static_cast<int>(fn)]; }

void apply_avx2(VecF f, const float* in, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, f(_mm256_loadu_ps(in + i)));
  if (i < n) {
    alignas(32) float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t k = i; k < n; k++) tail[k - i] = in[k];
    _mm256_store_ps(tail, f(_mm256_load_ps(tail)));
    for (int64_t k = i; k < n; k++) out[k] = tail[k - i];
  }
}

void apply_avx2(VecD f, const double* in, double* out, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(out + i, f(_mm256_loadu_pd(in + i)));
  if (i < n) {
    alignas(32) double tail[4] = {0, 0, 0, 0};
    for (int64_t k = i; k < n; k++) tail[k - i] = in[k];
    _mm256_store_pd(tail, f(_mm256_load_pd(tail)));
    for (int64_t k = i; k < n; k++) out[k] = tail[k - i];
  }
}
#pragma GCC pop_options
#endif

}  // namespace

void apply(Fn fn, const float* in, float* out, int64_t n) {
#ifdef FNGRAD_USE_MVEC
  if (cpu_has_avx2()) {
    if (VecF f = vec_float(fn)) return apply_avx2(f, in, out, n);
  }
#endif
  scalar_loop(fn, in, out, n);
}

void apply(Fn fn, const double* in, double* out, int64_t n) {
#ifdef FNGRAD_USE_MVEC
  if (cpu_has_avx2()) {
    if (VecD f = vec_double(fn)) return apply_avx2(f, in, out, n);
  }
#endif
  scalar_loop(fn, in, out, n);
}

bool accelerated() {
#ifdef FNGRAD_USE_MVEC
  return cpu_has_avx2() && vec_float(Fn::Exp) != nullptr;
#else
  return false;
#endif
}

}  // namespace vmath
}  // namespace fngrad
