// Reductions: sum, mean, prod, amax/amin, max/min (with indices), argmax/argmin, var/std,
// logsumexp, softmax/log_softmax, norm, all/any; and sum_to (what broadcasting gradients need).
//
// Except for sum (which walks the input in place), a reduction sees its input as rows: the
// kept dims first and the reduced dims last, copied into one contiguous (M, K) block when the
// input is not already laid out that way (Rows). Each op then works on K contiguous values per
// row, and its fused backward produces an (M, K) block that Rows puts back in the input's
// layout. Float sums accumulate in double (float32) or in blocks of independent partial sums.
#include <cstring>
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/loops.h"
#include "ops/ops.h"
#include "ops/unary_ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

template <typename T> using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// Sum of n elements at stride st, with eight independent accumulators.
template <typename T> acc_t<T> row_sum(const T* x, int64_t n, int64_t st) {
  using A = acc_t<T>;
  A acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  if (st == 1) {
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; k++) acc[k] += static_cast<A>(x[i + k]);
  }
  for (; i < n; i++) acc[0] += static_cast<A>(x[i * st]);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

DType sum_dtype(DType d) { return is_floating(d) ? d : DType::Int64; }

// Max of n contiguous values with eight independent lanes (vectorises; a NaN propagates).
template <typename T> T row_max(const T* x, int64_t n) {
  // NaNs are skipped (a plain select the compiler vectorises; tracking them per element kept
  // this loop scalar). softmax does not need them here: a NaN in the row makes the row's sum of
  // exponentials NaN, and with it every output of the row, as in PyTorch.
  T lanes[8];
  for (int k = 0; k < 8; k++) lanes[k] = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) lanes[k] = x[i + k] > lanes[k] ? x[i + k] : lanes[k];
  for (; i < n; i++) lanes[0] = x[i] > lanes[0] ? x[i] : lanes[0];
  T m = lanes[0];
  for (int k = 1; k < 8; k++) m = lanes[k] > m ? lanes[k] : m;
  return m;
}

using DimMask = SmallVec<bool, 8>;

// Marks the reduced dims; checks range and repeats. Null dims (or an empty list, as PyTorch
// treats dim=[]) reduce everything.
DimMask reduce_mask(const TensorObject* x, const DimVec* dims, const char* op) {
  const int64_t nd = ndim(x);
  bool all = dims == nullptr || dims->empty();
  DimMask mask(static_cast<size_t>(nd), all);
  if (!all) {
    for (int64_t d : *dims) {
      int64_t w = wrap_dim(d, nd, op);
      if (nd == 0) continue;
      FNGRAD_CHECK_RUNTIME(!mask[w], "[", op, "] dim ", w, " appears multiple times in the list of dims.");
      mask[w] = true;
    }
  }
  return mask;
}

