// Fused optimizer steps. Each step validates every tensor first (so bad input changes nothing),
// then runs one element loop per parameter with PyTorch's single-tensor formulas in the
// parameter's dtype: the same operations in the same order, each rounded as PyTorch rounds it
// (scalars are converted to the tensor's dtype as PyTorch's kernels convert them). PyTorch's
// vectorised kernels use fused multiply-adds where fngrad rounds twice, so results agree to the
// last bits, not bitwise.
//
// The loop over all parameters runs as one job on the thread pool: the elements of all
// parameters are numbered consecutively and each chunk walks the parameters it covers, so ten
// 100k-element tensors cost one pool dispatch, not ten. The GIL is released for large steps
// (Note [GIL and reference counts]: the loop touches raw memory only).
#include "ops/optim.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <unordered_set>
#include <utility>

#include "core/parallel.h"
#include "ops/ops.h"

namespace fngrad {
namespace optim {
namespace {

using ops::bump_version;
using ops::check_no_internal_overlap;

constexpr int kMaxBuffers = 3;

// One parameter's share of a step: raw pointers into memory that the step's StepBatch keeps
// alive, so they stay valid while the GIL is released.
struct Slot {
  DType dtype = DType::Float32;
  int64_t numel = 0;
  void* param = nullptr;
  const void* grad = nullptr;
  void* buf[kMaxBuffers] = {nullptr, nullptr, nullptr};
  double scalar[2] = {0, 0};  // per-parameter values of the step (step size, bias correction, ...)
  bool first = false;         // SGD: the momentum buffer is new
};

template <typename F> void with_bool(bool b, const F& f) {
  if (b) {
    f(std::true_type{});
  } else {
    f(std::false_type{});
  }
}

// The tensors of one step: checks them, keeps contiguous working copies of non-contiguous ones
// (written back at the end), and bumps the version of everything written, as in-place ops do.
class StepBatch {
 public:
  explicit StepBatch(const char* op) : op_(op) {}

  void check_length(const TensorList& list, size_t n, const char* what) const {
    FNGRAD_CHECK_VALUE(list.size() == n, "[", op_, "] expected ", n, " ", what, " (one per parameter), got ",
                       list.size(), ".");
  }

  Slot& add(size_t i, TensorObject* param, TensorObject* grad) {
    FNGRAD_CHECK_TYPE(param != nullptr && grad != nullptr, "[", op_, "] parameter ", i,
                      " and its gradient must be Tensors.");
    // The fused steps have no storage-dtype path (Note [Storage dtypes]): float16 parameters are refused.
    FNGRAD_CHECK_TYPE(is_floating(param->dtype) && !is_storage_only(param->dtype), "[", op_, "] parameter ", i,
                      " must be float32 or float64, got ", dtype_name(param->dtype), ".");
    FNGRAD_CHECK_RUNTIME(grad->sizes == param->sizes, "[", op_, "] the gradient of parameter ", i, " has shape ",
                         shape_str(grad->sizes), " but the parameter has shape ", shape_str(param->sizes), ".");
    slots_.emplace_back();
    Slot& s = slots_.back();
    s.dtype = param->dtype;
    s.numel = param->numel;
    s.grad = readable(grad, param->dtype);
    s.param = writable(param, i, "parameter");
    return s;
  }

  // A state buffer of parameter i (exp_avg, momentum_buffer, ...): same shape and dtype.
  void* buffer(TensorObject* t, TensorObject* param, size_t i, const char* what) {
    FNGRAD_CHECK_TYPE(t != nullptr, "[", op_, "] the ", what, " of parameter ", i, " must be a Tensor.");
    FNGRAD_CHECK_RUNTIME(t->sizes == param->sizes && t->dtype == param->dtype, "[", op_, "] the ", what,
                         " of parameter ", i, " must have the parameter's shape ", shape_str(param->sizes),
                         " and dtype ", dtype_name(param->dtype), ", got ", shape_str(t->sizes), " and ",
                         dtype_name(t->dtype), ".");
    return writable(t, i, what);
  }

