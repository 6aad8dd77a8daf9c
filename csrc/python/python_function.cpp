// Function.apply and the PyFunctionNode it records. This is the hot path of every custom
// Function, so it uses the raw CPython API: one vectorcall into forward, one into backward,
// and no per-call attribute lookups beyond the class's own.
#include "python/python_function.h"

#include "autograd/forward_ad.h"
#include "core/grad_mode.h"
#include "core/py_callbacks.h"
#include "ops/ops.h"
#include "python/py_utils.h"

namespace fngrad {
namespace autograd {

namespace {

// FunctionMeta resolves, once per class, what apply and backward need:
// _fngrad_apply_info = (backward_cls, setup_context or None, flags), and _fngrad_backward (the
// user's backward or vjp).
PyObject* g_str_apply_info = nullptr;
PyObject* g_str_forward_cls = nullptr;
PyObject* g_str_forward = nullptr;
PyObject* g_str_backward = nullptr;

void intern_strings() {
  if (g_str_apply_info != nullptr) return;
  g_str_apply_info = PyUnicode_InternFromString("_fngrad_apply_info");
  g_str_forward_cls = PyUnicode_InternFromString("_forward_cls");
  g_str_forward = PyUnicode_InternFromString("forward");
  g_str_backward = PyUnicode_InternFromString("_fngrad_backward");
}

// Forward AD through a custom Function (Note [Forward AD]): forward runs with forward AD paused,
// as in PyTorch, then fngrad.autograd.forward_ad._function_forward_ad(ctx, inputs, output) calls
// the Function's jvp (or raises PyTorch's error) and gives the outputs their tangents.
struct ForwardADPause {
  int saved = -1;
  void pause() {
    saved = ForwardADLevel::active_level;
    ForwardADLevel::active_level = -1;
  }
  void resume() {
    if (saved >= 0) ForwardADLevel::active_level = saved;
    saved = -1;
  }
  ~ForwardADPause() { resume(); }
};

PyObject* function_forward_ad(PyObject* ctx, PyObject* const* args, Py_ssize_t nargs, PyObject* output) {
  PyRef out = PyRef::steal(output);
  PyRef inputs = PyRef::check(PyTuple_New(nargs));
  for (Py_ssize_t i = 0; i < nargs; i++) {
    Py_INCREF(args[i]);
    PyTuple_SET_ITEM(inputs.get(), i, args[i]);
  }
  PyObject* call[3] = {ctx, inputs.get(), out.get()};
  return PyObject_Vectorcall(py_callback(PyCallback::FunctionForwardAD), call, 3, nullptr);
}

const char* ctx_type_name(FunctionCtxObject* ctx) { return _PyType_Name(Py_TYPE(ctx)); }

bool contains_object(PyObject* tuple, PyObject* o) {
  if (tuple == nullptr) return false;
  Py_ssize_t n = PyTuple_GET_SIZE(tuple);
  for (Py_ssize_t i = 0; i < n; i++)
    if (PyTuple_GET_ITEM(tuple, i) == o) return true;
  return false;
}

}  // namespace

PyFunctionNode::PyFunctionNode(FunctionCtxObject* ctx) : ctx_(ctx) {
  Py_INCREF(ctx);
  ctx->base.node = this;
  ctx->base.owns_node = false;
}

PyFunctionNode::~PyFunctionNode() {
  // See Note [GIL in PyFunctionNode].
  if (!Py_IsInitialized()) return;
  ctx_->base.node = nullptr;
  saved.clear();
  attr_saved.clear();
  Py_DECREF(ctx_);
}

std::string PyFunctionNode::name() const { return ctx_type_name(ctx_); }

PyObject* PyFunctionNode::python_object() {
  Py_INCREF(ctx_);
  return reinterpret_cast<PyObject*>(ctx_);
}

void PyFunctionNode::visit_saved(SavedValueVisitor& v) const {
  v.saved_list("saved_tensors", saved.data(), saved.size());
  if (ctx_->output_attrs == nullptr) return;
  PyObject *key, *index;
  Py_ssize_t pos = 0;
  while (PyDict_Next(ctx_->output_attrs, &pos, &key, &index)) {
    const char* name = PyUnicode_AsUTF8(key);
    if (name == nullptr) throw PythonError();
    v.saved(name, attr_saved[static_cast<size_t>(PyLong_AsSsize_t(index))]);
  }
}

void PyFunctionNode::release_saved() {
  for (SavedTensor& s : saved) s.release();
  for (SavedTensor& s : attr_saved) s.release();
  saved_released = true;
}

PyObject* PyFunctionNode::unpack_saved() {
  FNGRAD_CHECK_RUNTIME(!saved_released, ERR_BACKWARD_TWICE);
  PyRef tuple = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(saved.size())));
  for (size_t i = 0; i < saved.size(); i++) {
    TensorRef t = saved[i].unpack(this);
    PyObject* item = t ? t.release() : (Py_INCREF(Py_None), Py_None);
    PyTuple_SET_ITEM(tuple.get(), static_cast<Py_ssize_t>(i), item);
  }
  return tuple.release();
}

