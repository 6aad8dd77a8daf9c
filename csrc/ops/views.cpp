// Views (select, slice, unsqueeze, squeeze, expand) and copies (clone, detach, to_dtype).
//
// A view shares its input's storage and version counter; its `base` is the tensor that owns
// the memory (never itself a view). The backward of select and slice scatters the gradient
// into zeros of the input's shape; that scatter is an op of its own, whose backward is the view
// again, so that both stay differentiable under create_graph.
#include "core/grad_mode.h"
#include "ops/loops.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;

namespace {

// One basic view step, enough to replay it on another tensor of the same shape.
struct ViewStep {
  enum Kind { Select, Slice, Unsqueeze, Squeeze } kind;
  int64_t dim = 0, start = 0, stop = 0, step = 1;
};

// A view of x's memory with the given geometry, without autograd.
TensorRef view_of(TensorObject* x, int64_t offset, const DimVec& sizes, const DimVec& strides) {
  TensorRef out = make_view(x, offset, sizes, strides);
  TensorObject* base = x->base != nullptr ? x->base : x;
  Py_INCREF(reinterpret_cast<PyObject*>(base));
  out->base = base;
  return out;
}

// The view's geometry, without autograd.
TensorRef apply_view(TensorObject* x, const ViewStep& v) {
  DimVec sizes = x->sizes, strides = x->strides;
  int64_t offset = x->offset;
  switch (v.kind) {
    case ViewStep::Select:
      offset += v.start * strides[v.dim];
      sizes.erase_at(v.dim);
      strides.erase_at(v.dim);
      break;
    case ViewStep::Slice: {
      int64_t len = v.stop > v.start ? (v.stop - v.start + v.step - 1) / v.step : 0;
      if (len > 0) offset += v.start * strides[v.dim];
      sizes[v.dim] = len;
      strides[v.dim] *= v.step;
      break;
    }
    case ViewStep::Unsqueeze: {
      int64_t st = v.dim < static_cast<int64_t>(sizes.size()) ? sizes[v.dim] * strides[v.dim] : 1;
      sizes.insert_at(v.dim, 1);
      strides.insert_at(v.dim, st);
      break;
    }
    case ViewStep::Squeeze:
      sizes.erase_at(v.dim);
      strides.erase_at(v.dim);
      break;
  }
  return view_of(x, offset, sizes, strides);
}

const char* view_backward_name(ViewStep::Kind k) {
  switch (k) {
    case ViewStep::Select: return "SelectBackward0";
    case ViewStep::Slice: return "SliceBackward0";
    case ViewStep::Unsqueeze: return "UnsqueezeBackward0";
    case ViewStep::Squeeze: break;
  }
  return "SqueezeBackward1";
}

TensorRef view(TensorObject* x, const ViewStep& v);
TensorRef view_scatter(TensorObject* g, const ViewStep& v, const DimVec& input_shape);

class ViewBackward : public Node {
 public:
  ViewStep step;
  DimVec input_shape;
  std::string name() const override { return view_backward_name(step.kind); }
  GradList apply(GradList&& grads) override {
    GradList out;
    TensorObject* g = grads[0].get();
    switch (step.kind) {
      case ViewStep::Unsqueeze: out.push_back(squeeze_dim(g, step.dim)); break;
      case ViewStep::Squeeze: out.push_back(unsqueeze(g, step.dim)); break;
      default: out.push_back(view_scatter(g, step, input_shape)); break;
    }
    return out;
  }
};

// Backward of view_scatter: the view of the incoming gradient.
class ViewScatterBackward : public Node {
 public:
  ViewStep step;
  std::string name() const override {
    return step.kind == ViewStep::Select ? "SelectBackwardBackward0" : "SliceBackwardBackward0";
  }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(view(grads[0].get(), step));
    return out;
  }
};

TensorRef view(TensorObject* x, const ViewStep& v) {
  TensorRef out = apply_view(x, v);
  if (GradMode::is_enabled() && autograd::requires_grad(x)) {
    auto* node = new ViewBackward();
    NodeRef keep(node);
    node->step = v;
    node->input_shape = x->sizes;
    node->next_edges().push_back(autograd::gradient_edge(x));
    autograd::set_history(out.get(), node);
    autograd::record_creation_site(node);
  }
  return out;
}

// zeros(input_shape) with g written into the positions the view selects.
TensorRef view_scatter(TensorObject* g, const ViewStep& v, const DimVec& input_shape) {
  TensorRef out = zeros(input_shape, g->dtype);
  {
    TensorRef region = apply_view(out.get(), v);
    copy_into(region.get(), g);
  }
  if (GradMode::is_enabled() && autograd::requires_grad(g)) {
    auto* node = new ViewScatterBackward();
    NodeRef keep(node);
    node->step = v;
    node->next_edges().push_back(autograd::gradient_edge(g));
    autograd::set_history(out.get(), node);
    autograd::record_creation_site(node);
  }
  return out;
}

class CloneBackward : public Node {
 public:
  const char* name_;
  explicit CloneBackward(const char* name) : name_(name) {}
  std::string name() const override { return name_; }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(std::move(grads[0]));
    return out;
  }
};

