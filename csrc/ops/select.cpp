// Order statistics along one dim, behind python/fngrad/_sorting.py: the indices of each line's k
// best elements (topk), of its k-th smallest (kthvalue) and of its median (median, nanmedian).
// Like dim_index.cpp these record no node: Python checks the arguments and gathers the values,
// whose backward is gather's. NumPy did this before: np.argpartition (8.6 ms for topk(16) over a
// 1024 x 1024 float32 matrix, twice PyTorch's time) and a stable argsort of the chosen.
//
// Note [Selection order]
// Every element gets a score, an unsigned integer that orders the values as PyTorch does (NaN
// above +inf, -0.0 equal to 0.0; for the smallest, the complement), packed above the complement of
// its index into one wider unsigned integer (an entry). Entries are distinct and a larger entry is
// a better element, equal values in index order: a strict total order, so the selection is
// exactly what a stable sort followed by taking the first k gives, whichever algorithm finds it,
// and the k chosen among equal values at the boundary are the first ones.
#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/lines.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

namespace {

__extension__ typedef unsigned __int128 Wide;

// Scores in ascending value order: NaN largest, -0.0 as 0.0 (Note [Selection order]). Negative
// numbers flip every bit, the others only the sign bit; without branches, as the signs of a line
// are unpredictable.
inline uint32_t float_score(float f) {
  const uint32_t u = float_bits(f == 0.0f ? 0.0f : f);
  const uint32_t key = u ^ (static_cast<uint32_t>(static_cast<int32_t>(u) >> 31) | 0x80000000u);
  return f != f ? 0xFFFFFFFFu : key;
}

inline uint64_t double_score(double f) {
  uint64_t u;
  const double g = f == 0.0 ? 0.0 : f;
  std::memcpy(&u, &g, 8);
  const uint64_t key = u ^ (static_cast<uint64_t>(static_cast<int64_t>(u) >> 63) | (uint64_t(1) << 63));
  return f != f ? ~uint64_t(0) : key;
}

template <typename T> constexpr bool kIsFloat =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// Scores of 8-byte types take 64 bits, the others 32.
template <typename T> constexpr int kScoreBits = sizeof(T) == 8 ? 64 : 32;

template <typename T> inline uint64_t ascending_score(T v) {
  if constexpr (std::is_same_v<T, double>) {
    return double_score(v);
  } else if constexpr (kIsFloat<T>) {
    return float_score(static_cast<float>(v));  // exact for float16 and bfloat16
  } else if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) {
    return static_cast<uint64_t>(v);
  } else if constexpr (sizeof(T) == 8) {
    return static_cast<uint64_t>(v) ^ (uint64_t(1) << 63);
  } else {
    return static_cast<uint32_t>(static_cast<int32_t>(v)) ^ 0x80000000u;
  }
}

// An entry (Note [Selection order]): the score in the upper half, the complement of the index in the
// lower. E is uint64_t when scores and indices fit in 32 bits, else Wide.
template <typename E> struct Entry {
  static constexpr int kHalf = sizeof(E) * 4;
  static constexpr E kLow = (E(1) << kHalf) - 1;
  static E make(uint64_t score, int64_t i) { return (E(score) << kHalf) | (kLow - E(static_cast<uint64_t>(i))); }
  static int64_t index(E e) { return static_cast<int64_t>(kLow - (e & kLow)); }
};

