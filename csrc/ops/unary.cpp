// The generic forward and backward of every op in unary_ops.h: one kernel loop and one
// backward node template, instantiated per op. No op-specific code lives here, except the
// argument checks of the ops with parameters at the bottom.
#include <cstring>

#include "autograd/grad_utils.h"
#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/loops.h"
#include "ops/binary_ops.h"
#include "ops/elementwise.h"
#include "ops/unary_ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;
using autograd::SavedTensor;

namespace {

template <typename Op> constexpr bool saves_input() { return Op::saves == Saves::Input || Op::saves == Saves::Both; }
template <typename Op> constexpr bool saves_output() { return Op::saves == Saves::Output || Op::saves == Saves::Both; }

// The parameters a node keeps in its copy of the op, under PyTorch's names for the same node
// (Note [Saved values]); parameterless ops have none.
using autograd::SavedValueVisitor;
template <typename Op> void visit_params(const Op&, SavedValueVisitor&) {}
void visit_params(const LeakyRelu& op, SavedValueVisitor& v) { v.real("_saved_negative_slope", op.slope); }
void visit_params(const Elu& op, SavedValueVisitor& v) {
  v.real("_saved_alpha", op.alpha);
  v.integer("_saved_input_scale", 1);  // F.elu's; fngrad has no selu/celu scales
  v.integer("_saved_scale", 1);
}
void visit_params(const Gelu& op, SavedValueVisitor& v) {
  v.text("_saved_approximate", op.tanh_approx ? "tanh" : "none");
}
void visit_params(const Softplus& op, SavedValueVisitor& v) {
  v.real("_saved_beta", op.beta);
  v.real("_saved_threshold", op.threshold);
}
void visit_params(const PowScalar& op, SavedValueVisitor& v) {
  // PyTorch keeps the Python number as given; an integral exponent is shown as an int (x ** 3).
  if (op.exponent == std::trunc(op.exponent) && std::fabs(op.exponent) < 9e15)
    v.integer("_saved_exponent", static_cast<int64_t>(op.exponent));
  else
    v.real("_saved_exponent", op.exponent);
}
// square is PyTorch's pow(x, 2).
void visit_params(const Square&, SavedValueVisitor& v) { v.integer("_saved_exponent", 2); }
void visit_params(const Polygamma& op, SavedValueVisitor& v) { v.integer("_saved_n", op.n); }
void visit_params(const Clamp& op, SavedValueVisitor& v) {
  v.scalar("_saved_min", op.has_lo ? &op.lo : nullptr);
  v.scalar("_saved_max", op.has_hi ? &op.hi : nullptr);
}

template <typename Op> class UnaryBackward : public Node {
 public:
  explicit UnaryBackward(const Op& op) : op_(op) {}
  std::string name() const override { return Op::backward_name; }
  void release_saved() override {
    x_.release();
    y_.release();
  }
  void visit_saved(SavedValueVisitor& v) const override {
    if constexpr (saves_input<Op>()) v.saved("_saved_self", x_);
    if constexpr (saves_output<Op>()) v.saved("_saved_result", y_);
    visit_params(op_, v);
  }

  GradList apply(GradList&& grads) override {
    TensorRef g = as_kernel_dtype(std::move(grads[0]));
    TensorRef x, y;
    if constexpr (saves_input<Op>()) x = as_kernel_dtype(x_.unpack(this));
    if constexpr (saves_output<Op>()) y = as_kernel_dtype(y_.unpack(this));
    GradList out;
    if (GradMode::is_enabled()) {  // create_graph: build the backward from differentiable ops
      out.push_back(op_.backward_graph(x.get(), y.get(), g.get()));
      return out;
    }
    // The incoming gradient is usually a temporary nobody else holds: write into it.
    TensorRef r = autograd::can_reuse(g) ? g : empty(g->sizes, g->dtype);
    dispatch_floating(g->dtype,
                      [&](auto tag) { compute<typename decltype(tag)::type>(r.get(), x.get(), y.get(), g.get()); });
    out.push_back(std::move(r));
    return out;
  }

  Op op_;
  [[no_unique_address]] SavedSlot<saves_input<Op>()> x_;
  [[no_unique_address]] SavedSlot<saves_output<Op>()> y_;

 private:
  template <typename T> void compute(TensorObject* r, TensorObject* x, TensorObject* y, TensorObject* g) {
    const bool contig = g->contiguous && (!x || (x->contiguous && x->numel == g->numel)) &&
                        (!y || (y->contiguous && y->numel == g->numel));
    if constexpr (Op::has_contig) {
      if (contig) {
        T* o = data_ptr<T>(r);
        const T* xp = x ? data_ptr<T>(x) : nullptr;
        const T* yp = y ? data_ptr<T>(y) : nullptr;
        const T* gp = data_ptr<T>(g);
        run_flat(
            g->numel,
            [&](int64_t b, int64_t e) {
              op_.backward_contig(xp ? xp + b : nullptr, yp ? yp + b : nullptr, gp + b, o + b, e - b);
            },
            kExpensiveGrain);
        return;
      }
    }
    if constexpr (Op::saves == Saves::Nothing) {
      map_unary<T, T>(r, g, [&](T gv) { return op_.backward(T(0), T(0), gv); });
    } else if constexpr (Op::saves == Saves::Input) {
      map_binary<T, T, T>(r, x, g, [&](T xv, T gv) { return op_.backward(xv, T(0), gv); });
    } else if constexpr (Op::saves == Saves::Output) {
      map_binary<T, T, T>(r, y, g, [&](T yv, T gv) { return op_.backward(T(0), yv, gv); });
    } else {
      ternary_kernel(loop_for(r, x, y, g), data_ptr<T>(r), data_ptr<T>(x), data_ptr<T>(y), data_ptr<T>(g),
                     [&](T xv, T yv, T gv) { return op_.backward(xv, yv, gv); });
    }
  }
};

template <typename Op> void check_dtype(const TensorObject* x) {
  if constexpr (std::is_same_v<Op, Frac>) {
    if (!is_floating(x->dtype)) {
      fail(ErrorKind::NotImplemented, "[frac] \"frac_cpu\" not implemented for '", scalar_type_name(x->dtype), "'");
    }
  }
  if constexpr (!Op::float_only) {
    if (x->dtype == DType::Bool) {
      if constexpr (std::is_same_v<Op, Neg>) {
        fail(ErrorKind::Runtime,
             "[neg] Negation, the `-` operator, on a bool tensor is not supported. If you are "
             "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
      }
      if constexpr (std::is_same_v<Op, Relu>) fail(ErrorKind::Runtime, "[relu] Boolean inputs not supported for relu");
      if constexpr (std::is_same_v<Op, Abs>) {
        fail(ErrorKind::NotImplemented, "[abs] \"abs_cpu\" not implemented for 'Bool'");
      }
      // sign of a bool is itself; square promotes to int64 (PyTorch's pow(x, 2)): unary_forward.
      if constexpr (std::is_same_v<Op, Sign> || std::is_same_v<Op, Square>) return;
      fail(ErrorKind::Type, "[", Op::name, "] Expected a numeric tensor, got bool.");
    }
  }
}

// The input an op computes on: integer and bool tensors become the default float dtype for float-only ops.
template <typename Op> TensorRef compute_input(TensorObject* x) {
  if constexpr (Op::float_only) {
    if (!is_floating(x->dtype)) return to_dtype(x, default_float_dtype());
  }
  return TensorRef::borrow(x);
}

template <typename Op> void compute(const TensorObject* out, const TensorObject* x, const Op& op) {
  dispatch(x->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      if constexpr (Op::has_contig && std::is_floating_point_v<T>) {
        if (x->contiguous && out->contiguous) {
          const T* xp = data_ptr<T>(x);
          T* yp = data_ptr<T>(out);
          run_flat(x->numel, [&](int64_t b, int64_t e) { op.forward_contig(xp + b, yp + b, e - b); }, kExpensiveGrain);
          return;
        }
      }
      map_unary<T, T>(out, x, [&](T v) { return op.forward(v); });
    }
  });
}

