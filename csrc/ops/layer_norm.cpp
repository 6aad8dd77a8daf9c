// layer_norm as one kernel each way: the input seen as M rows of N contiguous values (N the product
// of normalized_shape), out = (x - mean) * rstd * w + b per row, rstd = 1 / sqrt(var + eps) with the
// biased variance. One node, PyTorch's NativeLayerNormBackward0, saves the input, weight, bias and
// the per-row mean and rstd.
//
// Composed from mean, sub, mul, rsqrt and add (nn.functional's former layer_norm) the forward ran
// eight passes and the backward ~10 nodes: 2.5-3.5 ms against PyTorch's 0.5-0.9 ms on a
// 1024 x 1024 float32 input (bench/families_index.py). Here each row is read from memory once per
// direction (the mean, variance and output passes, and the backward's two row sums and its gradient
// pass, run over a row that stays in cache). Within-row sums of float32 rows run in float lanes,
// except the mean (double); the double sums' conversions made the kernels compute-bound. Rows are split over the thread
// pool; the column sums of grad_weight and grad_bias are per-block partial sums in double, added up after the threads
// finish (no shared writes).
//
// Under create_graph the backward is built from differentiable ops instead, with mean and rstd
// recomputed from the saved input so that their dependence on x is part of the recorded graph
// (double backward needs it).
#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "autograd/saved_tensor.h"
#include "core/grad_mode.h"
#include "core/parallel.h"
#include "ops/layer_norm.h"
#include "ops/ops.h"
#include "ops/unary_ops.h"

namespace fngrad {
namespace ops {

using autograd::GradList;
using autograd::Node;
using autograd::SavedTensor;

namespace {

constexpr int kLanes = 16;

// Sum over n contiguous values of f(i), in A with independent lanes (so the loop vectorises: two AVX
// registers of floats, four of doubles).
template <typename A, typename F> A lane_sum(int64_t n, const F& f) {
  A acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; k++) acc[k] += f(i + k);
  for (; i < n; i++) acc[0] += f(i);
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int k = 0; k < w; k++) acc[k] += acc[k + w];
  return acc[0];
}

// Rows per parallel chunk: about kParallelGrain elements each.
int64_t row_grain(int64_t N) { return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(N, 1)); }

bool release_gil(int64_t numel) { return numel >= kReleaseGilNumel && PyGILState_Check(); }

template <typename T>
void forward_kernel(const T* x, const T* w, const T* b, T* out, T* mean, T* rstd, int64_t M, int64_t N, double eps) {
  GilRelease nogil(release_gil(M * N));
  parallel_for(M, row_grain(N), [&](int64_t r0, int64_t r1) {
    for (int64_t m = r0; m < r1; m++) {
      const T* row = x + m * N;
      T* orow = out + m * N;
      // The mean in double (a float sum of values far from 0 would shift it by more than their spread);
      // the squares around it are all positive and summed in T, as PyTorch's float kernels do.
      const double mu =
          lane_sum<double>(N, [&](int64_t i) { return static_cast<double>(row[i]); }) / static_cast<double>(N);
      const T mu_t = static_cast<T>(mu);
      const double var = static_cast<double>(lane_sum<T>(N,
                                                         [&](int64_t i) {
                                                           const T d = row[i] - mu_t;
                                                           return d * d;
                                                         })) /
                         static_cast<double>(N);
      const double rs = 1.0 / std::sqrt(var + eps);
      mean[m] = static_cast<T>(mu);
      rstd[m] = static_cast<T>(rs);
      // (x - mean) first, not x * rstd - mean * rstd: that cancels badly when the spread is small beside
      // the mean (a one-element row's rstd is 1/sqrt(eps)).
      const T a = static_cast<T>(rs);
      if (w != nullptr && b != nullptr) {
        for (int64_t i = 0; i < N; i++) orow[i] = (row[i] - mu_t) * a * w[i] + b[i];
      } else if (w != nullptr) {
        for (int64_t i = 0; i < N; i++) orow[i] = (row[i] - mu_t) * a * w[i];
      } else if (b != nullptr) {
        for (int64_t i = 0; i < N; i++) orow[i] = (row[i] - mu_t) * a + b[i];
      } else {
        for (int64_t i = 0; i < N; i++) orow[i] = (row[i] - mu_t) * a;
      }
    }
  });
}

