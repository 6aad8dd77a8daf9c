// Tensor construction and the data-only operations (copy, fill, dtype conversion) that ops and
// the engine build on. Nothing here records autograd history.
#include "core/tensor.h"

#include <limits>

#include "core/grad_mode.h"
#include "core/loops.h"

namespace fngrad {

PyTypeObject* TensorBaseType = nullptr;
PyTypeObject* TensorClass = nullptr;

std::string shape_str(const DimVec& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); i++) {
    if (i) s += ", ";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

void fail_storage_dispatch(DType d) {
  fail(ErrorKind::Runtime, "[internal] a kernel was dispatched on ", dtype_name(d),
       ", a storage dtype (Note [Storage dtypes]); the op must convert to ", dtype_name(kernel_dtype(d)), " first.");
}

bool dtype_from_name(const std::string& name, DType* out) {
  for (int i = 0; i < kNumDTypes; i++) {
    auto d = static_cast<DType>(i);
    if (name == dtype_name(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

// An empty tensor may have dims whose product does not fit in int64 ((0, 2**62, 4)); its strides
// are never used to address memory, so they wrap (unsigned arithmetic: defined) instead of
// overflowing, as in PyTorch.
static int64_t wrapping_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

DimVec contiguous_strides(const DimVec& sizes) {
  DimVec strides(sizes.size());
  int64_t s = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = s;
    s = wrapping_mul(s, sizes[i] > 1 ? sizes[i] : 1);
  }
  return strides;
}

bool compute_contiguous(const DimVec& sizes, const DimVec& strides) {
  int64_t expected = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] == 0) return true;
    if (sizes[i] == 1) continue;
    if (strides[i] != expected) return false;
    expected = wrapping_mul(expected, sizes[i]);
  }
  return true;
}

int64_t checked_numel(const DimVec& sizes, const char* op) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    FNGRAD_CHECK_RUNTIME(s >= 0, "[", op, "] Trying to create tensor with negative dimension ", s, ": ",
                         shape_str(sizes), ".");
    if (s != 0 && n > std::numeric_limits<int64_t>::max() / s) {
      fail(ErrorKind::Runtime, "[", op, "] The tensor of shape ", shape_str(sizes),
           " has more elements than can be addressed.");
    }
    n *= s;
  }
  return n;
}

int64_t wrap_dim(int64_t dim, int64_t nd, const char* op) {
  int64_t lo = nd == 0 ? -1 : -nd;
  int64_t hi = nd == 0 ? 0 : nd - 1;
  FNGRAD_CHECK_INDEX(dim >= lo && dim <= hi, "[", op, "] Dimension out of range (expected to be in range of [", lo,
                     ", ", hi, "], but got ", dim, ").");
  return dim < 0 ? dim + (nd == 0 ? 1 : nd) : dim;
}

static TensorRef alloc_tensor_object_of(PyTypeObject* type) {
  PyObject* o = type->tp_alloc(type, 0);
  if (o == nullptr) throw PythonError();
  // tp_alloc zero-fills the object: only members with constructors need initialising.
  auto* t = as_tensor(o);
  new (&t->sizes) DimVec();
  new (&t->strides) DimVec();
  t->dtype = DType::Float32;
  t->contiguous = true;
  t->is_inference = InferenceMode::is_enabled();
  return TensorRef::steal(t);
}

TensorRef alloc_tensor_object() { return alloc_tensor_object_of(TensorClass); }

TensorRef empty(const DimVec& sizes, DType dtype, const char* op) {
  int64_t n = checked_numel(sizes, op);
  size_t isz = itemsize(dtype);
  FNGRAD_CHECK_RUNTIME(n <= static_cast<int64_t>(std::numeric_limits<int64_t>::max() / isz), "[", op,
                       "] The tensor of shape ", shape_str(sizes), " needs more bytes than can be addressed.");
  TensorRef t = alloc_tensor_object();
  try {
    t->storage = allocate_storage(static_cast<size_t>(n) * isz);
  } catch (const Error& e) {
    fail(e.kind(), "[", op, "] ", e.what());  // name the op that asked for the memory
  }
  t->numel = n;
  t->sizes = sizes;
  t->strides = contiguous_strides(sizes);
  t->dtype = dtype;
  t->contiguous = true;
  return t;
}

TensorRef empty_like(const TensorObject* t) { return empty(t->sizes, t->dtype); }

TensorRef zeros(const DimVec& sizes, DType dtype) {
  TensorRef t = empty(sizes, dtype, "zeros");
  std::memset(t->storage->data, 0, static_cast<size_t>(t->numel) * itemsize(dtype));
  return t;
}