DimVec reduced_shape(const TensorObject* x, const DimMask& mask, bool keepdim) {
  DimVec out;
  for (int64_t d = 0; d < ndim(x); d++) {
    if (!mask[d]) {
      out.push_back(x->sizes[d]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

// g (the shape of a reduction's result) broadcast back to the input's shape, as a view.
TensorRef expand_back(TensorObject* g, const DimVec& in_shape, const DimMask& mask, bool keepdim) {
  TensorRef r = TensorRef::borrow(g);
  if (!keepdim) {
    for (size_t d = 0; d < mask.size(); d++)
      if (mask[d]) r = unsqueeze(r.get(), static_cast<int64_t>(d));
  }
  return expand(r.get(), in_shape);
}

DimVec mask_dims(const DimMask& mask) {
  DimVec dims;
  for (size_t d = 0; d < mask.size(); d++)
    if (mask[d]) dims.push_back(static_cast<int64_t>(d));
  return dims;
}

// The input seen as M rows of K contiguous values: kept dims first, reduced dims last.
struct Rows {
  TensorRef data;  // contiguous, M * K elements
  int64_t M = 1, K = 1;
  DimVec perm;        // input dim for each row-layout dim
  DimVec perm_sizes;  // sizes in row layout
};

Rows to_rows(TensorObject* x, const DimMask& mask, DType dtype) {
  Rows r;
  for (int64_t d = 0; d < ndim(x); d++)
    if (!mask[d]) {
      r.perm.push_back(d);
      r.M *= x->sizes[d];
    }
  for (int64_t d = 0; d < ndim(x); d++)
    if (mask[d]) {
      r.perm.push_back(d);
      r.K *= x->sizes[d];
    }
  bool identity = true;
  for (size_t i = 0; i < r.perm.size(); i++) identity = identity && r.perm[i] == static_cast<int64_t>(i);
  for (int64_t d : r.perm) r.perm_sizes.push_back(x->sizes[d]);
  if (identity && x->contiguous && x->dtype == dtype) {
    r.data = TensorRef::borrow(x);
    return r;
  }
  DimVec st;
  for (int64_t d : r.perm) st.push_back(x->strides[d]);
  TensorRef permuted = make_view(x, x->offset, r.perm_sizes, st);
  r.data = empty(r.perm_sizes, dtype);
  copy_into(r.data.get(), permuted.get());
  return r;
}

// An (M, K) block in row layout back in the input's layout (a new contiguous tensor).
TensorRef from_rows(const TensorRef& block, const Rows& r, const DimVec& in_shape) {
  DimVec st(in_shape.size());
  DimVec block_strides = contiguous_strides(r.perm_sizes);
  for (size_t i = 0; i < r.perm.size(); i++) st[r.perm[i]] = block_strides[i];
  TensorRef v = make_view(block.get(), block->offset, in_shape, st);
  return fngrad::contiguous(v.get());
}

// The reduction node pattern: input shape, mask and keepdim, saved input and/or output.
class ReduceBackward : public Node {
 public:
  enum Kind { Sum, Mean, Prod, AMax, AMin, Var, Std, LogSumExp, Norm2 } kind = Sum;
  DimVec in_shape;
  DimMask mask;
  bool keepdim = false;
  bool full = true;
  bool whole_max = false;  // max()/min() of everything: PyTorch's MaxBackward1/MinBackward1 (amax() is AmaxBackward0)
  double correction = 1;
  SavedTensor x, y;

  std::string name() const override {
    switch (kind) {
      case Sum:
        return full ? "SumBackward0" : "SumBackward1";
      case Mean:
        return full ? "MeanBackward0" : "MeanBackward1";
      case Prod:
        return full ? "ProdBackward0" : "ProdBackward1";
      case AMax:
        return whole_max ? "MaxBackward1" : "AmaxBackward0";
      case AMin:
        return whole_max ? "MinBackward1" : "AminBackward0";
      case Var:
        return "VarBackward0";
      case Std:
        return "StdBackward0";
      case LogSumExp:
        return "LogsumexpBackward0";
      case Norm2:
        break;
    }
    return "LinalgVectorNormBackward0";
  }
  void release_saved() override {
    x.release();
    y.release();
  }
  // PyTorch's attributes for each node; self and result only where this node keeps them.
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    const DimVec dims = mask_dims(mask);
    switch (kind) {
      case Sum:
      case Mean:
        if (!full) {
          v.ints("_saved_dim", dims);
          v.boolean("_saved_keepdim", keepdim);
        }
        if (kind == Mean) v.integer("_saved_self_sym_numel", product(in_shape));
        v.ints("_saved_self_sym_sizes", in_shape);
        break;
      case Prod:
        if (!full) {
          v.integer("_saved_dim", dims.empty() ? 0 : dims[0]);
          v.boolean("_saved_keepdim", keepdim);
        }
        break;
      case Var:
      case Std:
        if (correction == std::trunc(correction))
          v.integer("_saved_correction", static_cast<int64_t>(correction));
        else
          v.real("_saved_correction", correction);
        [[fallthrough]];
      case AMax:
      case AMin:
        if (whole_max) break;                          // MaxBackward1 keeps self and result only
        v.ints("_saved_dim", full ? DimVec{} : dims);  // amax() saves dim=() as PyTorch's
        v.boolean("_saved_keepdim", keepdim);
        break;
      case LogSumExp:
        v.ints("_saved_dim", dims);
        v.boolean("_saved_keepdim", keepdim);
        break;
      case Norm2:
        if (full)
          v.scalar("_saved_dim", nullptr);
        else
          v.ints("_saved_dim", dims);
        v.boolean("_saved_keepdim", keepdim);
        v.integer("_saved_ord", 2);
        break;
    }
    if (!x.was_none()) v.saved("_saved_self", x);
    if (!y.was_none()) v.saved("_saved_result", y);
  }
  GradList apply(GradList&& grads) override;
};

int64_t reduced_count(const DimVec& in_shape, const DimMask& mask) {
  int64_t k = 1;
  for (size_t d = 0; d < mask.size(); d++)
    if (mask[d]) k *= in_shape[d];
  return k;
}

// y and g of a reduction, broadcast back to the input's shape (views).
struct Expanded {
  TensorRef y, g;
};

GradList ReduceBackward::apply(GradList&& grads) {
  TensorObject* g = grads[0].get();
  const int64_t K = reduced_count(in_shape, mask);
  GradList out;
  TensorRef gx = expand_back(g, in_shape, mask, keepdim);
  switch (kind) {
    case Sum:
      out.push_back(GradMode::is_enabled() ? gx : fngrad::contiguous(gx.get()));
      return out;
    case Mean:
      out.push_back(div(gx, Scalar::of_double(static_cast<double>(K))));
      return out;
    default:
      break;
  }
  TensorRef xv = x.unpack(this);
  TensorRef yv = y.was_none() ? TensorRef() : y.unpack(this);
  TensorRef ye = yv ? expand_back(yv.get(), in_shape, mask, keepdim) : TensorRef();
  DimVec dims = mask_dims(mask);
  switch (kind) {
    case Prod: {
      // Product of the other elements of each row: out / x where x != 0; rows with zeros use the
      // exact product of the others (see prod_others).
      out.push_back(mul(gx, prod_others(xv.get(), dims).get()));
      break;
    }
    case AMax:
    case AMin: {
      // Ties share the gradient evenly, as in PyTorch.
      TensorRef hit = to_dtype(compare(CompareKind::Eq, xv.get(), ye.get()).get(), g->dtype);
      TensorRef count = sum(hit.get(), &dims, true);
      out.push_back(mul(gx, div(hit, count).get()));
      break;
    }
    case Var:
    case Std: {
      TensorRef mean_x = mean(xv.get(), &dims, true);
      TensorRef centered = sub(xv, mean_x);
      double denom = std::max(0.0, static_cast<double>(K) - correction);
      TensorRef factor = kind == Var ? mul(centered, Scalar::of_double(2.0 / denom))
                                     : div(centered, mul(ye, Scalar::of_double(denom)).get());
      out.push_back(mul(gx, factor));
      break;
    }
    case LogSumExp:
      out.push_back(mul(gx, apply_Exp(sub(xv, ye).get()).get()));
      break;
    case Norm2: {
      // x / norm, and 0 where the norm is 0 (the subgradient PyTorch uses).
      TensorRef zero = compare(CompareKind::Eq, ye.get(), Scalar::of_double(0));
      TensorRef safe = add(ye, to_dtype(zero.get(), ye->dtype));
      out.push_back(mul(gx, div(xv, safe).get()));
      break;
    }
    default:
      break;
  }
  return out;
}

ReduceBackward* record_reduce(ReduceBackward::Kind kind, TensorObject* x, TensorObject* out, const DimMask& mask,
                              bool keepdim, bool full, bool save_x, bool save_y, double correction = 1) {
  if (!autograd::needs_recording({x})) return nullptr;
  auto* node = autograd::record_node<ReduceBackward>(out, {x}, autograd::History::Output);
  node->kind = kind;
  node->in_shape = x->sizes;
  node->mask = mask;
  node->keepdim = keepdim;
  node->full = full;
  node->correction = correction;
  if (save_x) node->x = SavedTensor(x, false);
  if (save_y) node->y = SavedTensor(out, true);
  return node;
}

// Runs f(row pointer, K) -> value for each of the M rows, in parallel when large.
template <typename T, typename O, typename F> void per_row(const Rows& r, O* out, const F& f) {
  const T* base = data_ptr<T>(r.data.get());
  const int64_t K = r.K;
  GilRelease nogil(r.M * K >= kReleaseGilNumel && PyGILState_Check());
  parallel_for(r.M, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(K, 1)), [&](int64_t b, int64_t e) {
    for (int64_t m = b; m < e; m++) out[m] = f(base + m * K, K);
  });
}

}  // namespace

TensorRef sum(TensorObject* x, const DimVec* dims, bool keepdim) {
  if (is_storage_only(x->dtype)) {
    return via_kernel_dtype(x, sum_dtype(x->dtype), [&](TensorObject* k) { return sum(k, dims, keepdim); });
  }
  const char* op = "sum";
  DimMask mask = reduce_mask(x, dims, op);
  const int64_t nd = ndim(x);
  DimVec keep_shape;
  bool full = true;
  for (int64_t d = 0; d < nd; d++) {
    keep_shape.push_back(mask[d] ? 1 : x->sizes[d]);
    full = full && mask[d];
  }
  DimVec out_shape = reduced_shape(x, mask, keepdim);
  DType dtype = sum_dtype(x->dtype);
  TensorRef out = empty(out_shape, dtype, op);
  dispatch(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using O = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;
    O* o = data_ptr<O>(out.get());
    if (full && x->contiguous) {
      const T* p = data_ptr<T>(x);
      const int64_t n = x->numel;
      if (n < 2 * kParallelGrain) {
        *o = static_cast<O>(row_sum(p, n, 1));
        return;
      }
      const int64_t chunks = 64;
      std::vector<acc_t<T>> partial(chunks, 0);
      {
        GilRelease nogil(PyGILState_Check());
        parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
          for (int64_t c = b; c < e; c++)
            partial[c] = row_sum(p + n * c / chunks, n * (c + 1) / chunks - n * c / chunks, 1);
        });
      }
      acc_t<T> total = 0;
      for (auto v : partial) total += v;
      *o = static_cast<O>(total);
      return;
    }
    // General case: walk x with the output's strides set to 0 along reduced dims.
    for (int64_t i = 0; i < out->numel; i++) o[i] = O(0);
    if (x->numel == 0) return;
    DimVec out_strides = contiguous_strides(keep_shape);
    for (int64_t d = 0; d < nd; d++)
      if (mask[d]) out_strides[d] = 0;
    LoopSpec<2> spec = make_loop<2>(x->sizes, {out_strides, x->strides});
    const T* p = data_ptr<T>(x);
    GilRelease nogil(x->numel >= kReleaseGilNumel && PyGILState_Check());
    for_each_row(spec, 0, spec.numel, [&](const int64_t* off, int64_t n, const int64_t* st) {
      O* orow = o + off[0];
      const T* xrow = p + off[1];
      if (st[0] == 0) {
        *orow = static_cast<O>(*orow + static_cast<O>(row_sum(xrow, n, st[1])));
      } else {
        for (int64_t i = 0; i < n; i++) orow[i * st[0]] += static_cast<O>(xrow[i * st[1]]);
      }
    });
  });
  record_reduce(ReduceBackward::Sum, x, out.get(), mask, keepdim, dims == nullptr, false, false);
  return out;
}

