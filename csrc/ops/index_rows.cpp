// Kernels of whole slices along one dim, behind the Python families (python/fngrad/_indexing_ops.py,
// nn/functional.py): index_select (and embedding, its dim-0 case) and index_add (and the gradients of
// both, which accumulate into zeros). They record no node: the Python Functions check the arguments'
// shapes and dtypes and own the graph; these only compute, threaded and without the GIL on large
// tensors. NumPy did this work before: np.take along an axis, and np.add.at over flat positions built
// from the index, which was 2-4x slower than PyTorch (bench/families_index.py has the figures).
//
// A tensor is seen as (outer, size, inner): the dims before dim, dim itself, the dims after it. A
// slice at one index is `inner` contiguous elements per outer position, so for dim 0 (embedding) a
// selected row is one memcpy.
#include <cstring>
#include <vector>

#include "core/loops.h"
#include "ops/lines.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

namespace {

// The index (1-d, int64 or int32) as a contiguous tensor, every entry checked to be in [0, size)
// before any work starts. An entry outside raises PyTorch's error: with select_wording the IndexError
// "index out of range in self" (index_select, embedding), else the RuntimeError naming the entry.
TensorRef checked_index(TensorObject* idx, int64_t size, int64_t dim, bool select_wording, const char* op) {
  FNGRAD_INTERNAL_ASSERT((idx->dtype == DType::Int64 || idx->dtype == DType::Int32) && ndim(idx) <= 1);
  TensorRef ic = fngrad::contiguous(idx);
  int64_t bad = 0;
  if (first_out_of_range(ic.get(), size, &bad)) {
    if (select_wording) fail(ErrorKind::Index, "[", op, "] index out of range in self");
    fail(ErrorKind::Runtime, "[", op, "] index ", bad, " is out of bounds for dimension ", dim, " with size ", size);
  }
  return ic;
}

template <typename F> decltype(auto) dispatch_index(TensorObject* idx, F&& f) {
  if (idx->dtype == DType::Int32) return f(data_ptr<int32_t>(idx));
  return f(data_ptr<int64_t>(idx));
}

}  // namespace

TensorRef index_select_dim(TensorObject* x_in, int64_t dim, TensorObject* idx_in, const char* op) {
  FNGRAD_INTERNAL_ASSERT(dim >= 0 && dim < ndim(x_in));
  const Blocks b = blocks_of(x_in->sizes, dim);
  TensorRef idx = checked_index(idx_in, b.size, dim, true, op);
  const int64_t n = idx->numel;
  DimVec shape = x_in->sizes;
  shape[dim] = n;
  TensorRef out = empty(shape, x_in->dtype, op);
  if (out->numel == 0) return out;
  TensorRef x = fngrad::contiguous(x_in);
  dispatch_index(idx.get(), [&](const auto* ip) {
    if (b.inner == 1) {  // along the last dim: an element per index, line by line
      dispatch_bytes(x->dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* xp = data_ptr<T>(x.get());
        T* op_ = data_ptr<T>(out.get());
        run_lines(b.outer, n, [&](int64_t lb, int64_t le) {
          for (int64_t o = lb; o < le; o++) {
            const T* xl = xp + o * b.size;
            T* ol = op_ + o * n;
            for (int64_t j = 0; j < n; j++) ol[j] = xl[ip[j]];
          }
          return true;
        });
      });
      return;
    }
    // A slice of `inner` elements per (outer position, index): one memcpy each.
    const size_t bytes = static_cast<size_t>(b.inner) * itemsize(x->dtype);
    const char* xp = static_cast<const char*>(raw_data(x.get()));
    char* op_ = static_cast<char*>(raw_data(out.get()));
    run_lines(b.outer * n, b.inner, [&](int64_t lb, int64_t le) {
      int64_t o = lb / n, j = lb % n;
      for (int64_t l = lb; l < le; l++) {
        std::memcpy(op_ + l * bytes, xp + (o * b.size + static_cast<int64_t>(ip[j])) * bytes, bytes);
        if (++j == n) j = 0, o++;
      }
      return true;
    });
  });
  return out;
}

