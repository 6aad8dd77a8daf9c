#include "autograd/engine_hooks.h"

#include <cmath>

#include "autograd/accumulate_grad.h"
#include "autograd/anomaly.h"
#include "autograd/grad_math.h"
#include "core/py_ref.h"

namespace fngrad {
namespace autograd {

namespace {

thread_local Node* t_running_node = nullptr;
thread_local PyObject* t_call_site_code = nullptr;  // borrowed: the frame lives while backward runs
thread_local int t_call_site_lasti = 0;

PyObject* hook_list(PyObject* dict) {
  // A snapshot, so that a hook may remove itself (or others) while the hooks run.
  return PyDict_Values(dict);
}

std::string hook_name(PyObject* hook) {
  PyObject* name = PyObject_GetAttrString(hook, "__name__");
  if (name == nullptr) {
    PyErr_Clear();
    return py_type_name(hook);
  }
  const char* s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : nullptr;
  std::string out = s ? s : "hook";
  Py_DECREF(name);
  return out;
}

// PyTorch's check_variable_result: a hook may replace a gradient only by one of the same dtype
// and shape.
void check_hook_result(PyObject* hook, const TensorObject* original, const TensorObject* result) {
  if (result->dtype != original->dtype) {
    fail(ErrorKind::Runtime, "hook '", hook_name(hook), "' has changed the type of value (was fngrad.",
         legacy_type_name(original->dtype), " got fngrad.", legacy_type_name(result->dtype), ")");
  }
  FNGRAD_CHECK_RUNTIME(result->sizes == original->sizes, "hook '", hook_name(hook), "' has changed the size of value");
}

// Applies hook(grad); None keeps grad, a tensor of the same dtype and shape replaces it.
void apply_tensor_hook(PyObject* hook, TensorRef& grad) {
  PyRef result = PyRef::check(PyObject_CallOneArg(hook, grad.obj()));
  if (result.get() == Py_None) return;
  FNGRAD_CHECK_TYPE(is_tensor(result.get()), "expected Variable, but hook returned '", py_type_name(result.get()), "'");
  TensorObject* r = as_tensor(result.get());
  check_hook_result(hook, grad.get(), r);
  grad = TensorRef::borrow(r);
}

PyRef grads_tuple(const GradList& grads) {
  PyRef t = PyRef::check(PyTuple_New(static_cast<Py_ssize_t>(grads.size())));
  for (size_t i = 0; i < grads.size(); i++) {
    PyObject* o = grads[i] ? grads[i].obj() : Py_None;
    Py_INCREF(o);
    PyTuple_SET_ITEM(t.get(), static_cast<Py_ssize_t>(i), o);
  }
  return t;
}

// Replaces grads with the hook's result (None keeps them), checking its length and items.
void replace_grads(PyObject* hook, PyObject* result, GradList& grads) {
  if (result == Py_None) return;
  FNGRAD_CHECK_TYPE(PyTuple_Check(result), "expected tuple, but hook returned '", py_type_name(result), "'");
  PyRef seq = PyRef::check(PySequence_Fast(result, "hooks must return a tuple of gradients or None"));
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.get());
  FNGRAD_CHECK_RUNTIME(static_cast<size_t>(n) == grads.size(), "hook '", hook_name(hook),
                       "' has returned an incorrect number of values (got ", n, ", but expected ", grads.size(), ")");
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject* item = PySequence_Fast_GET_ITEM(seq.get(), i);
    if (item == Py_None) {
      grads[static_cast<size_t>(i)].reset();
      continue;
    }
    TensorRef& slot = grads[static_cast<size_t>(i)];
    FNGRAD_CHECK_RUNTIME(slot.defined(), "can't replace a None gradient with a non-None value");
    FNGRAD_CHECK_TYPE(is_tensor(item), "expected Variable, but hook returned '", py_type_name(item), "'");
    check_hook_result(hook, slot.get(), as_tensor(item));
    slot = TensorRef::borrow(item);
  }
}

void add_note(PyObject* exc, const std::string& note) {
  PyObject* r = PyObject_CallMethod(exc, "add_note", "s", note.c_str());
  if (r == nullptr) {
    PyErr_Clear();  // before Python 3.11 exceptions have no notes: the message is what it is
  } else {
    Py_DECREF(r);
  }
}

std::string context_note(Node* node) {
  std::string note = "while running backward of " + describe_node(node);
  const Node::Extras* ex = node->extras_or_null();
  if (ex != nullptr && ex->anomaly_trace != nullptr && PyUnicode_Check(ex->anomaly_trace)) {
    const char* trace = PyUnicode_AsUTF8(ex->anomaly_trace);
    if (trace != nullptr) {
      note += std::string("\nTraceback of forward call that caused the error:\n") + trace;
      // PyTorch also warns with the forward traceback (its anomaly-mode tests and users look for it).
      std::string warning =
          "Error detected in " + node->name() + ". Traceback of forward call that caused the error:\n" + trace;
      if (PyErr_WarnEx(PyExc_UserWarning, warning.c_str(), 1) < 0)
        PyErr_Clear();  // a warning filter of "error": the original error wins
    }
    PyErr_Clear();
  }
  return note;
}

// Rethrows the exception being handled with the node's context note (Note [Backward error
// context]). Call only from a catch block.
[[noreturn]] void rethrow_with_context(Node* node) {
  try {
    throw;
  } catch (PythonError& e) {
    add_note(e.value(), context_note(node));
    throw;
  } catch (const Error& e) {
    PyObject* type = python_error_type(e.kind());
    PyRef exc = PyRef::check(PyObject_CallFunction(type, "s", e.what()));
    add_note(exc.get(), context_note(node));
    PyErr_SetObject(type, exc.get());
    throw PythonError();
  }
}

}  // namespace