// Replaces the worst entry of a min-heap of k entries (h[0]) with e and restores the heap.
template <typename E> inline void replace_worst(E* h, int64_t k, E e) {
  int64_t i = 0;
  for (;;) {
    int64_t c = 2 * i + 1;
    if (c >= k) break;
    if (c + 1 < k && h[c + 1] < h[c]) c++;
    if (!(h[c] < e)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = e;
}

// Below this many elements per selected one a heap of the k best beats nth_element: a scan that
// mostly compares against the heap's worst (random data changes the heap about k * ln(n / k) times).
constexpr int64_t kHeapRatio = 16;

// One line: x (n elements at stride xs) -> the indices of its best entries, written to out at stride
// os. SelectKind::Top writes the k best, best first; the other kinds write one index, of the k-th best.
template <typename T, typename E> void select_line(const T* x, int64_t xs, int64_t n, SelectKind kind, int64_t k,
                                                   bool largest, int64_t* out, int64_t os, std::vector<E>& buf) {
  using En = Entry<E>;
  constexpr uint64_t kFlip = kScoreBits<T> == 64 ? ~uint64_t(0) : 0xFFFFFFFFull;
  const uint64_t flip = largest ? 0 : kFlip;
  auto entry = [&](int64_t j) { return En::make(ascending_score(x[j * xs]) ^ flip, j); };
  if (kind == SelectKind::Median || kind == SelectKind::NanMedian) {
    // The smallest first; NaN sort last, so the lower median of the valid values is the
    // ((valid - 1) / 2)-th, and the first NaN the valid-th.
    int64_t nan = 0;
    if constexpr (kIsFloat<T>) {
      for (int64_t j = 0; j < n; j++) {
        const float v = static_cast<float>(x[j * xs]);
        nan += v != v;
      }
    }
    const int64_t valid = n - nan;
    if (kind == SelectKind::NanMedian)
      k = std::max<int64_t>((valid - 1) / 2, 0) + 1;
    else
      k = nan ? valid + 1 : (n - 1) / 2 + 1;
  }
  const bool all = kind == SelectKind::Top;
  if (k == 0) return;
  if (k * kHeapRatio <= n) {
    buf.resize(k);
    E* h = buf.data();
    for (int64_t j = 0; j < k; j++) h[j] = entry(j);
    std::make_heap(h, h + k, std::greater<E>());
    for (int64_t j = k; j < n; j++) {
      const E e = entry(j);
      if (e > h[0]) replace_worst(h, k, e);
    }
    if (!all) {
      out[0] = En::index(h[0]);
      return;
    }
    std::sort(h, h + k, std::greater<E>());
  } else {
    buf.resize(n);
    E* h = buf.data();
    for (int64_t j = 0; j < n; j++) h[j] = entry(j);
    std::nth_element(h, h + k - 1, h + n, std::greater<E>());
    if (!all) {
      out[0] = En::index(h[k - 1]);
      return;
    }
    std::sort(h, h + k - 1, std::greater<E>());
  }
  for (int64_t j = 0; j < k; j++) out[j * os] = En::index(buf[j]);
}

}  // namespace

TensorRef select_dim(TensorObject* x, int64_t dim, SelectKind kind, int64_t k, bool largest) {
  FNGRAD_INTERNAL_ASSERT(dim >= 0 && dim < ndim(x));
  const int64_t n = x->sizes[dim];
  const bool all = kind == SelectKind::Top;
  FNGRAD_INTERNAL_ASSERT(all ? (k >= 0 && k <= n) : kind == SelectKind::Kth ? (k >= 1 && k <= n) : n > 0);
  DimVec sizes = x->sizes;
  sizes[dim] = all ? k : 1;
  TensorRef out = empty(sizes, DType::Int64, "select");
  if (out->numel == 0) return out;
  const Lines lines{sizes, dim};
  const int64_t xs = x->strides[dim], os = out->strides[dim];
  int64_t* op_ = data_ptr<int64_t>(out.get());
  dispatch_all(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = data_ptr<T>(x);
    auto run = [&](auto entry_tag) {
      using E = typename decltype(entry_tag)::type;
      run_lines(lines.count(), n, [&](int64_t b, int64_t e) {
        std::vector<E> buf;
        for (int64_t l = b; l < e; l++)
          select_line<T, E>(xp + lines.offset(l, x->strides), xs, n, kind, k, largest,
                            op_ + lines.offset(l, out->strides), os, buf);
        return true;
      });
    };
    if (kScoreBits<T> == 32 && n <= int64_t(0xFFFFFFFF))
      run(TypeTag<uint64_t>{});
    else
      run(TypeTag<Wide>{});
  });
  return out;
}

}  // namespace ops
}  // namespace fngrad
