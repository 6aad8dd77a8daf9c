// _C.Node (grad_fn objects) and _C._FunctionBase (the ctx of Python Functions).
#include "python/node_type.h"

#include <structmember.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <unordered_map>

#include "autograd/accumulate_grad.h"
#include "autograd/saved_tensor.h"
#include "python/py_utils.h"
#include "python/python_function.h"
#include "python/tensor_type.h"

namespace fngrad {

using autograd::Node;

PyTypeObject* NodeType = nullptr;
PyTypeObject* FunctionBaseType = nullptr;

namespace {
PyTypeObject* make_native_node_type(const std::string& name);
}

// The Python class of native nodes called `name` (Note [Native node classes]).
PyTypeObject* native_node_type(const std::string& name) {
  // Keyed by the node's name; the type's name is the part after the last "::", as PyTorch
  // names the class of its "torch::autograd::AccumulateGrad" node AccumulateGrad.
  static std::unordered_map<std::string, PyTypeObject*> types;
  auto it = types.find(name);
  if (it != types.end()) return it->second;
  PyTypeObject* tp = make_native_node_type(name);
  types.emplace(name, tp);
  return tp;
}

PyObject* wrap_native_node(Node* node) {
  if (node->pyobj_ != nullptr) {
    Py_INCREF(node->pyobj_);
    return node->pyobj_;
  }
  PyTypeObject* type = native_node_type(node->name());
  PyObject* o = type->tp_alloc(type, 0);
  if (o == nullptr) throw PythonError();
  auto* n = reinterpret_cast<NodeObject*>(o);
  node->refcount_++;
  n->node = node;
  n->owns_node = true;
  node->pyobj_ = o;
  return o;
}

namespace autograd {
PyObject* Node::python_object() { return wrap_native_node(this); }
}  // namespace autograd

namespace {

// ---- _C.Node ----

void node_dealloc(PyObject* self) {
  auto* n = reinterpret_cast<NodeObject*>(self);
  PyObject_GC_UnTrack(self);
  if (n->weakreflist != nullptr) PyObject_ClearWeakRefs(self);
  if (n->owns_node && n->node != nullptr) {
    Node* node = n->node;
    n->node = nullptr;
    if (node->pyobj_ == self) node->pyobj_ = nullptr;
    autograd::node_decref(node);
  }
  PyTypeObject* tp = Py_TYPE(self);
  tp->tp_free(self);
  if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) Py_DECREF(tp);
}

int node_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  return 0;
}

Node* node_of(PyObject* self) { return reinterpret_cast<NodeObject*>(self)->node; }

PyObject* node_name(PyObject* self, PyObject*) {
  FNGRAD_TRY
  Node* node = node_of(self);
  if (node == nullptr) return PyUnicode_FromString(_PyType_Name(Py_TYPE(self)));
  return PyUnicode_FromString(node->name().c_str());
  FNGRAD_CATCH(nullptr)
}

PyObject* node_repr(PyObject* self) {
  FNGRAD_TRY
  Node* node = node_of(self);
  std::string name = node ? node->name() : _PyType_Name(Py_TYPE(self));
  return PyUnicode_FromFormat("<%s object at %p>", name.c_str(), self);
  FNGRAD_CATCH(nullptr)
}

PyObject* node_next_functions(PyObject* self, void*) {
  FNGRAD_TRY
  Node* node = node_of(self);
  if (node == nullptr) return PyTuple_New(0);
  const autograd::EdgeList& edges = node->next_edges();
  PyRef result = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(edges.size())));
  for (size_t i = 0; i < edges.size(); i++) {
    PyRef fn;
    if (edges[i].function) {
      fn = PyRef::steal(edges[i].function->python_object());
    } else {
      fn = PyRef::borrow(Py_None);
    }
    PyRef nr = PyRef::check(PyLong_FromUnsignedLong(edges[i].input_nr));
    PyRef pair = PyRef::check(PyTuple_Pack(2, fn.get(), nr.get()));
    PyTuple_SET_ITEM(result.get(), static_cast<Py_ssize_t>(i), pair.release());
  }
  return result.release();
  FNGRAD_CATCH(nullptr)
}