  // The step counter of parameter i: checked now, incremented by next_step once all is checked.
  void check_step(TensorObject* step, size_t i) const {
    FNGRAD_CHECK_TYPE(step != nullptr && step->numel == 1 && is_floating(step->dtype), "[", op_,
                      "] the step of parameter ", i, " must be a one-element floating-point Tensor.");
  }
  static double next_step(TensorObject* step) {
    double value = item_as_double(step) + 1;
    fill(step, value);
    bump_version(step);
    return value;
  }

  std::vector<Slot>& slots() { return slots_; }

  // Runs kernel(slot, begin, end) over every element of every slot.
  template <typename F> void run(const F& kernel) {
    std::vector<int64_t> start(slots_.size() + 1, 0);
    for (size_t i = 0; i < slots_.size(); ++i) start[i + 1] = start[i] + slots_[i].numel;
    const int64_t total = start.back();
    {
      GilRelease nogil(total >= kReleaseGilNumel && PyGILState_Check());
      parallel_for(total, kParallelGrain, [&](int64_t b, int64_t e) {
        size_t i = static_cast<size_t>(std::upper_bound(start.begin(), start.end(), b) - start.begin()) - 1;
        for (; i < slots_.size() && start[i] < e; ++i) {
          int64_t lo = std::max(b, start[i]) - start[i];
          int64_t hi = std::min(e, start[i + 1]) - start[i];
          if (hi > lo) kernel(slots_[i], lo, hi);
        }
      });
    }
    for (auto& [dst, work] : copy_back_) copy_into(dst, work.get());
    for (TensorObject* t : written_) bump_version(t);
  }

 private:
  const void* readable(TensorObject* t, DType dtype) {
    if (t->dtype != dtype) {
      keep_.push_back(to_dtype(t, dtype));
    } else if (!t->contiguous) {
      keep_.push_back(contiguous_copy(t));
    } else {
      return raw_data(t);
    }
    return raw_data(keep_.back().get());
  }

  void* writable(TensorObject* t, size_t i, const char* what) {
    // Two chunks running at once must not write the same memory (fngrad.optim steps a group
    // with a repeated parameter one parameter at a time).
    FNGRAD_CHECK_RUNTIME(seen_.insert(t).second, "[", op_, "] the ", what, " of parameter ", i,
                         " appears twice in the step.");
    written_.push_back(t);
    if (t->contiguous) return raw_data(t);
    check_no_internal_overlap(t, op_);
    copy_back_.emplace_back(t, contiguous_copy(t));
    return raw_data(copy_back_.back().second.get());
  }

