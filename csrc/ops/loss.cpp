// nll_loss over (M, C) rows of log-probabilities: the loss of row n is -w[t_n] * logp[n, t_n], 0
// for a row whose target is ignore_index. cross_entropy is log_softmax followed by this.
//
// Composed from take, mul and sum it cost ~35 us for a (128, 10) batch, mostly in a dozen small
// calls; here it is one pass over the targets. The backward is one mul of the incoming gradient
// by a (M, C) block holding -w[t_n] / total_weight at [n, t_n], so it stays differentiable for
// create_graph. The weights per row are copied into the node rather than the target saved: the
// gradient then belongs to the targets the forward saw, whatever happens to them later.
#include <cmath>
#include <vector>

#include "core/grad_mode.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;

namespace {

class NllLossBackward : public Node {
 public:
  int64_t rows = 0;
  int64_t classes = 0;
  DType dtype = DType::Float32;
  NllReduction reduction = NllReduction::Mean;
  std::vector<int64_t> target;  // -1 where the row is ignored
  std::vector<double> coef;     // d loss / d logp[n, target[n]]

  std::string name() const override { return "NllLossBackward0"; }
  // The targets and weights are kept as per-row coefficients, not as PyTorch's saved tensors.
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.integer("_saved_reduction", static_cast<int64_t>(reduction));
  }
  GradList apply(GradList&& grads) override {
    TensorObject* g = grads[0].get();
    TensorRef block = zeros({rows, classes}, dtype);
    dispatch_floating(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* b = data_ptr<T>(block.get());
      for (int64_t n = 0; n < rows; n++)
        if (target[n] >= 0) b[n * classes + target[n]] = static_cast<T>(coef[n]);
    });
    GradList out;
    if (reduction == NllReduction::None)
      out.push_back(mul(reshape(g, {rows, 1}), block));
    else
      out.push_back(mul(g, block));
    return out;
  }
};

}  // namespace

TensorRef nll_loss(TensorObject* logp, TensorObject* target, TensorObject* weight, int64_t ignore_index,
                   NllReduction reduction) {
  FNGRAD_CHECK_RUNTIME(is_floating(logp->dtype), "[nll_loss] expected floating-point log-probabilities, got ",
                       dtype_name(logp->dtype));
  if (is_storage_only(logp->dtype)) {
    return via_kernel_dtype(logp, logp->dtype, [&](TensorObject* k) {
      TensorRef w = weight != nullptr ? to_dtype(weight, k->dtype) : TensorRef();
      return nll_loss(k, target, w.get(), ignore_index, reduction);
    });
  }
  FNGRAD_CHECK_RUNTIME(ndim(logp) == 2, "[nll_loss] expected (N, C) log-probabilities, got ", shape_str(logp->sizes));
  FNGRAD_CHECK_RUNTIME(target->dtype == DType::Int64, "[nll_loss] expected target of dtype int64 (class indices), got ",
                       dtype_name(target->dtype));
  const int64_t M = logp->sizes[0];
  const int64_t C = logp->sizes[1];
  FNGRAD_CHECK_VALUE(ndim(target) == 1 && target->sizes[0] == M, "[nll_loss] Expected input batch_size (", M,
                     ") to match target batch_size (", ndim(target) == 1 ? target->sizes[0] : 0, ").");
  TensorRef w;
  if (weight != nullptr) {
    FNGRAD_CHECK_RUNTIME(is_floating(weight->dtype), "[nll_loss] expected a floating-point weight, got ",
                         dtype_name(weight->dtype));
    FNGRAD_CHECK_RUNTIME(ndim(weight) == 1 && weight->sizes[0] == C,
                         "[nll_loss] weight tensor should be defined either for all ", C,
                         " classes or no classes but got weight tensor of shape: ", shape_str(weight->sizes));
    w = contiguous(to_dtype(weight, DType::Float64).get());
  }
  TensorRef x = contiguous(logp);
  TensorRef t = contiguous(target);
  const int64_t* tv = data_ptr<int64_t>(t.get());
  const double* wv = w ? data_ptr<double>(w.get()) : nullptr;

  // Check every target before writing anything, so a bad one leaves no half-made result.
  for (int64_t n = 0; n < M; n++) {
    const int64_t c = tv[n];
    if (c != ignore_index && (c < 0 || c >= C)) fail(ErrorKind::Index, "[nll_loss] Target ", c, " is out of bounds.");
  }
  const DimVec out_shape = reduction == NllReduction::None ? DimVec{M} : DimVec{};
  TensorRef out = empty(out_shape, logp->dtype, "nll_loss");
  std::vector<double> row_weight(static_cast<size_t>(M));
  double total_weight = 0;
  dispatch_floating(logp->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xv = data_ptr<T>(x.get());
    T* o = data_ptr<T>(out.get());
    double total = 0;
    for (int64_t n = 0; n < M; n++) {
      const int64_t c = tv[n];
      const bool ignored = c == ignore_index;
      const double wn = ignored ? 0.0 : (wv ? wv[c] : 1.0);
      row_weight[n] = wn;
      // A zero weight still multiplies the value (NaN at -inf, as in PyTorch); an ignored row is 0.
      const double loss = ignored ? 0.0 : -wn * static_cast<double>(xv[n * C + c]);
      total_weight += wn;
      total += loss;
      if (reduction == NllReduction::None) o[n] = static_cast<T>(loss);
    }
    // PyTorch's mean divides by the summed weight of the kept rows: NaN when there are none.
    if (reduction == NllReduction::Sum) o[0] = static_cast<T>(total);
    if (reduction == NllReduction::Mean) o[0] = static_cast<T>(total / total_weight);
  });

  if (autograd::needs_recording({logp})) {
    auto* node = autograd::record_node<NllLossBackward>(out.get(), {logp}, autograd::History::Output);
    node->rows = M;
    node->classes = C;
    node->dtype = logp->dtype;
    node->reduction = reduction;
    node->target.resize(static_cast<size_t>(M));
    node->coef.resize(static_cast<size_t>(M));
    const double scale = reduction == NllReduction::Mean ? 1.0 / total_weight : 1.0;
    for (int64_t n = 0; n < M; n++) {
      const bool ignored = tv[n] == ignore_index;
      node->target[n] = ignored ? -1 : tv[n];
      node->coef[n] = ignored ? 0.0 : -row_weight[n] * scale;
    }
  }
  return out;
}

}  // namespace ops
}  // namespace fngrad
