// Kernels along one dim, behind the Python families (python/fngrad/_indexing_ops.py, _scan.py):
// gather, scatter_add and cumsum. They record no node: the Python Functions check the
// arguments' shapes and dtypes and own the graph; these only compute, threaded and without the
// GIL on large tensors. NumPy did this work before: np.take over flat positions built from the
// index (an extra int64 array as large as the index) and np.add.at, and np.cumsum, which along a
// leading dim walks the rows one by one (bench/families_index.py has the figures).
#include "core/loops.h"
#include "ops/lines.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

namespace {

// PyTorch's error for the first index (in the index's row-major order) outside [0, size).
[[noreturn]] void fail_out_of_bounds(TensorObject* idx, int64_t size, int64_t dim, const char* op) {
  TensorRef ic = fngrad::contiguous(idx);
  int64_t bad = 0;
  first_out_of_range(ic.get(), size, &bad);
  fail(ErrorKind::Runtime, "[", op, "] index ", bad, " is out of bounds for dimension ", dim, " with size ", size);
}

void check_dim_args(TensorObject* x, int64_t dim, TensorObject* idx, const char* op) {
  FNGRAD_INTERNAL_ASSERT(idx->dtype == DType::Int64 && ndim(x) == ndim(idx) && dim >= 0 && dim < ndim(x));
  for (int64_t d = 0; d < ndim(x); d++) FNGRAD_INTERNAL_ASSERT(d == dim || idx->sizes[d] <= x->sizes[d]);
  (void)op;
}

}  // namespace

TensorRef gather_dim(TensorObject* x, int64_t dim, TensorObject* idx, const char* op) {
  check_dim_args(x, dim, idx, op);
  TensorRef out = empty(idx->sizes, x->dtype, op);
  if (out->numel == 0) return out;
  const Lines lines{idx->sizes, dim};
  const int64_t len = idx->sizes[dim], size = x->sizes[dim];
  const int64_t xs = x->strides[dim], is = idx->strides[dim], os = out->strides[dim];
  const int64_t* ip = data_ptr<int64_t>(idx);
  bool ok = dispatch_bytes(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = data_ptr<T>(x);
    T* op_ = data_ptr<T>(out.get());
    return run_lines(lines.count(), len, [&](int64_t b, int64_t e) {
      for (int64_t l = b; l < e; l++) {
        const T* xl = xp + lines.offset(l, x->strides);
        const int64_t* il = ip + lines.offset(l, idx->strides);
        T* ol = op_ + lines.offset(l, out->strides);
        if (is == 1 && os == 1 && xs == 1) {  // the common case, which the compiler unrolls
          for (int64_t j = 0; j < len; j++) {
            if (static_cast<uint64_t>(il[j]) >= static_cast<uint64_t>(size)) return false;
            ol[j] = xl[il[j]];
          }
          continue;
        }
        for (int64_t j = 0; j < len; j++) {
          const int64_t v = il[j * is];
          if (static_cast<uint64_t>(v) >= static_cast<uint64_t>(size)) return false;
          ol[j * os] = xl[v * xs];
        }
      }
      return true;
    });
  });
  if (!ok) fail_out_of_bounds(idx, size, dim, op);
  return out;
}

namespace {

// Writes `start` (self; zeros when null) plus src's elements added at idx along dim into out, a fresh
// contiguous tensor of start's shape. When every line of out is one index line along the last dim,
// each chunk writes its lines' starting values just before adding into them, while they are in cache:
// a separate pass (memset or copy) first would read and write the whole output once more.
void scatter_add_into(TensorObject* out, const TensorObject* start, int64_t dim, TensorObject* idx, TensorObject* src,
                      const char* op) {
  check_dim_args(out, dim, idx, op);
  FNGRAD_INTERNAL_ASSERT(src->dtype == out->dtype && ndim(src) == ndim(idx) && out->contiguous);
  const int64_t len = idx->sizes[dim], size = out->sizes[dim];
  bool per_line = dim == ndim(out) - 1 && idx->numel > 0 && (start == nullptr || start->contiguous);
  for (int64_t d = 0; d < dim; d++) per_line = per_line && idx->sizes[d] == out->sizes[d];
  if (!per_line) {
    if (start == nullptr)
      std::memset(out->storage->data, 0, static_cast<size_t>(out->numel) * itemsize(out->dtype));
    else
      copy_into(out, start);
    if (idx->numel == 0) return;
  }
  const Lines lines{idx->sizes, dim};
  const int64_t os = out->strides[dim], is = idx->strides[dim], ss = src->strides[dim];
  const int64_t* ip = data_ptr<int64_t>(idx);
  bool ok = dispatch(out->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* sp = data_ptr<T>(src);
    const T* startp = per_line && start != nullptr ? data_ptr<T>(start) : nullptr;
    T* op_ = data_ptr<T>(out);
    return run_lines(lines.count(), std::max(len, size), [&](int64_t b, int64_t e) {
      for (int64_t l = b; l < e; l++) {
        T* ol = op_ + lines.offset(l, out->strides);
        const int64_t* il = ip + lines.offset(l, idx->strides);
        const T* sl = sp + lines.offset(l, src->strides);
        if (per_line) {  // line l is out's row l
          if (startp != nullptr)
            std::memcpy(static_cast<void*>(ol), startp + l * size, static_cast<size_t>(size) * sizeof(T));
          else
            std::memset(static_cast<void*>(ol), 0, static_cast<size_t>(size) * sizeof(T));
        }
        if (is == 1 && ss == 1 && os == 1) {  // the common case, which the compiler unrolls
          for (int64_t j = 0; j < len; j++) {
            if (static_cast<uint64_t>(il[j]) >= static_cast<uint64_t>(size)) return false;
            if constexpr (std::is_same_v<T, bool>)
              ol[il[j]] = ol[il[j]] || sl[j];
            else
              ol[il[j]] += sl[j];
          }
          continue;
        }
        for (int64_t j = 0; j < len; j++) {
          const int64_t v = il[j * is];
          if (static_cast<uint64_t>(v) >= static_cast<uint64_t>(size)) return false;
          if constexpr (std::is_same_v<T, bool>)
            ol[v * os] = ol[v * os] || sl[j * ss];
          else
            ol[v * os] += sl[j * ss];
        }
      }
      return true;
    });
  });
  if (!ok) fail_out_of_bounds(idx, size, dim, op);
}

}  // namespace

