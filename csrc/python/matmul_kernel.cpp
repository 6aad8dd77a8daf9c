// ops/matmul_kernel.h's kernel. A small float32/float64 product of matrices runs fngrad's own
// kernel (Note [Small GEMM], ops/small_gemm.cpp); a larger one whose memory BLAS can read (each a
// matrix or the transpose of one) calls the OpenBLAS that NumPy loaded, directly (Note [Direct
// BLAS]); everything else goes through NumPy's matmul over arrays that share the tensors' memory.
#include "ops/matmul_kernel.h"

#include <dlfcn.h>
#include <link.h>

#include <cstring>
#include <string>
#include <type_traits>

#include "core/parallel.h"
#include "core/py_ref.h"
#include "ops/small_gemm.h"
#include "python/blas.h"
#include "python/tensor_type.h"

namespace fngrad {

// Note [Direct BLAS]
// NumPy's matmul costs about 4 us per call before its BLAS starts (three arrays over the tensors,
// a keyword dict, the ufunc machinery): eight products make a small MLP's training step, so that is
// 30 us of a 500 us step. NumPy's wheels bundle OpenBLAS (scipy-openblas); it is loaded with NumPy,
// so fngrad finds it among the loaded objects and calls its cblas_?gemm itself, with the same
// arguments NumPy passes (same library, same results). The symbol names tell the integer width:
// `64_` suffixes take 64-bit integers; the plain names take 32-bit ones unless the library says
// USE64BITINT. Without such a library (NumPy built on MKL or Accelerate), or for layouts BLAS
// cannot read, NumPy's matmul does the work. The same library's thread count follows
// fngrad.set_num_threads, as PyTorch's intra-op setting governs its BLAS.
namespace {

enum CblasOrder { kRowMajor = 101 };
enum CblasTranspose { kNoTrans = 111, kTrans = 112 };

template <typename Int, typename T>
using GemmFn = void (*)(int, int, int, Int, Int, Int, T, const T*, Int, const T*, Int, T, T*, Int);

struct Blas {
  std::string path;  // empty when no known BLAS was found
  bool ilp64 = false;
  void* sgemm = nullptr;  // GemmFn<int32_t or int64_t, float>
  void* dgemm = nullptr;
  void (*set_threads)(int) = nullptr;
  int (*get_threads)() = nullptr;
};

int find_openblas(dl_phdr_info* info, size_t, void* data) {
  const char* name = info->dlpi_name;
  if (name != nullptr && std::strstr(name, "openblas") != nullptr) {
    *static_cast<std::string*>(data) = name;
    return 1;
  }
  return 0;
}

Blas load_blas() {
  Blas blas;
  // NumPy loads its BLAS when it is imported; make sure it is.
  PyObject* np = PyImport_ImportModule("numpy");
  if (np == nullptr) {
    PyErr_Clear();
    return blas;
  }
  Py_DECREF(np);
  std::string path;
  dl_iterate_phdr(find_openblas, &path);
  if (path.empty()) return blas;
  void* lib = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
  if (lib == nullptr) return blas;
  struct Names {
    const char *sgemm, *dgemm, *set_threads, *get_threads;
    bool ilp64;
  };
  bool plain_ilp64 = false;
  if (auto config = reinterpret_cast<char* (*)()>(dlsym(lib, "openblas_get_config"))) {
    plain_ilp64 = std::strstr(config(), "USE64BITINT") != nullptr;
  }
  const Names candidates[] = {
      {"scipy_cblas_sgemm64_", "scipy_cblas_dgemm64_", "scipy_openblas_set_num_threads64_",
       "scipy_openblas_get_num_threads64_", true},
      {"cblas_sgemm64_", "cblas_dgemm64_", "openblas_set_num_threads64_", "openblas_get_num_threads64_", true},
      {"scipy_cblas_sgemm", "scipy_cblas_dgemm", "scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads",
       false},
      {"cblas_sgemm", "cblas_dgemm", "openblas_set_num_threads", "openblas_get_num_threads", plain_ilp64},
  };
  for (const Names& n : candidates) {
    void* s = dlsym(lib, n.sgemm);
    void* d = dlsym(lib, n.dgemm);
    if (s == nullptr || d == nullptr) continue;
    blas.path = path;
    blas.ilp64 = n.ilp64;
    blas.sgemm = s;
    blas.dgemm = d;
    blas.set_threads = reinterpret_cast<void (*)(int)>(dlsym(lib, n.set_threads));
    blas.get_threads = reinterpret_cast<int (*)()>(dlsym(lib, n.get_threads));
    break;
  }
  return blas;  // the handle stays open: NumPy keeps the library loaded anyway
}

const Blas& blas() {
  static const Blas b = load_blas();
  return b;
}

// How BLAS reads a rows x cols matrix with these element strides: as stored (row-major, leading
// dimension = row stride) or as the transpose of a row-major matrix. False when it cannot.
bool blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, bool& trans, int64_t& ld) {
  if (cols == 1) cs = 1;  // the stride of a length-1 dimension is never used
  if (rows == 1) rs = cols;
  if (cs == 1 && rs >= cols) {
    trans = false;
    ld = rs;
    return true;
  }
  if (rows == 1 && cs >= 1) {  // one row read as the transpose of a column
    trans = true;
    ld = cs;
    return true;
  }
  if (rs == 1 && cs >= rows) {
    trans = true;
    ld = cs;
    return true;
  }
  return false;
}

// Products of work m * n * k at least this large release the GIL while BLAS runs.
constexpr int64_t kReleaseGilWork = 1 << 18;

template <typename Int, typename T> bool gemm(void* fn, TensorObject* a, TensorObject* b, TensorObject* out) {
  const int64_t m = a->sizes[0], k = a->sizes[1], n = b->sizes[1];
  bool ta, tb;
  int64_t lda, ldb;
  if (!blas_layout(m, k, a->strides[0], a->strides[1], ta, lda)) return false;
  if (!blas_layout(k, n, b->strides[0], b->strides[1], tb, ldb)) return false;
  if (!out->contiguous) return false;
  if constexpr (sizeof(Int) == 4) {
    const int64_t limit = INT32_MAX;
    if (m > limit || n > limit || k > limit || lda > limit || ldb > limit) return false;
  }
  GilRelease nogil(m * n * k >= kReleaseGilWork && PyGILState_Check());
  reinterpret_cast<GemmFn<Int, T>>(fn)(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, T(1),
                                       static_cast<const T*>(raw_data(a)), lda, static_cast<const T*>(raw_data(b)), ldb,
                                       T(0), static_cast<T*>(raw_data(out)), n);
  return true;
}

// a @ b into out by the small-matrix kernel (Note [Small GEMM]) or BLAS, when both are matrices of
// a BLAS dtype and out is contiguous (and, for BLAS, a and b are in a layout it reads).
bool direct_gemm(TensorObject* a, TensorObject* b, TensorObject* out) {
  if (a->sizes.size() != 2 || b->sizes.size() != 2 || !out->contiguous) return false;
  if (a->dtype != DType::Float32 && a->dtype != DType::Float64) return false;
  const int64_t m = a->sizes[0], k = a->sizes[1], n = b->sizes[1];
  if (ops::use_small_gemm(m, n, k)) {
    GilRelease nogil(m * n * k >= kReleaseGilWork && PyGILState_Check());
    auto run = [&](auto* out_data) {
      using T = std::remove_pointer_t<decltype(out_data)>;
      ops::small_gemm<T>(m, n, k, static_cast<const T*>(raw_data(a)), a->strides[0], a->strides[1],
                         static_cast<const T*>(raw_data(b)), b->strides[0], b->strides[1], out_data, n);
    };
    if (a->dtype == DType::Float32) {
      run(static_cast<float*>(raw_data(out)));
    } else {
      run(static_cast<double*>(raw_data(out)));
    }
    return true;
  }
  const Blas& lib = blas();
  if (lib.sgemm == nullptr) return false;
  if (a->dtype == DType::Float32) {
    return lib.ilp64 ? gemm<int64_t, float>(lib.sgemm, a, b, out) : gemm<int32_t, float>(lib.sgemm, a, b, out);
  }
  return lib.ilp64 ? gemm<int64_t, double>(lib.dgemm, a, b, out) : gemm<int32_t, double>(lib.dgemm, a, b, out);
}

PyObject* numpy_matmul() {
  static PyObject* fn = [] {
    PyRef np = PyRef::check(PyImport_ImportModule("numpy"));
    return PyRef::check(PyObject_GetAttrString(np.get(), "matmul")).release();
  }();
  return fn;
}

}  // namespace

void set_blas_num_threads(int n) {
  if (blas().set_threads != nullptr) blas().set_threads(n);
}

std::string blas_library() { return blas().path; }

int blas_num_threads() { return blas().get_threads != nullptr ? blas().get_threads() : -1; }

namespace ops {

void matmul_kernel(TensorObject* a, TensorObject* b, TensorObject* out) {
  if (direct_gemm(a, b, out)) return;
  PyRef na = PyRef::check(tensor_to_numpy(a, true, false));
  PyRef nb = PyRef::check(tensor_to_numpy(b, true, false));
  PyRef nout = PyRef::check(tensor_to_numpy(out, true, false));
  PyRef args = PyRef::check(PyTuple_Pack(2, na.get(), nb.get()));
  PyRef kwargs = PyRef::check(Py_BuildValue("{s:O}", "out", nout.get()));
  PyRef r = PyRef::check(PyObject_Call(numpy_matmul(), args.get(), kwargs.get()));
}

}  // namespace ops
}  // namespace fngrad
