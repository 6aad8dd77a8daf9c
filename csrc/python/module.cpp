// fngrad._C: the extension module. pybind11 defines the module and the functions off the hot
// path; the tensor type, the node types and Function.apply use the raw CPython API (see
// docs/architecture.md, "Binding layer").
#define FNGRAD_IMPORT_NUMPY
#include "python/numpy_api.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <vector>

#include "autograd/anomaly.h"
#include "autograd/engine.h"
#include "autograd/forward_ad.h"
#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/parallel.h"
#include "core/py_callbacks.h"
#include "ops/layer_norm.h"
#include "ops/ops.h"
#include "ops/unary_ops.h"
#include "python/op_table_bindings.h"
#include "ops/vecmath.h"
#include "python/blas.h"
#include "python/node_type.h"
#include "python/tensor_type.h"

namespace py = pybind11;

namespace fngrad {
namespace {

// The readers of arg_parser.h (shared with the tensor methods) for pybind11 handles.
TensorObject* tensor_arg(py::handle h, const char* op, const char* what = "input") {
  return tensor_param(h.ptr(), op, what);
}

// The dict that holds one kind of hooks of a node or tensor, created on first use.
py::object hooks_dict(py::handle obj, const std::string& kind) {
  PyObject** slot = nullptr;
  if (is_tensor(obj.ptr())) {
    TensorObject* t = as_tensor(obj.ptr());
    if (kind == "tensor") slot = &t->hooks;
    if (kind == "post_accumulate") slot = &t->post_acc_hooks;
  } else if (PyObject_TypeCheck(obj.ptr(), NodeType)) {
    autograd::Node* node = reinterpret_cast<NodeObject*>(obj.ptr())->node;
    FNGRAD_CHECK_RUNTIME(node != nullptr, "[register_hook] This Function has no graph node (it ran without grad).");
    if (kind == "pre") slot = &node->extras().pre_hooks;
    if (kind == "post") slot = &node->extras().post_hooks;
    if (kind == "tensor_pre") slot = &node->extras().tensor_pre_hooks;
  }
  FNGRAD_CHECK_VALUE(slot != nullptr, "[_hooks_dict] no '", kind, "' hooks on a ", py_type_name(obj.ptr()), ".");
  if (*slot == nullptr) {
    *slot = PyDict_New();
    if (*slot == nullptr) throw py::error_already_set();
  }
  return py::reinterpret_borrow<py::object>(*slot);
}

std::vector<TensorRef> tensor_list(py::handle seq, const char* what, bool allow_none) {
  std::vector<TensorRef> out;
  for (py::handle item : seq) {
    if (item.is_none() && allow_none) {
      out.emplace_back();
      continue;
    }
    FNGRAD_CHECK_TYPE(is_tensor(item.ptr()), "[backward] ", what, " must contain Tensors, got ",
                      py_type_name(item.ptr()), ".");
    out.push_back(TensorRef::borrow(item.ptr()));
  }
  return out;
}

py::object steal(TensorRef t) { return py::reinterpret_steal<py::object>(t.release()); }

SmallVec<TensorObject*, 4> tensor_seq(py::handle seq, const char* op) {
  FNGRAD_CHECK_TYPE(PySequence_Check(seq.ptr()) && !is_tensor(seq.ptr()), "[", op,
                    "] expected a sequence of Tensors, got ", py_type_name(seq.ptr()), ".");
  SmallVec<TensorObject*, 4> out;
  for (py::handle item : seq) {
    FNGRAD_CHECK_TYPE(is_tensor(item.ptr()), "[", op, "] expected a sequence of Tensors, but one element is ",
                      py_type_name(item.ptr()), ".");
    out.push_back(as_tensor(item.ptr()));
  }
  return out;
}

py::tuple run_backward(py::handle tensors, py::handle grad_tensors, bool keep_graph, bool create_graph,
                       py::handle inputs, bool allow_unused, bool accumulate_grad) {
  std::vector<TensorRef> roots = tensor_list(tensors, "tensors", false);
  std::vector<TensorRef> grads = tensor_list(grad_tensors, "grad_tensors", true);
  FNGRAD_CHECK_RUNTIME(roots.size() == grads.size(), "grad can be implicitly created only for scalar outputs");
  std::vector<TensorRef> ins;
  if (!inputs.is_none()) ins = tensor_list(inputs, "inputs", false);
  autograd::BackwardOptions options;
  options.keep_graph = keep_graph;
  options.create_graph = create_graph;
  options.accumulate_grad = accumulate_grad;
  options.allow_unused = allow_unused;
  std::vector<TensorRef> result = autograd::run_backward(roots, std::move(grads), ins, options);
  py::tuple out(result.size());
  for (size_t i = 0; i < result.size(); i++) out[i] = result[i] ? steal(std::move(result[i])) : py::none();
  return out;
}

// Variable._execution_engine (fngrad/autograd/variable.py); its methods are static.
struct ImperativeEngine {};

}  // namespace

// fngrad.optim's fused steps (csrc/python/optim_bindings.cpp).
void init_optim_bindings(py::module_& m);
}  // namespace fngrad