template <typename Op>
void record(TensorObject* input, TensorObject* out, const Op& op, bool inplace, TensorObject* before) {
  auto* node = autograd::record_node<UnaryBackward<Op>>(
      out, {input}, inplace ? autograd::History::InPlace : autograd::History::Output, op);
  if constexpr (saves_input<Op>()) node->x_ = SavedTensor(before, false);
  if constexpr (saves_output<Op>()) node->y_ = SavedTensor(out, true);
}

template <typename Op> TensorRef unary_forward(TensorObject* x_in, const Op& op) {
  check_dtype<Op>(x_in);
  if constexpr (std::is_same_v<Op, Sign>) {
    if (x_in->dtype == DType::Bool) return clone(x_in);
  }
  if constexpr (std::is_same_v<Op, Square>) {
    if (x_in->dtype == DType::Bool) return unary_forward(fngrad::to_dtype(x_in, DType::Int64).get(), op);
  }
  TensorRef input = compute_input<Op>(x_in);
  const DType dtype = input->dtype;
  TensorRef x =
      is_storage_only(dtype) ? fngrad::to_dtype(input.get(), kernel_dtype(dtype)) : input;  // Note [Storage dtypes]
  TensorRef out = empty(x->sizes, x->dtype, Op::name);
  compute(out.get(), x.get(), op);
  if (out->dtype != dtype) out = fngrad::to_dtype(out.get(), dtype);
  if (autograd::needs_recording({x_in})) record(x_in, out.get(), op, false, input.get());
  return out;
}