PyObject* node_metadata(PyObject* self, void*) {
  FNGRAD_TRY
  Node* node = node_of(self);
  FNGRAD_CHECK_RUNTIME(node != nullptr, "[metadata] This Function has no graph node (it ran without grad).");
  PyObject*& dict = node->extras().metadata;
  if (dict == nullptr) dict = PyRef::check(PyDict_New()).release();
  Py_INCREF(dict);
  return dict;
  FNGRAD_CATCH(nullptr)
}

PyObject* node_variable(PyObject* self, void*) {
  FNGRAD_TRY
  auto* acc = dynamic_cast<autograd::AccumulateGrad*>(node_of(self));
  if (acc == nullptr) {
    PyErr_Format(PyExc_AttributeError, "'%s' object has no attribute 'variable'", _PyType_Name(Py_TYPE(self)));
    return nullptr;
  }
  PyObject* v = acc->variable().obj();
  Py_INCREF(v);
  return v;
  FNGRAD_CATCH(nullptr)
}

// ---- saved values (Note [Saved values]) ----

// Collects the names a node reports.
class SavedNames final : public autograd::SavedValueVisitor {
 public:
  PyRef list = PyRef::check(PyList_New(0));
  void add(const char* name) {
    PyRef s = PyRef::check(PyUnicode_FromString(name));
    if (PyList_Append(list.get(), s.get()) < 0) throw PythonError();
  }
  void saved(const char* n, const autograd::SavedTensor&) override { add(n); }
  void saved_list(const char* n, const autograd::SavedTensor*, size_t) override { add(n); }
  void held(const char* n, TensorObject*) override { add(n); }
  void integer(const char* n, int64_t) override { add(n); }
  void real(const char* n, double) override { add(n); }
  void boolean(const char* n, bool) override { add(n); }
  void ints(const char* n, const DimVec&) override { add(n); }
  void scalar(const char* n, const Scalar*) override { add(n); }
  void text(const char* n, const char*) override { add(n); }
};

// Builds the value of one attribute; `result` stays null when the node has no such attribute.
// Unpacking a saved tensor raises as backward would: freed, or modified in place.
class SavedLookup final : public autograd::SavedValueVisitor {
 public:
  SavedLookup(Node* owner, const char* wanted) : owner_(owner), wanted_(wanted) {}
  PyRef result;

  void saved(const char* n, const autograd::SavedTensor& t) override {
    if (match(n)) result = tensor_or_none(t.unpack(owner_));
  }
  void saved_list(const char* n, const autograd::SavedTensor* ts, size_t count) override {
    if (!match(n)) return;
    PyRef tuple = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(count)));
    for (size_t i = 0; i < count; i++)
      PyTuple_SET_ITEM(tuple.get(), static_cast<Py_ssize_t>(i), tensor_or_none(ts[i].unpack(owner_)).release());
    result = std::move(tuple);
  }
  void held(const char* n, TensorObject* t) override {
    if (match(n)) result = tensor_or_none(TensorRef::borrow(t));
  }
  void integer(const char* n, int64_t v) override {
    if (match(n)) result = PyRef::check(PyLong_FromLongLong(v));
  }
  void real(const char* n, double v) override {
    if (match(n)) result = PyRef::check(PyFloat_FromDouble(v));
  }
  void boolean(const char* n, bool v) override {
    if (match(n)) result = PyRef::borrow(v ? Py_True : Py_False);
  }
  void ints(const char* n, const DimVec& v) override {
    if (!match(n)) return;
    PyRef tuple = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(v.size())));
    for (size_t i = 0; i < v.size(); i++)
      PyTuple_SET_ITEM(tuple.get(), static_cast<Py_ssize_t>(i), PyRef::check(PyLong_FromLongLong(v[i])).release());
    result = std::move(tuple);
  }
  void scalar(const char* n, const Scalar* v) override {
    if (!match(n)) return;
    if (v == nullptr)
      result = PyRef::borrow(Py_None);
    else if (v->kind == Scalar::Float)
      result = PyRef::check(PyFloat_FromDouble(v->d));
    else if (v->kind == Scalar::Bool)
      result = PyRef::borrow(v->i ? Py_True : Py_False);
    else
      result = PyRef::check(PyLong_FromLongLong(v->i));
  }
  void text(const char* n, const char* v) override {
    if (match(n)) result = PyRef::check(PyUnicode_FromString(v));
  }

 private:
  bool match(const char* n) const { return !result && std::strcmp(n, wanted_) == 0; }
  static PyRef tensor_or_none(TensorRef t) {
    if (!t) return PyRef::borrow(Py_None);
    return PyRef::steal(reinterpret_cast<PyObject*>(t.release()));
  }
  Node* owner_;
  const char* wanted_;
};

