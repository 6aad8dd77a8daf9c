// Node bookkeeping: sequence numbers, iterative deletion, and the helpers ops use to connect
// their outputs to the graph.
#include "autograd/node.h"

#include <vector>

#include "autograd/accumulate_grad.h"
#include "autograd/anomaly.h"
#include "autograd/engine_hooks.h"
#include "autograd/grad_math.h"
#include "core/frames.h"
#include "core/py_ref.h"

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
    Py_CLEAR(creation_code_);
    if (extras_ != nullptr) {
      Py_CLEAR(extras_->metadata);
      Py_CLEAR(extras_->pre_hooks);
      Py_CLEAR(extras_->post_hooks);
      Py_CLEAR(extras_->tensor_pre_hooks);
      Py_CLEAR(extras_->retains_grad);
      Py_CLEAR(extras_->anomaly_trace);
    }
  }
  delete extras_;
}

// Note [Cycles through a node]
// A hook whose closure holds its own tensor (y.register_hook(lambda g: ... y ...)) makes a cycle
// through the node: y -> grad_fn -> hooks dict -> closure -> y. The node is a C++ object the
// garbage collector cannot see, so a tensor that holds the only reference to its grad_fn visits
// the Python objects the node owns in its tp_traverse; the collector then finds the cycle and
// breaks it by clearing the hooks dict. With any other reference to the node (another output,
// the edge of a later node, a live grad_fn wrapper) the node's objects are reachable from
// elsewhere and are not visited: reporting them would let the collector clear live hooks.
int Node::traverse_python_refs(visitproc visit, void* arg) {
  if (extras_ != nullptr) {
    Py_VISIT(extras_->metadata);
    Py_VISIT(extras_->pre_hooks);
    Py_VISIT(extras_->post_hooks);
    Py_VISIT(extras_->tensor_pre_hooks);
    Py_VISIT(extras_->retains_grad);
    Py_VISIT(extras_->anomaly_trace);
  }
  return traverse_owned(visit, arg);
}

Node::Extras& Node::extras() {
  if (extras_ == nullptr) extras_ = new Extras();
  return *extras_;
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
  // A view whose memory changed through another view of the same base: see Note [In-place on
  // views] (index.cpp).
  if (t->base != nullptr && t->grad_fn != nullptr && t->view_version != t->storage->version)
    grad_math::refresh_view_history(t);
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

void register_retains_grad(TensorObject* t) {
  Node* fn = t->grad_fn;
  PyObject*& dict = fn->extras().retains_grad;
  if (dict == nullptr) dict = PyRef::check(PyDict_New()).release();
  PyRef key = PyRef::check(PyLong_FromUnsignedLong(t->output_nr));
  PyRef ref = PyRef::check(PyWeakref_NewRef(reinterpret_cast<PyObject*>(t), nullptr));
  if (PyDict_SetItem(dict, key.get(), ref.get()) < 0) throw PythonError();
}

void set_history(TensorObject* out, Node* fn) {
  Node* old = out->grad_fn;
  if (out->retains_grad && old != nullptr && old->extras_or_null() && old->extras_or_null()->retains_grad) {
    // retain_grad() follows the tensor to its new history (an in-place op).
    PyRef key = PyRef::check(PyLong_FromUnsignedLong(out->output_nr));
    if (PyDict_DelItem(old->extras().retains_grad, key.get()) < 0) PyErr_Clear();
  }
  fn->refcount_++;
  out->grad_fn = fn;
  out->output_nr = fn->add_input_meta(out);
  out->view_version = out->storage->version;
  if (out->retains_grad) register_retains_grad(out);
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

void find_user_frame(PyObject** code_out, int* lasti_out) {
  struct Found {
    PyObject* code = nullptr;
    int lasti = 0;
  } found;
  walk_frames(
      [](PyObject* code, int lasti, void* ctx) {
        if (is_library_code(reinterpret_cast<PyCodeObject*>(code))) return false;
        auto* f = static_cast<Found*>(ctx);
        f->code = code;
#if PY_VERSION_HEX >= 0x030B0000
        f->lasti = -1 - lasti;  // negative: an offset, see creation_site()
#else
        f->lasti = lasti;  // a line number
#endif
        return true;
      },
      &found);
  *code_out = found.code;
  *lasti_out = found.lasti;
}

namespace {
bool g_record_sites = true;
PyObject* g_format_stack = nullptr;  // traceback.format_stack, for anomaly mode

void record_forward_trace(Node* fn) {
  if (g_format_stack == nullptr) {
    PyRef mod = PyRef::check(PyImport_ImportModule("traceback"));
    g_format_stack = PyRef::check(PyObject_GetAttrString(mod.get(), "format_stack")).release();
  }
  PyRef lines = PyRef::check(PyObject_CallNoArgs(g_format_stack));
  PyRef empty = PyRef::check(PyUnicode_FromString(""));
  Py_XSETREF(fn->extras().anomaly_trace, PyRef::check(PyUnicode_Join(empty.get(), lines.get())).release());
}
}  // namespace

void set_record_creation_sites(bool enabled) { g_record_sites = enabled; }

void record_creation_site(Node* fn) {
  if (AnomalyMode::is_enabled()) record_forward_trace(fn);
  if (!g_record_sites) return;
  PyObject* code = nullptr;
  int lasti = 0;
  find_user_frame(&code, &lasti);
  Node* parent = running_node();
  if (parent != nullptr && parent->creation_code_ != nullptr &&
      (code == nullptr || is_backward_call_site(code, lasti))) {
    // Made by a native backward formula: the place that matters is the forward op it belongs to.
    code = parent->creation_code_;
    lasti = parent->creation_line_;
  }
  if (code == nullptr) return;
  Py_INCREF(code);
  Py_XSETREF(fn->creation_code_, code);
  fn->creation_line_ = lasti;
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