class ExpandBackward : public Node {
 public:
  DimVec input_shape;
  std::string name() const override { return "ExpandBackward0"; }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(sum_to(grads[0].get(), input_shape));
    return out;
  }
};

class ToCopyBackward : public Node {
 public:
  DType input_dtype;
  std::string name() const override { return "ToCopyBackward0"; }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(ops::to_dtype(grads[0].get(), input_dtype));
    return out;
  }
};

void record_identity(TensorObject* x, TensorObject* out, const char* name) {
  if (GradMode::is_enabled() && autograd::requires_grad(x)) {
    auto* node = new CloneBackward(name);
    NodeRef keep(node);
    node->next_edges().push_back(autograd::gradient_edge(x));
    autograd::set_history(out, node);
    autograd::record_creation_site(node);
  }
}

}  // namespace

TensorRef select(TensorObject* x, int64_t dim, int64_t index) {
  FNGRAD_CHECK_INDEX(ndim(x) > 0, "[select] invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                  "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number.");
  dim = wrap_dim(dim, ndim(x), "select");
  int64_t size = x->sizes[dim];
  FNGRAD_CHECK_INDEX(index >= -size && index < size, "index ", index, " is out of bounds for dimension ", dim,
                     " with size ", size);
  ViewStep v{ViewStep::Select, dim, index < 0 ? index + size : index, 0, 1};
  return view(x, v);
}

TensorRef slice(TensorObject* x, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  dim = wrap_dim(dim, ndim(x), "slice");
  FNGRAD_CHECK_VALUE(step > 0, "step must be greater than zero");
  int64_t size = x->sizes[dim];
  if (start < 0) start += size;
  if (stop < 0) stop += size;
  start = std::min(std::max<int64_t>(start, 0), size);
  stop = std::min(std::max<int64_t>(stop, start), size);
  return view(x, ViewStep{ViewStep::Slice, dim, start, stop, step});
}

TensorRef unsqueeze(TensorObject* x, int64_t dim) {
  dim = wrap_dim(dim, ndim(x) + 1, "unsqueeze");
  return view(x, ViewStep{ViewStep::Unsqueeze, dim, 0, 0, 1});
}

TensorRef squeeze_dim(TensorObject* x, int64_t dim) {
  dim = wrap_dim(dim, ndim(x), "squeeze");
  if (ndim(x) == 0 || x->sizes[dim] != 1) {
    TensorRef out = view_of(x, x->offset, x->sizes, x->strides);
    record_identity(x, out.get(), "SqueezeBackward1");
    return out;
  }
  return view(x, ViewStep{ViewStep::Squeeze, dim, 0, 0, 1});
}

TensorRef expand(TensorObject* x, const DimVec& shape) {
  FNGRAD_CHECK_RUNTIME(shape.size() >= x->sizes.size(), "[expand] the number of sizes provided (", shape.size(),
                       ") must be greater or equal to the number of dimensions in the tensor (", x->sizes.size(), ").");
  DimVec sizes = shape;
  const size_t lead = shape.size() - x->sizes.size();
  for (size_t i = 0; i < shape.size(); i++) {
    if (i >= lead && sizes[i] == -1) sizes[i] = x->sizes[i - lead];
    if (i >= lead) {
      int64_t s = x->sizes[i - lead];
      FNGRAD_CHECK_RUNTIME(s == sizes[i] || s == 1, "[expand] The expanded size of the tensor (", sizes[i],
                           ") must match the existing size (", s, ") at non-singleton dimension ", i,
                           ".  Target sizes: ", shape_str(shape), ".  Tensor sizes: ", shape_str(x->sizes), ".");
    }
  }
  TensorRef out = view_of(x, x->offset, sizes, broadcast_strides(x, sizes));
  if (GradMode::is_enabled() && autograd::requires_grad(x)) {
    auto* node = new ExpandBackward();
    NodeRef keep(node);
    node->input_shape = x->sizes;
    node->next_edges().push_back(autograd::gradient_edge(x));
    autograd::set_history(out.get(), node);
    autograd::record_creation_site(node);
  }
  return out;
}

TensorRef clone(TensorObject* x) {
  TensorRef out = contiguous_copy(x);
  record_identity(x, out.get(), "CloneBackward0");
  return out;
}

TensorRef contiguous(TensorObject* x) {
  if (x->contiguous) return TensorRef::borrow(x);
  return clone(x);
}

TensorRef detach(TensorObject* x) { return alias(x); }

TensorRef to_dtype(TensorObject* x, DType dtype) {
  if (x->dtype == dtype) return TensorRef::borrow(x);
  TensorRef out = fngrad::to_dtype(x, dtype);
  if (GradMode::is_enabled() && autograd::requires_grad(x) && is_floating(dtype)) {
    auto* node = new ToCopyBackward();
    NodeRef keep(node);
    node->input_dtype = x->dtype;
    node->next_edges().push_back(autograd::gradient_edge(x));
    autograd::set_history(out.get(), node);
    autograd::record_creation_site(node);
  }
  return out;
}

}  // namespace ops
}  // namespace fngrad