  const char* op_;
  std::vector<Slot> slots_;
  std::vector<TensorRef> keep_;
  std::vector<std::pair<TensorObject*, TensorRef>> copy_back_;
  std::vector<TensorObject*> written_;
  std::unordered_set<TensorObject*> seen_;
};

// torch.lerp's formula (ATen/native/Lerp.h): the form depends on whether the weight is small.
template <bool Small, typename T> inline T lerp(T self, T end, T w, T one_minus_w) {
  if constexpr (Small) {
    return self + w * (end - self);
  } else {
    return end - (end - self) * one_minus_w;
  }
}

// torch.maximum propagates NaN.
template <typename T> inline T nan_max(T a, T b) { return (b != b || b > a) ? b : a; }

// ---- SGD (torch/optim/sgd.py, _single_tensor_sgd) ----

template <typename T, bool WD, bool Mom, bool Nesterov, bool First>
void sgd_chunk(const Slot& s, const SgdOptions& o, int64_t b, int64_t e) {
  T* __restrict p = static_cast<T*>(s.param);
  const T* __restrict g = static_cast<const T*>(s.grad);
  T* __restrict buf = static_cast<T*>(s.buf[0]);
  const T sign = o.maximize ? T(-1) : T(1);
  const T wd = static_cast<T>(o.weight_decay);
  const T mom = static_cast<T>(o.momentum);
  const T one_minus_damp = static_cast<T>(1 - o.dampening);
  const T neg_lr = static_cast<T>(-o.lr);
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    if constexpr (WD) gi = gi + wd * p[i];
    if constexpr (Mom) {
      T bi;
      if constexpr (First) {
        bi = gi;
      } else {
        bi = buf[i] * mom;
        bi = bi + one_minus_damp * gi;
      }
      buf[i] = bi;
      if constexpr (Nesterov) {
        gi = gi + mom * bi;
      } else {
        gi = bi;
      }
    }
    p[i] = p[i] + neg_lr * gi;
  }
}

// ---- Adam and AdamW (torch/optim/adam.py, _single_tensor_adam) ----

template <typename T, bool WD, bool Ams, bool Small>
void adam_chunk(const Slot& s, const AdamOptions& o, int64_t b, int64_t e) {
  T* __restrict p = static_cast<T*>(s.param);
  const T* __restrict g = static_cast<const T*>(s.grad);
  T* __restrict m = static_cast<T*>(s.buf[0]);
  T* __restrict v = static_cast<T*>(s.buf[1]);
  T* __restrict vmax = static_cast<T*>(s.buf[2]);
  const T sign = o.maximize ? T(-1) : T(1);
  const T wd = static_cast<T>(o.weight_decay);
  // AdamW's param.mul_(1 - lr * weight_decay); multiplying by 1 leaves Adam's parameters as they are.
  const T decay = o.decoupled_weight_decay ? static_cast<T>(1 - o.lr * o.weight_decay) : T(1);
  const T w = static_cast<T>(1 - o.beta1);
  const T one_minus_w = T(1) - w;
  const T beta2 = static_cast<T>(o.beta2);
  const T one_minus_beta2 = static_cast<T>(1 - o.beta2);
  const T neg_step_size = static_cast<T>(-s.scalar[0]);
  const T bc2_sqrt = static_cast<T>(s.scalar[1]);
  const T eps = static_cast<T>(o.eps);
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    if constexpr (WD) gi = gi + wd * p[i];
    const T pi = p[i] * decay;
    const T mi = lerp<Small>(m[i], gi, w, one_minus_w);
    T vi = v[i] * beta2;
    vi = vi + one_minus_beta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if constexpr (Ams) {
      vi = nan_max(vmax[i], vi);
      vmax[i] = vi;
    }
    const T denom = std::sqrt(vi) / bc2_sqrt + eps;
    p[i] = pi + neg_step_size * (mi / denom);
  }
}

// ---- RMSprop (torch/optim/rmsprop.py, _single_tensor_rmsprop) ----

template <typename T, bool WD, bool Centered, bool Mom, bool Small>
void rmsprop_chunk(const Slot& s, const RmspropOptions& o, int64_t b, int64_t e) {
  T* __restrict p = static_cast<T*>(s.param);
  const T* __restrict g = static_cast<const T*>(s.grad);
  T* __restrict sq = static_cast<T*>(s.buf[0]);
  T* __restrict ga = static_cast<T*>(s.buf[1]);
  T* __restrict buf = static_cast<T*>(s.buf[2]);
  const T sign = o.maximize ? T(-1) : T(1);
  const T wd = static_cast<T>(o.weight_decay);
  const T alpha = static_cast<T>(o.alpha);
  const T one_minus_alpha = static_cast<T>(1 - o.alpha);
  const T w = one_minus_alpha;
  const T one_minus_w = T(1) - w;
  const T eps = static_cast<T>(o.eps);
  const T mom = static_cast<T>(o.momentum);
  const T neg_lr = static_cast<T>(-o.lr);
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    if constexpr (WD) gi = gi + wd * p[i];
    T si = sq[i] * alpha;
    si = si + one_minus_alpha * gi * gi;
    sq[i] = si;
    T avg;
    if constexpr (Centered) {
      const T gai = lerp<Small>(ga[i], gi, w, one_minus_w);
      ga[i] = gai;
      avg = std::sqrt(si + T(-1) * gai * gai);
    } else {
      avg = std::sqrt(si);
    }
    avg = avg + eps;
    if constexpr (Mom) {
      T bi = buf[i] * mom;
      bi = bi + T(1) * (gi / avg);
      buf[i] = bi;
      p[i] = p[i] + neg_lr * bi;
    } else {
      p[i] = p[i] + neg_lr * (gi / avg);
    }
  }
}