TensorRef sum_to(TensorObject* x, const DimVec& shape) {
  if (x->sizes == shape) return TensorRef::borrow(x);
  const int64_t lead = ndim(x) - static_cast<int64_t>(shape.size());
  FNGRAD_INTERNAL_ASSERT(lead >= 0);
  TensorRef r = TensorRef::borrow(x);
  if (lead > 0) {
    DimVec dims;
    for (int64_t d = 0; d < lead; d++) dims.push_back(d);
    r = sum(r.get(), &dims, false);
  }
  DimVec dims;
  for (size_t d = 0; d < shape.size(); d++)
    if (shape[d] == 1 && r->sizes[d] != 1) dims.push_back(static_cast<int64_t>(d));
  if (!dims.empty()) r = sum(r.get(), &dims, true);
  return r;
}

TensorRef mean(TensorObject* x, const DimVec* dims, bool keepdim) {
  FNGRAD_CHECK_RUNTIME(is_floating(x->dtype),
                       "[mean] mean(): could not infer output dtype. Input dtype must be either a "
                       "floating point or complex dtype. Got: ",
                       scalar_type_name(x->dtype));
  if (is_storage_only(x->dtype)) {
    return via_kernel_dtype(x, x->dtype, [&](TensorObject* k) { return mean(k, dims, keepdim); });
  }
  DimMask mask = reduce_mask(x, dims, "mean");
  TensorRef s;
  {
    GradModeGuard no_grad(false);
    s = sum(x, dims, keepdim);
  }
  const int64_t K = reduced_count(x->sizes, mask);
  dispatch_floating(s->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = data_ptr<T>(s.get());
    const T inv = K == 0 ? std::numeric_limits<T>::quiet_NaN() : T(1) / T(K);
    for (int64_t i = 0; i < s->numel; i++) p[i] = K == 0 ? inv : p[i] / T(K);
  });
  record_reduce(ReduceBackward::Mean, x, s.get(), mask, keepdim, dims == nullptr, false, false);
  return s;
}

