// The generic forward and backward of every op in unary_ops.h: one kernel loop and one
// backward node template, instantiated per op. No op-specific code lives here.
#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "ops/grad_utils.h"
#include "ops/loops.h"
#include "ops/unary_ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

template <typename Op>
class UnaryBackward : public Node {
 public:
  explicit UnaryBackward(const Op& op) : op_(op) {}
  std::string name() const override { return Op::backward_name; }
  void release_saved() override { saved_.release(); }

  GradList apply(GradList&& grads) override {
    TensorRef g = std::move(grads[0]);
    TensorRef s;
    if constexpr (Op::saves != Saves::Nothing) s = saved_.unpack(this);
    GradList out;
    if (GradMode::is_enabled()) {  // create_graph: build the backward from differentiable ops
      out.push_back(op_.backward_graph(s.get(), g.get()));
      return out;
    }
    // The incoming gradient is usually a temporary nobody else holds: write into it.
    TensorRef r = can_reuse(g) ? g : empty(g->sizes, g->dtype);
    dispatch_floating(g->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (Op::saves == Saves::Nothing) {
        map_unary<T, T>(r.get(), g.get(), [&](T gv) { return op_.backward(T(0), gv); });
      } else {
        map_binary<T, T, T>(r.get(), s.get(), g.get(), [&](T sv, T gv) { return op_.backward(sv, gv); });
      }
    });
    out.push_back(std::move(r));
    return out;
  }

  Op op_;
  SavedTensor saved_;
};

template <typename Op>
void check_dtype(const TensorObject* x) {
  FNGRAD_CHECK_TYPE(x->dtype != DType::Bool, "[", Op::name, "] Expected a numeric tensor, got bool.");
  if constexpr (Op::float_only) {
    FNGRAD_CHECK_TYPE(is_floating(x->dtype), "[", Op::name, "] Expected a floating point tensor, got ",
                      dtype_name(x->dtype), ".");
  }
}

template <typename Op>
void compute(const TensorObject* out, const TensorObject* x, const Op& op) {
  dispatch(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      map_unary<T, T>(out, x, [&](T v) { return op.forward(v); });
    }
  });
}

template <typename Op>
TensorRef unary_forward(TensorObject* x, const Op& op) {
  check_dtype<Op>(x);
  TensorRef out = empty(x->sizes, x->dtype);
  compute(out.get(), x, op);
  if (GradMode::is_enabled() && autograd::requires_grad(x)) {
    auto* node = new UnaryBackward<Op>(op);
    NodeRef keep(node);
    node->next_edges().push_back(autograd::gradient_edge(x));
    autograd::set_history(out.get(), node);
    if constexpr (Op::saves == Saves::Input) node->saved_ = SavedTensor(x, false);
    if constexpr (Op::saves == Saves::Output) node->saved_ = SavedTensor(out.get(), true);
    autograd::record_creation_site(node);
  }
  return out;
}

template <typename Op>
void unary_inplace(TensorObject* self, const Op& op) {
  check_dtype<Op>(self);
  check_inplace(self, Op::name);
  bool record = GradMode::is_enabled() && autograd::requires_grad(self);
  // The backward needs the values before they are overwritten.
  TensorRef before;
  if constexpr (Op::saves == Saves::Input) {
    if (record) before = contiguous_copy(self);
  }
  compute(self, self, op);
  bump_version(self);
  if (record) {
    auto* node = new UnaryBackward<Op>(op);
    NodeRef keep(node);
    node->next_edges().push_back(autograd::gradient_edge(self));
    autograd::rebase_history(self, node);
    if constexpr (Op::saves == Saves::Input) node->saved_ = SavedTensor(before.get(), false);
    if constexpr (Op::saves == Saves::Output) node->saved_ = SavedTensor(self, true);
    autograd::record_creation_site(node);
  }
}

}  // namespace

#define FNGRAD_DEFINE_UNARY(Op) \
  TensorRef apply_##Op(TensorObject* x) { return unary_forward(x, Op{}); }
FNGRAD_UNARY_OPS(FNGRAD_DEFINE_UNARY)
#undef FNGRAD_DEFINE_UNARY

TensorRef relu(TensorObject* x) { return apply_Relu(x); }
TensorRef neg(TensorObject* x) { return apply_Neg(x); }
void relu_(TensorObject* self) { unary_inplace(self, Relu{}); }

TensorRef clamp(TensorObject* x, const Scalar* min, const Scalar* max) {
  FNGRAD_CHECK_VALUE(min != nullptr || max != nullptr,
                     "[clamp] At least one of 'min' or 'max' must not be None.");
  Clamp op;
  if (min != nullptr) {
    op.has_lo = true;
    op.lo = *min;
  }
  if (max != nullptr) {
    op.has_hi = true;
    op.hi = *max;
  }
  return unary_forward(x, op);
}

}  // namespace ops
}  // namespace fngrad