// ---- Adagrad (torch/optim/adagrad.py, _single_tensor_adagrad, dense gradients) ----

template <typename T, bool WD> void adagrad_chunk(const Slot& s, const AdagradOptions& o, int64_t b, int64_t e) {
  T* __restrict p = static_cast<T*>(s.param);
  const T* __restrict g = static_cast<const T*>(s.grad);
  T* __restrict sum = static_cast<T*>(s.buf[0]);
  const T sign = o.maximize ? T(-1) : T(1);
  const T wd = static_cast<T>(o.weight_decay);
  const T eps = static_cast<T>(o.eps);
  const T neg_clr = static_cast<T>(-s.scalar[0]);
  for (int64_t i = b; i < e; ++i) {
    T gi = g[i] * sign;
    if constexpr (WD) gi = gi + wd * p[i];
    const T si = sum[i] + T(1) * gi * gi;
    sum[i] = si;
    const T std_i = std::sqrt(si) + eps;
    p[i] = p[i] + neg_clr * (gi / std_i);
  }
}

}  // namespace

std::vector<TensorRef> sgd_step(const TensorList& params, const TensorList& grads, const TensorList& momentum_buffers,
                                const SgdOptions& o) {
  StepBatch batch("sgd");
  const size_t n = params.size();
  const bool use_momentum = o.momentum != 0;
  batch.check_length(grads, n, "gradients");
  if (use_momentum) batch.check_length(momentum_buffers, n, "momentum buffers");
  std::vector<TensorRef> bufs;
  for (size_t i = 0; i < n; ++i) {
    Slot& s = batch.add(i, params[i], grads[i]);
    if (!use_momentum) continue;
    if (momentum_buffers[i] == nullptr) {
      // The first step's buffer is a copy of the gradient (the kernel writes it).
      bufs.push_back(empty_like(params[i]));
      s.first = true;
    } else {
      bufs.push_back(TensorRef::borrow(momentum_buffers[i]));
    }
    s.buf[0] = batch.buffer(bufs.back().get(), params[i], i, "momentum_buffer");
  }
  batch.run([&](const Slot& s, int64_t b, int64_t e) {
    dispatch_floating(s.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      with_bool(o.weight_decay != 0, [&](auto wd) {
        with_bool(use_momentum, [&](auto mom) {
          with_bool(o.nesterov, [&](auto nest) {
            with_bool(s.first, [&](auto first) {
              sgd_chunk<T, decltype(wd)::value, decltype(mom)::value, decltype(nest)::value, decltype(first)::value>(
                  s, o, b, e);
            });
          });
        });
      });
    });
  });
  return bufs;
}

void adam_step(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
               const TensorList& exp_avg_sqs, const TensorList& max_exp_avg_sqs, const TensorList& steps,
               const AdamOptions& o) {
  StepBatch batch(o.decoupled_weight_decay ? "adamw" : "adam");
  const size_t n = params.size();
  batch.check_length(grads, n, "gradients");
  batch.check_length(exp_avgs, n, "exp_avg tensors");
  batch.check_length(exp_avg_sqs, n, "exp_avg_sq tensors");
  if (o.amsgrad) batch.check_length(max_exp_avg_sqs, n, "max_exp_avg_sq tensors");
  batch.check_length(steps, n, "steps");
  for (size_t i = 0; i < n; ++i) {
    Slot& s = batch.add(i, params[i], grads[i]);
    s.buf[0] = batch.buffer(exp_avgs[i], params[i], i, "exp_avg");
    s.buf[1] = batch.buffer(exp_avg_sqs[i], params[i], i, "exp_avg_sq");
    if (o.amsgrad) s.buf[2] = batch.buffer(max_exp_avg_sqs[i], params[i], i, "max_exp_avg_sq");
    batch.check_step(steps[i], i);
  }
  for (size_t i = 0; i < n; ++i) {
    // As adam.py computes them, in Python floats: step_size and bias_correction2 ** 0.5.
    const double step = StepBatch::next_step(steps[i]);
    const double bias_correction1 = 1 - std::pow(o.beta1, step);
    const double bias_correction2 = 1 - std::pow(o.beta2, step);
    batch.slots()[i].scalar[0] = o.lr / bias_correction1;
    batch.slots()[i].scalar[1] = std::pow(bias_correction2, 0.5);
  }
  const bool coupled_wd = o.weight_decay != 0 && !o.decoupled_weight_decay;
  const bool small = (1 - o.beta1) < 0.5;
  batch.run([&](const Slot& s, int64_t b, int64_t e) {
    dispatch_floating(s.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      with_bool(coupled_wd, [&](auto wd) {
        with_bool(o.amsgrad, [&](auto ams) {
          with_bool(small, [&](auto sm) {
            adam_chunk<T, decltype(wd)::value, decltype(ams)::value, decltype(sm)::value>(s, o, b, e);
          });
        });
      });
    });
  });
}

