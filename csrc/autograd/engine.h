// The engine: runs the backward pass over the graph, on the calling thread.
//
// Note [Engine]
// A backward pass is one GraphTask (graph_task.h, PyTorch's name): its options, the root, the
// dependency counts, the gradients waiting for nodes, what grad(inputs) captures, and the
// end-of-backward callbacks. run_backward drives it in steps:
// 1. A GraphRoot node hands the root gradients to the roots' grad_fns.
// 2. For autograd.grad() and backward(inputs=...), the exec info marks the nodes on a path to
//    the requested inputs: only those run, and gradients are captured where they reach the inputs.
// 3. compute_dependencies walks the graph from the root without recursion and counts, for
//    every node, the edges that point at it.
// 4. The main loop runs ready nodes (all their dependencies delivered) from a priority queue,
//    latest sequence_nr first. Gradients for a node that is not ready yet wait in its
//    InputBuffer, which sums the gradients that arrive for the same input. A node's returned
//    gradients are validated against the metadata of the inputs they flow into (count, shape,
//    dtype; a gradient that broadcasts to the expected shape is summed down to it) before they
//    are delivered. Unless keep_graph, each node releases its saved tensors as soon as it has run.
// 5. Captured gradients are added to the .grad of backward(inputs=...)'s non-leaf inputs.
// 6. The final callbacks run, in the order queued (queue_callback, PyTorch's
//    Variable._execution_engine.queue_callback), with the task still current so that a callback
//    may queue another. They run only when the graph finished without an exception; an exception
//    from a callback skips the rest and reaches the caller of backward.
// 7. grad() gets the captured gradients (an unused input raises unless allow_unused).
// The innermost running GraphTask is current on its thread: a reentrant backward (run from a
// node's backward or a hook) has a task of its own, and callbacks queued meanwhile go to it.
//
// The engine holds the GIL throughout (Note [GIL and reference counts]); only large kernels
// release it.
#pragma once

#include <vector>

#include "autograd/graph_task.h"
#include "autograd/node.h"

namespace fngrad {
namespace autograd {

// Runs backward from roots. grads[i] is the gradient of roots[i] (undefined: ones for a
// one-element root). With options.accumulate_grad, leaves accumulate .grad (all leaves, or only
// those in inputs when inputs is non-empty); otherwise returns the gradients of inputs
// (autograd.grad), with undefined entries for unused inputs when options.allow_unused.
std::vector<TensorRef> run_backward(const std::vector<TensorRef>& roots, std::vector<TensorRef> grads,
                                    const std::vector<TensorRef>& inputs, const BackwardOptions& options);

// Queues callback (called with no arguments) to run when the innermost backward pass running on
// this thread has finished its graph; raises outside backward.
void queue_callback(PyObject* callback);

// The id of the backward pass running on this thread (-1 outside backward), and whether it will
// run the node t's gradient flows into: what register_multi_grad_hook needs.
int64_t current_graph_task_id();
bool will_engine_execute(TensorObject* t);
// False while a node or hook of a grad() or backward(inputs=...) pass runs (also in a pass nested
// there; not in its final callbacks): PyTorch's Engine::is_checkpoint_valid, which reentrant
// checkpointing consults.
bool is_checkpoint_valid();

}  // namespace autograd
}  // namespace fngrad