int PyFunctionNode::traverse_owned(visitproc visit, void* arg) {
  Py_VISIT(reinterpret_cast<PyObject*>(ctx_));
  return 0;
}

PyObject* PyFunctionNode::unpack_attr(Py_ssize_t index, PyObject* name) {
  (void)name;
  TensorRef t = attr_saved[static_cast<size_t>(index)].unpack(this);
  return t.release();
}

GradList PyFunctionNode::apply(GradList&& grads) {
  intern_strings();
  PyObject* backward_cls = reinterpret_cast<PyObject*>(Py_TYPE(ctx_));
  PyRef forward_cls = PyRef::check(PyObject_GetAttr(backward_cls, g_str_forward_cls));
  PyRef backward_fn = PyRef::check(PyObject_GetAttr(forward_cls.get(), g_str_backward));

  // backward(ctx, *grad_outputs): one gradient per forward output.
  const size_t n_out = output_input_nr.size();
  SmallVec<PyObject*, 6> args;
  SmallVec<PyRef, 4> keep;  // owns the gradients passed in
  args.push_back(reinterpret_cast<PyObject*>(ctx_));
  for (size_t i = 0; i < n_out; i++) {
    int32_t slot = output_input_nr[i];
    PyObject* arg = Py_None;
    if (slot >= 0) {
      TensorRef& g = grads[static_cast<size_t>(slot)];
      if (!g && ctx_->materialize_grads) {
        const InputMeta& m = input_meta_[static_cast<size_t>(slot)];
        g = zeros(m.shape, m.dtype);
      }
      if (g) {
        keep.push_back(PyRef::borrow(g.obj()));
        arg = g.obj();
      }
    }
    args.push_back(arg);
  }
  PyRef result;
  if (ctx_->flags & kCtxBoxedGrads) {
    // boxed_grads_call: backward(ctx, grads) with one list, which backward may clear to free memory early.
    PyRef boxed = PyRef::check(PyList_New(static_cast<Py_ssize_t>(n_out)));
    for (size_t i = 0; i < n_out; i++) {
      Py_INCREF(args[i + 1]);
      PyList_SET_ITEM(boxed.get(), static_cast<Py_ssize_t>(i), args[i + 1]);
    }
    keep.clear();
    grads.clear();
    PyObject* call_args[2] = {reinterpret_cast<PyObject*>(ctx_), boxed.get()};
    result = PyRef::check(PyObject_Vectorcall(backward_fn.get(), call_args, 2, nullptr));
  } else {
    result = PyRef::check(PyObject_Vectorcall(backward_fn.get(), args.data(), args.size(), nullptr));
  }
  keep.clear();

  // Normalise to a sequence of results, one per forward argument.
  PyRef tuple;
  if (PyTuple_Check(result.get())) {
    tuple = result;
  } else {
    tuple = PyRef::check(PyTuple_Pack(1, result.get()));
  }
  const Py_ssize_t n_args = static_cast<Py_ssize_t>(arg_is_tensor.size());
  Py_ssize_t n_res = PyTuple_GET_SIZE(tuple.get());
  if (n_res > n_args) {
    // Extra trailing Nones are allowed.
    bool all_none = true;
    for (Py_ssize_t i = n_args; i < n_res; i++) all_none = all_none && PyTuple_GET_ITEM(tuple.get(), i) == Py_None;
    if (all_none) n_res = n_args;
  }
  if (n_res != n_args) {
    fail(ErrorKind::Runtime, "function ", describe_node(this), " returned an incorrect number of gradients (expected ",
         n_args, ", got ", n_res, ")");
  }
  GradList out;
  for (Py_ssize_t i = 0; i < n_args; i++) {
    PyObject* r = PyTuple_GET_ITEM(tuple.get(), i);
    if (!arg_is_tensor[static_cast<size_t>(i)]) {
      if (r != Py_None) {
        fail(ErrorKind::Runtime, "function ", describe_node(this),
             " returned a gradient different than None at position ", i + 1,
             ", but the corresponding forward input was not a Variable");
      }
      continue;
    }
    if (r == Py_None) {
      out.emplace_back();
    } else if (is_tensor(r)) {
      out.push_back(TensorRef::borrow(r));
    } else {
      fail(ErrorKind::Runtime, "function ", describe_node(this), " returned an invalid gradient at position ", i + 1,
           ": expected Variable or None (got ", py_type_name(r), ")");
    }
  }
  return out;
}

