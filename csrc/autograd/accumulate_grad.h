// AccumulateGrad: the node at the end of every path to a leaf that requires grad. It adds the
// incoming gradient into the leaf's .grad.
//
// Note [AccumulateGrad]
// The node owns a reference to its leaf; the leaf keeps only a raw pointer back
// (TensorObject::grad_accumulator), which the node clears when it dies. Every edge to the same
// leaf therefore reaches the same node while any graph uses it, so gradients from several uses
// of a leaf are summed in the engine before they are accumulated once.
#pragma once

#include "autograd/node.h"

namespace fngrad {
namespace autograd {

class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(TensorRef variable);
  ~AccumulateGrad() override;
  GradList apply(GradList&& grads) override;
  std::string name() const override { return "AccumulateGrad"; }
  const TensorRef& variable() const { return variable_; }
  TensorObject* leaf_variable() const override { return variable_.get(); }

 private:
  TensorRef variable_;
};

// Adds grad into t.grad the way AccumulateGrad does (steals grad when nobody else holds it).
// With create_graph the result is a new tensor rather than an in-place update.
void accumulate_into_grad(TensorObject* t, TensorRef grad, bool create_graph);

}  // namespace autograd
}  // namespace fngrad