// grad_input (gi, when not null) = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) per row, with
// gw = g * w and xhat = (x - mean) * rstd; gw_sum / gb_sum (when not null) = the column sums of
// g * xhat and of g.
template <typename T> void backward_kernel(const T* x, const T* g, const T* w, const T* mean, const T* rstd, T* gi,
                                           T* gw_out, T* gb_out, int64_t M, int64_t N) {
  const bool cols = gw_out != nullptr || gb_out != nullptr;
  // Blocks of rows, each with its own partial column sums when those are wanted.
  const int64_t blocks = M * N >= 2 * kParallelGrain ? std::min<int64_t>(get_num_threads(), M) : 1;
  std::vector<double> part_w(gw_out != nullptr ? static_cast<size_t>(blocks * N) : 0);
  std::vector<double> part_b(gb_out != nullptr ? static_cast<size_t>(blocks * N) : 0);
  GilRelease nogil(release_gil(M * N));
  parallel_for(blocks, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; k++) {
      const int64_t r0 = M * k / blocks, r1 = M * (k + 1) / blocks;
      double* pw = gw_out != nullptr ? part_w.data() + k * N : nullptr;
      double* pb = gb_out != nullptr ? part_b.data() + k * N : nullptr;
      for (int64_t m = r0; m < r1; m++) {
        const T* xr = x + m * N;
        const T* gr = g + m * N;
        const T mu = mean[m], rs = rstd[m];
        if (gi != nullptr) {
          T* gir = gi + m * N;
          T s_gw, s_gwx;
          if (w != nullptr) {
            s_gw = lane_sum<T>(N, [&](int64_t i) { return gr[i] * w[i]; });
            s_gwx = lane_sum<T>(N, [&](int64_t i) { return gr[i] * w[i] * (xr[i] - mu); });
          } else {
            s_gw = lane_sum<T>(N, [&](int64_t i) { return gr[i]; });
            s_gwx = lane_sum<T>(N, [&](int64_t i) { return gr[i] * (xr[i] - mu); });
          }
          // gi = rs * gw - rs * mean(gw) - (x - mu) * rs^3 * mean(gw * (x - mu))
          const double inv_n = 1.0 / static_cast<double>(N);
          const double rsd = static_cast<double>(rs);
          const T c1 = static_cast<T>(rsd * rsd * rsd * static_cast<double>(s_gwx) * inv_n);
          const T c0 = static_cast<T>(rsd * static_cast<double>(s_gw) * inv_n);
          if (w != nullptr) {
            for (int64_t i = 0; i < N; i++) gir[i] = rs * (gr[i] * w[i]) - c1 * (xr[i] - mu) - c0;
          } else {
            for (int64_t i = 0; i < N; i++) gir[i] = rs * gr[i] - c1 * (xr[i] - mu) - c0;
          }
        }
        if (pw != nullptr)
          for (int64_t i = 0; i < N; i++) pw[i] += static_cast<double>(gr[i] * ((xr[i] - mu) * rs));
        if (pb != nullptr)
          for (int64_t i = 0; i < N; i++) pb[i] += static_cast<double>(gr[i]);
      }
    }
  });
  if (!cols) return;
  auto reduce = [&](const std::vector<double>& part, T* dst) {
    for (int64_t i = 0; i < N; i++) {
      double s = 0;
      for (int64_t k = 0; k < blocks; k++) s += part[k * N + i];
      dst[i] = static_cast<T>(s);
    }
  };
  if (gw_out != nullptr) reduce(part_w, gw_out);
  if (gb_out != nullptr) reduce(part_b, gb_out);
}

