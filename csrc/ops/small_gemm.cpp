// ops/small_gemm.h's kernel.
#include "ops/small_gemm.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace fngrad {
namespace ops {

// Note [Small GEMM]
// A small MLP's training step is bound by its matrix products (32x128 @ 128x128 and smaller),
// and OpenBLAS took 1.3-2.7x PyTorch's time on them at one thread (the x @ W^T layout at
// 32x128x128: 107 us against 40 us); its threads were not the cause (the benchmarks run it on one;
// two threads on the shared 2-core machine were slower still). Within the limits below the product
// is this register-blocked kernel instead: C is computed in MR x NR tiles (6 x 16 floats, 6 x 8
// doubles: 12 vector accumulators), each tile a run over k of one row of a B panel (NR contiguous
// values) times MR broadcast values of A's column. A is read in place through its strides
// (broadcasts need no layout); a B panel is read in place when its rows are contiguous and NR
// wide, otherwise packed once (zero-padded) and used for every row tile. With AVX2/FMA (the
// build's -mavx2 -mfma) the tiles are 256-bit FMA registers (on this Zen 1 machine 30 us at
// 32x128x128, its peak of 8 multiply-adds per cycle); without, 128-bit vectors of the compiler's.
// Products accumulate in k order from zero (fused multiply-adds with AVX2), so results match
// NumPy's to rounding, not bit for bit (BLAS gives no bit-exact promise either).
namespace {

// Which products go to small_gemm (bench/small_gemm.py --shapes small,mid,edge against NumPy's
// matmul, i.e. the OpenBLAS used otherwise; AMD EPYC 7001, one thread): those of at most
// kSmallGemmWork multiply-adds (at 2^21 the kernel still took 0.4-0.9x BLAS's time) whose m and n
// are at least kSmallGemmMinSide. Thinner products waste most of each 6 x NR tile, or pack all of
// B for a few rows: matrix-vector shapes (m or n of 1-4) took 1.3-5x BLAS's time. k is at most
// kSmallGemmMaxK (a packed B panel is k x NR values).
#if defined(__AVX2__) && defined(__FMA__)
constexpr int64_t kSmallGemmWork = int64_t(1) << 21;
#else
// The portable tiles (no FMA, half-width vectors) took 62 us at 32x128x128 here, as OpenBLAS did;
// on a CPU whose BLAS uses wider registers they would lose: only the products where BLAS's own
// setup is a large part of the time.
constexpr int64_t kSmallGemmWork = int64_t(1) << 16;
#endif
constexpr int64_t kSmallGemmMinSide = 8;
constexpr int64_t kSmallGemmMaxK = 2048;
constexpr int kMR = 6;
constexpr int64_t kPackRows = 64;

#if defined(__AVX2__) && defined(__FMA__)
struct VecF32 {
  using T = float;
  using V = __m256;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static V broadcast(const T* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
};
struct VecF64 {
  using T = double;
  using V = __m256d;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static V broadcast(const T* p) { return _mm256_broadcast_sd(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
};
#else
// GCC/Clang vector types of 128 bits (SSE2 registers on baseline x86-64, NEON on ARM): 6 x 8
// float tiles, 12 accumulators of the 16 registers. (256-bit ones spilled: 30x slower.)
template <typename T_, int W_> struct VecPortable {
  using T = T_;
  typedef T V __attribute__((vector_size(W_ * sizeof(T_))));
  static constexpr int W = W_;
  static V zero() { return V{}; }
  static V load(const T* p) {
    V r;
    std::memcpy(&r, p, sizeof(V));
    return r;
  }
  static V broadcast(const T* p) { return V{} + *p; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static void store(T* p, V v) { std::memcpy(p, &v, sizeof(V)); }
};
using VecF32 = VecPortable<float, 4>;
using VecF64 = VecPortable<double, 2>;
#endif

#if defined(__AVX2__) && defined(__FMA__)
// The transpose of r[0..7] (eight rows of eight floats), in place.
inline void transpose8x8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// A 16-column float panel of a transposed B (b[p + j * csb]: F.linear's W^T), 8 x 8 blocks at a
// time through registers: 4x faster than element by element, which was a fifth of x @ W^T's time.
void pack_transposed_f32(int64_t k, const float* b, int64_t csb, float* dst) {
  for (int half = 0; half < 2; half++) {  // eight source rows at a time share L1 (power-of-two csb)
    const float* src = b + half * 8 * csb;
    float* out = dst + half * 8;
    int64_t p = 0;
    for (; p + 8 <= k; p += 8) {
      __m256 r[8];
      for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(src + j * csb + p);
      transpose8x8(r);
      for (int q = 0; q < 8; q++) _mm256_storeu_ps(out + (p + q) * 16, r[q]);
    }
    for (; p < k; p++) {
      for (int j = 0; j < 8; j++) out[p * 16 + j] = src[j * csb + p];
    }
  }
}
#endif

template <typename T> struct VecOf;
template <> struct VecOf<float> {
  using type = VecF32;
};
template <> struct VecOf<double> {
  using type = VecF64;
};

// c[0:MR, 0:2W] (rows ldc apart) = a[0:MR, 0:k] @ b[0:k, 0:2W] (b's rows ldb apart, contiguous).
template <typename S, int MR> void tile(int64_t k, const typename S::T* a, int64_t rsa, int64_t csa,
                                        const typename S::T* b, int64_t ldb, typename S::T* c, int64_t ldc) {
  using V = typename S::V;
  V acc[MR][2];
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = S::zero();
  for (int64_t p = 0; p < k; p++) {
    const V b0 = S::load(b), b1 = S::load(b + S::W);
    b += ldb;
    for (int i = 0; i < MR; i++) {
      const V ai = S::broadcast(a + i * rsa);
      acc[i][0] = S::fma(ai, b0, acc[i][0]);
      acc[i][1] = S::fma(ai, b1, acc[i][1]);
    }
    a += csa;
  }
  for (int i = 0; i < MR; i++) {
    S::store(c + i * ldc, acc[i][0]);
    S::store(c + i * ldc + S::W, acc[i][1]);
  }
}

template <typename S> void tile_rows(int mr, int64_t k, const typename S::T* a, int64_t rsa, int64_t csa,
                                     const typename S::T* b, int64_t ldb, typename S::T* c, int64_t ldc) {
  switch (mr) {
    case 6:
      return tile<S, 6>(k, a, rsa, csa, b, ldb, c, ldc);
    case 5:
      return tile<S, 5>(k, a, rsa, csa, b, ldb, c, ldc);
    case 4:
      return tile<S, 4>(k, a, rsa, csa, b, ldb, c, ldc);
    case 3:
      return tile<S, 3>(k, a, rsa, csa, b, ldb, c, ldc);
    case 2:
      return tile<S, 2>(k, a, rsa, csa, b, ldb, c, ldc);
    default:
      return tile<S, 1>(k, a, rsa, csa, b, ldb, c, ldc);
  }
}

// dst[p * NR + j] = b[p * rsb + j * csb] for p < k, j < nr; zero for nr <= j < NR.
template <int NR, typename T> void pack_panel(int64_t k, int nr, const T* b, int64_t rsb, int64_t csb, T* dst) {
#if defined(__AVX2__) && defined(__FMA__)
  if constexpr (std::is_same_v<T, float> && NR == 16) {
    if (rsb == 1 && nr == NR) return pack_transposed_f32(k, b, csb, dst);
  }
#endif
  // In blocks of kPackRows rows of B, column by column within a block: a transposed B is then
  // read as nr sequential runs and the block's writes stay in L1 (row by row read nr streams
  // whose power-of-two strides fought over one L1 set; column by column over all k wrote each
  // value to another cache line: both 10x slower).
  for (int64_t p0 = 0; p0 < k; p0 += kPackRows) {
    const int64_t p1 = std::min(k, p0 + kPackRows);
    for (int j = 0; j < NR; j++) {
      if (j < nr) {
        const T* src = b + j * csb;
        for (int64_t p = p0; p < p1; p++) dst[p * NR + j] = src[p * rsb];
      } else {
        for (int64_t p = p0; p < p1; p++) dst[p * NR + j] = T(0);
      }
    }
  }
}

}  // namespace

bool use_small_gemm(int64_t m, int64_t n, int64_t k) {
  // m * n is an output's element count, so it does not overflow.
  return k <= kSmallGemmMaxK && m >= kSmallGemmMinSide && n >= kSmallGemmMinSide && m * n <= kSmallGemmWork / k;
}

template <typename T> void small_gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa, const T* b,
                                      int64_t rsb, int64_t csb, T* c, int64_t ldc) {
  using S = typename VecOf<T>::type;
  constexpr int NR = 2 * S::W;
  thread_local std::vector<T> panel;  // a packed B panel: k rows of NR values
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    const int nr = static_cast<int>(std::min<int64_t>(NR, n - j0));
    const T* bp = b + j0 * csb;
    int64_t ldb = rsb;
    if (nr < NR || csb != 1) {
      panel.resize(k * NR);
      T* dst = panel.data();
      pack_panel<NR>(k, nr, bp, rsb, csb, dst);
      bp = dst;
      ldb = NR;
    }
    for (int64_t i0 = 0; i0 < m; i0 += kMR) {
      const int mr = static_cast<int>(std::min<int64_t>(kMR, m - i0));
      const T* ap = a + i0 * rsa;
      T* cp = c + i0 * ldc + j0;
      if (nr == NR) {
        tile_rows<S>(mr, k, ap, rsa, csa, bp, ldb, cp, ldc);
      } else {  // the last columns: a full tile on the side, then its first nr columns
        T out[kMR * NR];
        tile_rows<S>(mr, k, ap, rsa, csa, bp, ldb, out, NR);
        for (int i = 0; i < mr; i++) std::copy(out + i * NR, out + i * NR + nr, cp + i * ldc);
      }
    }
  }
}

template void small_gemm<float>(int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t,
                                int64_t, float*, int64_t);
template void small_gemm<double>(int64_t, int64_t, int64_t, const double*, int64_t, int64_t, const double*, int64_t,
                                 int64_t, double*, int64_t);

}  // namespace ops
}  // namespace fngrad