RunningNodeScope::RunningNodeScope(Node* n) : prev_(t_running_node) { t_running_node = n; }
RunningNodeScope::~RunningNodeScope() { t_running_node = prev_; }

Node* running_node() { return t_running_node; }

bool is_backward_call_site(PyObject* code, int lasti) {
  return t_call_site_code != nullptr && code == t_call_site_code && lasti == t_call_site_lasti;
}

EngineRunScope::EngineRunScope()
    : prev_node_(t_running_node), prev_code_(t_call_site_code), prev_lasti_(t_call_site_lasti) {
  // The user frame that called backward: walk out of the fngrad package, as creation sites do.
  find_user_frame(&t_call_site_code, &t_call_site_lasti);
}

EngineRunScope::~EngineRunScope() {
  t_running_node = prev_node_;
  t_call_site_code = prev_code_;
  t_call_site_lasti = prev_lasti_;
}

void run_tensor_pre_hooks(Node* node, GradList& grads) {
  const Node::Extras* ex = node->extras_or_null();
  TensorObject* leaf_for_hooks = node->leaf_variable();
  if (ex == nullptr && (leaf_for_hooks == nullptr || leaf_for_hooks->hooks == nullptr)) return;
  try {
    TensorObject* leaf = node->leaf_variable();
    if (leaf != nullptr && leaf->hooks != nullptr && grads.size() == 1 && grads[0]) {
      PyRef hooks = PyRef::check(hook_list(leaf->hooks));
      for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hooks.get()); i++)
        apply_tensor_hook(PyList_GET_ITEM(hooks.get(), i), grads[0]);
    }
    if (ex != nullptr && ex->tensor_pre_hooks != nullptr) {
      PyRef hooks = PyRef::check(hook_list(ex->tensor_pre_hooks));
      for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hooks.get()); i++) {
        PyObject* entry = PyList_GET_ITEM(hooks.get(), i);  // (input_nr, hook)
        size_t nr = PyLong_AsSize_t(PyTuple_GET_ITEM(entry, 0));
        if (nr >= grads.size()) continue;
        PyObject* hook = PyTuple_GET_ITEM(entry, 1);
        if (grads[nr]) {
          apply_tensor_hook(hook, grads[nr]);
        } else {
          // An output of a running node that got no gradient (another output of unbind did): its
          // hooks see None, as PyTorch's do, and may not invent one.
          PyRef r = PyRef::check(PyObject_CallOneArg(hook, Py_None));
          FNGRAD_CHECK_RUNTIME(r.get() == Py_None, "can't replace a None gradient with a non-None value");
        }
      }
    }
    if (ex != nullptr && ex->retains_grad != nullptr) {
      PyObject *key, *ref;
      Py_ssize_t pos = 0;
      while (PyDict_Next(ex->retains_grad, &pos, &key, &ref)) {
        size_t nr = PyLong_AsSize_t(key);
        PyObject* obj = PyWeakref_GetObject(ref);  // borrowed
        if (obj == Py_None || nr >= grads.size() || !grads[nr]) continue;
        TensorObject* t = as_tensor(obj);
        TensorRef holder = TensorRef::borrow(t);
        if (t->grad == nullptr) {
          t->grad = grad_math::clone(grads[nr].get()).release();
        } else {
          TensorRef sum = grad_math::add(as_tensor(t->grad), grads[nr].get());
          Py_SETREF(t->grad, sum.release());
        }
      }
    }
  } catch (...) {
    rethrow_with_context(node);
  }
}

