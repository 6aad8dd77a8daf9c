// Views (select, slice, unsqueeze, squeeze, expand) and copies (clone, detach, to_dtype).
//
// A view shares its input's storage and version counter; its `base` is the tensor that owns
// the memory (never itself a view). The backward of select and slice scatters the gradient
// into zeros of the input's shape; that scatter is an op of its own, whose backward is the view
// again, so that both stay differentiable under create_graph.
#include <algorithm>
#include <vector>

#include "core/grad_mode.h"
#include "core/loops.h"
#include "ops/ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::NodeRef;

namespace {

// One basic view step, enough to replay it on another tensor of the same shape.
struct ViewStep {
  enum Kind { Select, Slice, Unsqueeze, Squeeze, Permute, Reshape } kind;
  int64_t dim = 0, start = 0, stop = 0, step = 1;
  DimVec dims;                 // Permute: the permutation; Reshape: the new sizes
  DimVec strides;              // Reshape: the new strides
  const char* name = nullptr;  // overrides the node name (TransposeBackward0, ...)
};

// A view of x's memory with the given geometry, without autograd.
TensorRef view_of(TensorObject* x, int64_t offset, const DimVec& sizes, const DimVec& strides) {
  TensorRef out = make_view(x, offset, sizes, strides);
  TensorObject* base = x->base != nullptr ? x->base : x;
  Py_INCREF(reinterpret_cast<PyObject*>(base));
  out->base = base;
  out->multi_output_view = x->multi_output_view;  // Note [Multi-output views]
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
      // ceil((stop - start) / step), without overflow for any step.
      int64_t len = v.stop > v.start ? (v.stop - v.start - 1) / v.step + 1 : 0;
      if (len > 0) offset += v.start * strides[v.dim];
      sizes[v.dim] = len;
      // With two or more elements, step * stride stays within the input's extent; with fewer the
      // stride is never used to address memory, and multiplying could overflow.
      if (len > 1) strides[v.dim] *= v.step;
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
    case ViewStep::Permute: {
      DimVec ps, pt;
      for (int64_t d : v.dims) {
        ps.push_back(x->sizes[d]);
        pt.push_back(x->strides[d]);
      }
      sizes = ps;
      strides = pt;
      break;
    }
    case ViewStep::Reshape:
      sizes = v.dims;
      strides = v.strides;
      break;
  }
  return view_of(x, offset, sizes, strides);
}

const char* view_backward_name(const ViewStep& v) {
  if (v.name != nullptr) return v.name;
  switch (v.kind) {
    case ViewStep::Select:
      return "SelectBackward0";
    case ViewStep::Slice:
      return "SliceBackward0";
    case ViewStep::Unsqueeze:
      return "UnsqueezeBackward0";
    case ViewStep::Squeeze:
      return "SqueezeBackward1";
    case ViewStep::Permute:
      return "PermuteBackward0";
    case ViewStep::Reshape:
      break;
  }
  return "ViewBackward0";
}

DimVec inverse_permutation(const DimVec& perm) {
  DimVec inv(perm.size());
  for (size_t i = 0; i < perm.size(); i++) inv[perm[i]] = static_cast<int64_t>(i);
  return inv;
}

TensorRef view(TensorObject* x, const ViewStep& v);
TensorRef view_scatter(TensorObject* g, const ViewStep& v, const DimVec& input_shape);

