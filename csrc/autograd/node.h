// Nodes of the autograd graph.
//
// A Node is the backward of one forward operation. Forward outputs feed the node: the
// gradient with respect to forward output i arrives at node input i. The node computes the
// gradient with respect to each forward input and sends it along next_edges()[j], an Edge
// (node, input_nr) that names the node that produced forward input j and which of its
// inputs receives the gradient. Leaves that require grad are represented by an AccumulateGrad
// node, which writes .grad.
//
// Each node takes a sequence number when it is created; the engine runs ready nodes latest
// first, as PyTorch does, so a node runs after every node created later that feeds it.
//
// Nodes are reference counted (see Note [GIL and reference counts]). Dropping the last
// reference to a long chain would recurse once per node, so deletion goes through a queue
// (Note [Iterative node deletion]).
#pragma once

#include <string>

#include "core/grad_mode.h"
#include "core/tensor.h"

namespace fngrad {
struct Scalar;
namespace autograd {

class Node;
class SavedTensor;

// Note [Saved values]
// A node reports what it keeps for backward under PyTorch's attribute names for the same node
// (`_saved_self`, `_saved_result`, `_saved_dim`, ...), so that `y.grad_fn._saved_self` and tools
// that read those attributes (torchviz, graph_viz.py) work as on PyTorch's nodes. A value fngrad
// keeps in another form than PyTorch's (flat positions instead of per-dimension indices) gets a
// name of its own (`_saved_positions`) rather than a PyTorch name with a different meaning.
// visit_saved() calls the visitor once per attribute, in a fixed order; it builds nothing, so
// listing the names (dir()) and looking one up cost no tensor unpacking.
class SavedValueVisitor {
 public:
  virtual ~SavedValueVisitor() = default;
  virtual void saved(const char* name, const SavedTensor& t) = 0;                  // freed by release_saved()
  virtual void saved_list(const char* name, const SavedTensor* ts, size_t n) = 0;  // a tuple
  virtual void held(const char* name, TensorObject* t) = 0;                        // kept until the node dies
  virtual void integer(const char* name, int64_t v) = 0;
  virtual void real(const char* name, double v) = 0;
  virtual void boolean(const char* name, bool v) = 0;
  virtual void ints(const char* name, const DimVec& v) = 0;    // a tuple of ints
  virtual void scalar(const char* name, const Scalar* v) = 0;  // a Python number; null is None
  virtual void text(const char* name, const char* v) = 0;
};

// An owned reference to a Node.
class NodeRef {
 public:
  NodeRef() = default;
  NodeRef(std::nullptr_t) {}
  explicit NodeRef(Node* p);  // takes a new reference
  static NodeRef steal(Node* p) {
    NodeRef r;
    r.p_ = p;
    return r;
  }
  NodeRef(const NodeRef& o);
  NodeRef(NodeRef&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  NodeRef& operator=(const NodeRef& o) {
    NodeRef tmp(o);
    std::swap(p_, tmp.p_);
    return *this;
  }
  NodeRef& operator=(NodeRef&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~NodeRef();
  Node* get() const { return p_; }
  Node* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  Node* release() {
    Node* p = p_;
    p_ = nullptr;
    return p;
  }
  void reset() { NodeRef tmp(std::move(*this)); }

 private:
  Node* p_ = nullptr;
};

struct Edge {
  Edge() = default;
  Edge(NodeRef fn, uint32_t nr) : function(std::move(fn)), input_nr(nr) {}
  bool is_valid() const { return static_cast<bool>(function); }
  NodeRef function;
  uint32_t input_nr = 0;
};

// What a gradient arriving at a node input must look like: the dtype and shape of the forward
// output it belongs to.
struct InputMeta {
  DType dtype = DType::Float32;
  DimVec shape;
};

using GradList = SmallVec<TensorRef, 2>;
using EdgeList = SmallVec<Edge, 2>;

class Node {
 public:
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Gradients with respect to the forward outputs in (undefined where none arrived),
  // gradients with respect to the forward inputs out, one per next edge.
  virtual GradList apply(GradList&& grads) = 0;
  virtual std::string name() const = 0;
  // Frees what the node saved for backward; called after it runs unless retain_graph.
  virtual void release_saved() {}
  // Whether apply() must run when every incoming gradient is undefined (Python Functions
  // materialise zeros; native nodes then produce undefined gradients and are skipped).
  virtual bool runs_on_undefined() const { return false; }
  // The Python object that stands for this node (grad_fn); a new reference.
  virtual PyObject* python_object();
  // The leaf tensor of an AccumulateGrad node, else null.
  virtual TensorObject* leaf_variable() const { return nullptr; }
  // Reports what the node keeps for backward (Note [Saved values]); nothing by default.
  virtual void visit_saved(SavedValueVisitor&) const {}
  // Visits the Python objects this node owns (its hooks, a Python Function's ctx), for the
  // garbage collector (Note [Cycles through a node]).
  int traverse_python_refs(visitproc visit, void* arg);

  uint64_t sequence_nr() const { return sequence_nr_; }
  EdgeList& next_edges() { return next_edges_; }
  const EdgeList& next_edges() const { return next_edges_; }
  size_t num_outputs() const { return next_edges_.size(); }
  SmallVec<InputMeta, 1>& input_meta() { return input_meta_; }
  size_t num_inputs() const { return input_meta_.size(); }
  // Records t as forward output number num_inputs(); returns that number.
  uint32_t add_input_meta(const TensorObject* t);

  // Python state most nodes never have, allocated on first use (graph memory per node matters:
  // a deep graph has millions of nodes).
  struct Extras {
    PyObject* metadata = nullptr;   // the metadata dict
    PyObject* pre_hooks = nullptr;  // dicts of hooks, keyed by handle id
    PyObject* post_hooks = nullptr;
    PyObject* tensor_pre_hooks = nullptr;  // values (input_nr, hook)
    PyObject* retains_grad = nullptr;      // input_nr -> weakref to the tensor
    PyObject* anomaly_trace = nullptr;     // forward traceback under anomaly mode
  };
  Extras& extras();
  // Null when the node has none of them.
  const Extras* extras_or_null() const { return extras_; }

  int32_t refcount_ = 0;
  // Where the forward op that created this node was called from (user code): a code object
  // (owned) and an instruction offset (see creation_site()).
  int32_t creation_line_ = 0;
  PyObject* creation_code_ = nullptr;
  // Python wrapper of a native node, not owned: the wrapper owns the node and clears this when
  // it dies (Note [Node Python object]).
  PyObject* pyobj_ = nullptr;

 protected:
  virtual int traverse_owned(visitproc, void*) { return 0; }
  void set_sequence_nr(uint64_t nr) { sequence_nr_ = nr; }
  EdgeList next_edges_;
  SmallVec<InputMeta, 1> input_meta_;

 private:
  uint64_t sequence_nr_;
  Extras* extras_ = nullptr;
};

inline NodeRef::NodeRef(Node* p) : p_(p) {
  if (p_) p_->refcount_++;
}
inline NodeRef::NodeRef(const NodeRef& o) : p_(o.p_) {
  if (p_) p_->refcount_++;
}
void delete_node(Node* n);
inline void node_decref(Node* n) {
  if (--n->refcount_ == 0) delete_node(n);
}
inline NodeRef::~NodeRef() {
  if (p_) node_decref(p_);
}

template <typename T, typename... Args> NodeRef make_node(Args&&... args) {
  return NodeRef(new T(std::forward<Args>(args)...));
}

// ---- helpers every op uses ----

// Whether t takes part in reverse mode: Tensor.requires_grad.
inline bool requires_grad_reverse(const TensorObject* t) { return t->requires_grad || t->grad_fn != nullptr; }
bool fw_has_tangent(const TensorObject* t);
struct ForwardADLevel;
// Whether an op with input t records its node: t requires grad, or (while a dual level is active)
// t has a tangent (Note [Forward AD]). Ops call this one; the rest of the library asks
// requires_grad_reverse().
inline bool requires_grad(const TensorObject* t);

// The edge a gradient for t must flow along: t's grad_fn, t's AccumulateGrad if t is a leaf
// that requires grad, or an invalid edge.
Edge gradient_edge(TensorObject* t);
// t's AccumulateGrad node, created on first use (t is a leaf that requires grad).
NodeRef grad_accumulator(TensorObject* t);
// Makes fn the grad_fn of out (which becomes forward output number fn->num_inputs()).
void set_history(TensorObject* out, Node* fn);
// Replaces the history of t, modified in place by the op whose backward is fn.
void rebase_history(TensorObject* t, Node* fn);
// Makes backward fill t.grad (t is a non-leaf): Tensor.retain_grad().
void register_retains_grad(TensorObject* t);

// Records the user frame that created the node (Note [Creation site]).
void record_creation_site(Node* fn);

// Note [Recording a node]
// Every op records its backward node through record_node(): it makes the node, points one next
// edge at each tensor input (in the order of the node's gradients), makes the node the history
// of the output (replacing it, for an op in place) and records the user line that created it.
// The op then fills the node's fields. That order is the rule a hand-written sequence could
// break: a SavedTensor of the output must be made after the history is set, because it copies
// the output's output_nr and requires_grad. Ops call it behind needs_recording().
//
// RegeneratedView is the history a view gets when its base was changed in place (Note [In-place
// on views]): it is made lazily, when the view is next used, so the user line running then is
// not where the node's op was written, and no creation site is recorded.
enum class History { Output, InPlace, RegeneratedView };

// Whether an op with these tensor inputs records a node: grad mode is on and one requires grad.
bool needs_recording_fw(const TensorObject* const* inputs, size_t n);
struct ForwardADLevel {
  static inline int active_level = -1;  // Note [Forward AD] (forward_ad.h); -1: no dual level
};
void record_node_fw(Node* node, TensorObject* const* outs, size_t nout, TensorObject* const* inputs, size_t n,
                    History history);

inline bool requires_grad(const TensorObject* t) {
  return t->requires_grad || t->grad_fn != nullptr || (ForwardADLevel::active_level >= 0 && fw_has_tangent(t));
}

// Every op decides whether to record through this (never by grad mode itself): while a dual
// level is active, tangents flow under no_grad too (Note [Forward AD]). Null inputs are skipped
// (an operand that is a number).
inline bool needs_recording(const TensorObject* const* inputs, size_t n) {
  if (ForwardADLevel::active_level >= 0) [[unlikely]]
    return needs_recording_fw(inputs, n);
  if (!GradMode::is_enabled()) return false;
  for (size_t i = 0; i < n; i++)
    if (inputs[i] != nullptr && (inputs[i]->requires_grad || inputs[i]->grad_fn != nullptr)) return true;
  return false;
}
inline bool needs_recording(std::initializer_list<const TensorObject*> inputs) {
  return needs_recording(inputs.begin(), inputs.size());
}

template <typename N, typename Inputs, typename... Args>
N* record_node_from(TensorObject* out, const Inputs& inputs, History history, Args&&... args) {
  N* node = new N(std::forward<Args>(args)...);
  NodeRef keep(node);
  if (ForwardADLevel::active_level >= 0) [[unlikely]] {
    SmallVec<TensorObject*, 4> ins;
    for (TensorObject* t : inputs) ins.push_back(t);
    record_node_fw(node, &out, 1, ins.data(), ins.size(), history);
    return node;
  }
  for (TensorObject* t : inputs) node->next_edges().push_back(gradient_edge(t));
  if (history == History::Output) {
    set_history(out, node);
  } else {
    rebase_history(out, node);
  }
  if (history != History::RegeneratedView) record_creation_site(node);
  return node;  // out's grad_fn holds it
}

template <typename N, typename... Args>
N* record_node(TensorObject* out, std::initializer_list<TensorObject*> inputs, History history, Args&&... args) {
  return record_node_from<N>(out, inputs, history, std::forward<Args>(args)...);
}
// One node for every output of a multi-output op (unbind, split): output i becomes node input i,
// so the node's backward receives one gradient per output (undefined where none arrived).
template <typename N, typename Outs> N* record_multi_output_node(const Outs& outs, TensorObject* input) {
  N* node = new N();
  NodeRef keep(node);
  SmallVec<TensorObject*, 4> os;
  for (const TensorRef& o : outs) os.push_back(o.get());
  if (ForwardADLevel::active_level >= 0) [[unlikely]] {
    record_node_fw(node, os.data(), os.size(), &input, 1, History::Output);
    return node;
  }
  node->next_edges().push_back(gradient_edge(input));
  for (TensorObject* o : os) set_history(o, node);
  record_creation_site(node);
  return node;  // the outputs' grad_fn holds it
}

// Turns the recording of creation sites on or off (the benchmark measures its cost).
void set_record_creation_sites(bool enabled);
// "MulBackward0 (created at model.py:42)" or just the name when unknown.
std::string describe_node(Node* fn);
// "model.py:42", or "" when unknown.
std::string creation_site(Node* fn);
// The directory of the fngrad package: frames there are skipped when recording creation sites.
void set_library_dir(const std::string& dir);
// The innermost Python frame outside the fngrad package: its code object (borrowed; the frame
// is on the stack) and instruction offset. Null code when there is none.
void find_user_frame(PyObject** code, int* lasti);

}  // namespace autograd
}  // namespace fngrad
