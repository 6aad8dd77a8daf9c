// What the engine does around running a node: hooks, error context and anomaly checks.
#pragma once

#include "autograd/node.h"

namespace fngrad {
namespace autograd {

// Runs node->apply(grads) with the node's hooks around it.
GradList call_node(Node* node, GradList&& grads);
// Under anomaly mode, raises if a gradient the node returned contains NaN.
void check_anomaly(Node* node, const GradList& grads);
// Runs the post-accumulate-grad hooks of leaf t.
void run_post_accumulate_hooks(TensorObject* t);

}  // namespace autograd
}  // namespace fngrad