class NativeLayerNormBackward : public Node {
 public:
  SavedTensor input, weight, bias, mean, rstd;
  DimVec normalized_shape;
  int64_t rows = 0;  // M
  double eps = 0;
  bool has_weight = false, has_bias = false;
  // Three edges (input, weight, bias) with an invalid one for an absent weight or bias, as PyTorch's
  // next_functions show them; false while forward AD records (its inputs are the present tensors).
  bool three_edges = false;

  std::string name() const override { return "NativeLayerNormBackward0"; }
  void release_saved() override {
    input.release();
    weight.release();
    bias.release();
    mean.release();
    rstd.release();
  }
  void visit_saved(autograd::SavedValueVisitor& v) const override {
    v.saved("_saved_bias", bias);
    v.saved("_saved_input", input);
    v.ints("_saved_normalized_shape", normalized_shape);
    v.saved("_saved_result1", mean);
    v.saved("_saved_result2", rstd);
    v.saved("_saved_weight", weight);
  }

  GradList apply(GradList&& grads) override {
    TensorRef g = std::move(grads[0]);
    TensorRef x = input.unpack(this);
    TensorRef w = has_weight ? weight.unpack(this) : TensorRef();
    const int64_t N = checked_numel(normalized_shape, "layer_norm");
    const int64_t M = rows;
    // Edge order: input, weight, bias (three_edges), or input then weight and bias when present.
    const size_t w_edge = 1, b_edge = three_edges || has_weight ? 2 : 1;
    const bool need_x = next_edges_[0].is_valid();
    const bool need_w = has_weight && next_edges_[w_edge].is_valid();
    const bool need_b = has_bias && next_edges_[b_edge].is_valid();
    if (g->dtype != x->dtype) g = to_dtype(g.get(), x->dtype);
    TensorRef gx, gw, gb;
    if (GradMode::is_enabled()) {
      graph_grads(x.get(), g.get(), w.get(), M, N, need_x, need_w, need_b, gx, gw, gb);
    } else {
      TensorRef xc = fngrad::contiguous(x.get()), gc = fngrad::contiguous(g.get());
      TensorRef wc = w ? fngrad::contiguous(w.get()) : TensorRef();
      TensorRef mu = mean.unpack(this), rs = rstd.unpack(this);
      if (need_x) gx = empty(x->sizes, x->dtype, "layer_norm");
      if (need_w) gw = empty(normalized_shape, x->dtype, "layer_norm");
      if (need_b) gb = empty(normalized_shape, x->dtype, "layer_norm");
      dispatch_floating(x->dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        auto ptr = [](const TensorRef& t) { return t ? data_ptr<T>(t.get()) : nullptr; };
        backward_kernel<T>(ptr(xc), ptr(gc), ptr(wc), ptr(mu), ptr(rs), ptr(gx), ptr(gw), ptr(gb), M, N);
      });
    }
    GradList out;
    out.push_back(gx);
    if (has_weight || three_edges) out.push_back(gw);
    if (has_bias || three_edges) out.push_back(gb);
    return out;
  }

  // The same gradients from differentiable ops (create_graph): mean and rstd are recomputed from x.
  void graph_grads(TensorObject* x, TensorObject* g, TensorObject* w, int64_t M, int64_t N, bool need_x, bool need_w,
                   bool need_b, TensorRef& gx, TensorRef& gw, TensorRef& gb) const {
    const DimVec rows{M, N};
    const DimVec last{1}, first{0};
    TensorRef x2 = reshape(x, rows);
    TensorRef g2 = reshape(g, rows);
    TensorRef xc = sub(x2, mean_of(x2.get(), last));
    TensorRef rs = apply_Rsqrt(add(mean_of(mul(xc, xc).get(), last), Scalar::of_double(eps)).get());
    TensorRef xhat = mul(xc, rs);
    if (need_x) {
      TensorRef gwt = w != nullptr ? mul(g2, reshape(w, {N})) : g2;
      TensorRef proj = mul(xhat, mean_of(mul(gwt, xhat).get(), last));
      TensorRef r = mul(rs, sub(sub(gwt, mean_of(gwt.get(), last)).get(), proj).get());
      gx = reshape(r.get(), x->sizes);
    }
    if (need_w) gw = reshape(sum(mul(g2, xhat).get(), &first, false).get(), normalized_shape);
    if (need_b) gb = reshape(sum(g2.get(), &first, false).get(), normalized_shape);
  }

  static TensorRef mean_of(TensorObject* t, const DimVec& dims) { return ops::mean(t, &dims, true); }
};

}  // namespace