class ViewBackward : public Node {
 public:
  ViewStep step;
  DimVec input_shape;
  std::string name() const override { return view_backward_name(step); }
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    switch (step.kind) {
      case ViewStep::Select:
        v.integer("_saved_dim", step.dim);
        v.integer("_saved_index", step.start);
        break;
      case ViewStep::Slice:
        v.integer("_saved_dim", step.dim);
        v.integer("_saved_start", step.start);
        v.integer("_saved_end", step.stop);
        v.integer("_saved_step", step.step);
        break;
      case ViewStep::Unsqueeze:
        v.integer("_saved_dim", step.dim);
        return;
      case ViewStep::Squeeze:
        v.integer("_saved_dim", step.dim);
        break;
      case ViewStep::Permute:
        if (step.name == nullptr) {
          v.ints("_saved_dims", step.dims);
        } else if (std::string(step.name) == "TransposeBackward0") {
          // The two dims the permutation swaps (or 0, 0 for a transpose of a dim with itself).
          int64_t d[2] = {0, 0};
          for (size_t i = 0, k = 0; i < step.dims.size() && k < 2; i++)
            if (step.dims[i] != static_cast<int64_t>(i)) d[k++] = static_cast<int64_t>(i);
          v.integer("_saved_dim0", d[0]);
          v.integer("_saved_dim1", d[1]);
        }
        return;
      case ViewStep::Reshape:
        break;
    }
    v.ints("_saved_self_sym_sizes", input_shape);
  }
  GradList apply(GradList&& grads) override {
    GradList out;
    TensorObject* g = grads[0].get();
    switch (step.kind) {
      case ViewStep::Unsqueeze:
        out.push_back(squeeze_dim(g, step.dim));
        break;
      case ViewStep::Squeeze:
        out.push_back(unsqueeze(g, step.dim));
        break;
      case ViewStep::Permute:
        out.push_back(permute(g, inverse_permutation(step.dims)));
        break;
      case ViewStep::Reshape:
        out.push_back(reshape(g, input_shape));
        break;
      default:
        out.push_back(view_scatter(g, step, input_shape));
        break;
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
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.integer("_saved_dim", step.dim);
    if (step.kind == ViewStep::Select) {
      v.integer("_saved_index", step.start);
      return;
    }
    v.integer("_saved_start", step.start);
    v.integer("_saved_end", step.stop);
    v.integer("_saved_step", step.step);
  }
  GradList apply(GradList&& grads) override {
    GradList out;
    out.push_back(view(grads[0].get(), step));
    return out;
  }
};

