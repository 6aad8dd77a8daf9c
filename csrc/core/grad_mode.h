// Grad mode: whether ops record the graph. Thread-local, as in PyTorch: each thread starts
// with grad mode on, and no_grad() in one thread does not affect another.
#pragma once

namespace fngrad {

struct GradMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

// Inference mode: no_grad, and tensors created under it are inference tensors (they cannot be
// saved for backward, nor modified in place outside inference mode).
struct InferenceMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

// Sets grad mode for its lifetime and restores the previous mode.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : prev_(GradMode::is_enabled()) { GradMode::set_enabled(enabled); }
  ~GradModeGuard() { GradMode::set_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace fngrad
