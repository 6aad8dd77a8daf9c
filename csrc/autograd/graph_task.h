// The state of one backward pass: PyTorch's GraphTask. See Note [Engine] in engine.h.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/node.h"
#include "core/py_ref.h"

namespace fngrad {
namespace autograd {

// How a backward pass runs: what fngrad.autograd.backward and grad ask of the engine.
struct BackwardOptions {
  bool keep_graph = false;      // retain_graph: nodes keep their saved tensors for another backward
  bool create_graph = false;    // grad mode stays on, so the backward itself is recorded
  bool accumulate_grad = true;  // backward(): leaves accumulate .grad; false: grad() returns the gradients
  bool allow_unused = false;    // grad(): an input the graph does not reach gives None instead of an error
};

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

// Gradients waiting for a node, one slot per node input, summed as they arrive.
struct InputBuffer {
  GradList slots;
  InputBuffer() = default;
  explicit InputBuffer(size_t n) : slots(n) {}
  void add(size_t pos, TensorRef&& grad, bool create_graph);  // engine.cpp
};

// A node whose dependencies have all been delivered, with its gradients.
struct ReadyItem {
  uint64_t priority;  // the node's sequence_nr: later-created nodes run first
  NodeRef node;
  InputBuffer inputs;
};
struct ReadyOrder {
  bool operator()(const ReadyItem& a, const ReadyItem& b) const { return a.priority < b.priority; }
};

// What autograd.grad() and backward(inputs=...) need: which nodes must run, and where the
// gradients of the inputs are taken. Inactive for a plain backward(): every node runs.
struct ExecInfo {
  bool active = false;
  std::unordered_map<Node*, bool> needed;
  // node -> (input_nr, index into GraphTask::captured)
  std::unordered_map<Node*, SmallVec<std::pair<uint32_t, size_t>, 1>> captures;

  bool is_needed(Node* n) const {
    auto it = needed.find(n);
    return it != needed.end() && it->second;
  }
  // Whether gradients flowing into n are kept: n runs, or an input's gradient is taken there.
  bool receives(Node* n) const { return is_needed(n) || captures.count(n) > 0; }
};

// Everything one backward pass owns, from its roots to its end-of-backward callbacks. It lives on
// the stack of run_backward, so an exception anywhere frees all of it (Note [Interrupts in
// backward]). A reentrant backward (a backward run from inside a node) gets a GraphTask of its own.
struct GraphTask {
  GraphTask(int64_t id, const BackwardOptions& options, const std::vector<TensorRef>& inputs)
      : id(id), options(options), inputs(inputs), captured(inputs.size()), capture_is_grad(inputs.size(), false) {}
  GraphTask(const GraphTask&) = delete;
  GraphTask& operator=(const GraphTask&) = delete;

  const int64_t id;  // what _current_graph_task_id() reports
  const BackwardOptions options;
  const std::vector<TensorRef>& inputs;  // grad()'s inputs or backward(inputs=...); empty for backward()
  GraphTask* outer = nullptr;            // the pass this one runs inside of (reentrant backward)

  NodeRef graph_root;  // hands the root gradients to the roots' nodes
  ExecInfo exec;
  // An input leaf no graph uses gets its AccumulateGrad here, owned by nothing else: these edges
  // keep such nodes alive while exec holds their addresses.
  std::vector<Edge> input_edges;
  std::vector<TensorRef> captured;    // the inputs' gradients, by input index
  std::vector<bool> capture_is_grad;  // non-leaf inputs of backward(inputs=): captured, then added to .grad

  DependencyCounts dependencies;  // edges not yet delivered, per node (a first count marks it seen)
  std::unordered_map<Node*, InputBuffer> not_ready;
  std::vector<ReadyItem> ready;  // a max-heap in ReadyOrder

  // Queued by Variable._execution_engine.queue_callback while the pass runs; called in order once
  // the graph is done (a callback may queue more).
  std::vector<PyRef> final_callbacks;
  bool running_final_callbacks = false;

  // PyTorch's GraphTask::can_checkpoint: reentrant checkpointing needs a plain backward(). As in
  // PyTorch, this holds while the task runs its nodes and hooks, not its final callbacks.
  bool can_checkpoint() const { return !exec.active || running_final_callbacks; }
};

}  // namespace autograd
}  // namespace fngrad
