#include "autograd/anomaly.h"

#include <atomic>

namespace fngrad {
namespace autograd {

namespace {
std::atomic<bool> g_enabled{false};
std::atomic<bool> g_check_nan{true};
}  // namespace

bool AnomalyMode::is_enabled() { return g_enabled.load(std::memory_order_relaxed); }
bool AnomalyMode::should_check_nan() { return g_check_nan.load(std::memory_order_relaxed); }
void AnomalyMode::set_enabled(bool enabled, bool check_nan) {
  g_enabled.store(enabled);
  g_check_nan.store(check_nan);
}

}  // namespace autograd
}  // namespace fngrad
