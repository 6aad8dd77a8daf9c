// Elementwise iteration shared by every kernel: operands of one shape (broadcasting is
// expressed as stride 0), dimensions coalesced where every operand allows it, and rows handed
// to the kernel with their strides so that the kernel can take a contiguous fast path.
//
// A kernel is written once, as a row function; for_each_row() walks the rows of a linear
// element range, and run_loop() splits the elements over the thread pool (releasing the GIL)
// when the tensor is large.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "core/parallel.h"
#include "core/tensor.h"

namespace fngrad {

// The iteration space for NOPS operands: operand 0 is usually the output.
template <size_t NOPS> struct LoopSpec {
  DimVec sizes;                      // coalesced sizes, outermost first
  std::array<DimVec, NOPS> strides;  // per operand, in elements, same length as sizes
  int64_t numel = 1;
  bool all_contiguous = false;  // one dim and every operand has stride 1
};

// Strides of t seen as a tensor of shape `shape` (t's shape broadcasts to it): 0 along
// broadcast dimensions. The caller has checked broadcastability.
DimVec broadcast_strides(const TensorObject* t, const DimVec& shape);

// Broadcast shape of a and b; ValueError-style RuntimeError naming op if incompatible.
DimVec broadcast_shapes(const DimVec& a, const DimVec& b, const char* op);

template <size_t NOPS> LoopSpec<NOPS> make_loop(const DimVec& shape, std::array<DimVec, NOPS> strides) {
  LoopSpec<NOPS> s;
  s.numel = product(shape);
  // Drop size-1 dims, then merge dim i into i+1 when every operand is contiguous across them.
  DimVec sizes;
  std::array<DimVec, NOPS> st;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 1) continue;
    sizes.push_back(shape[d]);
    for (size_t k = 0; k < NOPS; k++) st[k].push_back(strides[k][d]);
  }
  if (sizes.empty()) {
    sizes.push_back(1);
    for (size_t k = 0; k < NOPS; k++) st[k].push_back(0);
  }
  DimVec out_sizes;
  std::array<DimVec, NOPS> out_st;
  out_sizes.push_back(sizes[0]);
  for (size_t k = 0; k < NOPS; k++) out_st[k].push_back(st[k][0]);
  for (size_t d = 1; d < sizes.size(); d++) {
    bool mergeable = true;
    for (size_t k = 0; k < NOPS; k++) {
      if (out_st[k].back() != st[k][d] * sizes[d]) {
        mergeable = false;
        break;
      }
    }
    if (mergeable) {
      out_sizes.back() *= sizes[d];
      for (size_t k = 0; k < NOPS; k++) out_st[k].back() = st[k][d];
    } else {
      out_sizes.push_back(sizes[d]);
      for (size_t k = 0; k < NOPS; k++) out_st[k].push_back(st[k][d]);
    }
  }
  s.sizes = std::move(out_sizes);
  s.strides = std::move(out_st);
  s.all_contiguous = s.sizes.size() == 1;
  for (size_t k = 0; k < NOPS && s.all_contiguous; k++) s.all_contiguous = s.strides[k][0] == 1 || s.numel == 1;
  return s;
}