constexpr char kSavedPrefix[] = "_saved_";

// `node._saved_self` and the other saved values, looked up before the class's attributes
// (none of which starts with "_saved_").
PyObject* node_getattro(PyObject* self, PyObject* name) {
  Node* node = node_of(self);
  if (node != nullptr && PyUnicode_Check(name)) {
    const char* s = PyUnicode_AsUTF8(name);
    if (s == nullptr) return nullptr;
    if (std::strncmp(s, kSavedPrefix, sizeof(kSavedPrefix) - 1) == 0) {
      FNGRAD_TRY
      SavedLookup lookup(node, s);
      node->visit_saved(lookup);
      if (lookup.result) return lookup.result.release();
      FNGRAD_CATCH(nullptr)
    }
  }
  return PyObject_GenericGetAttr(self, name);
}

PyObject* node_list_saved(PyObject* self, PyObject*) {
  FNGRAD_TRY
  SavedNames names;
  if (Node* node = node_of(self)) node->visit_saved(names);
  return PyList_AsTuple(names.list.get());
  FNGRAD_CATCH(nullptr)
}

PyObject* node_dir(PyObject* self, PyObject*) {
  FNGRAD_TRY
  PyRef base = PyRef::check(PyObject_GetAttrString(reinterpret_cast<PyObject*>(&PyBaseObject_Type), "__dir__"));
  PyRef names = PyRef::check(PyObject_CallOneArg(base.get(), self));
  PyRef set = PyRef::check(PySet_New(names.get()));
  SavedNames saved;
  if (Node* node = node_of(self)) node->visit_saved(saved);
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(saved.list.get()); i++)
    if (PySet_Add(set.get(), PyList_GET_ITEM(saved.list.get(), i)) < 0) throw PythonError();
  return PySequence_List(set.get());
  FNGRAD_CATCH(nullptr)
}

// _input_metadata: (shape, dtype) of each forward output, as PyTorch's node attribute.
PyTypeObject* g_input_metadata_type = nullptr;

PyObject* node_input_metadata(PyObject* self, void*) {
  FNGRAD_TRY
  Node* node = node_of(self);
  if (node == nullptr) return PyTuple_New(0);
  const auto& metas = node->input_meta();
  PyRef result = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(metas.size())));
  for (size_t i = 0; i < metas.size(); i++) {
    PyRef m = PyRef::check(PyStructSequence_New(g_input_metadata_type));
    PyStructSequence_SetItem(m.get(), 0, make_size(metas[i].shape));
    PyObject* dt = dtype_object(metas[i].dtype);
    Py_INCREF(dt);
    PyStructSequence_SetItem(m.get(), 1, dt);
    PyTuple_SET_ITEM(result.get(), static_cast<Py_ssize_t>(i), m.release());
  }
  return result.release();
  FNGRAD_CATCH(nullptr)
}

// _C._storage_info(t) -> (address, nbytes) of the memory t is a view of: graph_viz's
// memory_report counts each block of memory once.
PyObject* storage_info(PyObject*, PyObject* arg) {
  FNGRAD_TRY
  FNGRAD_CHECK_TYPE(is_tensor(arg), "_storage_info expects a tensor, got ", py_type_name(arg));
  const Storage* st = as_tensor(arg)->storage;
  return Py_BuildValue("(KK)", static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(st->data)),
                       static_cast<unsigned long long>(st->nbytes));
  FNGRAD_CATCH(nullptr)
}