TensorRef view(TensorObject* x, const ViewStep& v) {
  refresh_view_history(x);
  TensorRef out = apply_view(x, v);
  if (autograd::needs_recording({x})) {
    auto* node = autograd::record_node<ViewBackward>(out.get(), {x}, autograd::History::Output);
    node->step = v;
    node->input_shape = x->sizes;
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
  if (autograd::needs_recording({g})) {
    auto* node = autograd::record_node<ViewScatterBackward>(out.get(), {g}, autograd::History::Output);
    node->step = v;
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
  void visit_saved(autograd::SavedValueVisitor& v) const override { v.ints("_saved_self_sym_sizes", input_shape); }
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

// Note [Multi-output views]
// unbind, split and chunk record ONE node for all their outputs, as PyTorch does
// (UnbindBackward0, SplitBackward0, SplitWithSizesBackward0): output i is the node's input i, so
// its backward receives one gradient per output, undefined where an output got none, and stacks or
// concatenates them (zeros in the gaps). Each output is a view of the input. One node cannot
// rebuild the history of one output changed in place, so, as in PyTorch (CreationMeta::
// MULTI_OUTPUT_NODE), such outputs and views of them are refused in place when they require grad
// (check_inplace), and so is using one after its base or a sibling changed in place
// (refresh_view_history).
class SplitBackward : public Node {
 public:
  enum Kind { Unbind, Split, SplitWithSizes } kind = Split;
  int64_t dim = 0;
  int64_t split_size = 0;  // Split
  DimVec split_sizes;      // SplitWithSizes
  DimVec input_shape;
  std::string name() const override {
    return kind == Unbind ? "UnbindBackward0" : kind == Split ? "SplitBackward0" : "SplitWithSizesBackward0";
  }
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.integer("_saved_dim", dim);
    if (kind == Unbind) return;
    v.ints("_saved_self_sym_sizes", input_shape);
    if (kind == Split) {
      v.integer("_saved_split_size", split_size);
    } else {
      v.ints("_saved_split_sizes", split_sizes);
    }
  }
  GradList apply(GradList&& grads) override {
    SmallVec<TensorRef, 4> filled;
    SmallVec<TensorObject*, 4> parts;
    for (size_t i = 0; i < grads.size(); i++) {
      filled.push_back(grads[i] ? std::move(grads[i]) : zeros(input_meta_[i].shape, input_meta_[i].dtype));
      parts.push_back(filled.back().get());
    }
    GradList out;
    out.push_back(cat(parts, dim, kind == Unbind));
    return out;
  }
};

// The parts of x along dim (of the given sizes; unbind: every index) as views of x, recorded as one
// node (Note [Multi-output views]).
SmallVec<TensorRef, 4> split_views(TensorObject* x, int64_t dim, const DimVec& sizes, SplitBackward::Kind kind,
                                   int64_t split_size) {
  refresh_view_history(x);
  SmallVec<TensorRef, 4> outs;
  const bool grad_on = GradMode::is_enabled();
  if (kind == SplitBackward::Unbind) {
    for (int64_t i = 0; i < x->sizes[dim]; i++) outs.push_back(apply_view(x, ViewStep{ViewStep::Select, dim, i, 0, 1}));
  } else {
    int64_t start = 0;
    for (int64_t s : sizes) {
      outs.push_back(apply_view(x, ViewStep{ViewStep::Slice, dim, start, start + s, 1}));
      start += s;
    }
  }
  // Under no_grad they are plain views (PyTorch's CreationMeta::NO_GRAD_MODE check applies).
  for (TensorRef& o : outs) o->multi_output_view = grad_on || x->multi_output_view;
  if (!outs.empty() && autograd::needs_recording({x})) {
    auto* node = autograd::record_multi_output_node<SplitBackward>(outs, x);
    node->kind = kind;
    node->dim = dim;
    node->split_size = split_size;
    if (kind == SplitBackward::SplitWithSizes) node->split_sizes = sizes;
    node->input_shape = x->sizes;
  }
  return outs;
}

void record_identity(TensorObject* x, TensorObject* out, const char* name) {
  if (autograd::needs_recording({x})) {
    autograd::record_node<CloneBackward>(out, {x}, autograd::History::Output, name);
  }
}

}  // namespace

std::string forward_op_name(const autograd::Node* fn) {
  std::string n = fn->name();
  size_t end = n.size();
  while (end > 0 && n[end - 1] >= '0' && n[end - 1] <= '9') end--;
  const std::string suffix = "Backward";
  if (end >= suffix.size() && n.compare(end - suffix.size(), suffix.size(), suffix) == 0)
    return n.substr(0, end - suffix.size());
  return n;
}

TensorRef select(TensorObject* x, int64_t dim, int64_t index) {
  FNGRAD_CHECK_INDEX(ndim(x) > 0,
                     "[select] invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
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
  // PyTorch computes the length as (stop - start + step - 1) / step in int64 and refuses the
  // slice when that overflows (a huge step): so does fngrad, rather than make a tensor whose
  // size is negative.
  int64_t sum = 0;
  if (stop > start && __builtin_add_overflow(stop - start, step - 1, &sum)) {
    fail(ErrorKind::Runtime, "[slice] Storage size calculation overflowed: the length of the slice ", start, ":", stop,
         ":", step, " of a dimension of size ", size, " does not fit in int64.");
  }
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
    FNGRAD_CHECK_RUNTIME(i >= lead || sizes[i] >= 0, "[expand] The expanded size of the tensor (", sizes[i],
                         ") isn't allowed in a leading, non-existing dimension ", i, ".");
    if (i >= lead && sizes[i] == -1) sizes[i] = x->sizes[i - lead];
    FNGRAD_CHECK_RUNTIME(sizes[i] >= 0, "[expand] The expanded size of the tensor (", sizes[i], ") at dimension ", i,
                         " must be non-negative (or -1 to keep the existing size).  Target sizes: ", shape_str(shape),
                         ".  Tensor sizes: ", shape_str(x->sizes), ".");
    if (i >= lead) {
      int64_t s = x->sizes[i - lead];
      FNGRAD_CHECK_RUNTIME(s == sizes[i] || s == 1, "[expand] The expanded size of the tensor (", sizes[i],
                           ") must match the existing size (", s, ") at non-singleton dimension ", i,
                           ".  Target sizes: ", shape_str(shape), ".  Tensor sizes: ", shape_str(x->sizes), ".");
    }
  }
  checked_numel(sizes, "expand");
  TensorRef out = view_of(x, x->offset, sizes, broadcast_strides(x, sizes));
  if (autograd::needs_recording({x})) {
    auto* node = autograd::record_node<ExpandBackward>(out.get(), {x}, autograd::History::Output);
    node->input_shape = x->sizes;
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

namespace {

// Strides for viewing x (sizes, strides) as `shape` without copying, when the elements keep
// their row-major order; false when some dimension would span non-contiguous memory.
bool view_strides(const TensorObject* x, const DimVec& shape, DimVec* out) {
  out->clear();
  if (x->numel == 0 || x->contiguous) {
    *out = contiguous_strides(shape);
    return true;
  }
  // Walk the input's dims in chunks that are contiguous with each other, and fill the new dims
  // that exactly cover each chunk.
  const int64_t nd_old = ndim(x);
  const int64_t nd_new = static_cast<int64_t>(shape.size());
  DimVec result(static_cast<size_t>(nd_new), 0);
  int64_t view_d = nd_new - 1;
  int64_t chunk_base_stride = x->strides.empty() ? 1 : x->strides[nd_old - 1];
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = nd_old - 1; tensor_d >= 0; tensor_d--) {
    tensor_numel *= x->sizes[tensor_d];
    // A chunk ends where the next (outer) dim is not contiguous with this one.
    if (tensor_d == 0 ||
        (x->sizes[tensor_d - 1] != 1 && x->strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        result[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return false;
      if (tensor_d > 0) {
        chunk_base_stride = x->strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return false;
  *out = result;
  return true;
}

DimVec infer_shape(const DimVec& shape, int64_t numel, const char* op) {
  DimVec out = shape;
  int64_t known = 1;
  int64_t infer = -1;
  for (size_t i = 0; i < out.size(); i++) {
    if (out[i] == -1) {
      FNGRAD_CHECK_RUNTIME(infer < 0, "[", op, "] only one dimension can be inferred");
      infer = static_cast<int64_t>(i);
    } else {
      FNGRAD_CHECK_RUNTIME(out[i] >= 0, "[", op, "] invalid shape dimension ", out[i]);
      // An overflowing product cannot describe `numel` elements (it could wrap around to it).
      if (__builtin_mul_overflow(known, out[i], &known)) {
        fail(ErrorKind::Runtime, "[", op, "] shape '", shape_str(shape), "' is invalid for input of size ", numel);
      }
    }
  }
  if (infer >= 0) {
    FNGRAD_CHECK_RUNTIME(known != 0 && numel % known == 0, "[", op, "] shape '", shape_str(shape),
                         "' is invalid for input of size ", numel);
    out[infer] = numel / known;
  } else {
    FNGRAD_CHECK_RUNTIME(known == numel, "[", op, "] shape '", shape_str(shape), "' is invalid for input of size ",
                         numel);
  }
  return out;
}

class CatBackward : public Node {
 public:
  int64_t dim = 0;
  bool stack = false;
  SmallVec<int64_t, 4> sizes_along;  // each input's size along dim (1 for stack)
  SmallVec<bool, 4> skipped;         // a 1-D empty input that cat left out of the shape checks
  std::string name() const override { return stack ? "StackBackward0" : "CatBackward0"; }
  void visit_saved(autograd::SavedValueVisitor& v) const override { v.integer("_saved_dim", dim); }
  GradList apply(GradList&& grads) override {
    TensorObject* g = grads[0].get();
    GradList out;
    int64_t start = 0;
    for (size_t i = 0; i < sizes_along.size(); i++) {
      if (!next_edges_[i].is_valid()) {
        out.emplace_back();
      } else if (skipped[i]) {
        out.push_back(empty(DimVec{0}, g->dtype, "cat"));
      } else if (stack) {
        out.push_back(select(g, dim, start));
      } else {
        out.push_back(slice(g, dim, start, start + sizes_along[i], 1));
      }
      start += sizes_along[i];
    }
    return out;
  }
};

}  // namespace

TensorRef reshape(TensorObject* x, const DimVec& shape_in) {
  DimVec shape = infer_shape(shape_in, x->numel, "reshape");
  DimVec strides;
  if (shape == x->sizes) {
    ViewStep v{ViewStep::Reshape};
    v.dims = shape;
    v.strides = x->strides;
    return view(x, v);
  }
  if (view_strides(x, shape, &strides)) {
    ViewStep v{ViewStep::Reshape};
    v.dims = shape;
    v.strides = strides;
    return view(x, v);
  }
  // Not expressible as a view: copy, then view the copy.
  TensorRef c = clone(x);
  ViewStep v{ViewStep::Reshape};
  v.dims = shape;
  v.strides = contiguous_strides(shape);
  v.name = "UnsafeViewBackward0";
  TensorRef out = view(c.get(), v);
  return out;
}

TensorRef view_as_shape(TensorObject* x, const DimVec& shape_in) {
  DimVec shape = infer_shape(shape_in, x->numel, "view");
  DimVec strides;
  FNGRAD_CHECK_RUNTIME(view_strides(x, shape, &strides),
                       "[view] view size is not compatible with input tensor's size and stride (at least one dimension "
                       "spans across two contiguous subspaces). Use .reshape(...) instead.");
  ViewStep v{ViewStep::Reshape};
  v.dims = shape;
  v.strides = strides;
  return view(x, v);
}

TensorRef flatten(TensorObject* x, int64_t start, int64_t end) {
  const int64_t nd = ndim(x);
  if (nd == 0) return reshape(x, DimVec{1});
  start = wrap_dim(start, nd, "flatten");
  end = wrap_dim(end, nd, "flatten");
  FNGRAD_CHECK_RUNTIME(start <= end, "[flatten] start_dim cannot come after end_dim");
  DimVec shape;
  for (int64_t d = 0; d < start; d++) shape.push_back(x->sizes[d]);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; d++) merged *= x->sizes[d];
  for (int64_t d = start; d <= end; d++)
    if (x->sizes[d] == 0) merged = 0;  // the other sizes of an empty tensor may multiply past int64
  shape.push_back(merged);
  for (int64_t d = end + 1; d < nd; d++) shape.push_back(x->sizes[d]);
  return reshape(x, shape);
}

TensorRef permute(TensorObject* x, const DimVec& dims_in) {
  const int64_t nd = ndim(x);
  FNGRAD_CHECK_RUNTIME(static_cast<int64_t>(dims_in.size()) == nd,
                       "[permute] number of dims don't match in permute (got ", dims_in.size(),
                       " dims for a tensor of dimension ", nd, ").");
  DimVec dims;
  SmallVec<bool, 8> seen(static_cast<size_t>(nd), false);
  for (int64_t d : dims_in) {
    int64_t w = wrap_dim(d, nd, "permute");
    FNGRAD_CHECK_RUNTIME(!seen[w], "[permute] repeated dim in permute: ", w, ".");
    seen[w] = true;
    dims.push_back(w);
  }
  ViewStep v{ViewStep::Permute};
  v.dims = dims;
  return view(x, v);
}

TensorRef transpose(TensorObject* x, int64_t d0, int64_t d1) {
  const int64_t nd = ndim(x);
  if (nd == 0) {
    TensorRef out = view_of(x, x->offset, x->sizes, x->strides);
    record_identity(x, out.get(), "TransposeBackward0");
    return out;
  }
  d0 = wrap_dim(d0, nd, "transpose");
  d1 = wrap_dim(d1, nd, "transpose");
  DimVec perm;
  for (int64_t d = 0; d < nd; d++) perm.push_back(d);
  std::swap(perm[d0], perm[d1]);
  ViewStep v{ViewStep::Permute};
  v.dims = perm;
  v.name = "TransposeBackward0";
  return view(x, v);
}

// PyTorch's t is an op of its own, recorded as TBackward0 (transpose's node is TransposeBackward0,
// .T's PermuteBackward0).
TensorRef t(TensorObject* x) {
  const int64_t nd = ndim(x);
  FNGRAD_CHECK_RUNTIME(nd <= 2, "[t] t() expects a tensor with <= 2 dimensions, but self is ", nd, "D");
  if (nd == 0) {
    TensorRef out = view_of(x, x->offset, x->sizes, x->strides);
    record_identity(x, out.get(), "TBackward0");
    return out;
  }
  ViewStep v{ViewStep::Permute};
  for (int64_t d = nd - 1; d >= 0; d--) v.dims.push_back(d);
  v.name = "TBackward0";
  return view(x, v);
}

TensorRef squeeze_all(TensorObject* x) {
  DimVec shape;
  for (int64_t s : x->sizes)
    if (s != 1) shape.push_back(s);
  DimVec strides;
  for (size_t d = 0; d < x->sizes.size(); d++)
    if (x->sizes[d] != 1) strides.push_back(x->strides[d]);
  ViewStep v{ViewStep::Reshape};
  v.dims = shape;
  v.strides = strides;
  v.name = "SqueezeBackward0";
  return view(x, v);
}

TensorRef cat(const SmallVec<TensorObject*, 4>& tensors, int64_t dim_in, bool stack) {
  const char* op = stack ? "stack" : "cat";
  FNGRAD_CHECK_RUNTIME(!stack || !tensors.empty(), "[stack] stack expects a non-empty TensorList");
  FNGRAD_CHECK_VALUE(!tensors.empty(), "[cat] expected a non-empty list of Tensors");
  if (!stack) {
    for (size_t i = 0; i < tensors.size(); i++) {
      FNGRAD_CHECK_RUNTIME(ndim(tensors[i]) > 0, "[cat] zero-dimensional tensor (at position ", i,
                           ") cannot be concatenated");
    }
  }
  // PyTorch leaves 1-D empty tensors out of cat's shape checks (a legacy rule), but they still
  // take part in dtype promotion and in autograd: they get an empty gradient.
  SmallVec<TensorObject*, 4> parts;
  DType dtype = tensors[0]->dtype;
  for (TensorObject* t : tensors) {
    if (stack || !(ndim(t) == 1 && t->numel == 0)) parts.push_back(t);
    dtype = promote_types(dtype, t->dtype);
  }
  auto record = [&](TensorRef& out, int64_t dim) {
    if (!autograd::needs_recording(tensors.data(), tensors.size())) return;
    auto* node = autograd::record_node_from<CatBackward>(out.get(), tensors, autograd::History::Output);
    node->dim = dim;
    node->stack = stack;
    for (TensorObject* t : tensors) {
      const bool skip = !stack && ndim(t) == 1 && t->numel == 0;
      node->skipped.push_back(skip);
      node->sizes_along.push_back(stack ? 1 : skip ? 0 : t->sizes[dim]);
    }
  };
  if (parts.empty()) {
    TensorRef out = empty(DimVec{0}, dtype, op);
    record(out, 0);
    return out;
  }
  const TensorObject* first = parts[0];
  if (stack) {
    for (TensorObject* t : parts)
      FNGRAD_CHECK_RUNTIME(t->sizes == first->sizes, "[stack] stack expects each tensor to be equal size, but got ",
                           shape_str(first->sizes), " at entry 0 and ", shape_str(t->sizes), " at another entry.");
  }
  const int64_t nd = ndim(first) + (stack ? 1 : 0);
  FNGRAD_INTERNAL_ASSERT(nd > 0);
  const int64_t dim = wrap_dim(dim_in, nd, op);
  DimVec shape = first->sizes;
  if (stack) {
    shape.insert_at(dim, static_cast<int64_t>(parts.size()));
  } else {
    int64_t total = 0;
    for (size_t i = 0; i < parts.size(); i++) {
      TensorObject* t = parts[i];
      FNGRAD_CHECK_RUNTIME(ndim(t) == nd, "[cat] Tensors must have same number of dimensions: got ", nd, " and ",
                           ndim(t));
      for (int64_t d = 0; d < nd; d++) {
        FNGRAD_CHECK_RUNTIME(d == dim || t->sizes[d] == first->sizes[d],
                             "[cat] Sizes of tensors must match except in "
                             "dimension ",
                             dim, ". Expected size ", first->sizes[d], " but got size ", t->sizes[d],
                             " for tensor number ", i, " in the list.");
      }
      total += t->sizes[dim];
    }
    shape[dim] = total;
  }
  TensorRef out = empty(shape, dtype, op);
  int64_t start = 0;
  for (TensorObject* t : parts) {
    int64_t len = stack ? 1 : t->sizes[dim];
    TensorRef region;
    {
      GradModeGuard no_grad(false);
      region = stack ? select(out.get(), dim, start) : slice(out.get(), dim, start, start + len, 1);
    }
    copy_into(region.get(), t);
    start += len;
  }
  record(out, dim);
  return out;
}

namespace {
void check_split_sizes(TensorObject* x, const DimVec& sizes, int64_t dim) {
  int64_t total = 0;
  bool overflow = false;
  for (int64_t s : sizes) {
    FNGRAD_CHECK_RUNTIME(s >= 0,
                         "[split] split_with_sizes expects split_sizes have only non-negative entries, but got "
                         "split_sizes=",
                         shape_str(sizes));
    overflow = overflow || __builtin_add_overflow(total, s, &total);
  }
  if (overflow) total = -1;  // cannot equal the size below
  FNGRAD_CHECK_RUNTIME(total == x->sizes[dim], "[split] split_with_sizes expects split_sizes to sum exactly to ",
                       x->sizes[dim], " (input tensor's size at dimension ", dim,
                       "), but got split_sizes=", shape_str(sizes));
}
}  // namespace

SmallVec<TensorRef, 4> split_sizes(TensorObject* x, const DimVec& sizes, int64_t dim_in) {
  const int64_t dim = wrap_dim(dim_in, ndim(x), "split");
  check_split_sizes(x, sizes, dim);
  return split_views(x, dim, sizes, SplitBackward::SplitWithSizes, 0);
}

SmallVec<TensorRef, 4> split(TensorObject* x, int64_t size, int64_t dim_in) {
  const int64_t dim = wrap_dim(dim_in, ndim(x), "split");
  FNGRAD_CHECK_RUNTIME(size > 0 || x->sizes[dim] == 0,
                       "[split] split expects split_size be non-negative, but got "
                       "split_size=",
                       size);
  DimVec sizes;
  for (int64_t start = 0; start < x->sizes[dim]; start += size) sizes.push_back(std::min(size, x->sizes[dim] - start));
  if (sizes.empty()) sizes.push_back(0);
  return split_views(x, dim, sizes, SplitBackward::Split, size);
}

SmallVec<TensorRef, 4> chunk(TensorObject* x, int64_t chunks, int64_t dim_in) {
  FNGRAD_CHECK_RUNTIME(chunks > 0, "[chunk] chunk expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t dim = wrap_dim(dim_in, ndim(x), "chunk");
  const int64_t n = x->sizes[dim];
  int64_t size = n == 0 ? 0 : (n - 1) / chunks + 1;  // ceil(n / chunks) without overflow
  return split(x, std::max<int64_t>(size, 1), dim);
}

SmallVec<TensorRef, 4> unbind(TensorObject* x, int64_t dim_in) {
  FNGRAD_CHECK_INDEX(ndim(x) > 0, "[unbind] Dimension specified as ", dim_in, " but tensor has no dimensions");
  const int64_t dim = wrap_dim(dim_in, ndim(x), "unbind");
  return split_views(x, dim, DimVec{}, SplitBackward::Unbind, 0);
}

TensorRef to_dtype(TensorObject* x, DType dtype) {
  if (x->dtype == dtype) return TensorRef::borrow(x);
  TensorRef out = fngrad::to_dtype(x, dtype);
  if (is_floating(dtype) && autograd::needs_recording({x})) {
    auto* node = autograd::record_node<ToCopyBackward>(out.get(), {x}, autograd::History::Output);
    node->input_dtype = x->dtype;
  }
  return out;
}

// ---- as_strided ----
//
// Note [as_strided]: an as_strided view addresses its input's *storage*: the storage offset is
// absolute (by default the input's own), and the strides count storage elements, whatever view of
// the storage the input is. Its backward is PyTorch's as_strided_backward: the gradient is summed
// into the storage positions the output covers (an output that overlaps itself adds up there), and
// each input element reads the position it covers; where input elements share a position (an
// expanded input), they share its gradient equally. Positions the output covers but the input does
// not get no gradient.

namespace {

// The storage position of each element of a geometry, minus `lo`, as an int64 tensor of its shape.
TensorRef storage_positions(const DimVec& sizes, const DimVec& strides, int64_t offset, int64_t lo) {
  TensorRef pos = empty(sizes, DType::Int64);
  int64_t* p = data_ptr<int64_t>(pos.get());
  const int64_t n = pos->numel, nd = static_cast<int64_t>(sizes.size());
  DimVec idx(sizes.size(), 0);
  int64_t cur = offset - lo;
  for (int64_t i = 0; i < n; i++) {
    p[i] = cur;
    for (int64_t d = nd - 1; d >= 0; d--) {
      if (++idx[d] < sizes[d]) {
        cur += strides[d];
        break;
      }
      cur -= (sizes[d] - 1) * strides[d];
      idx[d] = 0;
    }
  }
  return pos;
}

// The last storage position a geometry with at least one element covers.
int64_t last_position(const DimVec& sizes, const DimVec& strides, int64_t offset) {
  int64_t last = offset;
  for (size_t d = 0; d < sizes.size(); d++) last += (sizes[d] - 1) * strides[d];
  return last;
}

class AsStridedBackward : public Node {
 public:
  DimVec in_sizes, in_strides, sizes, strides;
  int64_t in_offset = 0, offset = 0;
  std::string name() const override { return "AsStridedBackward0"; }
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.ints("_saved_size", sizes);
    v.ints("_saved_stride", strides);
    v.integer("_saved_storage_offset", offset);
  }
  GradList apply(GradList&& grads) override {
    GradList out;
    TensorObject* g = grads[0].get();
    if (product(in_sizes) == 0 || g->numel == 0) {
      out.push_back(zeros(in_sizes, g->dtype));
      return out;
    }
    const int64_t lo = std::min(offset, in_offset);
    const int64_t hi = std::max(last_position(sizes, strides, offset), last_position(in_sizes, in_strides, in_offset));
    TensorRef out_pos = storage_positions(sizes, strides, offset, lo);
    TensorRef in_pos = storage_positions(in_sizes, in_strides, in_offset, lo);
    TensorRef summed = scatter_add(DimVec{hi - lo + 1}, out_pos.get(), g);
    TensorRef grad = take(summed.get(), in_pos.get());
    // How many input elements cover each position: 1 unless the input overlaps itself.
    std::vector<int64_t> count(static_cast<size_t>(hi - lo + 1), 0);
    const int64_t* ip = data_ptr<int64_t>(in_pos.get());
    bool overlap = false;
    for (int64_t i = 0; i < in_pos->numel; i++) overlap |= ++count[static_cast<size_t>(ip[i])] > 1;
    if (overlap) {
      TensorRef share = empty(in_sizes, DType::Float64);
      double* w = data_ptr<double>(share.get());
      for (int64_t i = 0; i < in_pos->numel; i++) w[i] = 1.0 / static_cast<double>(count[static_cast<size_t>(ip[i])]);
      TensorRef share_g = fngrad::to_dtype(share.get(), g->dtype);
      grad = mul(grad, share_g);
    }
    out.push_back(grad);
    return out;
  }
};

}  // namespace

TensorRef as_strided(TensorObject* x, const DimVec& sizes, const DimVec& strides, const int64_t* storage_offset) {
  FNGRAD_CHECK_RUNTIME(sizes.size() == strides.size(), "[as_strided] mismatch in length of strides and shape");
  for (int64_t s : sizes)
    FNGRAD_CHECK_RUNTIME(s >= 0, "[as_strided] Trying to create tensor with negative dimension ", s, ": ",
                         shape_str(sizes));
  for (int64_t st : strides)
    FNGRAD_CHECK_RUNTIME(
        st >= 0,
        "[as_strided] as_strided: Negative strides are not supported at the moment, got strides: ", shape_str(strides));
  const int64_t offset = storage_offset != nullptr ? *storage_offset : x->offset;
  FNGRAD_CHECK_RUNTIME(offset >= 0, "[as_strided] Tensor: invalid storage offset ", offset);
  const int64_t item = static_cast<int64_t>(itemsize(x->dtype));
  const int64_t have = static_cast<int64_t>(x->storage->nbytes) / item;
  const int64_t needed = product(sizes) == 0 ? 0 : last_position(sizes, strides, offset) + 1;
  FNGRAD_CHECK_RUNTIME(needed <= have, "[as_strided] setStorage: sizes ", shape_str(sizes), ", strides ",
                       shape_str(strides), ", storage offset ", offset, ", and itemsize ", item,
                       " requiring a storage size of ", needed * item, " are out of bounds for storage of size ",
                       have * item);
  refresh_view_history(x);
  TensorRef out = view_of(x, offset, sizes, strides);
  if (autograd::needs_recording({x})) {
    auto* node = autograd::record_node<AsStridedBackward>(out.get(), {x}, autograd::History::Output);
    node->in_sizes = x->sizes;
    node->in_strides = x->strides;
    node->in_offset = x->offset;
    node->sizes = sizes;
    node->strides = strides;
    node->offset = offset;
  }
  return out;
}

}  // namespace ops
}  // namespace fngrad
