#include "autograd/forward_ad.h"

#include <vector>

#include "core/py_callbacks.h"
#include "core/py_ref.h"

namespace fngrad {
namespace autograd {

namespace {

// Receives the gradient meant for an input that has a tangent but does not require grad, and
// drops it (Note [Forward AD]).
class ForwardSink : public Node {
 public:
  explicit ForwardSink(const TensorObject* t) { add_input_meta(t); }
  GradList apply(GradList&&) override { return {}; }
  std::string name() const override { return "ForwardADSink"; }
};

// Outputs whose cell is pending, in the order their ops ran (Note [Forward AD]).
std::vector<TensorRef> g_pending;
int g_next_level_id = 0;  // a fresh id per entered level, so cells of an exited level are stale
PyObject* g_level_id = nullptr;

enum CellSlot { kTangent = 0, kPending = 1, kLevel = 2 };

PyObject* live_cell(const TensorObject* t) {
  PyObject* c = t->fw_cell;
  if (c == nullptr || PyList_GET_ITEM(c, kLevel) != g_level_id) return nullptr;
  return c;
}

PyObject* new_cell(PyObject* tangent, PyObject* pending) {
  PyObject* c = PyList_New(3);
  if (c == nullptr) throw PythonError();
  Py_INCREF(tangent);
  Py_INCREF(pending);
  Py_INCREF(g_level_id);
  PyList_SET_ITEM(c, kTangent, tangent);
  PyList_SET_ITEM(c, kPending, pending);
  PyList_SET_ITEM(c, kLevel, g_level_id);
  return c;
}

// Pauses forward AD while a tangent is computed: its ops must not see tangents themselves.
struct PauseForward {
  int saved = ForwardADLevel::active_level;
  PauseForward() { ForwardADLevel::active_level = -1; }
  ~PauseForward() { ForwardADLevel::active_level = saved; }
};

void materialize(TensorObject* out) {
  PyObject* cell = live_cell(out);
  if (cell == nullptr || PyList_GET_ITEM(cell, kPending) == Py_None) return;
  PyRef pending = PyRef::borrow(PyList_GET_ITEM(cell, kPending));
  PyObject* capsule = PyTuple_GET_ITEM(pending.get(), 0);
  if (PyCapsule_CheckExact(capsule)) {
    Node* node = static_cast<Node*>(PyCapsule_GetPointer(capsule, "fngrad.pending_node"));
    PyRef node_obj = PyRef::check(node->python_object());
    pending = PyRef::check(PyTuple_Pack(4, node_obj.get(), PyTuple_GET_ITEM(pending.get(), 1),
                                        PyTuple_GET_ITEM(pending.get(), 2), PyTuple_GET_ITEM(pending.get(), 3)));
  }
  PyRef tangent;
  {
    PauseForward pause;
    PyObject* call[2] = {pending.get(), reinterpret_cast<PyObject*>(out)};
    tangent = PyRef::check(PyObject_Vectorcall(py_callback(PyCallback::ForwardJvp), call, 2, nullptr));
  }
  PyList_SetItem(cell, kTangent, tangent.release());
  Py_INCREF(Py_None);
  PyList_SetItem(cell, kPending, Py_None);
}

}  // namespace

bool has_tangent(const TensorObject* t) { return live_cell(t) != nullptr; }
bool fw_has_tangent(const TensorObject* t) { return live_cell(t) != nullptr; }

void flush_pending() {
  // Materializing runs Python, which may record more ops (with forward AD paused, so none
  // become pending): take the list first.
  while (!g_pending.empty()) {
    std::vector<TensorRef> todo;
    todo.swap(g_pending);
    for (size_t i = 0; i < todo.size(); i++) {
      try {
        materialize(todo[i].get());
      } catch (...) {
        // The failed output keeps no tangent; the rest are still computed later.
        Py_CLEAR(todo[i]->fw_cell);
        for (size_t k = i + 1; k < todo.size(); k++) g_pending.push_back(std::move(todo[k]));
        throw;
      }
    }
  }
}

// No flush here: a native op may run other ops on its own output before that output is
// computed (under no-grad, so they record nothing); a pending tangent is computed only when it is
// consumed (record_node_fw), read, or before a backward pass.
bool needs_recording_fw(const TensorObject* const* inputs, size_t n) {
  // Tangents propagate under no_grad() too, as in PyTorch (grad mode is about reverse mode only);
  // not under inference_mode(), which PyTorch's forward AD skips as well.
  const bool grad_on = GradMode::is_enabled();
  if (!grad_on && InferenceMode::is_enabled()) return false;
  for (size_t i = 0; i < n; i++) {
    const TensorObject* t = inputs[i];
    if (t == nullptr) continue;
    if ((grad_on && (t->requires_grad || t->grad_fn != nullptr)) || live_cell(t) != nullptr) return true;
  }
  return false;
}

void record_node_fw(Node* node, TensorObject* const* outs, size_t nout, TensorObject* const* inputs, size_t n,
                    History history) {
  if (history == History::InPlace) {
    flush_pending();  // pending tangents may read the tensor this op overwrites
  } else {
    for (size_t i = 0; i < n; i++) materialize(inputs[i]);  // inputs are complete values
  }
  const bool grad_on = GradMode::is_enabled();
  bool reverse = false, forward = false;
  for (size_t i = 0; i < n; i++) {
    if (grad_on && requires_grad_reverse(inputs[i])) reverse = true;
    if (live_cell(inputs[i]) != nullptr) forward = true;
  }
  if (history == History::RegeneratedView) forward = false;  // a view's history rebuilt, not a new op
  for (size_t i = 0; i < n; i++) {
    Edge e = gradient_edge(inputs[i]);
    if (forward && !e.is_valid() && live_cell(inputs[i]) != nullptr) e = Edge(make_node<ForwardSink>(inputs[i]), 0);
    node->next_edges().push_back(std::move(e));
  }
  // The tangents of the inputs as they are now (an op in place replaces its input's cell).
  PyRef ins, tangents;
  if (forward) {
    ins = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(n)));
    tangents = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(n)));
    for (size_t i = 0; i < n; i++) {
      PyObject* c = live_cell(inputs[i]);
      PyObject* tan = c != nullptr ? PyList_GET_ITEM(c, kTangent) : Py_None;
      Py_INCREF(tan);
      PyTuple_SET_ITEM(tangents.get(), i, tan);
      Py_INCREF(reinterpret_cast<PyObject*>(inputs[i]));
      PyTuple_SET_ITEM(ins.get(), i, reinterpret_cast<PyObject*>(inputs[i]));
    }
  }
  for (size_t k = 0; k < nout; k++) {
    TensorObject* out = outs[k];
    if (reverse || !forward) {
      if (history == History::Output) {
        set_history(out, node);
      } else {
        rebase_history(out, node);
      }
    } else {
      out->output_nr = node->add_input_meta(out);
    }
  }
  if ((reverse || !forward) && history != History::RegeneratedView) record_creation_site(node);
  if (!forward) {
    if (history == History::InPlace) {
      for (size_t k = 0; k < nout; k++) Py_CLEAR(outs[k]->fw_cell);  // overwritten by values without tangent
    }
    return;
  }
  // The node's Python object is made when the tangent is computed: its class is chosen by the
  // node's name, which the op may still set after recording (log_softmax, the reductions).
  // An op in place has overwritten its input: only the node's saved values describe it.
  PyObject* inplace = history == History::InPlace ? Py_True : Py_False;
  for (size_t k = 0; k < nout; k++) {
    node->refcount_++;
    PyRef node_obj = PyRef::check(PyCapsule_New(node, "fngrad.pending_node", [](PyObject* c) {
      node_decref(static_cast<Node*>(PyCapsule_GetPointer(c, "fngrad.pending_node")));
    }));
    PyRef pending = PyRef::check(PyTuple_Pack(4, node_obj.get(), ins.get(), tangents.get(), inplace));
    Py_XSETREF(outs[k]->fw_cell, new_cell(Py_None, pending.get()));
    g_pending.push_back(TensorRef::borrow(outs[k]));
  }
}

