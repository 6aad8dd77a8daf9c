// layer_norm's native kernel and node (layer_norm.cpp).
#pragma once

#include <tuple>

#include "core/tensor.h"

namespace fngrad {
namespace ops {

// (out, mean, rstd) of x normalised over its trailing dims (normalized_shape), times weight plus
// bias (either null); mean and rstd hold one value per row, flat. float32/float64 only.
std::tuple<TensorRef, TensorRef, TensorRef> native_layer_norm(TensorObject* x, const DimVec& normalized_shape,
                                                              TensorObject* weight, TensorObject* bias, double eps);

}  // namespace ops
}  // namespace fngrad