// _C._view_geometry(t) -> (strides, storage offset) in elements: Tensor.stride() and storage_offset()
// read them here, for every dtype (NumPy has no bfloat16 to describe them).
PyObject* view_geometry(PyObject*, PyObject* arg) {
  FNGRAD_TRY
  FNGRAD_CHECK_TYPE(is_tensor(arg), "_view_geometry expects a tensor, got ", py_type_name(arg));
  const TensorObject* t = as_tensor(arg);
  PyRef strides = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(t->strides.size())));
  for (size_t i = 0; i < t->strides.size(); i++)
    PyTuple_SET_ITEM(strides.get(), static_cast<Py_ssize_t>(i),
                     PyRef::check(PyLong_FromLongLong(t->strides[i])).release());
  return Py_BuildValue("(OL)", strides.get(), static_cast<long long>(t->offset));
  FNGRAD_CATCH(nullptr)
}

PyObject* node_sequence_nr(PyObject* self, PyObject*) {
  Node* node = node_of(self);
  if (node == nullptr) Py_RETURN_NONE;
  return PyLong_FromUnsignedLongLong(node->sequence_nr());
}

PyObject* node_creation_site(PyObject* self, void*) {
  FNGRAD_TRY
  Node* node = node_of(self);
  std::string site = node ? autograd::creation_site(node) : "";
  if (site.empty()) Py_RETURN_NONE;
  return PyUnicode_FromString(site.c_str());
  FNGRAD_CATCH(nullptr)
}

PyMethodDef node_methods[] = {
    {"name", node_name, METH_NOARGS,
     "name($self, /)\n--\n\n"
     "The node's name, e.g. 'MulBackward0' or 'MyFnBackward'.\n\n"
     ">>> x = fngrad.tensor([1., 2.], requires_grad=True)\n"
     ">>> (x * 2).grad_fn.name()\n"
     "'MulBackward0'"},
    {"_sequence_nr", node_sequence_nr, METH_NOARGS, "The node's sequence number."},
    {"_list_saved", node_list_saved, METH_NOARGS,
     "Names of the attributes holding what the node saved for backward: '_saved_self', ... on native nodes; "
     "'saved_tensors' and outputs stored on ctx on a Python Function's node."},
    {"__dir__", node_dir, METH_NOARGS, "The attributes, with the node's saved values."},
    {nullptr, nullptr, 0, nullptr}};

