// _C._sgd_step, _C._adam_step, _C._rmsprop_step, _C._adagrad_step: the fused optimizer steps of
// csrc/ops/optim.h, called once per parameter group by python/fngrad/optim.
#include <pybind11/pybind11.h>

#include "ops/optim.h"
#include "python/py_utils.h"
#include "python/tensor_type.h"

namespace py = pybind11;

namespace fngrad {
namespace {

// A list of tensors (None allowed where allow_none) as raw pointers: the Python lists the
// caller passed keep them alive for the call.
optim::TensorList tensors(py::handle seq, const char* op, const char* what, bool allow_none = false) {
  FNGRAD_CHECK_TYPE(PyList_Check(seq.ptr()) || PyTuple_Check(seq.ptr()), "[", op, "] ", what,
                    " must be a list of Tensors, got ", py_type_name(seq.ptr()), ".");
  optim::TensorList out;
  for (py::handle item : seq) {
    if (item.is_none() && allow_none) {
      out.push_back(nullptr);
      continue;
    }
    FNGRAD_CHECK_TYPE(is_tensor(item.ptr()), "[", op, "] ", what, " must contain Tensors, got ",
                      py_type_name(item.ptr()), ".");
    out.push_back(as_tensor(item.ptr()));
  }
  return out;
}

}  // namespace

void init_optim_bindings(py::module_& m) {
  m.def("_sgd_step", [](py::handle params, py::handle grads, py::handle bufs, double lr, double momentum,
                        double dampening, double weight_decay, bool nesterov, bool maximize) {
    optim::SgdOptions o{lr, momentum, dampening, weight_decay, nesterov, maximize};
    std::vector<TensorRef> out = optim::sgd_step(tensors(params, "sgd", "params"), tensors(grads, "sgd", "grads"),
                                                 tensors(bufs, "sgd", "momentum_buffer_list", true), o);
    py::list result;
    for (TensorRef& t : out) result.append(py::reinterpret_steal<py::object>(t.release()));
    return result;
  });
  m.def("_adam_step", [](py::handle params, py::handle grads, py::handle exp_avgs, py::handle exp_avg_sqs,
                         py::handle max_exp_avg_sqs, py::handle steps, double lr, double beta1, double beta2,
                         double weight_decay, double eps, bool amsgrad, bool maximize, bool decoupled) {
    const char* op = decoupled ? "adamw" : "adam";
    optim::AdamOptions o{lr, beta1, beta2, weight_decay, eps, amsgrad, maximize, decoupled};
    optim::adam_step(tensors(params, op, "params"), tensors(grads, op, "grads"), tensors(exp_avgs, op, "exp_avgs"),
                     tensors(exp_avg_sqs, op, "exp_avg_sqs"), tensors(max_exp_avg_sqs, op, "max_exp_avg_sqs"),
                     tensors(steps, op, "state_steps"), o);
  });
  m.def("_rmsprop_step", [](py::handle params, py::handle grads, py::handle square_avgs, py::handle grad_avgs,
                            py::handle momentum_bufs, py::handle steps, double lr, double alpha, double eps,
                            double weight_decay, double momentum, bool centered, bool maximize) {
    optim::RmspropOptions o{lr, alpha, eps, weight_decay, momentum, centered, maximize};
    const char* op = "rmsprop";
    optim::rmsprop_step(tensors(params, op, "params"), tensors(grads, op, "grads"),
                        tensors(square_avgs, op, "square_avgs"), tensors(grad_avgs, op, "grad_avgs"),
                        tensors(momentum_bufs, op, "momentum_buffer_list"), tensors(steps, op, "state_steps"), o);
  });
  m.def("_adagrad_step", [](py::handle params, py::handle grads, py::handle state_sums, py::handle steps, double lr,
                            double lr_decay, double weight_decay, double eps, bool maximize) {
    optim::AdagradOptions o{lr, lr_decay, weight_decay, eps, maximize};
    const char* op = "adagrad";
    optim::adagrad_step(tensors(params, op, "params"), tensors(grads, op, "grads"),
                        tensors(state_sums, op, "state_sums"), tensors(steps, op, "state_steps"), o);
  });
}

}  // namespace fngrad
