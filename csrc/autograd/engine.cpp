// The backward engine. See Note [Engine] in engine.h.
#include "autograd/engine.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "autograd/accumulate_grad.h"
#include "autograd/anomaly.h"
#include "autograd/engine_hooks.h"
#include "autograd/grad_math.h"
#include "autograd/grad_utils.h"
#include "core/grad_mode.h"

namespace fngrad {
namespace autograd {

namespace {

constexpr uint32_t kSignalCheckInterval = 4096;


// Dependency counts, one per node of the graph: open addressing with linear probing. A graph of a
// million nodes needs a million entries; std::unordered_map would allocate each separately.
class DependencyCounts {
 public:
  DependencyCounts() { rehash(64); }
  // The count of n, inserting 0 first; *inserted tells whether n was new.
  int64_t& at(Node* n, bool* inserted = nullptr) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    size_t i = index(n);
    while (slots_[i].key != nullptr && slots_[i].key != n) i = (i + 1) & mask_;
    if (slots_[i].key == nullptr) {
      slots_[i].key = n;
      slots_[i].count = 0;
      size_++;
      if (inserted) *inserted = true;
    } else if (inserted) {
      *inserted = false;
    }
    return slots_[i].count;
  }
  bool contains(Node* n) const {
    size_t i = index(n);
    while (slots_[i].key != nullptr) {
      if (slots_[i].key == n) return true;
      i = (i + 1) & mask_;
    }
    return false;
  }
  size_t count(Node* n) const { return contains(n) ? 1 : 0; }

 private:
  struct Slot {
    Node* key = nullptr;
    int64_t count = 0;
  };
  size_t index(Node* n) const {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(n) >> 4) * 0x9E3779B97F4A7C15ull) & mask_;
  }
  void rehash(size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key == nullptr) continue;
      size_t i = index(s.key);
      while (slots_[i].key != nullptr) i = (i + 1) & mask_;
      slots_[i] = s;
      size_++;
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Hands the root gradients to the roots' nodes.
class GraphRoot : public Node {
 public:
  GraphRoot(EdgeList edges, GradList grads) : grads_(std::move(grads)) { next_edges_ = std::move(edges); }
  GradList apply(GradList&&) override { return std::move(grads_); }
  std::string name() const override { return "GraphRoot"; }

 private:
  GradList grads_;
};

// Gradients waiting for a node, one slot per node input, summed as they arrive.
struct InputBuffer {
  GradList slots;
  InputBuffer() = default;
  explicit InputBuffer(size_t n) : slots(n) {}

  void add(size_t pos, TensorRef&& grad, bool create_graph) {
    if (!grad) return;
    TensorRef& slot = slots[pos];
    if (!slot) {
      slot = std::move(grad);
      return;
    }
    bool same = slot->dtype == grad->dtype && slot->sizes == grad->sizes;
    if (!create_graph && same && can_reuse(slot)) {
      grad_math::add_(slot.get(), grad.get());
    } else if (!create_graph && same && can_reuse(grad)) {
      grad_math::add_(grad.get(), slot.get());
      slot = std::move(grad);
    } else {
      slot = grad_math::add(slot.get(), grad.get());
    }
  }
};

struct ReadyItem {
  uint64_t priority;
  NodeRef node;
  InputBuffer inputs;
};
struct ReadyOrder {
  bool operator()(const ReadyItem& a, const ReadyItem& b) const { return a.priority < b.priority; }
};

// Whether a tensor of shape `shape` can broadcast to `target` (a gradient of shape target can
// be summed down to shape).
bool expandable_to(const DimVec& shape, const DimVec& target) {
  if (shape.size() > target.size()) return false;
  const size_t lead = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); i++) {
    if (shape[i] != target[lead + i] && shape[i] != 1) return false;
  }
  return true;
}

void validate_outputs(Node* node, GradList& grads) {
  const EdgeList& edges = node->next_edges();
  if (grads.size() != edges.size()) {
    fail(ErrorKind::Runtime, "function ", node->name(), " returned an incorrect number of gradients (expected ",
         edges.size(), ", got ", grads.size(), ")");
  }
  for (size_t i = 0; i < grads.size(); i++) {
    const Edge& edge = edges[i];
    TensorRef& grad = grads[i];
    if (!edge.is_valid()) {
      grad.reset();
      continue;
    }
    if (!grad) continue;
    const InputMeta& meta = edge.function->input_meta()[edge.input_nr];
    if (grad->sizes != meta.shape) {
      if (!expandable_to(meta.shape, grad->sizes)) {
        fail(ErrorKind::Runtime, "Function ", describe_node(node), " returned an invalid gradient at index ", i,
             " - got ", shape_str(grad->sizes), " but expected shape compatible with ", shape_str(meta.shape));
      }
      grad = grad_math::sum_to(grad.get(), meta.shape);
    }
    if (grad->dtype != meta.dtype) grad = grad_math::to_dtype(grad.get(), meta.dtype);
  }
}

