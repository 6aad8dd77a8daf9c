// Reductions: sum over all or some dims, and sum_to (the reduction gradients of broadcasting
// need). Float sums accumulate in blocks of independent partial sums, in double for float32
// rows, which keeps the error of long sums near NumPy's pairwise summation.
#include <vector>

#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "ops/loops.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;

namespace {

template <typename T>
using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// Sum of n elements at stride st, with eight independent accumulators.
template <typename T>
acc_t<T> row_sum(const T* x, int64_t n, int64_t st) {
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

// Marks the reduced dims; checks range and repeats.
SmallVec<bool, 8> reduce_mask(const TensorObject* x, const DimVec* dims, const char* op) {
  const int64_t nd = ndim(x);
  SmallVec<bool, 8> mask(static_cast<size_t>(nd), dims == nullptr);
  if (dims != nullptr) {
    for (int64_t d : *dims) {
      int64_t w = wrap_dim(d, nd, op);
      if (nd == 0) continue;
      FNGRAD_CHECK_RUNTIME(!mask[w], "[", op, "] dim ", w, " appears multiple times in the list of dims.");
      mask[w] = true;
    }
  }
  return mask;
}

class SumBackward : public Node {
 public:
  DimVec input_shape;
  SmallVec<bool, 8> mask;
  bool keepdim = false;
  std::string name() const override { return "SumBackward" + std::string(full_ ? "0" : "1"); }
  bool full_ = true;

  GradList apply(GradList&& grads) override {
    TensorRef g = std::move(grads[0]);
    // Give g the input's rank (size 1 along reduced dims), then broadcast it to the input.
    if (!keepdim) {
      for (size_t d = 0; d < mask.size(); d++)
        if (mask[d]) g = unsqueeze(g.get(), static_cast<int64_t>(d));
    }
    GradList out;
    if (GradMode::is_enabled()) {
      out.push_back(expand(g.get(), input_shape));
    } else {
      TensorRef r = empty(input_shape, g->dtype);
      copy_into(r.get(), g.get());
      out.push_back(std::move(r));
    }
    return out;
  }
};

}  // namespace

TensorRef sum(TensorObject* x, const DimVec* dims, bool keepdim) {
  const char* op = "sum";
  SmallVec<bool, 8> mask = reduce_mask(x, dims, op);
  const int64_t nd = ndim(x);
  DimVec keep_shape, out_shape;
  bool full = true;
  for (int64_t d = 0; d < nd; d++) {
    if (mask[d]) {
      keep_shape.push_back(1);
      if (keepdim) out_shape.push_back(1);
    } else {
      full = false;
      keep_shape.push_back(x->sizes[d]);
      out_shape.push_back(x->sizes[d]);
    }
  }
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
  if (GradMode::is_enabled() && autograd::requires_grad(x)) {
    auto* node = new SumBackward();
    NodeRef keep(node);
    node->input_shape = x->sizes;
    node->mask = mask;
    node->keepdim = keepdim;
    node->full_ = dims == nullptr;
    node->next_edges().push_back(autograd::gradient_edge(x));
    autograd::set_history(out.get(), node);
    autograd::record_creation_site(node);
  }
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

}  // namespace ops
}  // namespace fngrad
