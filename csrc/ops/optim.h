// Fused optimizer steps (fngrad.optim): one native call updates every parameter of a group in
// place, with PyTorch's single-tensor algorithms (torch/optim/{sgd,adam,rmsprop,adagrad}.py)
// computed element by element in the parameter's dtype. See csrc/ops/optim.cpp.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace fngrad {
namespace optim {

// Lists run parallel to params; an entry may be null only where a function says so.
using TensorList = std::vector<TensorObject*>;

struct SgdOptions {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
// momentum_buffers: null entries (the first step) get a new buffer holding the gradient. Returns
// the buffers (empty when momentum is 0).
std::vector<TensorRef> sgd_step(const TensorList& params, const TensorList& grads, const TensorList& momentum_buffers,
                                const SgdOptions& o);

struct AdamOptions {
  double lr, beta1, beta2, weight_decay, eps;
  bool amsgrad, maximize, decoupled_weight_decay;
};
// steps: one-element tensors, incremented here. max_exp_avg_sqs is empty unless amsgrad.
void adam_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
               const TensorList& exp_avg_sqs, const TensorList& max_exp_avg_sqs, const TensorList& steps,
               const AdamOptions& o);

struct RmspropOptions {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};
// grad_avgs is empty unless centered; momentum_buffers is empty unless momentum > 0.
void rmsprop_step(const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
                  const TensorList& grad_avgs, const TensorList& momentum_buffers, const TensorList& steps,
                  const RmspropOptions& o);

struct AdagradOptions {
  double lr, lr_decay, weight_decay, eps;
  bool maximize;
};
void adagrad_step(const TensorList& params, const TensorList& grads, const TensorList& state_sums,
                  const TensorList& steps, const AdagradOptions& o);

}  // namespace optim
}  // namespace fngrad