TensorRef get_tangent(TensorObject* t) {
  if (ForwardADLevel::active_level < 0) return {};
  flush_pending();
  PyObject* c = live_cell(t);
  if (c == nullptr || PyList_GET_ITEM(c, kTangent) == Py_None) return {};
  return TensorRef::borrow(PyList_GET_ITEM(c, kTangent));
}

void set_tangent(TensorObject* t, TensorObject* tangent) {
  if (tangent == nullptr) {
    Py_CLEAR(t->fw_cell);
    return;
  }
  Py_XSETREF(t->fw_cell, new_cell(reinterpret_cast<PyObject*>(tangent), Py_None));
}

int enter_dual_level() {
  FNGRAD_CHECK_RUNTIME(ForwardADLevel::active_level < 0, "Nested forward mode AD is not supported at the moment");
  Py_XSETREF(g_level_id, PyLong_FromLong(g_next_level_id++));
  if (g_level_id == nullptr) throw PythonError();
  ForwardADLevel::active_level = 0;
  return 0;
}

void exit_dual_level(int level) {
  FNGRAD_CHECK_RUNTIME(
      ForwardADLevel::active_level >= 0 && level == ForwardADLevel::active_level,
      "Trying to exit a forward AD level that was not the last one that was created. This is not supported.");
  // Pending tangents are dropped, not computed: nobody can read them any more. Clearing them
  // also breaks the cycle node -> saved output -> cell -> pending -> node.
  for (TensorRef& t : g_pending) {
    if (PyObject* c = live_cell(t.get())) {
      Py_INCREF(Py_None);
      PyList_SetItem(c, kPending, Py_None);
    }
  }
  g_pending.clear();
  ForwardADLevel::active_level = -1;
  Py_CLEAR(g_level_id);  // every cell of this level is stale from now on
}

}  // namespace autograd
}  // namespace fngrad