// Calls row(offsets, n, inner_strides) for the rows that cover linear elements [begin, end):
// offsets[k] is operand k's element offset at the start of the row.
template <size_t NOPS, typename Row> void for_each_row(const LoopSpec<NOPS>& s, int64_t begin, int64_t end, Row&& row) {
  const int64_t nd = static_cast<int64_t>(s.sizes.size());
  const int64_t inner = s.sizes[nd - 1];
  std::array<int64_t, NOPS> inner_st;
  for (size_t k = 0; k < NOPS; k++) inner_st[k] = s.strides[k][nd - 1];
  if (nd == 1) {
    std::array<int64_t, NOPS> off;
    for (size_t k = 0; k < NOPS; k++) off[k] = begin * inner_st[k];
    row(off.data(), end - begin, inner_st.data());
    return;
  }
  // Multi-index of `begin` over the outer dims, then advance row by row.
  DimVec idx(static_cast<size_t>(nd), 0);
  int64_t rem = begin;
  for (int64_t d = nd - 1; d >= 0; d--) {
    idx[d] = rem % s.sizes[d];
    rem /= s.sizes[d];
  }
  std::array<int64_t, NOPS> off{};
  for (size_t k = 0; k < NOPS; k++)
    for (int64_t d = 0; d < nd; d++) off[k] += idx[d] * s.strides[k][d];
  int64_t pos = begin;
  while (pos < end) {
    int64_t n = std::min(inner - idx[nd - 1], end - pos);
    row(off.data(), n, inner_st.data());
    pos += n;
    // Move to the start of the next row.
    for (size_t k = 0; k < NOPS; k++) off[k] -= idx[nd - 1] * inner_st[k];
    idx[nd - 1] = 0;
    for (int64_t d = nd - 2; d >= 0; d--) {
      idx[d]++;
      for (size_t k = 0; k < NOPS; k++) off[k] += s.strides[k][d];
      if (idx[d] < s.sizes[d]) break;
      for (size_t k = 0; k < NOPS; k++) off[k] -= idx[d] * s.strides[k][d];
      idx[d] = 0;
    }
  }
}

// Runs row() over the whole loop, in parallel and without the GIL when it is large.
template <size_t NOPS, typename Row> void run_loop(const LoopSpec<NOPS>& s, const Row& row) {
  if (s.numel == 0) return;
  GilRelease nogil(s.numel >= kReleaseGilNumel && PyGILState_Check());
  parallel_for(s.numel, kParallelGrain, [&](int64_t b, int64_t e) { for_each_row(s, b, e, row); });
}

// Calls chunk(begin, end) over [0, n), in parallel and without the GIL when n is large: the
// contiguous fast path of every kernel.
// `grain` is the work below which splitting does not pay: smaller for expensive elements
// (transcendental functions) than for a load and a store.
template <typename F> void run_flat(int64_t n, const F& chunk, int64_t grain = kParallelGrain) {
  if (n < std::min(kReleaseGilNumel, 2 * grain)) {
    if (n > 0) chunk(int64_t(0), n);
    return;
  }
  GilRelease nogil(PyGILState_Check());
  parallel_for(n, grain, chunk);
}

// GCC 12 vectorises a loop that reads bool (where's condition, masked_fill's mask) only when it loads
// the bytes as uint8_t: with `const bool*` it branched per element (where on 2^16 float32 took
// 4 ns per element, most of it mispredicted branches).
template <typename T> using Loaded = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;
template <typename T> const Loaded<T>* loaded(const T* p) { return reinterpret_cast<const Loaded<T>*>(p); }

// The contiguous inner loops of the kernels below, each a function of its own that is never inlined:
// compiled inside a chunk lambda that parallel_for also runs inline (one thread, or fewer than two
// grains of elements), GCC left several of them scalar (x + y and sqrt's backward on 2^16 float32
// elements: 3x slower than on 2^14, which run_flat calls directly). Here the pointers and the count
// are plain parameters and the loop vectorises whatever the caller looks like.
template <typename Tout, typename Ta, typename F>
[[gnu::noinline]] void apply_each(Tout* o, const Ta* a, int64_t n, const F f) {
  const auto* la = loaded(a);
  for (int64_t i = 0; i < n; i++) o[i] = f(static_cast<Ta>(la[i]));
}
template <typename Tout, typename Ta, typename Tb, typename F>
[[gnu::noinline]] void apply_each(Tout* o, const Ta* a, const Tb* b, int64_t n, const F f) {
  const auto* la = loaded(a);
  const auto* lb = loaded(b);
  for (int64_t i = 0; i < n; i++) o[i] = f(static_cast<Ta>(la[i]), static_cast<Tb>(lb[i]));
}
template <typename Tout, typename Ta, typename Tb, typename Tc, typename F>
[[gnu::noinline]] void apply_each(Tout* o, const Ta* a, const Tb* b, const Tc* c, int64_t n, const F f) {
  const auto* la = loaded(a);
  const auto* lb = loaded(b);
  const auto* lc = loaded(c);
  for (int64_t i = 0; i < n; i++) o[i] = f(static_cast<Ta>(la[i]), static_cast<Tb>(lb[i]), static_cast<Tc>(lc[i]));
}

