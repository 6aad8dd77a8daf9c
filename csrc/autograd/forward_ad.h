// Forward-mode AD (fngrad.autograd.forward_ad).
//
// Note [Forward AD]
// A dual tensor carries its tangent in a "cell" (TensorObject::fw_cell, a Python list
// [tangent or None, pending or None, level id]); a cell whose level id is not the active level's
// is stale (the level was exited) and counts as no tangent. Every op already records its
// backward node through record_node() (Note [Recording a node]); while a level is active,
// needs_recording() also says yes when an input has a tangent, and record_node() then gives the
// output a *pending* cell: (node, inputs, their tangents). The node is the op's description --
// its name, its parameters, what it saved -- so no op needs code of its own for forward mode.
// Pending cells are turned into tangents (flush_pending) before the next op records, when a
// tangent is read, and when the level exits; the formula is chosen in Python by the node's name
// (fngrad/autograd/forward_ad.py: direct JVP formulas, else the double-vjp of the node).
// A node recorded only for forward mode (grad mode off, or no input requires grad) does not
// become the output's grad_fn, so requires_grad is what it would be without forward AD.
// Inputs with a tangent that do not require grad get an edge to a ForwardSink node, so that the
// node computes (and saves what it needs for) their gradient too.
// Nothing of this runs while no level is active: needs_recording() reads one global first.
#pragma once

#include "autograd/node.h"

namespace fngrad {
namespace autograd {

// Whether t has a tangent at the active level (pending or computed).
bool has_tangent(const TensorObject* t);
// needs_recording() while a level is active: flushes pending tangents, then grad mode and
// requires_grad as usual, or an input with a tangent.
bool needs_recording_fw(const TensorObject* const* inputs, size_t n);
// record_node_from() while a level is active (node made, no edges yet).
// outs: the op's outputs (several for unbind/split: output i is node input i).
void record_node_fw(Node* node, TensorObject* const* outs, size_t nout, TensorObject* const* inputs, size_t n,
                    History history);
// Computes every pending tangent.
void flush_pending();
// t's tangent at the active level (computing it if pending), or null.
TensorRef get_tangent(TensorObject* t);
// Sets t's tangent (null clears it).
void set_tangent(TensorObject* t, TensorObject* tangent);
int enter_dual_level();
void exit_dual_level(int level);

}  // namespace autograd
}  // namespace fngrad