template <typename Op> void unary_inplace(TensorObject* self, const Op& op) {
  check_dtype<Op>(self);
  if constexpr (std::is_same_v<Op, Sign>) {
    if (self->dtype == DType::Bool) return;
  }
  if constexpr (std::is_same_v<Op, Square>) {
    FNGRAD_CHECK_RUNTIME(self->dtype != DType::Bool,
                         "[square_] result type Long can't be cast to the desired output type Bool");
  }
  if constexpr (Op::float_only) {
    FNGRAD_CHECK_RUNTIME(is_floating(self->dtype), "[", Op::name,
                         "_] result type float32 can't be cast to the desired "
                         "output type ",
                         dtype_name(self->dtype), ".");
  }
  check_inplace(self, Op::name);
  if (!self->contiguous && has_internal_overlap(self)) fail_internal_overlap((std::string(Op::name) + "_").c_str());
  if (is_storage_only(self->dtype)) {
    inplace_via_copy(self, [&](TensorObject* cur) { return unary_forward(cur, op); });
    return;
  }
  bool recording = autograd::needs_recording({self});
  if (recording && view_needs_functionalize(self)) {
    // See Note [In-place on views]; the op reads a copy, which the write below leaves intact.
    TensorRef current = clone(self);
    TensorRef result = unary_forward(current.get(), op);
    write_through_view(self, result.get());
    return;
  }
  // The backward needs the values before they are overwritten.
  TensorRef before;
  if constexpr (saves_input<Op>()) {
    if (recording) before = contiguous_copy(self);
  }
  compute(self, self, op);
  bump_version(self);
  if (recording) record(self, self, op, true, before.get());
}

template <typename Op, typename = void> struct has_own_jvp : std::false_type {};
template <typename Op> struct has_own_jvp<Op, std::void_t<decltype(std::declval<const Op&>().jvp(0.0, 0.0, 0.0))>>
    : std::true_type {};

// The forward-mode formula of an entry: its own jvp(x, y, t), or PyTorch's auto_element_wise
// rule (the fused backward applied to the tangent).
template <typename Op> TensorRef jvp_kernel(const Op& op, TensorObject* x, TensorObject* t) {
  TensorRef y = unary_forward(x, op);
  TensorRef r = empty(y->sizes, y->dtype);
  dispatch_floating(y->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    ternary_kernel(loop_for(r.get(), x, y.get(), t), data_ptr<T>(r.get()), data_ptr<T>(x), data_ptr<T>(y.get()),
                   data_ptr<T>(t), [&op](T xv, T yv, T tv) {
                     if constexpr (has_own_jvp<Op>::value)
                       return op.jvp(xv, yv, tv);
                     else
                       return op.backward(xv, yv, tv);
                   });
  });
  return r;
}

}  // namespace