PYBIND11_MODULE(_C, m) {
  using namespace fngrad;
  m.doc() = "fngrad's native core: tensors, the autograd graph and engine, and the kernels.";
  if (_import_array() < 0) throw py::error_already_set();

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (...) {
      translate_exception();
    }
  });

  init_tensor_types(m.ptr());
  init_node_types(m.ptr());
  add_op_table_functions(m.ptr());

  m.def("_set_tensor_class", [](py::handle cls) {
    FNGRAD_CHECK_TYPE(
        PyType_Check(cls.ptr()) && PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(cls.ptr()), TensorBaseType),
        "[_set_tensor_class] Expected a subclass of TensorBase.");
    Py_INCREF(cls.ptr());
    TensorClass = reinterpret_cast<PyTypeObject*>(cls.ptr());
  });
  // Note [Python callbacks]: every one, by keyword, once at import.
  m.def("_register_callbacks", [](py::kwargs kwargs) {
    PyObject* given[kNumPyCallbacks] = {};
    for (auto item : kwargs) {
      const std::string key = py::str(item.first);
      int found = -1;
      for (int c = 0; c < kNumPyCallbacks; c++) {
        if (key == py_callback_name(static_cast<PyCallback>(c))) found = c;
      }
      FNGRAD_CHECK_TYPE(found >= 0, "[_register_callbacks] unknown callback '", key, "'.");
      FNGRAD_CHECK_TYPE(PyCallable_Check(item.second.ptr()), "[_register_callbacks] '", key, "' must be callable, got ",
                        py_type_name(item.second.ptr()), ".");
      given[found] = item.second.ptr();
    }
    for (int c = 0; c < kNumPyCallbacks; c++) {
      FNGRAD_CHECK_TYPE(given[c] != nullptr, "[_register_callbacks] missing callback '",
                        py_callback_name(static_cast<PyCallback>(c)), "'.");
    }
    for (int c = 0; c < kNumPyCallbacks; c++) set_py_callback(static_cast<PyCallback>(c), given[c]);
  });
  // Forward AD (Note [Forward AD]); fngrad.autograd.forward_ad is the public API.
  m.def("_enter_dual_level", []() { return autograd::enter_dual_level(); });
  m.def("_exit_dual_level", [](int level) { autograd::exit_dual_level(level); }, py::arg("level"));
  m.def("_current_dual_level", []() { return autograd::ForwardADLevel::active_level; });
  // Pauses (-1) or resumes (0) forward AD while a level exists: tangent formulas run paused.
  m.def(
      "_set_dual_level_state",
      [](int level) {
        FNGRAD_CHECK_RUNTIME(level == -1 || level == 0, "[_set_dual_level_state] Expected -1 or 0.");
        autograd::ForwardADLevel::active_level = level;
      },
      py::arg("level"));
  m.def(
      "_fw_grad",
      [](py::handle t) -> py::object {
        FNGRAD_CHECK_TYPE(is_tensor(t.ptr()), "[_fw_grad] Expected a Tensor.");
        TensorRef g = autograd::get_tangent(as_tensor(t.ptr()));
        if (!g) return py::none();
        return py::reinterpret_steal<py::object>(reinterpret_cast<PyObject*>(g.release()));
      },
      py::arg("tensor"));
  m.def(
      "_set_fw_grad",
      [](py::handle t, py::handle tangent) {
        FNGRAD_CHECK_TYPE(is_tensor(t.ptr()) && (tangent.is_none() || is_tensor(tangent.ptr())),
                          "[_set_fw_grad] Expected a Tensor and a Tensor or None.");
        autograd::set_tangent(as_tensor(t.ptr()), tangent.is_none() ? nullptr : as_tensor(tangent.ptr()));
      },
      py::arg("tensor"), py::arg("tangent"));
  // Runs a node's backward on grads (None for an undefined gradient) with grad mode on, so the
  // result is differentiable with respect to them: forward AD's double-vjp.
  m.def(
      "_node_apply",
      [](py::handle node, py::handle grads) {
        FNGRAD_CHECK_TYPE(PyObject_TypeCheck(node.ptr(), NodeType), "[_node_apply] Expected a Node.");
        autograd::Node* n = reinterpret_cast<NodeObject*>(node.ptr())->node;
        FNGRAD_CHECK_TYPE(n != nullptr && PyTuple_Check(grads.ptr()) &&
                              static_cast<size_t>(PyTuple_GET_SIZE(grads.ptr())) == n->num_inputs(),
                          "[_node_apply] Expected a tuple of one gradient per node input.");
        autograd::GradList in;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(grads.ptr()); i++) {
          PyObject* g = PyTuple_GET_ITEM(grads.ptr(), i);
          in.push_back(g == Py_None ? TensorRef() : TensorRef::borrow(g));
        }
        autograd::GradList out;
        {
          GradModeGuard grad_on(true);
          out = n->apply(std::move(in));
        }
        py::tuple r(out.size());
        for (size_t i = 0; i < out.size(); i++) {
          r[i] = out[i] ? py::reinterpret_steal<py::object>(reinterpret_cast<PyObject*>(out[i].release())) : py::none();
        }
        return r;
      },
      py::arg("node"), py::arg("grads"));
  m.def("_set_library_dir", [](const std::string& dir) { autograd::set_library_dir(dir); });

  m.def(
      "from_numpy", [](py::handle arr) { return steal(tensor_from_numpy(arr.ptr())); },
      "A tensor sharing memory with a NumPy array.", py::arg("ndarray"));
  m.def(
      "_from_numpy_result", [](py::handle arr) { return steal(tensor_from_numpy(arr.ptr(), true)); },
      "from_numpy for an array fngrad computed for itself and hands over (the Python families' results):\n"
      "nothing writes it afterwards, so a graph that saves the tensor skips the NumPy-write checksums.",
      py::arg("ndarray"));
  // op: the name errors give (ones() and new_ones() fill through full).
  m.def(
      "empty",
      [](py::handle shape, py::handle dtype, const std::string& op) {
        return steal(
            empty(parse_shape_object(shape.ptr(), op.c_str()), parse_dtype(dtype.ptr(), op.c_str()), op.c_str()));
      },
      py::arg("shape"), py::arg("dtype"), py::arg("op") = "empty");
  m.def(
      "zeros",
      [](py::handle shape, py::handle dtype, const std::string& op) {
        TensorRef t =
            empty(parse_shape_object(shape.ptr(), op.c_str()), parse_dtype(dtype.ptr(), op.c_str()), op.c_str());
        std::memset(t->storage->data, 0, static_cast<size_t>(t->numel) * itemsize(t->dtype));
        return steal(t);
      },
      py::arg("shape"), py::arg("dtype"), py::arg("op") = "zeros");
  m.def(
      "full",
      [](py::handle shape, double value, py::handle dtype, const std::string& op) {
        TensorRef t =
            empty(parse_shape_object(shape.ptr(), op.c_str()), parse_dtype(dtype.ptr(), op.c_str()), op.c_str());
        fill(t.get(), value);
        return steal(t);
      },
      py::arg("shape"), py::arg("value"), py::arg("dtype"), py::arg("op") = "full");
  m.def(
      "cat",
      [](py::handle tensors, py::handle dim) {
        return steal(ops::cat(tensor_seq(tensors, "cat"), parse_int(dim.ptr(), "cat", "dim"), false));
      },
      "Concatenates tensors along dim.", py::arg("tensors"), py::arg("dim") = 0);
  m.def(
      "stack",
      [](py::handle tensors, py::handle dim) {
        return steal(ops::cat(tensor_seq(tensors, "stack"), parse_int(dim.ptr(), "stack", "dim"), true));
      },
      "Stacks tensors along a new dim.", py::arg("tensors"), py::arg("dim") = 0);
  m.def(
      "where",
      [](py::handle cond, py::handle a, py::handle b) {
        return steal(ops::where(tensor_arg(cond, "where", "condition"), operand_param(a.ptr(), "where", "input"),
                                operand_param(b.ptr(), "where", "other")));
      },
      "input where condition, else other.", py::arg("condition"), py::arg("input"), py::arg("other"));
  m.def(
      "leaky_relu",
      [](py::handle x, double slope) { return steal(ops::leaky_relu(tensor_arg(x, "leaky_relu"), slope)); },
      py::arg("input"), py::arg("negative_slope") = 0.01);
  m.def(
      "elu", [](py::handle x, double alpha) { return steal(ops::elu(tensor_arg(x, "elu"), alpha)); }, py::arg("input"),
      py::arg("alpha") = 1.0);
  m.def(
      "gelu",
      [](py::handle x, const std::string& approximate) {
        FNGRAD_CHECK_RUNTIME(approximate == "none" || approximate == "tanh",
                             "[gelu] approximate argument must be either "
                             "none or tanh.");
        return steal(ops::gelu(tensor_arg(x, "gelu"), approximate == "tanh"));
      },
      py::arg("input"), py::arg("approximate") = "none");
  m.def(
      "softplus",
      [](py::handle x, double beta, double threshold) {
        return steal(ops::softplus(tensor_arg(x, "softplus"), beta, threshold));
      },
      py::arg("input"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
  m.def(
      "_polygamma",
      [](py::handle x, py::handle n) {
        return steal(ops::polygamma(tensor_arg(x, "polygamma"), parse_int(n.ptr(), "polygamma", "n")));
      },
      "polygamma(input, n): the n-th derivative of digamma (fngrad.polygamma takes n first).", py::arg("input"),
      py::arg("n"));
  m.def(
      "scatter_add",
      [](py::handle shape, py::handle positions, py::handle g) {
        return steal(ops::scatter_add(parse_shape_object(shape.ptr(), "scatter_add"),
                                      tensor_arg(positions, "scatter_add", "index"),
                                      tensor_arg(g, "scatter_add", "src")));
      },
      py::arg("shape"), py::arg("index"), py::arg("src"));
  m.def(
      "_gather_dim",
      [](py::handle x, int64_t dim, py::handle idx, const std::string& op) {
        return steal(ops::gather_dim(tensor_arg(x, op.c_str()), dim, tensor_arg(idx, op.c_str(), "index"), op.c_str()));
      },
      "gather's kernel (no graph; fngrad.gather checks the arguments).", py::arg("input"), py::arg("dim"),
      py::arg("index"), py::arg("op"));
  m.def(
      "_scatter_add_dim",
      [](py::handle self, int64_t dim, py::handle idx, py::handle src, const std::string& op) {
        return steal(ops::scatter_add_dim(tensor_arg(self, op.c_str()), dim, tensor_arg(idx, op.c_str(), "index"),
                                          tensor_arg(src, op.c_str(), "src"), op.c_str()));
      },
      "scatter_add's kernel (no graph; fngrad.scatter_add checks the arguments).", py::arg("input"), py::arg("dim"),
      py::arg("index"), py::arg("src"), py::arg("op"));
  m.def(
      "_scatter_add_zeros_dim",
      [](py::handle shape, int64_t dim, py::handle idx, py::handle src, const std::string& op) {
        return steal(ops::scatter_add_zeros_dim(parse_shape_object(shape.ptr(), op.c_str()), dim,
                                                tensor_arg(idx, op.c_str(), "index"),
                                                tensor_arg(src, op.c_str(), "src"), op.c_str()));
      },
      "scatter_add's kernel into zeros of `shape` (no graph): gather's gradient.", py::arg("shape"), py::arg("dim"),
      py::arg("index"), py::arg("src"), py::arg("op"));
  m.def(
      "_index_select_dim",
      [](py::handle x, int64_t dim, py::handle idx, const std::string& op) {
        return steal(
            ops::index_select_dim(tensor_arg(x, op.c_str()), dim, tensor_arg(idx, op.c_str(), "index"), op.c_str()));
      },
      "index_select's kernel (no graph; fngrad.index_select checks the arguments).", py::arg("input"), py::arg("dim"),
      py::arg("index"), py::arg("op"));
  m.def(
      "_index_add_dim",
      [](py::handle self, int64_t size, int64_t dim, py::handle idx, py::handle src, double alpha,
         const std::string& op) {
        TensorObject* s = self.is_none() ? nullptr : tensor_arg(self, op.c_str());
        return steal(ops::index_add_dim(s, size, dim, tensor_arg(idx, op.c_str(), "index"),
                                        tensor_arg(src, op.c_str(), "source"), alpha, op.c_str()));
      },
      "index_add's kernel (no graph; fngrad.index_add checks the arguments): input (None: zeros) with alpha *\n"
      "source's slices added along dim at index; size is the output's length along dim.",
      py::arg("input"), py::arg("size"), py::arg("dim"), py::arg("index"), py::arg("source"), py::arg("alpha"),
      py::arg("op"));
  m.def(
      "_cumsum_dim",
      [](py::handle x, int64_t dim, bool reverse) {
        return steal(ops::cumsum_dim(tensor_arg(x, "cumsum"), dim, reverse));
      },
      "cumsum's kernel (no graph; fngrad.cumsum checks the arguments).", py::arg("input"), py::arg("dim"),
      py::arg("reverse"));
  m.def(
      "_select_dim",
      [](py::handle x, int64_t dim, int kind, int64_t k, bool largest) {
        return steal(ops::select_dim(tensor_arg(x, "topk"), dim, static_cast<ops::SelectKind>(kind), k, largest));
      },
      "The indices of topk, kthvalue, median and nanmedian (no graph; fngrad's functions check the arguments):\n"
      "kind 0: the k largest / smallest, 1: the k-th smallest, 2: the median, 3: the nanmedian.",
      py::arg("input"), py::arg("dim"), py::arg("kind"), py::arg("k"), py::arg("largest"));
  m.def(
      "nll_loss",
      [](py::handle logp, py::handle target, py::handle weight, int64_t ignore_index, int reduction) {
        TensorObject* w = weight.is_none() ? nullptr : tensor_arg(weight, "nll_loss", "weight");
        return steal(ops::nll_loss(tensor_arg(logp, "nll_loss"), tensor_arg(target, "nll_loss", "target"), w,
                                   ignore_index, static_cast<ops::NllReduction>(reduction)));
      },
      py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("ignore_index"), py::arg("reduction"));
  m.def(
      "_native_layer_norm",
      [](py::handle x, const std::vector<int64_t>& normalized_shape, py::handle weight, py::handle bias, double eps) {
        TensorObject* w = weight.is_none() ? nullptr : tensor_arg(weight, "layer_norm", "weight");
        TensorObject* b = bias.is_none() ? nullptr : tensor_arg(bias, "layer_norm", "bias");
        DimVec shape;
        for (int64_t s : normalized_shape) shape.push_back(s);
        auto [out, mean, rstd] = ops::native_layer_norm(tensor_arg(x, "layer_norm"), shape, w, b, eps);
        return py::make_tuple(steal(std::move(out)), steal(std::move(mean)), steal(std::move(rstd)));
      },
      "layer_norm's kernel and node (float32/float64; nn.functional.layer_norm checks the arguments): "
      "(out, mean, rstd), mean and rstd flat, one per row.",
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight"), py::arg("bias"), py::arg("eps"));
  m.def("_vecmath_accelerated", &vmath::accelerated, "Whether libmvec's AVX2 functions are in use.");

  m.def("_run_backward", &run_backward, "Runs the engine (see fngrad.autograd.backward and fngrad.autograd.grad).");
  // PyTorch's torch._C._ImperativeEngine: the type of Variable._execution_engine.
  py::class_<ImperativeEngine>(m, "_ImperativeEngine")
      .def(py::init<>())
      .def_static("run_backward", &run_backward, "Runs the engine (as _run_backward).", py::arg("tensors"),
                  py::arg("grad_tensors"), py::arg("keep_graph"), py::arg("create_graph"), py::arg("inputs"),
                  py::arg("allow_unreachable"), py::arg("accumulate_grad"))
      .def_static(
          "queue_callback", [](py::handle cb) { autograd::queue_callback(cb.ptr()); },
          "Queues cb() to run when the backward pass running on this thread has finished its graph.")
      .def_static("is_checkpoint_valid", &autograd::is_checkpoint_valid);

  m.def("_current_graph_task_id", &autograd::current_graph_task_id);
  m.def("_will_engine_execute",
        [](py::handle t) { return autograd::will_engine_execute(tensor_arg(t, "_will_engine_execute", "tensor")); });
  m.def("_hooks_dict", &hooks_dict, "The hooks dict of a node or tensor (see fngrad.autograd.graph).");
  m.def("_push_saved_tensors_hooks",
        [](py::handle pack, py::handle unpack) { autograd::push_saved_tensors_hooks(pack.ptr(), unpack.ptr()); });
  m.def("_pop_saved_tensors_hooks", []() { autograd::pop_saved_tensors_hooks(); });
  m.def("_increment_version", [](py::handle t) { ops::bump_version(tensor_arg(t, "_increment_version", "tensor")); });
  m.def("_set_record_creation_sites", [](bool on) { autograd::set_record_creation_sites(on); });
  m.def("is_inference_mode_enabled", []() { return InferenceMode::is_enabled(); });
  m.def("_set_inference_mode", [](bool on) { InferenceMode::set_enabled(on); });
  m.def("is_grad_enabled", []() { return GradMode::is_enabled(); });
  m.def("_set_grad_enabled", [](bool enabled) { GradMode::set_enabled(enabled); });
  m.def("_set_detect_anomaly",
        [](bool enabled, bool check_nan) { autograd::AnomalyMode::set_enabled(enabled, check_nan); });
  m.def("_get_default_dtype",
        []() { return py::reinterpret_borrow<py::object>(dtype_object(ops::default_float_dtype())); });
  m.def("_set_default_dtype",
        [](py::handle d) { ops::set_default_float_dtype(parse_dtype(d.ptr(), "set_default_dtype")); });
  m.def("is_anomaly_enabled", []() { return autograd::AnomalyMode::is_enabled(); });
  m.def("is_anomaly_check_nan_enabled", []() { return autograd::AnomalyMode::should_check_nan(); });

  {
    // Public as fngrad.<name>: each docstring starts with CPython's text-signature line (for
    // inspect.signature) instead of pybind11's own signature line.
    py::options docs;
    docs.disable_function_signatures();
    m.def(
        "promote_types",
        [](py::handle a, py::handle b) {
          DType d = promote_types(parse_dtype(a.ptr(), "promote_types"), parse_dtype(b.ptr(), "promote_types"));
          return py::reinterpret_borrow<py::object>(dtype_object(d));
        },
        "promote_types(type1, type2)\n--\n\nThe smallest dtype both dtypes convert to (PyTorch's table).\n\n"
        ">>> fngrad.promote_types(fngrad.uint8, fngrad.int8)\nfngrad.int16",
        py::arg("type1"), py::arg("type2"));
    m.def(
        "result_type",
        [](py::handle a, py::handle b) {
          DType d = ops::result_type(operand_param(a.ptr(), "result_type", "tensor1"),
                                     operand_param(b.ptr(), "result_type", "tensor2"));
          return py::reinterpret_borrow<py::object>(dtype_object(d));
        },
        "result_type(tensor1, tensor2)\n--\n\nThe dtype of an arithmetic op on the two operands (tensors or "
        "numbers).\n\n"
        ">>> fngrad.result_type(fngrad.tensor([1], dtype=fngrad.int32), 2.5)\nfngrad.float32",
        py::arg("tensor1"), py::arg("tensor2"));
    m.def("get_num_threads", &get_num_threads,
          "get_num_threads()\n--\n\nThe number of threads fngrad's kernels use (the thread pool's size).\n\n"
          ">>> fngrad.get_num_threads() >= 1\nTrue");
    // The BLAS under the matrix products follows the same setting, at most one thread per CPU (more
    // only take turns on the cores), as PyTorch's intra-op count governs its BLAS.
    m.def(
        "set_num_threads",
        [](int n) {
          set_num_threads(n);
          set_blas_num_threads(std::min(n, usable_cpus()));
        },
        py::arg("num"),
        "set_num_threads(num)\n--\n\nSets the number of threads fngrad's kernels (and the BLAS under its "
        "matrix products) use.\n\n"
        ">>> n = fngrad.get_num_threads()\n>>> fngrad.set_num_threads(1)\n>>> fngrad.get_num_threads()\n1\n"
        ">>> fngrad.set_num_threads(n)");
    m.def("empty_cache", &empty_cache,
          "empty_cache()\n--\n\nReturns the memory the large-block cache holds to the system.\n\n"
          ">>> fngrad.empty_cache()");
  }
  m.def(
      "_blas_info",
      []() {
        py::dict d;
        d["library"] = blas_library();
        d["num_threads"] = blas_num_threads();
        return d;
      },
      "The BLAS library fngrad's matrix products call directly and its thread count (-1: unknown).");
  m.def("_cached_bytes", &cached_bytes);
  m.def("_set_cache_limit", [](size_t bytes) { set_cache_limit(bytes); });

  // ---- nn.Parameter support: Tensor._make_subclass(cls, data, require_grad=False), as PyTorch's.
  // A static method of TensorBase (so fngrad.Tensor has it), kept here, apart from tensor_type.cpp.
  py::cpp_function make_subclass_fn(
      [](py::handle cls, py::handle data, bool require_grad) {
        FNGRAD_CHECK_TYPE(PyType_Check(cls.ptr()), "[_make_subclass] cls must be a type, got ", py_type_name(cls.ptr()),
                          ".");
        return steal(make_subclass(reinterpret_cast<PyTypeObject*>(cls.ptr()),
                                   tensor_arg(data, "_make_subclass", "data"), require_grad));
      },
      py::name("_make_subclass"), py::arg("cls"), py::arg("data"), py::arg("require_grad") = false,
      "A cls instance over data's memory (no copy), a leaf that requires grad when require_grad.");
  m.attr("_make_subclass") = make_subclass_fn;
  py::object as_static = py::reinterpret_steal<py::object>(PyStaticMethod_New(make_subclass_fn.ptr()));
  if (!as_static ||
      PyObject_SetAttrString(reinterpret_cast<PyObject*>(TensorBaseType), "_make_subclass", as_static.ptr()) < 0) {
    throw py::error_already_set();
  }
  init_optim_bindings(m);
}
