// The backward engine. See Note [Engine] in engine.h.
#include "autograd/engine.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "autograd/accumulate_grad.h"
#include "autograd/anomaly.h"
#include "autograd/engine_hooks.h"
#include "autograd/forward_ad.h"
#include "autograd/grad_math.h"
#include "autograd/grad_utils.h"
#include "core/grad_mode.h"

namespace fngrad {
namespace autograd {

void InputBuffer::add(size_t pos, TensorRef&& grad, bool create_graph) {
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

namespace {

constexpr uint32_t kSignalCheckInterval = 4096;

// Hands the root gradients to the roots' nodes.
class GraphRoot : public Node {
 public:
  GraphRoot(EdgeList edges, GradList grads) : grads_(std::move(grads)) { next_edges_ = std::move(edges); }
  GradList apply(GradList&&) override { return std::move(grads_); }
  std::string name() const override { return "GraphRoot"; }

 private:
  GradList grads_;
};

// The innermost backward pass running on this thread (Note [Engine]).
thread_local GraphTask* t_task = nullptr;
int64_t g_next_task_id = 0;  // GIL-protected

class GraphTaskScope {
 public:
  explicit GraphTaskScope(GraphTask* task) : task_(task) {
    task->outer = t_task;
    t_task = task;
  }
  ~GraphTaskScope() { t_task = task_->outer; }
  GraphTaskScope(const GraphTaskScope&) = delete;
  GraphTaskScope& operator=(const GraphTaskScope&) = delete;

 private:
  GraphTask* task_;
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

// Step 1: the GraphRoot that hands grads (ones for an undefined one-element root) to the roots.
NodeRef make_graph_root(const std::vector<TensorRef>& roots, std::vector<TensorRef>& grads) {
  EdgeList root_edges;
  GradList root_grads;
  for (size_t i = 0; i < roots.size(); i++) {
    TensorObject* root = roots[i].get();
    Edge edge = gradient_edge(root);
    FNGRAD_CHECK_RUNTIME(edge.is_valid(), "element ", i,
                         " of tensors does not require grad and does not have a grad_fn");
    TensorRef g = std::move(grads[i]);
    if (!g) {
      FNGRAD_CHECK_RUNTIME(root->numel == 1, "grad can be implicitly created only for scalar outputs");
      g = full(root->sizes, root->dtype, 1.0);
    } else {
      FNGRAD_CHECK_RUNTIME(g->sizes == root->sizes, "Mismatch in shape: grad_output[", i,
                           "] has a shape of fngrad.Size(", shape_str(g->sizes), ") and output[", i,
                           "] has a shape of fngrad.Size(", shape_str(root->sizes), ").");
    }
    root_edges.push_back(std::move(edge));
    root_grads.push_back(std::move(g));
  }
  return make_node<GraphRoot>(std::move(root_edges), std::move(root_grads));
}

// Marks as needed every node that is a target or leads to one (iterative post-order walk).
void compute_needed(Node* root, ExecInfo& info, const std::unordered_map<Node*, bool>& targets) {
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

// Step 2: which nodes run and where the inputs' gradients are captured (grad(), or
// backward(inputs=...): a leaf input's AccumulateGrad runs, a non-leaf input is captured).
void compute_exec_info(GraphTask& task) {
  const std::vector<TensorRef>& inputs = task.inputs;
  const bool accumulate = task.options.accumulate_grad;
  ExecInfo& exec = task.exec;
  exec.active = true;
  std::unordered_map<Node*, bool> targets;
  task.input_edges.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); i++) {
    TensorObject* t = inputs[i].get();
    task.input_edges.push_back(gradient_edge(t));
    const Edge& e = task.input_edges.back();
    FNGRAD_CHECK_RUNTIME(e.is_valid(), "One of the differentiated Tensors does not require grad");
    targets[e.function.get()] = true;
    if (!(accumulate && t->grad_fn == nullptr)) {
      exec.captures[e.function.get()].push_back({e.input_nr, i});
      task.capture_is_grad[i] = accumulate;
    }
  }
  compute_needed(task.graph_root.get(), exec, targets);
  // Capture-only nodes must not run unless they lead to another target.
  for (auto& kv : exec.captures) {
    Node* n = kv.first;
    bool leads_on = false;
    for (Edge& e : n->next_edges())
      if (e.function && exec.needed[e.function.get()]) leads_on = true;
    bool is_leaf_target = false;
    if (accumulate) {
      for (const TensorRef& in : inputs)
        if (in->grad_fn == nullptr && in->grad_accumulator == n) is_leaf_target = true;
    }
    exec.needed[n] = leads_on || is_leaf_target;
  }
  exec.needed[task.graph_root.get()] = true;  // the root always runs
}

// Step 3: how many edges point at each node (a node's first count also marks it seen).
void compute_dependencies(GraphTask& task) {
  std::vector<Node*> stack{task.graph_root.get()};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (Edge& e : n->next_edges()) {
      Node* next = e.function.get();
      if (next == nullptr) continue;
      bool inserted = false;
      task.dependencies.at(next, &inserted)++;
      if (inserted) stack.push_back(next);
    }
  }
}

ReadyItem pop_ready(std::vector<ReadyItem>& ready) {
  std::pop_heap(ready.begin(), ready.end(), ReadyOrder());
  ReadyItem item = std::move(ready.back());
  ready.pop_back();
  return item;
}

// Stores the gradients that reach grad()'s inputs at node.
void capture_gradients(GraphTask& task, Node* node, const GradList& grads) {
  auto cap = task.exec.captures.find(node);
  if (cap == task.exec.captures.end()) return;
  for (auto& c : cap->second) task.captured[c.second] = grads[c.first];
}

// Runs node on its gradients (not at all when none is defined, unless the node asks to), releases
// its saved tensors unless keep_graph, and checks what it returned.
GradList evaluate_node(const GraphTask& task, Node* node, GradList&& grads) {
  bool any_defined = false;
  for (TensorRef& g : grads) any_defined = any_defined || g.defined();
  GradList outputs;
  if (!any_defined && !node->runs_on_undefined() && node != task.graph_root.get()) {
    outputs = GradList(node->num_outputs());
  } else {
    outputs = call_node(node, std::move(grads));
  }
  if (!task.options.keep_graph) node->release_saved();
  validate_outputs(node, outputs);
  check_anomaly(node, outputs);
  return outputs;
}

// Hands node's gradients along its edges; a node that got its last dependency becomes ready.
void deliver_outputs(GraphTask& task, Node* node, GradList& outputs) {
  EdgeList& edges = node->next_edges();
  for (size_t i = 0; i < edges.size(); i++) {
    Node* next = edges[i].function.get();
    if (next == nullptr) continue;
    bool is_ready = --task.dependencies.at(next) == 0;
    if (task.exec.active && !task.exec.receives(next)) continue;
    auto it = task.not_ready.find(next);
    if (it == task.not_ready.end()) it = task.not_ready.emplace(next, InputBuffer(next->num_inputs())).first;
    it->second.add(edges[i].input_nr, std::move(outputs[i]), task.options.create_graph);
    if (is_ready) {
      task.ready.push_back(ReadyItem{next->sequence_nr(), edges[i].function, std::move(it->second)});
      std::push_heap(task.ready.begin(), task.ready.end(), ReadyOrder());
      task.not_ready.erase(it);
    }
  }
}

// Step 4, the main loop.
// Note [Interrupts in backward]
// A long native backward never runs Python code, so Ctrl-C would wait for its end: the
// engine looks for pending signals every few thousand nodes. An interrupt (or any exception)
// leaves a defined state: leaves that were reached keep what was accumulated into .grad,
// nodes that ran have released their saved tensors unless retain_graph was set (so a repeat
// backward through them raises the backward-twice error), the rest of the graph is untouched,
// and everything this run allocated is freed.
void execute(GraphTask& task) {
  task.ready.push_back(ReadyItem{task.graph_root->sequence_nr(), task.graph_root, InputBuffer(0)});
  uint32_t until_signal_check = kSignalCheckInterval;
  while (!task.ready.empty()) {
    if (--until_signal_check == 0) {
      until_signal_check = kSignalCheckInterval;
      if (PyErr_CheckSignals() < 0) throw PythonError();
    }
    ReadyItem item = pop_ready(task.ready);
    Node* node = item.node.get();
    if (node != task.graph_root.get()) run_tensor_pre_hooks(node, item.inputs.slots);  // Note [Hook order]
    if (task.exec.active) {
      capture_gradients(task, node, item.inputs.slots);
      if (!task.exec.is_needed(node)) continue;
    }
    RunningNodeScope running_node(node);  // also for the ops that sum and convert its outputs
    GradList outputs = evaluate_node(task, node, std::move(item.inputs.slots));
    deliver_outputs(task, node, outputs);
  }
}

// Step 5: backward(inputs=...) adds the gradients captured at its non-leaf inputs to their .grad.
void accumulate_captured(GraphTask& task) {
  for (size_t i = 0; i < task.inputs.size(); i++) {
    if (task.capture_is_grad[i] && task.captured[i])
      accumulate_into_grad(task.inputs[i].get(), task.captured[i], task.options.create_graph);
  }
}

// Step 6. A callback may queue more, so the size is read afresh each time (PyTorch's
// GraphTask::exec_post_processing).
void run_final_callbacks(GraphTask& task) {
  task.running_final_callbacks = true;
  for (size_t i = 0; i < task.final_callbacks.size(); i++) {
    PyRef callback = task.final_callbacks[i];  // the vector may grow while it runs
    PyRef::check(PyObject_CallNoArgs(callback.get()));
  }
}

// Step 7: grad()'s result, one gradient per input.
std::vector<TensorRef> captured_gradients(GraphTask& task) {
  for (size_t i = 0; i < task.inputs.size(); i++) {
    if (!task.captured[i] && !task.options.allow_unused) {
      fail(ErrorKind::Runtime,
           "One of the differentiated Tensors appears to not have been used in the graph. Set "
           "allow_unused=True if this is the desired behavior.");
    }
  }
  return std::move(task.captured);
}

}  // namespace

std::vector<TensorRef> run_backward(const std::vector<TensorRef>& roots, std::vector<TensorRef> grads,
                                    const std::vector<TensorRef>& inputs, const BackwardOptions& options) {
  FNGRAD_INTERNAL_ASSERT(roots.size() == grads.size());
  // Pending tangents read their nodes' saved values, which this pass may free (Note [Forward AD]).
  if (ForwardADLevel::active_level >= 0) flush_pending();
  GradModeGuard grad_mode(options.create_graph);
  EngineRunScope running;
  GraphTask task(g_next_task_id++, options, inputs);
  task.graph_root = make_graph_root(roots, grads);
  if (!inputs.empty()) compute_exec_info(task);
  compute_dependencies(task);
  GraphTaskScope current(&task);
  execute(task);
  if (options.accumulate_grad) accumulate_captured(task);
  run_final_callbacks(task);
  if (options.accumulate_grad) return {};
  return captured_gradients(task);
}

void queue_callback(PyObject* callback) {
  FNGRAD_CHECK_RUNTIME(t_task != nullptr, "Final callbacks can only be installed during backward pass.");
  t_task->final_callbacks.push_back(PyRef::borrow(callback));
}

int64_t current_graph_task_id() { return t_task ? t_task->id : -1; }

bool will_engine_execute(TensorObject* t) {
  FNGRAD_CHECK_RUNTIME(t_task != nullptr, "[_will_engine_execute] Can only be called during backward.");
  Edge e = gradient_edge(t);
  Node* n = e.function.get();
  if (n == nullptr || !t_task->dependencies.contains(n)) return false;
  return !t_task->exec.active || t_task->exec.receives(n);
}

bool is_checkpoint_valid() {
  for (const GraphTask* task = t_task; task != nullptr; task = task->outer)
    if (!task->can_checkpoint()) return false;
  return true;
}

}  // namespace autograd
}  // namespace fngrad