TensorRef prod(TensorObject* x, const DimVec* dims, bool keepdim) {
  if (is_storage_only(x->dtype)) {
    return via_kernel_dtype(x, sum_dtype(x->dtype), [&](TensorObject* k) { return prod(k, dims, keepdim); });
  }
  DimMask mask = reduce_mask(x, dims, "prod");
  DType dtype = sum_dtype(x->dtype);
  Rows r = to_rows(x, mask, dtype);
  TensorRef out = empty(reduced_shape(x, mask, keepdim), dtype, "prod");
  dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      per_row<T>(r, data_ptr<T>(out.get()), [](const T* row, int64_t K) {
        acc_t<T> p = 1;
        for (int64_t k = 0; k < K; k++) p *= row[k];
        return static_cast<T>(p);
      });
    }
  });
  record_reduce(ReduceBackward::Prod, x, out.get(), mask, keepdim, dims == nullptr, true, false);
  return out;
}

TensorRef prod_others(TensorObject* x, const DimVec& dims) {
  // For each element, the product of the other elements of its row: prefix * suffix products.
  DimMask mask = reduce_mask(x, &dims, "prod");
  if (GradMode::is_enabled()) {
    // Differentiable form (create_graph): prod(x) / x, which needs no zeros in x.
    TensorRef zeros_in_x = compare(CompareKind::Eq, x, Scalar::of_double(0));
    TensorRef any_zero = sum(zeros_in_x.get(), nullptr, false);
    FNGRAD_CHECK_RUNTIME(item_as_double(any_zero.get()) == 0,
                         "[prod] The double backward of prod through zeros is not "
                         "supported.");
    TensorRef p = prod(x, &dims, true);
    return div(p, x);
  }
  Rows r = to_rows(x, mask, x->dtype);
  TensorRef block = empty(r.perm_sizes, x->dtype);
  dispatch_floating(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = data_ptr<T>(r.data.get());
    T* o = data_ptr<T>(block.get());
    for (int64_t m = 0; m < r.M; m++) {
      const T* row = in + m * r.K;
      T* orow = o + m * r.K;
      T acc = 1;
      for (int64_t k = 0; k < r.K; k++) {
        orow[k] = acc;
        acc *= row[k];
      }
      acc = 1;
      for (int64_t k = r.K; k-- > 0;) {
        orow[k] *= acc;
        acc *= row[k];
      }
    }
  });
  return from_rows(block, r, x->sizes);
}