// What autograd.grad() and backward(inputs=...) need: which nodes must run, and where the
// gradients of the inputs are taken.
struct ExecInfo {
  bool active = false;
  std::unordered_map<Node*, bool> needed;
  // node -> (input_nr, index into captured)
  std::unordered_map<Node*, SmallVec<std::pair<uint32_t, size_t>, 1>> captures;
};

void compute_needed(Node* root, ExecInfo& info, const std::unordered_map<Node*, bool>& targets) {
  // Iterative post-order walk: a node is needed when it is a target or leads to one.
  struct Frame {
    Node* node;
    size_t next;
  };
  std::vector<Frame> stack{{root, 0}};
  info.needed[root] = false;
  while (!stack.empty()) {
    Frame& f = stack.back();
    EdgeList& edges = f.node->next_edges();
    if (f.next < edges.size()) {
      Node* child = edges[f.next++].function.get();
      if (child != nullptr && info.needed.find(child) == info.needed.end()) {
        info.needed[child] = false;
        stack.push_back({child, 0});
      }
      continue;
    }
    Node* n = f.node;
    bool need = targets.count(n) > 0;
    for (Edge& e : edges) {
      if (e.function && info.needed[e.function.get()]) need = true;
    }
    info.needed[n] = need;
    stack.pop_back();
  }
}

// What Python hooks may ask about the backward pass running on this thread.
struct GraphTaskState {
  int64_t id;
  const DependencyCounts* deps;
  const ExecInfo* exec;
};
thread_local GraphTaskState* t_task = nullptr;
int64_t g_next_task_id = 0;  // GIL-protected

class GraphTaskScope {
 public:
  explicit GraphTaskScope(GraphTaskState* s) : prev_(t_task) { t_task = s; }
  ~GraphTaskScope() { t_task = prev_; }

 private:
  GraphTaskState* prev_;
};

}  // namespace

int64_t current_graph_task_id() { return t_task ? t_task->id : -1; }

bool will_engine_execute(TensorObject* t) {
  FNGRAD_CHECK_RUNTIME(t_task != nullptr, "[_will_engine_execute] Can only be called during backward.");
  Edge e = gradient_edge(t);
  Node* n = e.function.get();
  if (n == nullptr || t_task->deps->count(n) == 0) return false;
  if (!t_task->exec->active) return true;
  auto it = t_task->exec->needed.find(n);
  return (it != t_task->exec->needed.end() && it->second) || t_task->exec->captures.count(n) > 0;
}