PyGetSetDef node_getset[] = {
    {"next_functions", node_next_functions, nullptr, "Tuple of (node or None, input_nr), one per forward input.",
     nullptr},
    {"metadata", node_metadata, nullptr, "A dict for user data attached to this node.", nullptr},
    {"_creation_site", node_creation_site, nullptr, "'file.py:line' of the forward call that created this node.",
     nullptr},
    {"_input_metadata", node_input_metadata, nullptr,
     "Tuple of (shape, dtype), one per forward output: what a gradient arriving at each node input must be.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyGetSetDef accumulate_grad_getset[] = {
    {"variable", node_variable, nullptr, "The leaf tensor whose .grad this node accumulates into.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyTypeObject* make_native_node_type(const std::string& name) {
  static std::unordered_map<std::string, std::string> spec_names;  // PyType_Spec.name must outlive the spec
  size_t colon = name.rfind("::");
  // "builtins." sets __module__ to 'builtins' as PyTorch's node classes have (a spec name without
  // a module is deprecated).
  const std::string& spec_name =
      spec_names.emplace(name, "builtins." + (colon == std::string::npos ? name : name.substr(colon + 2)))
          .first->second;
  const std::string type_name = spec_name.substr(sizeof("builtins.") - 1);
  PyType_Slot slots[] = {
      {Py_tp_traverse, reinterpret_cast<void*>(node_traverse)}, {Py_tp_getset, accumulate_grad_getset}, {0, nullptr}};
  if (type_name != "AccumulateGrad") slots[1] = {0, nullptr};
  PyType_Spec spec = {spec_name.c_str(), sizeof(NodeObject), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, slots};
  PyRef bases = PyRef::check(PyTuple_Pack(1, reinterpret_cast<PyObject*>(NodeType)));
  PyObject* tp = PyType_FromSpecWithBases(&spec, bases.get());
  if (tp == nullptr) throw PythonError();
  return reinterpret_cast<PyTypeObject*>(tp);
}

// ---- _C._FunctionBase: the ctx ----

FunctionCtxObject* ctx_of(PyObject* self) { return reinterpret_cast<FunctionCtxObject*>(self); }

void ctx_clear_fields(FunctionCtxObject* c) {
  Py_CLEAR(c->to_save);
  Py_CLEAR(c->dirty);
  Py_CLEAR(c->non_differentiable);
  Py_CLEAR(c->needs_input_grad);
  Py_CLEAR(c->saved_for_forward);
  Py_CLEAR(c->output_attrs);
  Py_CLEAR(c->dict);
}

int ctx_traverse(PyObject* self, visitproc visit, void* arg) {
  FunctionCtxObject* c = ctx_of(self);
  Py_VISIT(c->to_save);
  Py_VISIT(c->dirty);
  Py_VISIT(c->non_differentiable);
  Py_VISIT(c->needs_input_grad);
  Py_VISIT(c->saved_for_forward);
  Py_VISIT(c->output_attrs);
  Py_VISIT(c->dict);
  Py_VISIT(Py_TYPE(self));
  return 0;
}

int ctx_clear(PyObject* self) {
  ctx_clear_fields(ctx_of(self));
  return 0;
}

void ctx_dealloc(PyObject* self) {
  PyObject_GC_UnTrack(self);
  FunctionCtxObject* c = ctx_of(self);
  if (c->base.weakreflist != nullptr) PyObject_ClearWeakRefs(self);
  ctx_clear_fields(c);
  PyTypeObject* tp = Py_TYPE(self);
  tp->tp_free(self);
  if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) Py_DECREF(tp);
}

// Outputs stored on ctx live in the node (Note [Outputs stored on ctx]).
PyObject* ctx_getattro(PyObject* self, PyObject* name) {
  FunctionCtxObject* c = ctx_of(self);
  if (c->output_attrs != nullptr) {
    FNGRAD_TRY
    PyObject* index = PyDict_GetItemWithError(c->output_attrs, name);  // borrowed
    if (index != nullptr) {
      FNGRAD_CHECK_RUNTIME(c->base.node != nullptr, autograd::ERR_BACKWARD_TWICE);
      auto* node = static_cast<autograd::PyFunctionNode*>(c->base.node);
      return node->unpack_attr(PyLong_AsSsize_t(index), name);
    }
    FNGRAD_PY_CHECK(!PyErr_Occurred());
    FNGRAD_CATCH(nullptr)
  }
  return PyObject_GenericGetAttr(self, name);
}

int ctx_setattro(PyObject* self, PyObject* name, PyObject* value) {
  FunctionCtxObject* c = ctx_of(self);
  if (c->output_attrs != nullptr) {
    int has = PyDict_Contains(c->output_attrs, name);
    if (has < 0 || (has == 1 && PyDict_DelItem(c->output_attrs, name) < 0)) return -1;
    if (has == 1 && value == nullptr) return 0;  // `del ctx.out` of a stashed output
  }
  return PyObject_GenericSetAttr(self, name, value);
}

PyObject* ctx_new(PyTypeObject* type, PyObject*, PyObject*) {
  PyObject* o = type->tp_alloc(type, 0);
  if (o != nullptr) ctx_of(o)->materialize_grads = true;
  return o;
}

PyObject* args_tuple(PyObject* const* args, Py_ssize_t n) {
  PyObject* t = PyTuple_New(n);
  if (t == nullptr) return nullptr;
  for (Py_ssize_t i = 0; i < n; i++) {
    Py_INCREF(args[i]);
    PyTuple_SET_ITEM(t, i, args[i]);
  }
  return t;
}

PyObject* ctx_save_for_backward(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  for (Py_ssize_t i = 0; i < nargs; i++) {
    FNGRAD_CHECK_TYPE(args[i] == Py_None || is_tensor(args[i]),
                      "save_for_backward can only save variables, but argument ", i, " is of type ",
                      py_type_name(args[i]));
  }
  FunctionCtxObject* c = ctx_of(self);
  FNGRAD_CHECK_RUNTIME(!c->forward_done, "save_for_backward can only be called from forward or setup_context.");
  Py_XSETREF(c->to_save, args_tuple(args, nargs));
  if (c->to_save == nullptr) return nullptr;
  Py_RETURN_NONE;
  FNGRAD_CATCH(nullptr)
}

PyObject* ctx_save_for_forward(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  for (Py_ssize_t i = 0; i < nargs; i++) {
    FNGRAD_CHECK_TYPE(args[i] == Py_None || is_tensor(args[i]),
                      "save_for_forward expects all arguments to be tensors; "
                      "you should save non-tensors as attributes on ctx.");
  }
  Py_XSETREF(ctx_of(self)->saved_for_forward, args_tuple(args, nargs));
  Py_RETURN_NONE;
  FNGRAD_CATCH(nullptr)
}

PyObject* ctx_mark_dirty(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  for (Py_ssize_t i = 0; i < nargs; i++) {
    FNGRAD_CHECK_TYPE(is_tensor(args[i]), "mark_dirty can only accept tensors, but argument ", i, " is of type ",
                      py_type_name(args[i]));
  }
  Py_XSETREF(ctx_of(self)->dirty, args_tuple(args, nargs));
  Py_RETURN_NONE;
  FNGRAD_CATCH(nullptr)
}

PyObject* ctx_mark_non_differentiable(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  FNGRAD_TRY
  for (Py_ssize_t i = 0; i < nargs; i++) {
    FNGRAD_CHECK_TYPE(is_tensor(args[i]), "mark_non_differentiable can only accept tensors, but argument ", i,
                      " is of type ", py_type_name(args[i]));
  }
  Py_XSETREF(ctx_of(self)->non_differentiable, args_tuple(args, nargs));
  Py_RETURN_NONE;
  FNGRAD_CATCH(nullptr)
}

PyObject* ctx_set_materialize_grads(PyObject* self, PyObject* value) {
  int v = PyObject_IsTrue(value);
  if (v < 0) return nullptr;
  ctx_of(self)->materialize_grads = v != 0;
  Py_RETURN_NONE;
}

PyObject* ctx_saved_tensors(PyObject* self, void*) {
  FNGRAD_TRY
  FunctionCtxObject* c = ctx_of(self);
  if (c->forward_done && c->base.node != nullptr) {
    auto* node = static_cast<autograd::PyFunctionNode*>(c->base.node);
    PyObject* saved = node->unpack_saved();
    if (c->flags & kCtxClearSavedOnAccess) node->release_saved();
    return saved;
  }
  if (c->forward_done && c->base.node == nullptr && c->to_save == nullptr && c->needs_input_grad != nullptr) {
    // The node that held them is gone: the graph was freed.
    bool any = false;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(c->needs_input_grad); i++)
      any = any || PyTuple_GET_ITEM(c->needs_input_grad, i) == Py_True;
    FNGRAD_CHECK_RUNTIME(!any, autograd::ERR_BACKWARD_TWICE);
  }
  if (c->to_save == nullptr) return PyTuple_New(0);
  Py_INCREF(c->to_save);
  return c->to_save;
  FNGRAD_CATCH(nullptr)
}