namespace {

// Replaces outputs[i] (a tensor) with what the caller receives, and connects it to the node.
// Returns the new object (a new reference).
PyObject* wrap_output(PyFunctionNode* node, FunctionCtxObject* ctx, PyObject* out, PyObject* const* args,
                      Py_ssize_t nargs, PyObject* seen_outputs, bool is_differentiable) {
  TensorObject* t = as_tensor(out);
  bool is_input = false;
  for (Py_ssize_t i = 0; i < nargs; i++) is_input = is_input || args[i] == out;
  bool is_dirty = contains_object(ctx->dirty, out);
  bool repeated = PySet_Contains(seen_outputs, out) == 1;
  if (!is_differentiable || !is_floating(t->dtype)) {
    // Still give backward a slot for it (a zero gradient), as PyTorch does.
    node->input_meta().emplace_back(InputMeta{t->dtype, t->sizes});
    Py_INCREF(out);
    return out;
  }
  TensorRef result;
  if ((is_input && !is_dirty) || repeated) {
    // An input returned as-is (or an output returned twice) comes back as a new tensor over the
    // same memory, so that the input's own history is left alone.
    result = alias(t);
    TensorObject* base = t->base != nullptr ? t->base : t;
    Py_INCREF(reinterpret_cast<PyObject*>(base));
    result->base = base;
    result->custom_fn_view = true;
  } else {
    if (is_input && t->grad_fn == nullptr && t->requires_grad) {
      fail(ErrorKind::Runtime, "a leaf Variable that requires grad has been used in an in-place operation.");
    }
    result = TensorRef::borrow(t);
    // A view made inside forward: in-place on it would bypass the custom backward.
    if (t->base != nullptr && !is_dirty) result->custom_fn_view = true;
  }
  set_history(result.get(), node);
  if (PySet_Add(seen_outputs, out) < 0) throw PythonError();
  return result.release();
}

// Note [Outputs stored on ctx]
// `ctx.out = out` in forward makes a cycle the garbage collector cannot see: out -> its grad_fn
// (this node, a C++ object) -> ctx -> ctx.__dict__ -> out. PyTorch leaves it to the cycle
// collector; here it would never be freed. So apply moves each ctx attribute that is an output
// of this node into the node as a saved output (data only, no reference to the tensor, as
// save_for_backward does) and reading the attribute unpacks it: a tensor sharing the output's
// memory, with the same version check as saved tensors. After a backward without retain_graph
// it is released like the saved tensors. Outputs inside containers on ctx are not looked at.
void stash_outputs_stored_on_ctx(PyFunctionNode* node, FunctionCtxObject* ctx, PyObject* results) {
  if (ctx->dict == nullptr || PyDict_GET_SIZE(ctx->dict) == 0) return;
  PyObject* key;
  PyObject* value;
  Py_ssize_t pos = 0;
  SmallVec<PyObject*, 2> keys;
  while (PyDict_Next(ctx->dict, &pos, &key, &value)) {
    if (!is_tensor(value) || as_tensor(value)->grad_fn != node) continue;
    bool is_output = false;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(results); k++)
      is_output = is_output || PyTuple_GET_ITEM(results, k) == value;
    if (is_output) keys.push_back(key);
  }
  if (keys.empty()) return;
  if (ctx->output_attrs == nullptr) ctx->output_attrs = PyRef::check(PyDict_New()).release();
  for (PyObject* k : keys) {
    PyRef name = PyRef::borrow(k);                          // the key outlives its removal from ctx.__dict__
    PyObject* out = PyDict_GetItemWithError(ctx->dict, k);  // borrowed
    FNGRAD_PY_CHECK(out != nullptr);
    node->attr_saved.emplace_back(as_tensor(out), /*is_output=*/true, /*with_hooks=*/false);
    PyRef index = PyRef::check(PyLong_FromSize_t(node->attr_saved.size() - 1));
    if (PyDict_SetItem(ctx->output_attrs, k, index.get()) < 0 || PyDict_DelItem(ctx->dict, k) < 0) throw PythonError();
  }
}

}  // namespace