std::vector<TensorRef> run_backward(const std::vector<TensorRef>& roots, std::vector<TensorRef> grads,
                                    bool keep_graph, bool create_graph, const std::vector<TensorRef>& inputs,
                                    bool allow_unused, bool accumulate_grad) {
  FNGRAD_INTERNAL_ASSERT(roots.size() == grads.size());
  GradModeGuard grad_mode(create_graph);
  EngineRunScope running;

  EdgeList root_edges;
  GradList root_grads;
  for (size_t i = 0; i < roots.size(); i++) {
    TensorObject* root = roots[i].get();
    Edge edge = gradient_edge(root);
    FNGRAD_CHECK_RUNTIME(edge.is_valid(), "element ", i, " of tensors does not require grad and does not have a grad_fn");
    TensorRef g = std::move(grads[i]);
    if (!g) {
      FNGRAD_CHECK_RUNTIME(root->numel == 1, "grad can be implicitly created only for scalar outputs");
      g = full(root->sizes, root->dtype, 1.0);
    } else {
      FNGRAD_CHECK_RUNTIME(g->sizes == root->sizes, "Mismatch in shape: grad_output[", i, "] has a shape of fngrad.Size(",
                           shape_str(g->sizes), ") and output[", i, "] has a shape of fngrad.Size(",
                           shape_str(root->sizes), ").");
    }
    root_edges.push_back(std::move(edge));
    root_grads.push_back(std::move(g));
  }
  NodeRef graph_root = make_node<GraphRoot>(std::move(root_edges), std::move(root_grads));

  // Targets of autograd.grad / backward(inputs=...).
  ExecInfo exec;
  std::vector<TensorRef> captured(inputs.size());
  std::vector<bool> capture_is_grad(inputs.size(), false);  // non-leaf inputs of backward(inputs=)
  // An input leaf no graph uses gets its AccumulateGrad here, owned by nothing else: these edges
  // keep such nodes alive while the maps below hold their addresses.
  std::vector<Edge> input_edges;
  if (!inputs.empty()) {
    exec.active = true;
    std::unordered_map<Node*, bool> targets;
    input_edges.reserve(inputs.size());
    for (size_t i = 0; i < inputs.size(); i++) {
      TensorObject* t = inputs[i].get();
      input_edges.push_back(gradient_edge(t));
      const Edge& e = input_edges.back();
      FNGRAD_CHECK_RUNTIME(e.is_valid(), "One of the differentiated Tensors does not require grad");
      if (accumulate_grad && t->grad_fn == nullptr) {
        targets[e.function.get()] = true;  // the leaf's AccumulateGrad runs
      } else {
        targets[e.function.get()] = true;
        exec.captures[e.function.get()].push_back({e.input_nr, i});
        capture_is_grad[i] = accumulate_grad;
      }
    }
    compute_needed(graph_root.get(), exec, targets);
    // Capture-only nodes must not run unless they lead to another target.
    for (auto& kv : exec.captures) {
      Node* n = kv.first;
      bool leads_on = false;
      for (Edge& e : n->next_edges())
        if (e.function && exec.needed[e.function.get()]) leads_on = true;
      bool is_leaf_target = false;
      if (accumulate_grad) {
        for (size_t i = 0; i < inputs.size(); i++)
          if (inputs[i]->grad_fn == nullptr && inputs[i]->grad_accumulator == n) is_leaf_target = true;
      }
      exec.needed[n] = leads_on || is_leaf_target;
    }
  }

  // Dependencies: how many edges point at each node (a node's first count also marks it seen).
  DependencyCounts deps;
  {
    std::vector<Node*> stack{graph_root.get()};
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (Edge& e : n->next_edges()) {
        Node* next = e.function.get();
        if (next == nullptr) continue;
        bool inserted = false;
        deps.at(next, &inserted)++;
        if (inserted) stack.push_back(next);
      }
    }
  }

  GraphTaskState task{g_next_task_id++, &deps, &exec};
  GraphTaskScope task_scope(&task);

  std::unordered_map<Node*, InputBuffer> not_ready;
  std::vector<ReadyItem> ready;
  ready.push_back(ReadyItem{graph_root->sequence_nr(), graph_root, InputBuffer(0)});

  // Note [Interrupts in backward]
  // A long native backward never runs Python code, so Ctrl-C would wait for its end: the
  // engine looks for pending signals every few thousand nodes. An interrupt (or any exception)
  // leaves a defined state: leaves that were reached keep what was accumulated into .grad,
  // nodes that ran have released their saved tensors unless retain_graph was set (so a repeat
  // backward through them raises the backward-twice error), the rest of the graph is untouched,
  // and everything this run allocated is freed.
  uint32_t until_signal_check = kSignalCheckInterval;
  while (!ready.empty()) {
    if (--until_signal_check == 0) {
      until_signal_check = kSignalCheckInterval;
      if (PyErr_CheckSignals() < 0) throw PythonError();
    }
    std::pop_heap(ready.begin(), ready.end(), ReadyOrder());
    ReadyItem item = std::move(ready.back());
    ready.pop_back();
    Node* node = item.node.get();
    // See Note [Hook order].
    if (node != graph_root.get()) run_tensor_pre_hooks(node, item.inputs.slots);

    if (exec.active) {
      auto cap = exec.captures.find(node);
      if (cap != exec.captures.end()) {
        for (auto& c : cap->second) captured[c.second] = item.inputs.slots[c.first];
      }
      auto nd = exec.needed.find(node);
      if (node != graph_root.get() && (nd == exec.needed.end() || !nd->second)) continue;
    }

    RunningNodeScope running_node(node);
    GradList outputs;
    bool any_defined = false;
    for (TensorRef& g : item.inputs.slots) any_defined = any_defined || g.defined();
    if (!any_defined && !node->runs_on_undefined() && node != graph_root.get()) {
      outputs = GradList(node->num_outputs());
    } else {
      outputs = call_node(node, std::move(item.inputs.slots));
    }
    if (!keep_graph) node->release_saved();
    validate_outputs(node, outputs);
    check_anomaly(node, outputs);

    EdgeList& edges = node->next_edges();
    for (size_t i = 0; i < edges.size(); i++) {
      Node* next = edges[i].function.get();
      if (next == nullptr) continue;
      bool is_ready = --deps.at(next) == 0;
      if (exec.active) {
        auto nd = exec.needed.find(next);
        bool wanted = (nd != exec.needed.end() && nd->second) || exec.captures.count(next) > 0;
        if (!wanted) continue;
      }
      auto it = not_ready.find(next);
      if (it == not_ready.end()) it = not_ready.emplace(next, InputBuffer(next->num_inputs())).first;
      it->second.add(edges[i].input_nr, std::move(outputs[i]), create_graph);
      if (is_ready) {
        uint64_t priority = next->sequence_nr();
        ready.push_back(ReadyItem{priority, edges[i].function, std::move(it->second)});
        std::push_heap(ready.begin(), ready.end(), ReadyOrder());
        not_ready.erase(it);
      }
    }
  }

  if (!exec.active) return {};
  std::vector<TensorRef> result;
  for (size_t i = 0; i < inputs.size(); i++) {
    if (accumulate_grad) {
      if (capture_is_grad[i] && captured[i]) accumulate_into_grad(inputs[i].get(), captured[i], create_graph);
      continue;
    }
    if (!captured[i] && !allow_unused) {
      fail(ErrorKind::Runtime, "One of the differentiated Tensors appears to not have been used in the graph. Set "
                               "allow_unused=True if this is the desired behavior.");
    }
    result.push_back(std::move(captured[i]));
  }
  return result;
}

}  // namespace autograd
}  // namespace fngrad