GradList call_node(Node* node, GradList&& grads) {
  RunningNodeScope running(node);
  const Node::Extras* ex = node->extras_or_null();
  try {
    if (ex != nullptr && ex->pre_hooks != nullptr) {
      PyRef hooks = PyRef::check(hook_list(ex->pre_hooks));
      for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hooks.get()); i++) {
        PyObject* hook = PyList_GET_ITEM(hooks.get(), i);
        PyRef args = grads_tuple(grads);
        PyRef r = PyRef::check(PyObject_CallOneArg(hook, args.get()));
        replace_grads(hook, r.get(), grads);
      }
      // The hooks may have dropped every gradient: then the node does not run (the engine's rule).
      bool any_defined = false;
      for (const TensorRef& g : grads) any_defined = any_defined || g.defined();
      if (!any_defined && !node->runs_on_undefined()) return GradList(node->num_outputs());
    }
    if (ex == nullptr || ex->post_hooks == nullptr) return node->apply(std::move(grads));
    GradList inputs = grads;
    GradList outputs = node->apply(std::move(grads));
    PyRef hooks = PyRef::check(hook_list(ex->post_hooks));
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hooks.get()); i++) {
      PyObject* hook = PyList_GET_ITEM(hooks.get(), i);
      PyRef grad_inputs = grads_tuple(outputs);
      PyRef grad_outputs = grads_tuple(inputs);
      PyRef r = PyRef::check(PyObject_CallFunctionObjArgs(hook, grad_inputs.get(), grad_outputs.get(), nullptr));
      replace_grads(hook, r.get(), outputs);
    }
    return outputs;
  } catch (...) {
    rethrow_with_context(node);
  }
}

void check_anomaly(Node* node, const GradList& grads) {
  if (!AnomalyMode::is_enabled() || !AnomalyMode::should_check_nan()) return;
  for (size_t i = 0; i < grads.size(); i++) {
    const TensorRef& g = grads[i];
    if (!g || !is_floating(g->dtype)) continue;
    TensorRef c = is_storage_only(g->dtype) ? to_dtype(g.get(), kernel_dtype(g->dtype)) : contiguous(g.get());
    bool has_nan = dispatch_floating(c->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* p = data_ptr<T>(c.get());
      for (int64_t k = 0; k < c->numel; k++)
        if (std::isnan(p[k])) return true;
      return false;
    });
    if (has_nan) {
      try {
        fail(ErrorKind::Runtime, "Function '", node->name(), "' returned nan values in its ", i, "th output.");
      } catch (...) {
        rethrow_with_context(node);
      }
    }
  }
}

void run_post_accumulate_hooks(TensorObject* t) {
  if (t->post_acc_hooks == nullptr) return;
  PyRef hooks = PyRef::check(hook_list(t->post_acc_hooks));
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hooks.get()); i++) {
    PyRef r = PyRef::check(PyObject_CallOneArg(PyList_GET_ITEM(hooks.get(), i), reinterpret_cast<PyObject*>(t)));
    FNGRAD_CHECK_RUNTIME(r.get() == Py_None, "post accumulate grad hooks must return None");
  }
}

}  // namespace autograd
}  // namespace fngrad