PyObject* ctx_needs_input_grad(PyObject* self, void*) {
  FunctionCtxObject* c = ctx_of(self);
  if (c->needs_input_grad == nullptr) return PyTuple_New(0);
  Py_INCREF(c->needs_input_grad);
  return c->needs_input_grad;
}

int ctx_set_needs_input_grad(PyObject* self, PyObject* value, void*) {
  FunctionCtxObject* c = ctx_of(self);
  if (value == nullptr) {
    Py_CLEAR(c->needs_input_grad);
    return 0;
  }
  if (!PyTuple_Check(value)) {
    PyErr_SetString(PyExc_TypeError, "needs_input_grad must be a tuple of bools");
    return -1;
  }
  Py_INCREF(value);
  Py_XSETREF(c->needs_input_grad, value);
  return 0;
}

PyObject* ctx_materialize_grads(PyObject* self, void*) { return PyBool_FromLong(ctx_of(self)->materialize_grads); }

PyObject* ctx_to_save_tensors(PyObject* self, void*) {
  PyObject* t = ctx_of(self)->to_save;
  if (t == nullptr) Py_RETURN_NONE;
  Py_INCREF(t);
  return t;
}

PyObject* ctx_saved_for_forward(PyObject* self, void*) {
  PyObject* t = ctx_of(self)->saved_for_forward;
  if (t == nullptr) return PyTuple_New(0);
  Py_INCREF(t);
  return t;
}