TensorRef index_add_dim(TensorObject* self_in, int64_t size, int64_t dim, TensorObject* idx_in, TensorObject* src_in,
                        double alpha, const char* op) {
  FNGRAD_INTERNAL_ASSERT(dim >= 0 && dim < ndim(src_in));
  FNGRAD_INTERNAL_ASSERT(self_in == nullptr || (self_in->dtype == src_in->dtype && ndim(self_in) == ndim(src_in) &&
                                                self_in->sizes[dim] == size));
  DimVec shape = src_in->sizes;
  shape[dim] = size;
  const Blocks b = blocks_of(shape, dim);
  // (PyTorch words an index outside as index_select does when self has one dim, its fast path)
  TensorRef idx = checked_index(idx_in, size, dim, ndim(src_in) <= 1, op);
  const int64_t n = idx->numel;
  FNGRAD_INTERNAL_ASSERT(src_in->sizes[dim] == n);
  TensorRef out = empty(shape, src_in->dtype, op);
  if (out->numel == 0) return out;
  TensorRef self = self_in != nullptr ? fngrad::contiguous(self_in) : TensorRef();
  TensorRef src = fngrad::contiguous(src_in);
  // Threads own disjoint destination slices, never indices (which may repeat). A work item is an outer
  // position and a block of consecutive destination slices of about 16 KB: it writes the block's
  // starting values (self's, or zeros) and adds the source slices into it while it is in cache, so the
  // output is written once. A counting sort of the index by block lists each block's sources in index
  // order (sources[first[k]] .. sources[first[k + 1]] for block k), so every destination is summed in
  // the same order as one thread walking the index.
  const int64_t slice_bytes = std::max<int64_t>(1, b.inner * static_cast<int64_t>(itemsize(out->dtype)));
  const int64_t per_block = std::max<int64_t>(1, std::min<int64_t>(b.size, (16 << 10) / slice_bytes));
  const int64_t blocks = (b.size + per_block - 1) / per_block;
  const int64_t work = (per_block + std::max<int64_t>(1, n / blocks)) * b.inner;
  std::vector<int64_t> first(static_cast<size_t>(blocks) + 1, 0), sources(static_cast<size_t>(n));
  dispatch(out->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      FNGRAD_INTERNAL_ASSERT(false);  // bool index_add keeps NumPy's path (_indexing_ops.py)
    } else {
      const T a = static_cast<T>(alpha);  // (a * s is exact for alpha 1: no branch on it, see Add)
      const T* selfp = self ? data_ptr<T>(self.get()) : nullptr;
      const T* sp = data_ptr<T>(src.get());
      T* op_ = data_ptr<T>(out.get());
      dispatch_index(idx.get(), [&](const auto* ip) {
        for (int64_t j = 0; j < n; j++) first[static_cast<size_t>(ip[j] / per_block) + 1]++;
        for (int64_t k = 0; k < blocks; k++) first[k + 1] += first[k];
        std::vector<int64_t> next(first.begin(), first.end() - 1);
        for (int64_t j = 0; j < n; j++) sources[next[static_cast<size_t>(ip[j] / per_block)]++] = j;
        run_lines(b.outer * blocks, work, [&](int64_t lb, int64_t le) {
          for (int64_t w = lb; w < le; w++) {
            const int64_t o = w / blocks, k = w % blocks;
            const int64_t r0 = k * per_block, r1 = std::min(b.size, r0 + per_block);
            T* ob = op_ + o * b.size * b.inner;
            const T* sb = sp + o * n * b.inner;
            const size_t init = static_cast<size_t>((r1 - r0) * b.inner) * sizeof(T);
            if (selfp != nullptr)
              std::memcpy(static_cast<void*>(ob + r0 * b.inner), selfp + (o * b.size + r0) * b.inner, init);
            else
              std::memset(static_cast<void*>(ob + r0 * b.inner), 0, init);
            for (int64_t q = first[k]; q < first[k + 1]; q++) {
              const int64_t j = sources[q];
              T* orow = ob + static_cast<int64_t>(ip[j]) * b.inner;
              const T* srow = sb + j * b.inner;
              for (int64_t i = 0; i < b.inner; i++) orow[i] += a * srow[i];
            }
          }
          return true;
        });
      });
    }
  });
  return out;
}

}  // namespace ops
}  // namespace fngrad