void rmsprop_step(const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
                  const TensorList& grad_avgs, const TensorList& momentum_buffers, const TensorList& steps,
                  const RmspropOptions& o) {
  StepBatch batch("rmsprop");
  const size_t n = params.size();
  const bool use_momentum = o.momentum > 0;
  batch.check_length(grads, n, "gradients");
  batch.check_length(square_avgs, n, "square_avg tensors");
  if (o.centered) batch.check_length(grad_avgs, n, "grad_avg tensors");
  if (use_momentum) batch.check_length(momentum_buffers, n, "momentum buffers");
  batch.check_length(steps, n, "steps");
  for (size_t i = 0; i < n; ++i) {
    Slot& s = batch.add(i, params[i], grads[i]);
    s.buf[0] = batch.buffer(square_avgs[i], params[i], i, "square_avg");
    if (o.centered) s.buf[1] = batch.buffer(grad_avgs[i], params[i], i, "grad_avg");
    if (use_momentum) s.buf[2] = batch.buffer(momentum_buffers[i], params[i], i, "momentum_buffer");
    batch.check_step(steps[i], i);
  }
  for (size_t i = 0; i < n; ++i) StepBatch::next_step(steps[i]);
  const bool small = (1 - o.alpha) < 0.5;
  batch.run([&](const Slot& s, int64_t b, int64_t e) {
    dispatch_floating(s.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      with_bool(o.weight_decay != 0, [&](auto wd) {
        with_bool(o.centered, [&](auto centered) {
          with_bool(use_momentum, [&](auto mom) {
            with_bool(small, [&](auto sm) {
              rmsprop_chunk<T, decltype(wd)::value, decltype(centered)::value, decltype(mom)::value,
                            decltype(sm)::value>(s, o, b, e);
            });
          });
        });
      });
    });
  });
}

void adagrad_step(const TensorList& params, const TensorList& grads, const TensorList& state_sums,
                  const TensorList& steps, const AdagradOptions& o) {
  StepBatch batch("adagrad");
  const size_t n = params.size();
  batch.check_length(grads, n, "gradients");
  batch.check_length(state_sums, n, "sum tensors");
  batch.check_length(steps, n, "steps");
  for (size_t i = 0; i < n; ++i) {
    Slot& s = batch.add(i, params[i], grads[i]);
    s.buf[0] = batch.buffer(state_sums[i], params[i], i, "sum");
    batch.check_step(steps[i], i);
  }
  for (size_t i = 0; i < n; ++i) {
    const double step = StepBatch::next_step(steps[i]);
    batch.slots()[i].scalar[0] = o.lr / (1 + (step - 1) * o.lr_decay);
  }
  batch.run([&](const Slot& s, int64_t b, int64_t e) {
    dispatch_floating(s.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      with_bool(o.weight_decay != 0, [&](auto wd) { adagrad_chunk<T, decltype(wd)::value>(s, o, b, e); });
    });
  });
}

}  // namespace optim
}  // namespace fngrad