std::tuple<TensorRef, TensorRef, TensorRef> native_layer_norm(TensorObject* x_in, const DimVec& normalized_shape,
                                                              TensorObject* weight, TensorObject* bias, double eps) {
  FNGRAD_CHECK_RUNTIME(x_in->dtype == DType::Float32 || x_in->dtype == DType::Float64,
                       "[layer_norm] native kernel expects float32 or float64 input, got ", dtype_name(x_in->dtype));
  const int64_t N = checked_numel(normalized_shape, "layer_norm");
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  bool shape_ok = k >= 1 && ndim(x_in) >= k;
  for (int64_t d = 0; shape_ok && d < k; d++) shape_ok = x_in->sizes[ndim(x_in) - k + d] == normalized_shape[d];
  FNGRAD_CHECK_RUNTIME(shape_ok, "[layer_norm] input of size ", shape_str(x_in->sizes),
                       " does not end with normalized_shape ", shape_str(normalized_shape));
  for (TensorObject* p : {weight, bias}) {
    if (p == nullptr) continue;
    FNGRAD_CHECK_RUNTIME(p->dtype == x_in->dtype && p->numel == N, "[layer_norm] weight and bias must have the ",
                         "input's dtype and ", N, " elements, got ", dtype_name(p->dtype), " ", shape_str(p->sizes));
  }
  int64_t M = 1;
  for (int64_t d = 0; d < ndim(x_in) - k; d++) M *= x_in->sizes[d];
  // The kernels read plain contiguous copies (no graph: the node below records the op).
  TensorRef x = fngrad::contiguous(x_in);
  TensorRef w = weight != nullptr ? fngrad::contiguous(weight) : TensorRef();
  TensorRef b = bias != nullptr ? fngrad::contiguous(bias) : TensorRef();
  TensorRef out = empty(x_in->sizes, x_in->dtype, "layer_norm");
  TensorRef mean = empty({M}, x_in->dtype, "layer_norm");
  TensorRef rstd = empty({M}, x_in->dtype, "layer_norm");
  dispatch_floating(x_in->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto ptr = [](const TensorRef& t) { return t ? data_ptr<T>(t.get()) : nullptr; };
    forward_kernel<T>(ptr(x), ptr(w), ptr(b), ptr(out), ptr(mean), ptr(rstd), M, N, eps);
  });
  SmallVec<TensorObject*, 3> inputs{x_in};
  if (weight != nullptr) inputs.push_back(weight);
  if (bias != nullptr) inputs.push_back(bias);
  if (autograd::needs_recording(inputs.data(), inputs.size())) {
    auto* node = autograd::record_node_from<NativeLayerNormBackward>(out.get(), inputs, autograd::History::Output);
    node->input = SavedTensor(x_in, false);
    node->weight = SavedTensor(weight, false);
    node->bias = SavedTensor(bias, false);
    node->mean = SavedTensor(mean.get(), false);
    node->rstd = SavedTensor(rstd.get(), false);
    node->normalized_shape = normalized_shape;
    node->rows = M;
    node->eps = eps;
    node->has_weight = weight != nullptr;
    node->has_bias = bias != nullptr;
    auto& edges = node->next_edges();
    if (edges.size() == inputs.size() && inputs.size() < 3) {  // (forward AD records no edges)
      if (weight == nullptr) edges.insert_at(1, autograd::Edge());
      if (bias == nullptr) edges.push_back(autograd::Edge());
      node->three_edges = true;
    }
  }
  return {out, mean, rstd};
}

}  // namespace ops
}  // namespace fngrad