TensorRef unary_jvp(const char* name, TensorObject* x, TensorObject* t) {
  FNGRAD_CHECK_VALUE(is_floating(x->dtype) && t->dtype == x->dtype && t->sizes == x->sizes,
                     "[unary_jvp] Expected floating tensors of one dtype and shape.");
#define FNGRAD_JVP_CASE(Op) \
  if (std::strcmp(name, Op::name) == 0) return jvp_kernel(Op{}, x, t);
  FNGRAD_UNARY_OPS(FNGRAD_JVP_CASE)
#undef FNGRAD_JVP_CASE
  fail(ErrorKind::Value, "[unary_jvp] No unary op named '", name, "' in the op table.");
}

#define FNGRAD_DEFINE_UNARY(Op)                                            \
  TensorRef apply_##Op(TensorObject* x) { return unary_forward(x, Op{}); } \
  void apply_##Op##_(TensorObject* x) { unary_inplace(x, Op{}); }
FNGRAD_UNARY_OPS(FNGRAD_DEFINE_UNARY)
#undef FNGRAD_DEFINE_UNARY

TensorRef relu(TensorObject* x) { return apply_Relu(x); }
TensorRef neg(TensorObject* x) { return apply_Neg(x); }
void relu_(TensorObject* self) { apply_Relu_(self); }

namespace {
Clamp make_clamp(const Scalar* min, const Scalar* max) {
  FNGRAD_CHECK_RUNTIME(min != nullptr || max != nullptr, "[clamp] At least one of 'min' or 'max' must not be None.");
  Clamp op;
  op.set_bounds(min, max);
  return op;
}
}  // namespace

TensorRef clamp(TensorObject* x, const Scalar* min, const Scalar* max) {
  Clamp op = make_clamp(min, max);
  // A float bound on an integer tensor gives a float result, as in PyTorch.
  bool float_bound = (min && min->kind == Scalar::Float) || (max && max->kind == Scalar::Float);
  if (float_bound && !is_floating(x->dtype)) return unary_forward(to_dtype(x, default_float_dtype()).get(), op);
  return unary_forward(x, op);
}

void clamp_(TensorObject* self, const Scalar* min, const Scalar* max) { unary_inplace(self, make_clamp(min, max)); }

TensorRef leaky_relu(TensorObject* x, double negative_slope) {
  LeakyRelu op;
  op.slope = negative_slope;
  return unary_forward(x, op);
}

TensorRef elu(TensorObject* x, double alpha) {
  Elu op;
  op.alpha = alpha;
  return unary_forward(x, op);
}

TensorRef gelu(TensorObject* x, bool tanh_approximation) {
  Gelu op;
  op.tanh_approx = tanh_approximation;
  return unary_forward(x, op);
}

TensorRef softplus(TensorObject* x, double beta, double threshold) {
  Softplus op;
  op.beta = beta;
  op.threshold = threshold;
  return unary_forward(x, op);
}

TensorRef pow_scalar(TensorObject* x, double exponent) {
  PowScalar op;
  op.exponent = exponent;
  if (!is_floating(x->dtype)) {
    bool integral = exponent == std::floor(exponent);
    FNGRAD_CHECK_RUNTIME(!integral || exponent >= 0, "[pow] Integers to negative integer powers are not allowed.");
    if (!integral) return unary_forward(to_dtype(x, default_float_dtype()).get(), op);
    if (x->dtype == DType::Bool) return unary_forward(to_dtype(x, DType::Int64).get(), op);
  }
  return unary_forward(x, op);
}

TensorRef polygamma(TensorObject* x, int64_t n) {
  FNGRAD_CHECK_RUNTIME(n >= 0, "[polygamma] polygamma(n, x) does not support negative n.");
  Polygamma op;
  op.n = n;
  return unary_forward(x, op);
}

}  // namespace ops
}  // namespace fngrad