// out[i] = f(a[i]) over a loop of two operands (out, a).
// Kernels copy the functor into a local (apply_each takes it by value): its members then live in
// registers, and stores through `out` cannot force the compiler to re-read them.
template <typename Tout, typename Ta, typename F>
void unary_kernel(const LoopSpec<2>& s, Tout* out, const Ta* a, const F& f_in) {
  run_loop(s, [&](const int64_t* off, int64_t n, const int64_t* st) {
    const F f = f_in;
    Tout* o = out + off[0];
    const Ta* x = a + off[1];
    if (st[0] == 1 && st[1] == 1) {
      apply_each(o, x, n, f);
    } else {
      for (int64_t i = 0; i < n; i++) o[i * st[0]] = f(x[i * st[1]]);
    }
  });
}

// out[i] = f(a[i], b[i]) over a loop of three operands (out, a, b).
template <typename Tout, typename Ta, typename Tb, typename F>
void binary_kernel(const LoopSpec<3>& s, Tout* out, const Ta* a, const Tb* b, const F& f_in) {
  run_loop(s, [&](const int64_t* off, int64_t n, const int64_t* st) {
    const F f = f_in;
    Tout* o = out + off[0];
    const Ta* x = a + off[1];
    const Tb* y = b + off[2];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
      apply_each(o, x, y, n, f);
    } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
      const Tb yv = y[0];
      apply_each(o, x, n, [f, yv](Ta v) { return f(v, yv); });
    } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
      const Ta xv = x[0];
      apply_each(o, y, n, [f, xv](Tb v) { return f(xv, v); });
    } else {
      for (int64_t i = 0; i < n; i++) o[i * st[0]] = f(x[i * st[1]], y[i * st[2]]);
    }
  });
}

// out[i] = f(a[i], b[i], c[i]) over a loop of four operands (out, a, b, c).
template <typename Tout, typename Ta, typename Tb, typename Tc, typename F>
void ternary_kernel(const LoopSpec<4>& s, Tout* out, const Ta* a, const Tb* b, const Tc* c, const F& f) {
  run_loop(s, [&](const int64_t* off, int64_t n, const int64_t* st) {
    Tout* o = out + off[0];
    const Ta* x = a + off[1];
    const Tb* y = b + off[2];
    const Tc* z = c + off[3];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1 && st[3] == 1) {
      apply_each(o, x, y, z, n, f);
    } else {
      for (int64_t i = 0; i < n; i++) o[i * st[0]] = f(x[i * st[1]], y[i * st[2]], z[i * st[3]]);
    }
  });
}

template <typename F, typename T, size_t N, size_t... I>
inline auto detail_nary_call(const F& f, const std::array<const T*, N>& q, int64_t i, std::index_sequence<I...>) {
  return f(q[I][i]...);
}
template <typename F, typename T, size_t N, size_t... I>
inline auto detail_nary_call_strided(const F& f, const std::array<const T*, N>& q, const std::array<int64_t, N>& s,
                                     int64_t i, std::index_sequence<I...>) {
  return f(q[I][i * s[I]]...);
}

// Loop specs for the common cases: an output tensor and inputs broadcast to its shape.
inline LoopSpec<2> loop_for(const TensorObject* out, const TensorObject* a) {
  return make_loop<2>(out->sizes, {out->strides, broadcast_strides(a, out->sizes)});
}
inline LoopSpec<3> loop_for(const TensorObject* out, const TensorObject* a, const TensorObject* b) {
  return make_loop<3>(out->sizes, {out->strides, broadcast_strides(a, out->sizes), broadcast_strides(b, out->sizes)});
}
inline LoopSpec<4> loop_for(const TensorObject* out, const TensorObject* a, const TensorObject* b,
                            const TensorObject* c) {
  return make_loop<4>(out->sizes, {out->strides, broadcast_strides(a, out->sizes), broadcast_strides(b, out->sizes),
                                   broadcast_strides(c, out->sizes)});
}