namespace {

template <bool Max> TensorRef extreme(TensorObject* x, const DimVec* dims, bool keepdim, const char* op) {
  if (is_storage_only(x->dtype)) {
    return via_kernel_dtype(x, x->dtype, [&](TensorObject* k) { return extreme<Max>(k, dims, keepdim, op); });
  }
  DimMask mask = reduce_mask(x, dims, op);
  FNGRAD_CHECK_RUNTIME(x->numel > 0 || (dims != nullptr && !dims->empty()), "[", op,
                       "] Expected reduction dim to be "
                       "specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
  Rows r = to_rows(x, mask, x->dtype);
  FNGRAD_CHECK_INDEX(r.K > 0, "[", op, "] Expected reduction dim to have non-zero size.");
  TensorRef out = empty(reduced_shape(x, mask, keepdim), x->dtype, op);
  dispatch(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    per_row<T>(r, data_ptr<T>(out.get()), [](const T* row, int64_t K) {
      T best = row[0];
      for (int64_t k = 1; k < K; k++) {
        T v = row[k];
        if constexpr (std::is_floating_point_v<T>) {
          if (v != v) return v;  // NaN wins, as in PyTorch
        }
        if (Max ? v > best : v < best) best = v;
      }
      return best;
    });
  });
  ReduceBackward* node = record_reduce(Max ? ReduceBackward::AMax : ReduceBackward::AMin, x, out.get(), mask, keepdim,
                                       dims == nullptr, true, true);
  if (node != nullptr) node->whole_max = std::strcmp(op, Max ? "max" : "min") == 0;
  return out;
}

// Backward of max/min along one dim with indices: the gradient goes to the selected element.
class IndexReduceBackward : public Node {
 public:
  TensorRef positions;  // flat position in the input of each selected element
  DimVec in_shape;
  const char* name_;
  explicit IndexReduceBackward(const char* n) : name_(n) {}
  std::string name() const override { return name_; }
  // PyTorch keeps dim, keepdim and the indices along dim; this node keeps flat positions.
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.held("_saved_positions", positions.get());
    v.ints("_saved_self_sym_sizes", in_shape);
  }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(scatter_add(in_shape, positions.get(), grads[0].get()));
    return out;
  }
};

}  // namespace

TensorRef amax(TensorObject* x, const DimVec* dims, bool keepdim) { return extreme<true>(x, dims, keepdim, "amax"); }
TensorRef amin(TensorObject* x, const DimVec* dims, bool keepdim) { return extreme<false>(x, dims, keepdim, "amin"); }
TensorRef max_all(TensorObject* x, bool is_max) {
  return is_max ? extreme<true>(x, nullptr, false, "max") : extreme<false>(x, nullptr, false, "min");
}

