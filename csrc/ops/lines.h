// Work along one dim, line by line (dim_index.cpp, select.cpp): the lines of a tensor along a dim
// and a threaded loop over them.
#pragma once

#include <algorithm>
#include <atomic>

#include "core/loops.h"

namespace fngrad {
namespace ops {

// The elements of a tensor of shape `sizes` as lines along `dim`: line l is the l-th combination of
// the other dims' coordinates (row-major), and holds sizes[dim] elements. Lines differ in at least
// one other coordinate, so a scatter along dim writes disjoint positions from different lines:
// threads split the lines.
struct Lines {
  const DimVec& sizes;
  int64_t dim;
  int64_t count() const {
    int64_t n = 1;
    for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); d++)
      if (d != dim) n *= sizes[d];
    return n;
  }
  // The offset of line l's first element for an operand with these strides (over the same dims).
  int64_t offset(int64_t l, const DimVec& strides) const {
    int64_t off = 0;
    for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; d--) {
      if (d == dim) continue;
      off += (l % sizes[d]) * strides[d];
      l /= sizes[d];
    }
    return off;
  }
};

// A tensor of shape `sizes` as (outer, size, inner): the dims before dim, dim itself, the dims after.
struct Blocks {
  int64_t outer = 1, size = 1, inner = 1;
};
inline Blocks blocks_of(const DimVec& sizes, int64_t dim) {
  Blocks b;
  for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); d++) {
    if (d < dim) b.outer *= sizes[d];
    if (d > dim) b.inner *= sizes[d];
  }
  b.size = sizes[dim];
  return b;
}

// Whether an entry of the contiguous int64 or int32 index `ic` lies outside [0, size); the first
// such entry (row-major) in *bad. Kernels check as they go; this finds the entry for the message.
inline bool first_out_of_range(const TensorObject* ic, int64_t size, int64_t* bad) {
  auto scan = [&](const auto* p) {
    for (int64_t i = 0; i < ic->numel; i++) {
      // (seen as unsigned, a negative entry is larger than any size)
      if (static_cast<uint64_t>(static_cast<int64_t>(p[i])) >= static_cast<uint64_t>(size)) {
        *bad = p[i];
        return true;
      }
    }
    return false;
  };
  return ic->dtype == DType::Int32 ? scan(data_ptr<int32_t>(ic)) : scan(data_ptr<int64_t>(ic));
}

// Runs chunk(first_line, end_line) over the lines, threaded when there are many elements. Returns
// false when a chunk returned false (an index out of range), after every chunk has finished.
template <typename F> inline bool run_lines(int64_t lines, int64_t len, const F& chunk) {
  std::atomic<bool> ok{true};
  GilRelease nogil(lines * len >= kReleaseGilNumel && PyGILState_Check());
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(len, 1));
  parallel_for(lines, grain, [&](int64_t b, int64_t e) {
    if (ok.load(std::memory_order_relaxed) && !chunk(b, e)) ok.store(false, std::memory_order_relaxed);
  });
  return ok.load();
}

}  // namespace ops
}  // namespace fngrad