// out = f(x) elementwise, out contiguous with x's shape.
template <typename Tout, typename Tx, typename F>
void map_unary(const TensorObject* out, const TensorObject* x, const F& f_in) {
  Tout* o = data_ptr<Tout>(out);
  const F& f = f_in;
  if (x->contiguous) {
    const Tx* a = data_ptr<Tx>(x);
    run_flat(out->numel, [&](int64_t b, int64_t e) { apply_each(o + b, a + b, e - b, f); });
    return;
  }
  unary_kernel(loop_for(out, x), o, data_ptr<Tx>(x), f);
}

// out = f(x, y) elementwise; x and y broadcast to out's shape.
template <typename Tout, typename Tx, typename Ty, typename F>
void map_binary(const TensorObject* out, const TensorObject* x, const TensorObject* y, const F& f_in) {
  const F& f = f_in;
  Tout* o = data_ptr<Tout>(out);
  const Tx* a = data_ptr<Tx>(x);
  const Ty* b = data_ptr<Ty>(y);
  if (out->contiguous && x->contiguous && y->contiguous) {
    if (x->numel == out->numel && y->numel == out->numel) {
      run_flat(out->numel, [&](int64_t lo, int64_t hi) { apply_each(o + lo, a + lo, b + lo, hi - lo, f); });
      return;
    }
    if (x->numel == out->numel && y->numel == 1) {
      const Ty bv = b[0];
      run_flat(out->numel, [&](int64_t lo, int64_t hi) {
        apply_each(o + lo, a + lo, hi - lo, [f, bv](Tx v) { return f(v, bv); });
      });
      return;
    }
    if (x->numel == 1 && y->numel == out->numel) {
      const Tx av = a[0];
      run_flat(out->numel, [&](int64_t lo, int64_t hi) {
        apply_each(o + lo, b + lo, hi - lo, [f, av](Ty v) { return f(av, v); });
      });
      return;
    }
  }
  binary_kernel(loop_for(out, x, y), o, a, b, f);
}

// out = f(in_0[i], ..., in_{N-1}[i]) with every input of type T, broadcast to out's shape.
template <typename Tout, typename T, size_t N, typename F>
void map_nary(const TensorObject* out, const std::array<const TensorObject*, N>& ins, const F& f) {
  std::array<DimVec, N + 1> strides;
  strides[0] = out->strides;
  for (size_t k = 0; k < N; k++) strides[k + 1] = broadcast_strides(ins[k], out->sizes);
  LoopSpec<N + 1> spec = make_loop<N + 1>(out->sizes, strides);
  Tout* o = data_ptr<Tout>(out);
  std::array<const T*, N> p;
  for (size_t k = 0; k < N; k++) p[k] = data_ptr<T>(ins[k]);
  run_loop(spec, [&](const int64_t* off, int64_t n, const int64_t* st) {
    bool unit = true;
    for (size_t k = 0; k <= N; k++) unit = unit && st[k] == 1;
    std::array<const T*, N> q;
    for (size_t k = 0; k < N; k++) q[k] = p[k] + off[k + 1];
    Tout* orow = o + off[0];
    if (unit) {
      for (int64_t i = 0; i < n; i++) orow[i] = detail_nary_call(f, q, i, std::make_index_sequence<N>{});
    } else {
      std::array<int64_t, N> s;
      for (size_t k = 0; k < N; k++) s[k] = st[k + 1];
      for (int64_t i = 0; i < n; i++)
        orow[i * st[0]] = detail_nary_call_strided(f, q, s, i, std::make_index_sequence<N>{});
    }
  });
}

}  // namespace fngrad