PyObject* function_apply(PyObject* cls, PyObject* const* args_in, Py_ssize_t nargs_in, PyObject* kwnames) {
  FNGRAD_TRY
  intern_strings();
  PyRef info = PyRef::check(PyObject_GetAttr(cls, g_str_apply_info));
  FNGRAD_CHECK_TYPE(PyTuple_Check(info.get()) && PyTuple_GET_SIZE(info.get()) == 3, "[apply] ",
                    _PyType_Name(reinterpret_cast<PyTypeObject*>(cls)),
                    " is not a subclass of fngrad.autograd.Function.");
  PyObject* backward_cls = PyTuple_GET_ITEM(info.get(), 0);
  PyObject* setup_context = PyTuple_GET_ITEM(info.get(), 1);
  const int flags = static_cast<int>(PyLong_AsLong(PyTuple_GET_ITEM(info.get(), 2)));
  // Keyword arguments are mapped to positions through forward's signature (slow path); so are the
  // defaults of a forward whose Function has setup_context (kApplyBindsDefaults), which PyTorch passes to it.
  PyRef bound;
  PyObject* const* args = args_in;
  Py_ssize_t nargs = nargs_in;
  const bool has_kwargs = kwnames != nullptr && PyTuple_GET_SIZE(kwnames) > 0;
  if (has_kwargs || (flags & kApplyBindsDefaults) != 0) {
    PyRef kwargs = PyRef::check(PyDict_New());
    for (Py_ssize_t i = 0; has_kwargs && i < PyTuple_GET_SIZE(kwnames); i++) {
      if (PyDict_SetItem(kwargs.get(), PyTuple_GET_ITEM(kwnames, i), args_in[nargs_in + i]) < 0) throw PythonError();
    }
    PyRef pos = PyRef::check(PyTuple_New(nargs_in));
    for (Py_ssize_t i = 0; i < nargs_in; i++) {
      Py_INCREF(args_in[i]);
      PyTuple_SET_ITEM(pos.get(), i, args_in[i]);
    }
    bound = PyRef::check(
        PyObject_CallFunctionObjArgs(py_callback(PyCallback::BindKwargs), cls, pos.get(), kwargs.get(), nullptr));
    FNGRAD_CHECK_TYPE(PyTuple_Check(bound.get()), "[apply] internal: _bind_kwargs must return a tuple");
    args = &PyTuple_GET_ITEM(bound.get(), 0);
    nargs = PyTuple_GET_SIZE(bound.get());
  }

  PyRef forward = PyRef::check(PyObject_GetAttr(cls, g_str_forward));

  const bool grad_on = GradMode::is_enabled();
  bool any_requires_grad = false;
  for (Py_ssize_t i = 0; i < nargs; i++) {
    if (is_tensor(args[i]) && requires_grad_reverse(as_tensor(args[i]))) any_requires_grad = true;
  }
  const bool record = grad_on && any_requires_grad;
  bool forward_ad = false;
  ForwardADPause fw_pause;
  if (ForwardADLevel::active_level >= 0 && (grad_on || !InferenceMode::is_enabled())) [[unlikely]] {
    flush_pending();
    for (Py_ssize_t i = 0; i < nargs; i++) {
      if (is_tensor(args[i]) && has_tangent(as_tensor(args[i]))) forward_ad = true;
    }
    if (forward_ad) fw_pause.pause();
  }

  auto* type = reinterpret_cast<PyTypeObject*>(backward_cls);
  PyRef ctx_obj = PyRef::check(type->tp_alloc(type, 0));
  auto* ctx = reinterpret_cast<FunctionCtxObject*>(ctx_obj.get());
  ctx->materialize_grads = true;
  ctx->flags = flags;
  {
    PyRef needs = PyRef::check(PyTuple_New(nargs));
    for (Py_ssize_t i = 0; i < nargs; i++) {
      bool n = record && is_tensor(args[i]) && requires_grad_reverse(as_tensor(args[i]));
      PyObject* b = n ? Py_True : Py_False;
      Py_INCREF(b);
      PyTuple_SET_ITEM(needs.get(), i, b);
    }
    ctx->needs_input_grad = needs.release();
  }

  // forward(ctx, *args), or forward(*args) then setup_context(ctx, inputs, output).
  PyRef output;
  {
    GradModeGuard no_grad(false);
    if (setup_context == Py_None) {
      SmallVec<PyObject*, 6> call_args;
      call_args.push_back(ctx_obj.get());
      for (Py_ssize_t i = 0; i < nargs; i++) call_args.push_back(args[i]);
      output = PyRef::check(PyObject_Vectorcall(forward.get(), call_args.data(), call_args.size(), nullptr));
    } else {
      output = PyRef::check(PyObject_Vectorcall(forward.get(), args, static_cast<size_t>(nargs), nullptr));
      PyRef inputs = PyRef::check(PyTuple_New(nargs));
      for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_INCREF(args[i]);
        PyTuple_SET_ITEM(inputs.get(), i, args[i]);
      }
      PyObject* sc_args[3] = {ctx_obj.get(), inputs.get(), output.get()};
      PyRef r = PyRef::check(PyObject_Vectorcall(setup_context, sc_args, 3, nullptr));
    }
  }

  const bool is_tuple = PyTuple_Check(output.get());
  if (!record) {
    ctx->forward_done = true;
    // Without a graph, marked-dirty inputs still changed: their versions move on.
    if (ctx->dirty != nullptr) {
      for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ctx->dirty); i++) {
        PyObject* d = PyTuple_GET_ITEM(ctx->dirty, i);
        if (is_tensor(d)) ops::bump_version(as_tensor(d));
      }
    }
    if (forward_ad) [[unlikely]] {
      fw_pause.resume();
      return function_forward_ad(ctx_obj.get(), args, nargs, output.release());
    }
    return output.release();
  }

  auto* node = new PyFunctionNode(ctx);
  NodeRef node_ref(node);
  for (Py_ssize_t i = 0; i < nargs; i++) {
    bool t = is_tensor(args[i]);
    node->arg_is_tensor.push_back(t);
    if (t) node->next_edges().push_back(gradient_edge(as_tensor(args[i])));
  }

  // Marked-dirty tensors must be inputs that are returned.
  if (ctx->dirty != nullptr) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ctx->dirty); i++) {
      PyObject* d = PyTuple_GET_ITEM(ctx->dirty, i);
      bool returned = is_tuple ? contains_object(output.get(), d) : output.get() == d;
      FNGRAD_CHECK_RUNTIME(returned,
                           "Some elements marked as dirty during the forward method were not returned as output.");
      ops::bump_version(as_tensor(d));
    }
  }

  PyRef seen = PyRef::check(PySet_New(nullptr));
  const Py_ssize_t n_out = is_tuple ? PyTuple_GET_SIZE(output.get()) : 1;
  PyRef results = PyRef::check(PyTuple_New(n_out));
  for (Py_ssize_t i = 0; i < n_out; i++) {
    PyObject* o = is_tuple ? PyTuple_GET_ITEM(output.get(), i) : output.get();
    if (!is_tensor(o)) {
      node->output_input_nr.push_back(-1);
      Py_INCREF(o);
      PyTuple_SET_ITEM(results.get(), i, o);
      continue;
    }
    bool differentiable = !contains_object(ctx->non_differentiable, o);
    node->output_input_nr.push_back(static_cast<int32_t>(node->num_inputs()));
    PyObject* wrapped = wrap_output(node, ctx, o, args, nargs, seen.get(), differentiable);
    PyTuple_SET_ITEM(results.get(), i, wrapped);
  }

  // Saved tensors: an output of this node is saved as data (see SavedTensor).
  if (ctx->to_save != nullptr) {
    Py_ssize_t n = PyTuple_GET_SIZE(ctx->to_save);
    for (Py_ssize_t i = 0; i < n; i++) {
      PyObject* s = PyTuple_GET_ITEM(ctx->to_save, i);
      if (s == Py_None) {
        node->saved.emplace_back();
        continue;
      }
      TensorObject* t = as_tensor(s);
      bool is_output = false;
      for (Py_ssize_t k = 0; k < n_out; k++) {
        PyObject* r = PyTuple_GET_ITEM(results.get(), k);
        if (r == s && as_tensor(r)->grad_fn == node) is_output = true;
      }
      node->saved.emplace_back(t, is_output);
    }
    Py_CLEAR(ctx->to_save);
  }
  stash_outputs_stored_on_ctx(node, ctx, results.get());
  ctx->forward_done = true;
  record_creation_site(node);

  PyObject* result;
  if (is_tuple) {
    result = results.release();
  } else {
    result = PyTuple_GET_ITEM(results.get(), 0);
    Py_INCREF(result);
  }
  if (forward_ad) [[unlikely]] {
    fw_pause.resume();
    return function_forward_ad(ctx_obj.get(), args, nargs, result);
  }
  return result;
  FNGRAD_CATCH(nullptr)
}

}  // namespace autograd
}  // namespace fngrad
