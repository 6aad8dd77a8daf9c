// The engine: runs the backward pass over the graph, on the calling thread.
//
// Note [Engine]
// 1. A GraphRoot node hands the root gradients to the roots' grad_fns.
// 2. compute_dependencies walks the graph from the root without recursion and counts, for
//    every node, the edges that point at it.
// 3. Ready nodes (all their dependencies delivered) run from a priority queue, latest
//    sequence_nr first. Gradients for a node that is not ready yet wait in its InputBuffer,
//    which sums the gradients that arrive for the same input.
// 4. A node's returned gradients are validated against the metadata of the inputs they flow
//    into (count, shape, dtype; a gradient that broadcasts to the expected shape is summed down
//    to it) before they are delivered.
// 5. Unless retain_graph, each node releases its saved tensors as soon as it has run.
// For autograd.grad() and backward(inputs=...), only the nodes on a path to the requested
// inputs run, and gradients are captured where they reach the inputs.
//
// The engine holds the GIL throughout (Note [GIL and reference counts]); only large kernels
// release it.
#pragma once

#include <vector>

#include "autograd/node.h"

namespace fngrad {
namespace autograd {

// Runs backward from roots. grads[i] is the gradient of roots[i] (undefined: ones for a
// one-element root). With accumulate_grad, leaves accumulate .grad (all leaves, or only those in
// inputs when inputs is non-empty); otherwise returns the gradients of inputs (autograd.grad),
// with undefined entries for unused inputs when allow_unused.
std::vector<TensorRef> run_backward(const std::vector<TensorRef>& roots, std::vector<TensorRef> grads,
                                    bool keep_graph, bool create_graph, const std::vector<TensorRef>& inputs,
                                    bool allow_unused, bool accumulate_grad);

// The id of the backward pass running on this thread (-1 outside backward), and whether it will
// run the node t's gradient flows into: what register_multi_grad_hook needs.
int64_t current_graph_task_id();
bool will_engine_execute(TensorObject* t);

}  // namespace autograd
}  // namespace fngrad