TensorRef scatter_add_dim(TensorObject* self, int64_t dim, TensorObject* idx, TensorObject* src, const char* op) {
  TensorRef out = empty(self->sizes, self->dtype, op);
  scatter_add_into(out.get(), self, dim, idx, src, op);
  return out;
}

TensorRef scatter_add_zeros_dim(const DimVec& sizes, int64_t dim, TensorObject* idx, TensorObject* src,
                                const char* op) {
  TensorRef out = empty(sizes, src->dtype, op);
  scatter_add_into(out.get(), nullptr, dim, idx, src, op);
  return out;
}

namespace {

constexpr int64_t kLanes = 8, kSegment = 32;

// cumsum along the last dim for `lanes` (<= kLanes) rows of n elements from xs into os: each row is a
// chain of dependent adds, so the rows take turns kSegment steps at a time and their chains overlap.
// A function of its own, with the direction a template parameter: inside cumsum_dim's lambda, GCC
// compiled the loop ~45% slower forward and 2x slower reversed.
template <typename T, bool Reverse> void scan_lanes(const T* xs, T* os, int64_t lanes, int64_t n) {
  T acc[kLanes] = {};
  for (int64_t s0 = 0; s0 < n; s0 += kSegment) {
    const int64_t s1 = std::min(n, s0 + kSegment);
    for (int64_t r = 0; r < lanes; r++) {
      // Reversed, row r is read from its end: step s is position n - 1 - s.
      const T* xl = Reverse ? xs + r * n + (n - 1) : xs + r * n;
      T* ol = Reverse ? os + r * n + (n - 1) : os + r * n;
      T a = acc[r];
      int64_t step = s0;
      if (step == 0) {  // the first sum is the first element itself (0 + -0.0 would be +0.0)
        a = xl[0];
        ol[0] = a;
        step = 1;
      }
      for (; step < s1; step++) {
        const int64_t k = Reverse ? -step : step;
        a = a + xl[k];
        ol[k] = a;
      }
      acc[r] = a;
    }
  }
}

}  // namespace

TensorRef cumsum_dim(TensorObject* x_in, int64_t dim, bool reverse) {
  FNGRAD_INTERNAL_ASSERT(dim >= 0 && dim < ndim(x_in));
  TensorRef x = fngrad::contiguous(x_in);
  TensorRef out = empty(x->sizes, x->dtype, "cumsum");
  if (out->numel == 0) return out;
  const Blocks lines = blocks_of(x->sizes, dim);
  const int64_t outer = lines.outer, inner = lines.inner, n = lines.size;
  // Along the last dim (inner == 1) each line is a chain of dependent adds: a work item runs 8 lines
  // side by side so that their chains overlap. Otherwise an item is (outer index, a block of inner
  // columns), scanned row by row so that the adds are contiguous and vectorise. Either way the sums
  // are NumPy's: sequential along the dim, in the tensor's dtype.
  const int64_t block = std::min<int64_t>(inner, 1024);
  const int64_t blocks = (inner + block - 1) / block;
  const int64_t items = inner == 1 ? (outer + kLanes - 1) / kLanes : outer * blocks;
  dispatch(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      const T* xp = data_ptr<T>(x.get());
      T* op_ = data_ptr<T>(out.get());
      run_lines(items, inner == 1 ? n * kLanes : n * block, [&](int64_t b, int64_t e) {
        for (int64_t w = b; w < e; w++) {
          if (inner == 1) {
            const int64_t r0 = w * kLanes, lanes = std::min(kLanes, outer - r0);
            if (reverse)
              scan_lanes<T, true>(xp + r0 * n, op_ + r0 * n, lanes, n);
            else
              scan_lanes<T, false>(xp + r0 * n, op_ + r0 * n, lanes, n);
            continue;
          }
          const int64_t o = w / blocks, i0 = (w % blocks) * block, i1 = std::min(inner, i0 + block);
          const T* xs = xp + o * n * inner;
          T* os = op_ + o * n * inner;
          for (int64_t step = 0; step < n; step++) {
            const int64_t k = reverse ? n - 1 - step : step;
            const T* xr = xs + k * inner;
            T* orow = os + k * inner;
            if (step == 0) {
              for (int64_t i = i0; i < i1; i++) orow[i] = xr[i];
            } else {
              const T* prev = orow + (reverse ? inner : -inner);
              for (int64_t i = i0; i < i1; i++) orow[i] = prev[i] + xr[i];
            }
          }
        }
        return true;
      });
    } else {
      FNGRAD_INTERNAL_ASSERT(false);  // bool scans in int64 (_scan.py converts it)
    }
  });
  return out;
}

}  // namespace ops
}  // namespace fngrad