TensorRef full(const DimVec& sizes, DType dtype, double value) {
  TensorRef t = empty(sizes, dtype, "full");
  fill(t.get(), value);
  return t;
}

TensorRef make_view(const TensorObject* src, int64_t offset, const DimVec& sizes, const DimVec& strides) {
  TensorRef t = alloc_tensor_object();
  incref(src->storage);
  t->storage = src->storage;
  t->offset = offset;
  t->sizes = sizes;
  t->strides = strides;
  int64_t n = 1;
  for (int64_t s : sizes) {
    FNGRAD_INTERNAL_ASSERT(s >= 0);  // every op checks its sizes: a view never has a negative one
    n *= s;
  }
  t->numel = n;
  t->dtype = src->dtype;
  t->contiguous = compute_contiguous(sizes, strides);
  return t;
}

TensorRef alias(const TensorObject* t) { return make_view(t, t->offset, t->sizes, t->strides); }

TensorRef make_subclass(PyTypeObject* type, const TensorObject* src, bool requires_grad) {
  FNGRAD_CHECK_TYPE(PyType_IsSubtype(type, TensorBaseType), "[_make_subclass] cls must be a subclass of Tensor, got ",
                    type->tp_name, ".");
  FNGRAD_CHECK_RUNTIME(!requires_grad || is_floating(src->dtype),
                       "Only Tensors of floating point and complex dtype can require gradients");
  TensorRef t = alloc_tensor_object_of(type);
  incref(src->storage);
  t->storage = src->storage;
  t->offset = src->offset;
  t->sizes = src->sizes;
  t->strides = src->strides;
  t->numel = src->numel;
  t->dtype = src->dtype;
  t->contiguous = src->contiguous;
  t->requires_grad = requires_grad;
  return t;
}

TensorRef contiguous_copy(const TensorObject* t) {
  TensorRef out = empty(t->sizes, t->dtype);
  copy_into(out.get(), t);
  return out;
}

TensorRef contiguous(const TensorObject* t) {
  if (t->contiguous) return TensorRef::borrow(const_cast<TensorObject*>(t));
  return contiguous_copy(t);
}

TensorRef to_dtype(const TensorObject* t, DType dtype) {
  TensorRef out = empty(t->sizes, dtype);
  copy_into(out.get(), t);
  return out;
}

namespace {
template <typename T> constexpr bool is_half_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// PyTorch's static_cast conversions; the 16-bit floats go through float (as c10's do).
template <typename To, typename From> inline To convert(From v) {
  if constexpr (is_half_v<From>)
    return convert<To>(static_cast<float>(v));
  else if constexpr (std::is_same_v<To, bool>)
    return v != From(0);
  else if constexpr (is_half_v<To>)
    return To(static_cast<float>(v));
  // Floats go to narrow integers through int64 (as x86 conversions wrap: 300. -> uint8 44, as in PyTorch).
  else if constexpr (std::is_integral_v<To> && sizeof(To) < 8 && std::is_floating_point_v<From>)
    return static_cast<To>(static_cast<int64_t>(v));
  else
    return static_cast<To>(v);
}
}  // namespace

// Over the six storage dtypes, with K the kernel dtype each converts through (Note [Storage dtypes]).
template <typename F> void dispatch_storage(DType d, F&& f) {
  switch (d) {
    case DType::UInt8:
      return f(TypeTag<uint8_t>{}, TypeTag<int64_t>{});
    case DType::Int8:
      return f(TypeTag<int8_t>{}, TypeTag<int64_t>{});
    case DType::Int16:
      return f(TypeTag<int16_t>{}, TypeTag<int64_t>{});
    case DType::Int32:
      return f(TypeTag<int32_t>{}, TypeTag<int64_t>{});
    case DType::Float16:
      return f(TypeTag<Half>{}, TypeTag<float>{});
    case DType::BFloat16:
      return f(TypeTag<BFloat16>{}, TypeTag<float>{});
    default:
      FNGRAD_INTERNAL_ASSERT(false);
  }
}

