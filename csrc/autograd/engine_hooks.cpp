#include "autograd/engine_hooks.h"

#include <cmath>

#include "autograd/anomaly.h"

namespace fngrad {
namespace autograd {

GradList call_node(Node* node, GradList&& grads) { return node->apply(std::move(grads)); }

void check_anomaly(Node* node, const GradList& grads) {
  if (!AnomalyMode::is_enabled() || !AnomalyMode::should_check_nan()) return;
  for (size_t i = 0; i < grads.size(); i++) {
    const TensorRef& g = grads[i];
    if (!g || !is_floating(g->dtype)) continue;
    TensorRef c = contiguous(g.get());
    bool has_nan = dispatch_floating(c->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* p = data_ptr<T>(c.get());
      for (int64_t k = 0; k < c->numel; k++)
        if (std::isnan(p[k])) return true;
      return false;
    });
    FNGRAD_CHECK_RUNTIME(!has_nan, "Function '", describe_node(node), "' returned nan values in its ", i,
                         "th output.");
  }
}

void run_post_accumulate_hooks(TensorObject*) {}

}  // namespace autograd
}  // namespace fngrad