PyObject* ctx_dirty_tensors(PyObject* self, void*) {
  PyObject* t = ctx_of(self)->dirty;
  if (t == nullptr) return PyTuple_New(0);
  Py_INCREF(t);
  return t;
}

PyObject* ctx_apply(PyObject* cls, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  return autograd::function_apply(cls, args, nargs, kwnames);
}

PyMethodDef ctx_methods[] = {
    {"save_for_backward", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(ctx_save_for_backward)),
     METH_FASTCALL, "Saves tensors (or None) for backward; read them back with ctx.saved_tensors."},
    {"save_for_forward", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(ctx_save_for_forward)),
     METH_FASTCALL, "Saves tensors for jvp."},
    {"mark_dirty", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(ctx_mark_dirty)), METH_FASTCALL,
     "Marks inputs that forward modified in place."},
    {"mark_non_differentiable",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(ctx_mark_non_differentiable)), METH_FASTCALL,
     "Marks outputs that are not differentiable."},
    {"set_materialize_grads", ctx_set_materialize_grads, METH_O,
     "Whether backward receives zeros (True, default) or None for outputs without a gradient."},
    {"apply", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(ctx_apply)),
     METH_FASTCALL | METH_KEYWORDS | METH_CLASS,
     "Applies the Function: runs forward and records its backward in the graph."},
    {nullptr, nullptr, 0, nullptr}};

