// Node bookkeeping: sequence numbers, iterative deletion, and the helpers ops use to connect
// their outputs to the graph.
#include "autograd/node.h"

#include <vector>

#include "autograd/accumulate_grad.h"
#include "python/py_utils.h"

namespace fngrad {
namespace autograd {

namespace {
uint64_t g_next_sequence_nr = 0;  // GIL-protected, see Note [GIL and reference counts]
}

Node::Node() : sequence_nr_(g_next_sequence_nr++) {}

Node::~Node() {
  // Note [GIL and reference counts]: nodes die with the GIL held, except at interpreter exit,
  // where the objects are leaked rather than touched.
  if (Py_IsInitialized()) {
    Py_CLEAR(metadata_);
    Py_CLEAR(pre_hooks_);
    Py_CLEAR(post_hooks_);
    Py_CLEAR(tensor_pre_hooks_);
    Py_CLEAR(retains_grad_);
    Py_CLEAR(creation_code_);
    Py_CLEAR(anomaly_trace_);
  }
}

uint32_t Node::add_input_meta(const TensorObject* t) {
  InputMeta& m = input_meta_.emplace_back();
  m.dtype = t->dtype;
  m.shape = t->sizes;
  return static_cast<uint32_t>(input_meta_.size() - 1);
}

// Note [Iterative node deletion]
// Deleting a node drops its edges, which may delete the previous node, and so on: a chain of a
// million nodes would recurse a million frames deep. The first deletion on a thread owns a
// queue; deletions triggered while it runs (by edges, saved tensors or Python objects the node
// releases) only enqueue, and the owner deletes them in a loop.
namespace {
thread_local std::vector<Node*>* t_deletion_queue = nullptr;
}

void delete_node(Node* n) {
  if (t_deletion_queue != nullptr) {
    t_deletion_queue->push_back(n);
    return;
  }
  std::vector<Node*> queue;
  t_deletion_queue = &queue;
  delete n;
  while (!queue.empty()) {
    Node* next = queue.back();
    queue.pop_back();
    delete next;
  }
  t_deletion_queue = nullptr;
}

Edge gradient_edge(TensorObject* t) {
  if (t->grad_fn != nullptr) return Edge(NodeRef(t->grad_fn), t->output_nr);
  if (t->requires_grad) return Edge(grad_accumulator(t), 0);
  return Edge();
}

NodeRef grad_accumulator(TensorObject* t) {
  if (t->grad_accumulator != nullptr) return NodeRef(t->grad_accumulator);
  NodeRef acc = make_node<AccumulateGrad>(TensorRef::borrow(t));
  t->grad_accumulator = acc.get();
  return acc;
}

void set_history(TensorObject* out, Node* fn) {
  Node* old = out->grad_fn;
  fn->refcount_++;
  out->grad_fn = fn;
  out->output_nr = fn->add_input_meta(out);
  if (old != nullptr) node_decref(old);
}

void rebase_history(TensorObject* t, Node* fn) { set_history(t, fn); }

}  // namespace autograd
}  // namespace fngrad

// Note [Creation site]
// Every node remembers where the user created it: the code object and instruction offset of
// the innermost Python frame outside the fngrad package. Taking them costs a pointer walk and
// two increments; the line number is computed only when an error message needs it.
namespace fngrad {
namespace autograd {

namespace {
std::string g_library_dir;  // python/fngrad as installed, set at import
}

void set_library_dir(const std::string& dir) { g_library_dir = dir; }

namespace {
bool is_library_code(PyCodeObject* code) {
  if (g_library_dir.empty()) return false;
  Py_ssize_t len = 0;
  const char* name = PyUnicode_AsUTF8AndSize(code->co_filename, &len);
  if (name == nullptr) {
    PyErr_Clear();
    return false;
  }
  return static_cast<size_t>(len) > g_library_dir.size() &&
         std::memcmp(name, g_library_dir.data(), g_library_dir.size()) == 0;
}
}  // namespace

void record_creation_site(Node* fn) {
  PyFrameObject* frame = PyEval_GetFrame();  // borrowed
  PyRef owned;                               // frames from PyFrame_GetBack are new references
  while (frame != nullptr) {
    PyRef code = PyRef::steal(reinterpret_cast<PyObject*>(PyFrame_GetCode(frame)));
    if (!is_library_code(reinterpret_cast<PyCodeObject*>(code.get()))) {
      Py_XSETREF(fn->creation_code_, code.release());
#if PY_VERSION_HEX >= 0x030B0000
      fn->creation_line_ = -1 - PyFrame_GetLasti(frame);  // negative: an offset, see describe_node
#else
      fn->creation_line_ = PyFrame_GetLineNumber(frame);
#endif
      return;
    }
    owned = PyRef::steal(reinterpret_cast<PyObject*>(PyFrame_GetBack(frame)));
    frame = reinterpret_cast<PyFrameObject*>(owned.get());
  }
}

std::string creation_site(Node* fn) {
  if (fn->creation_code_ == nullptr) return "";
  auto* code = reinterpret_cast<PyCodeObject*>(fn->creation_code_);
  int line = fn->creation_line_;
  if (line < 0) line = PyCode_Addr2Line(code, -1 - line);
  const char* file = PyUnicode_AsUTF8(code->co_filename);
  if (file == nullptr) {
    PyErr_Clear();
    return "";
  }
  const char* slash = std::strrchr(file, '/');
  return str(slash ? slash + 1 : file, ":", line);
}

std::string describe_node(Node* fn) {
  std::string site = creation_site(fn);
  if (site.empty()) return fn->name();
  return str(fn->name(), " (created at ", site, ")");
}

}  // namespace autograd
}  // namespace fngrad