std::pair<TensorRef, TensorRef> max_dim(TensorObject* x, int64_t dim_in, bool keepdim, bool is_max, const char* op) {
  if (op == nullptr) op = is_max ? "max" : "min";
  if (is_storage_only(x->dtype)) {
    TensorRef indices;
    TensorRef values = via_kernel_dtype(x, x->dtype, [&](TensorObject* k) {
      auto r = max_dim(k, dim_in, keepdim, is_max, op);
      indices = std::move(r.second);
      return std::move(r.first);
    });
    return {std::move(values), std::move(indices)};
  }
  const int64_t nd = ndim(x);
  DimVec dims{dim_in};
  DimMask mask = reduce_mask(x, &dims, op);
  const int64_t dim = nd == 0 ? 0 : wrap_dim(dim_in, nd, op);
  Rows r = to_rows(x, mask, x->dtype);
  FNGRAD_CHECK_INDEX(r.K > 0, "[", op, "] Expected reduction dim ", dim, " to have non-zero size.");
  DimVec out_shape = reduced_shape(x, mask, keepdim);
  TensorRef values = empty(out_shape, x->dtype, op);
  TensorRef indices = empty(out_shape, DType::Int64, op);
  int64_t* idx = data_ptr<int64_t>(indices.get());
  dispatch(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* base = data_ptr<T>(r.data.get());
    T* vals = data_ptr<T>(values.get());
    for (int64_t m = 0; m < r.M; m++) {
      const T* row = base + m * r.K;
      int64_t best = 0;
      for (int64_t k = 1; k < r.K; k++) {
        T v = row[k], b = row[best];
        if constexpr (std::is_floating_point_v<T>) {
          if (b != b) break;
          if (v != v) {
            best = k;
            break;
          }
        }
        if (is_max ? v > b : v < b) best = k;
      }
      vals[m] = row[best];
      idx[m] = best;
    }
  });
  if (autograd::needs_recording({x})) {
    // Flat input position of each selected element: row m of the kept dims, index idx[m] along dim.
    TensorRef pos = empty(out_shape, DType::Int64);
    int64_t* p = data_ptr<int64_t>(pos.get());
    DimVec in_strides = contiguous_strides(x->sizes);
    DimVec kept_sizes, kept_strides;
    for (int64_t d = 0; d < nd; d++)
      if (d != dim) {
        kept_sizes.push_back(x->sizes[d]);
        kept_strides.push_back(in_strides[d]);
      }
    const int64_t dim_stride = nd == 0 ? 0 : in_strides[dim];
    for (int64_t m = 0; m < r.M; m++) {
      int64_t rem = m, flat = 0;
      for (size_t k = kept_sizes.size(); k-- > 0;) {
        flat += (rem % kept_sizes[k]) * kept_strides[k];
        rem /= kept_sizes[k];
      }
      p[m] = flat + idx[m] * dim_stride;
    }
    auto* node = autograd::record_node<IndexReduceBackward>(values.get(), {x}, autograd::History::Output,
                                                            is_max ? "MaxBackward0" : "MinBackward0");
    node->positions = pos;
    node->in_shape = x->sizes;
  }
  return {values, indices};
}

TensorRef argmax(TensorObject* x, const DimVec* dim, bool keepdim, bool is_max) {
  const char* op = is_max ? "argmax" : "argmin";
  if (dim == nullptr || dim->empty()) {
    FNGRAD_CHECK_INDEX(x->numel > 0, "[", op, "] ", op,
                       "(): Expected reduction dim to be specified for input.numel() == 0.");
    GradModeGuard no_grad(false);
    TensorRef flat = reshape(x, DimVec{-1});
    TensorRef idx = max_dim(flat.get(), 0, false, is_max, op).second;
    if (keepdim) idx = reshape(idx.get(), DimVec(static_cast<size_t>(ndim(x)), 1));
    return idx;
  }
  GradModeGuard no_grad(false);
  return max_dim(x, (*dim)[0], keepdim, is_max, op).second;
}