// Conversions between two dtypes of which one is a storage dtype S go through S's kernel dtype
// K (S -> K -> any, any -> K -> S): 16 + 12 kernel instantiations instead of 100. Every such chain
// is the conversion PyTorch makes (c10 converts doubles and integers to half through float;
// float -> narrow integer goes through int64 in convert() either way).
void copy_into(const TensorObject* dst, const TensorObject* src) {
  if (dst->numel == 0) return;
  if (dst->dtype == src->dtype && dst->contiguous && src->contiguous && dst->sizes == src->sizes) {
    size_t nbytes = static_cast<size_t>(dst->numel) * itemsize(dst->dtype);
    void* d = raw_data(dst);
    const void* s = raw_data(src);
    if (d != s) {
      GilRelease nogil(dst->numel >= kReleaseGilNumel && PyGILState_Check());
      parallel_for(static_cast<int64_t>(nbytes), int64_t(1) << 20, [&](int64_t b, int64_t e) {
        std::memmove(static_cast<char*>(d) + b, static_cast<const char*>(s) + b, static_cast<size_t>(e - b));
      });
    }
    return;
  }
  LoopSpec<2> spec = loop_for(dst, src);
  if (dst->dtype == src->dtype) {  // a strided copy moves bytes
    dispatch_bytes(dst->dtype, [&](auto tag) {
      using U = typename decltype(tag)::type;
      unary_kernel(spec, data_ptr<U>(dst), data_ptr<U>(src), [](U v) { return v; });
    });
    return;
  }
  if (is_storage_only(src->dtype)) {
    TensorRef wide = empty(src->sizes, kernel_dtype(src->dtype));
    dispatch_storage(src->dtype, [&](auto s_tag, auto k_tag) {
      using S = typename decltype(s_tag)::type;
      using K = typename decltype(k_tag)::type;
      unary_kernel(loop_for(wide.get(), src), data_ptr<K>(wide.get()), data_ptr<S>(src),
                   [](S v) { return convert<K>(v); });
    });
    copy_into(dst, wide.get());
    return;
  }
  if (is_storage_only(dst->dtype)) {
    TensorRef wide;
    const TensorObject* from = src;
    if (src->dtype != kernel_dtype(dst->dtype)) {
      wide = empty(dst->sizes, kernel_dtype(dst->dtype));
      copy_into(wide.get(), src);
      from = wide.get();
    }
    dispatch_storage(dst->dtype, [&](auto s_tag, auto k_tag) {
      using S = typename decltype(s_tag)::type;
      using K = typename decltype(k_tag)::type;
      unary_kernel(loop_for(dst, from), data_ptr<S>(dst), data_ptr<K>(from), [](K v) { return convert<S>(v); });
    });
    return;
  }
  dispatch(dst->dtype, [&](auto to_tag) {
    using To = typename decltype(to_tag)::type;
    dispatch(src->dtype, [&](auto from_tag) {
      using From = typename decltype(from_tag)::type;
      unary_kernel(spec, data_ptr<To>(dst), data_ptr<From>(src), [](From v) { return convert<To>(v); });
    });
  });
}

void fill(const TensorObject* t, double value) {
  if (t->numel == 0) return;
  // The value in t's dtype, then a loop by element width.
  uint64_t bits = 0;
  dispatch_all(t->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = convert<T>(value);
    std::memcpy(&bits, &v, sizeof(T));
  });
  dispatch_bytes(t->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T v;
    std::memcpy(&v, &bits, sizeof(T));
    if (t->contiguous) {
      T* p = data_ptr<T>(t);
      const int64_t n = t->numel;
      GilRelease nogil(n >= kReleaseGilNumel && PyGILState_Check());
      parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) p[i] = v;
      });
    } else {
      LoopSpec<2> spec = make_loop<2>(t->sizes, {t->strides, DimVec(t->sizes.size(), 0)});
      unary_kernel(spec, data_ptr<T>(t), &v, [](T x) { return x; });
    }
  });
}

double item_as_double(const TensorObject* t) {
  return dispatch_all(t->dtype, [&](auto tag) -> double {
    using T = typename decltype(tag)::type;
    return convert<double>(*data_ptr<T>(t));
  });
}

DimVec broadcast_strides(const TensorObject* t, const DimVec& shape) {
  const size_t nd = shape.size();
  const size_t tnd = t->sizes.size();
  DimVec st(nd, 0);
  for (size_t i = 0; i < tnd; i++) {
    size_t d = nd - tnd + i;
    st[d] = t->sizes[i] == 1 ? 0 : t->strides[i];
  }
  return st;
}

DimVec broadcast_shapes(const DimVec& a, const DimVec& b, const char* op) {
  const size_t nd = std::max(a.size(), b.size());
  DimVec out(nd, 1);
  for (size_t i = 0; i < nd; i++) {
    int64_t da = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
    int64_t db = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      fail(ErrorKind::Runtime, "[", op, "] The size of tensor a (", da, ") must match the size of tensor b (", db,
           ") at non-singleton dimension ", i, ".");
    }
  }
  return out;
}

}  // namespace fngrad
