// Anomaly mode: while on, nodes record the Python traceback of the forward call that created
// them, and the engine checks every gradient a node returns for NaN. Global, as in PyTorch.
#pragma once

namespace fngrad {
namespace autograd {

struct AnomalyMode {
  static bool is_enabled();
  static bool should_check_nan();
  static void set_enabled(bool enabled, bool check_nan = true);
};

}  // namespace autograd
}  // namespace fngrad