TensorRef var(TensorObject* x, const DimVec* dims, double correction, bool keepdim, bool take_sqrt) {
  const char* op = take_sqrt ? "std" : "var";
  FNGRAD_CHECK_RUNTIME(is_floating(x->dtype), "[", op, "] Expected a floating point tensor, got ", dtype_name(x->dtype),
                       ".");
  if (is_storage_only(x->dtype)) {
    return via_kernel_dtype(x, x->dtype, [&](TensorObject* k) { return var(k, dims, correction, keepdim, take_sqrt); });
  }
  DimMask mask = reduce_mask(x, dims, op);
  Rows r = to_rows(x, mask, x->dtype);
  TensorRef out = empty(reduced_shape(x, mask, keepdim), x->dtype, op);
  dispatch_floating(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    per_row<T>(r, data_ptr<T>(out.get()), [&](const T* row, int64_t K) {
      double m = static_cast<double>(row_sum(row, K, 1)) / static_cast<double>(K);
      double ss = 0;
      for (int64_t k = 0; k < K; k++) ss += (row[k] - m) * (row[k] - m);
      double v = ss / std::max(0.0, static_cast<double>(K) - correction);
      return static_cast<T>(take_sqrt ? std::sqrt(v) : v);
    });
  });
  record_reduce(take_sqrt ? ReduceBackward::Std : ReduceBackward::Var, x, out.get(), mask, keepdim, dims == nullptr,
                true, take_sqrt, correction);
  return out;
}

TensorRef logsumexp(TensorObject* x_in, const DimVec* dims, bool keepdim) {
  if (is_storage_only(x_in->dtype) && is_floating(x_in->dtype)) {
    return via_kernel_dtype(x_in, x_in->dtype, [&](TensorObject* k) { return logsumexp(k, dims, keepdim); });
  }
  TensorRef x = is_floating(x_in->dtype) ? TensorRef::borrow(x_in) : fngrad::to_dtype(x_in, DType::Float32);
  DimMask mask = reduce_mask(x.get(), dims, "logsumexp");
  Rows r = to_rows(x.get(), mask, x->dtype);
  TensorRef out = empty(reduced_shape(x.get(), mask, keepdim), x->dtype, "logsumexp");
  dispatch_floating(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    per_row<T>(r, data_ptr<T>(out.get()), [](const T* row, int64_t K) {
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t k = 0; k < K; k++) m = row[k] > m ? row[k] : m;
      if (std::isinf(m)) return m;  // -inf row (or +inf): the max is the answer
      double s = 0;
      for (int64_t k = 0; k < K; k++) s += std::exp(static_cast<double>(row[k] - m));
      return static_cast<T>(m + std::log(s));
    });
  });
  record_reduce(ReduceBackward::LogSumExp, x_in, out.get(), mask, keepdim, dims == nullptr, true, true);
  return out;
}

TensorRef norm(TensorObject* x, double p, const DimVec* dims, bool keepdim) {
  FNGRAD_CHECK_RUNTIME(is_floating(x->dtype), "[norm] Expected a floating point tensor, got ", dtype_name(x->dtype),
                       ".");
  if (p == 2 && is_storage_only(x->dtype)) {
    return via_kernel_dtype(x, x->dtype, [&](TensorObject* k) { return norm(k, p, dims, keepdim); });
  }
  if (p == 2) {
    DimMask mask = reduce_mask(x, dims, "norm");
    Rows r = to_rows(x, mask, x->dtype);
    TensorRef out = empty(reduced_shape(x, mask, keepdim), x->dtype, "norm");
    dispatch_floating(x->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      per_row<T>(r, data_ptr<T>(out.get()), [](const T* row, int64_t K) {
        double s = 0;
        for (int64_t k = 0; k < K; k++) s += static_cast<double>(row[k]) * static_cast<double>(row[k]);
        return static_cast<T>(std::sqrt(s));
      });
    });
    record_reduce(ReduceBackward::Norm2, x, out.get(), mask, keepdim, dims == nullptr, true, true);
    return out;
  }
  if (std::isinf(p)) {
    TensorRef a = apply_Abs(x);
    return p > 0 ? amax(a.get(), dims, keepdim) : amin(a.get(), dims, keepdim);
  }
  FNGRAD_CHECK_RUNTIME(p > 0, "[norm] Only positive orders (and inf) are supported, got ", p, ".");
  if (p == 1) return sum(apply_Abs(x).get(), dims, keepdim);
  TensorRef s = sum(pow_scalar(apply_Abs(x).get(), p).get(), dims, keepdim);
  return pow_scalar(s.get(), 1.0 / p);
}