PyGetSetDef ctx_getset[] = {
    {"saved_tensors", ctx_saved_tensors, nullptr, "The tensors given to save_for_backward.", nullptr},
    {"saved_variables", ctx_saved_tensors, nullptr, "Deprecated alias of saved_tensors.", nullptr},
    {"needs_input_grad", ctx_needs_input_grad, ctx_set_needs_input_grad,
     "Tuple of bools: whether each forward input needs a gradient.", nullptr},
    {"materialize_grads", ctx_materialize_grads, nullptr, "See set_materialize_grads.", nullptr},
    {"to_save", ctx_to_save_tensors, nullptr, "The tensors given to save_for_backward, before apply() took them.",
     nullptr},
    {"saved_for_forward", ctx_saved_for_forward, nullptr, "The tensors given to save_for_forward.", nullptr},
    {"dirty_tensors", ctx_dirty_tensors, nullptr, "The tensors given to mark_dirty.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

}  // namespace

void init_node_types(PyObject* module) {
  static PyType_Slot node_slots[] = {
      {Py_tp_dealloc, reinterpret_cast<void*>(node_dealloc)},
      {Py_tp_traverse, reinterpret_cast<void*>(node_traverse)},
      {Py_tp_repr, reinterpret_cast<void*>(node_repr)},
      {Py_tp_getattro, reinterpret_cast<void*>(node_getattro)},
      {Py_tp_methods, node_methods},
      {Py_tp_getset, node_getset},
      {Py_tp_doc, const_cast<char*>("A node of the autograd graph: the backward of one forward operation.\n\n"
                                    ">>> x = fngrad.tensor([1., 2.], requires_grad=True)\n"
                                    ">>> y = (x * 2).sum()\n"
                                    ">>> isinstance(y.grad_fn, fngrad.autograd.graph.Node), y.grad_fn.name()\n"
                                    "(True, 'SumBackward0')\n"
                                    ">>> y.grad_fn.next_functions\n"
                                    "((<MulBackward0 object at 0x...>, 0),)")},
      {0, nullptr}};
  static PyMemberDef node_members[] = {
      {"__weaklistoffset__", T_PYSSIZET, offsetof(NodeObject, weakreflist), READONLY, nullptr},
      {nullptr, 0, 0, 0, nullptr}};
  static PyType_Slot node_slots_full[9];
  int k = 0;
  for (; node_slots[k].slot != 0; k++) node_slots_full[k] = node_slots[k];
  node_slots_full[k++] = {Py_tp_members, node_members};
  node_slots_full[k] = {0, nullptr};
  static PyType_Spec node_spec = {"fngrad._C.Node", sizeof(NodeObject), 0,
                                  Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, node_slots_full};
  NodeType = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&node_spec));
  if (NodeType == nullptr) throw PythonError();

  static PyMemberDef ctx_members[] = {
      {"__dictoffset__", T_PYSSIZET, offsetof(FunctionCtxObject, dict), READONLY, nullptr},
      {"__weaklistoffset__", T_PYSSIZET, offsetof(FunctionCtxObject, base) + offsetof(NodeObject, weakreflist),
       READONLY, nullptr},
      {nullptr, 0, 0, 0, nullptr}};
  static PyType_Slot ctx_slots[] = {
      {Py_tp_dealloc, reinterpret_cast<void*>(ctx_dealloc)},
      {Py_tp_traverse, reinterpret_cast<void*>(ctx_traverse)},
      {Py_tp_clear, reinterpret_cast<void*>(ctx_clear)},
      {Py_tp_getattro, reinterpret_cast<void*>(ctx_getattro)},
      {Py_tp_setattro, reinterpret_cast<void*>(ctx_setattro)},
      {Py_tp_new, reinterpret_cast<void*>(ctx_new)},
      {Py_tp_methods, ctx_methods},
      {Py_tp_getset, ctx_getset},
      {Py_tp_members, ctx_members},
      {Py_tp_doc, const_cast<char*>("The ctx of a Python autograd Function; also the grad_fn of its outputs.")},
      {0, nullptr}};
  static PyType_Spec ctx_spec = {"fngrad._C._FunctionBase", sizeof(FunctionCtxObject), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, ctx_slots};
  PyRef bases = PyRef::check(PyTuple_Pack(1, reinterpret_cast<PyObject*>(NodeType)));
  FunctionBaseType = reinterpret_cast<PyTypeObject*>(PyType_FromSpecWithBases(&ctx_spec, bases.get()));
  if (FunctionBaseType == nullptr) throw PythonError();

  static PyStructSequence_Field meta_fields[] = {
      {"shape", "the shape of the forward output"}, {"dtype", "its dtype"}, {nullptr, nullptr}};
  static PyStructSequence_Desc meta_desc = {"fngrad._C._InputMetadata", "A node input's expected shape and dtype.",
                                            meta_fields, 2};
  g_input_metadata_type = PyStructSequence_NewType(&meta_desc);
  if (g_input_metadata_type == nullptr) throw PythonError();
  static PyMethodDef module_functions[] = {
      {"_storage_info", storage_info, METH_O, "(address, nbytes) of the memory block a tensor is a view of."},
      {"_view_geometry", view_geometry, METH_O, "(strides, storage offset) of a tensor, in elements."},
      {nullptr, nullptr, 0, nullptr}};
  if (PyModule_AddFunctions(module, module_functions) < 0) throw PythonError();

  Py_INCREF(NodeType);
  if (PyModule_AddObject(module, "Node", reinterpret_cast<PyObject*>(NodeType)) < 0) throw PythonError();
  Py_INCREF(FunctionBaseType);
  if (PyModule_AddObject(module, "_FunctionBase", reinterpret_cast<PyObject*>(FunctionBaseType)) < 0)
    throw PythonError();
}

}  // namespace fngrad