TensorRef all_any(TensorObject* x, const DimVec* dims, bool keepdim, bool is_all) {
  DimMask mask = reduce_mask(x, dims, is_all ? "all" : "any");
  TensorRef b = fngrad::to_dtype(x, DType::Bool);
  Rows r = to_rows(b.get(), mask, DType::Bool);
  TensorRef out = empty(reduced_shape(x, mask, keepdim), DType::Bool, is_all ? "all" : "any");
  per_row<bool>(r, data_ptr<bool>(out.get()), [is_all](const bool* row, int64_t K) {
    for (int64_t k = 0; k < K; k++)
      if (row[k] != is_all) return !is_all;
    return is_all;
  });
  // PyTorch keeps uint8 for uint8 inputs (a legacy of masks before bool existed).
  if (x->dtype == DType::UInt8) return fngrad::to_dtype(out.get(), DType::UInt8);
  return out;
}

// ---- softmax and log_softmax along one dim ----

namespace {

class SoftmaxBackward : public Node {
 public:
  bool log = false;
  int64_t dim = 0;
  SavedTensor y;
  std::string name() const override { return log ? "LogSoftmaxBackward0" : "SoftmaxBackward0"; }
  void release_saved() override { y.release(); }
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.integer("_saved_dim", dim);
    v.saved("_saved_result", y);
  }
  GradList apply(GradList&& grads) override {
    TensorObject* g = grads[0].get();
    TensorRef yv = y.unpack(this);
    DimVec dims{dim};
    GradList out;
    if (log) {
      // g - exp(y) * sum(g)
      TensorRef s = sum(g, &dims, true);
      out.push_back(sub(g, mul(apply_Exp(yv.get()).get(), s.get()).get()));
    } else {
      // y * (g - sum(g * y))
      TensorRef gy = mul(g, yv);
      TensorRef s = sum(gy.get(), &dims, true);
      out.push_back(mul(yv, sub(g, s).get()));
    }
    return out;
  }
};

}  // namespace

TensorRef softmax(TensorObject* x_in, int64_t dim_in, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  const int64_t nd = ndim(x_in);
  const int64_t dim = nd == 0 ? 0 : wrap_dim(dim_in, nd, op);
  if (!is_floating(x_in->dtype)) {
    // PyTorch has no integer softmax kernels (softmax(x, dim, dtype=...) converts first).
    fail(ErrorKind::NotImplemented, "[", op, "] \"", op, dim == nd - 1 || nd == 0 ? "_lastdim" : "",
         "_kernel_impl\" not implemented for '", scalar_type_name(x_in->dtype), "'");
  }
  if (is_storage_only(x_in->dtype)) {
    return via_kernel_dtype(x_in, x_in->dtype, [&](TensorObject* k) { return softmax(k, dim_in, log); });
  }
  TensorRef x = TensorRef::borrow(x_in);
  DimMask mask(static_cast<size_t>(nd), false);
  if (nd > 0) mask[dim] = true;
  Rows r = to_rows(x.get(), mask, x->dtype);
  TensorRef block = empty(r.perm_sizes, x->dtype, op);
  dispatch_floating(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = data_ptr<T>(r.data.get());
    T* o = data_ptr<T>(block.get());
    const int64_t K = r.K;
    GilRelease nogil(r.M * K >= kReleaseGilNumel && PyGILState_Check());
    parallel_for(r.M, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(K, 1)), [&](int64_t b, int64_t e) {
      for (int64_t m = b; m < e; m++) {
        const T* row = in + m * K;
        T* orow = o + m * K;
        T mx = row_max(row, K);
        if (std::isinf(mx) && mx < 0) mx = 0;  // an all -inf row: exp gives 0s, no NaN from -inf - -inf
        for (int64_t k = 0; k < K; k++) orow[k] = row[k] - mx;
        T tmp[vmath::kChunk];
        double s = 0;
        for (int64_t k0 = 0; k0 < K; k0 += vmath::kChunk) {
          const int64_t n = std::min<int64_t>(vmath::kChunk, K - k0);
          vmath::apply(vmath::Fn::Exp, orow + k0, log ? tmp : orow + k0, n);
          s += static_cast<double>(row_sum(log ? tmp : orow + k0, n, 1));
        }
        if (log) {
          const T ls = static_cast<T>(std::log(s));
          for (int64_t k = 0; k < K; k++) orow[k] -= ls;
        } else {
          const T inv = static_cast<T>(1.0 / s);
          for (int64_t k = 0; k < K; k++) orow[k] *= inv;
        }
      }
    });
  });
  TensorRef out = from_rows(block, r, x->sizes);
  if (autograd::needs_recording({x_in})) {
    auto* node = autograd::record_node<SoftmaxBackward>(out.get(), {x_in}, autograd::History::Output);
    node->log = log;
    node->dim = dim;
    node->y = SavedTensor(out.get(), true);
  }
  return out;
}

}  // namespace ops
}  // namespace fngrad
