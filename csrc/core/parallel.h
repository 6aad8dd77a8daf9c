// A small thread pool for large kernels, and the GIL release around them.
//
// parallel_for(n, grain, f) calls f(begin, end) on disjoint chunks covering [0, n). Below
// 2 * grain elements it runs inline on the caller's thread; above, the pool's workers and the
// caller share the chunks. One job runs on the pool at a time: a second caller that finds it
// busy (another Python thread with the GIL released) runs its job inline instead of waiting.
#pragma once

#include "core/common.h"

namespace fngrad {

int usable_cpus();  // the CPUs this thread may run on
int get_num_threads();
void set_num_threads(int n);

using ChunkFn = void (*)(void* ctx, int64_t begin, int64_t end);
void run_parallel(int64_t n, int64_t grain, ChunkFn fn, void* ctx);

template <typename F> void parallel_for(int64_t n, int64_t grain, const F& f) {
  if (n < 2 * grain || get_num_threads() <= 1) {
    if (n > 0) f(int64_t(0), n);
    return;
  }
  run_parallel(
      n, grain, [](void* ctx, int64_t b, int64_t e) { (*static_cast<const F*>(ctx))(b, e); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

// Elements above which a kernel releases the GIL and may use the pool: below it, the cost of
// releasing the GIL and waking threads exceeds the work.
constexpr int64_t kParallelGrain = 1 << 16;
constexpr int64_t kExpensiveGrain = 1 << 12;  // for transcendental functions
constexpr int64_t kReleaseGilNumel = 1 << 15;

// Releases the GIL for its lifetime when `release` is true. See Note [GIL and reference
// counts]: code inside must not touch Python objects or reference counts.
// Kernels on large tensors release the GIL (see GilRelease) unless the calling thread pins it:
// code that must not let another Python thread in while a kernel runs (e.g. accumulating into a
// leaf's .grad, Note [Concurrent accumulation]) holds a PinGil.
inline thread_local int t_gil_pinned = 0;

class PinGil {
 public:
  PinGil() { t_gil_pinned++; }
  ~PinGil() { t_gil_pinned--; }
  PinGil(const PinGil&) = delete;
  PinGil& operator=(const PinGil&) = delete;
};

class GilRelease {
 public:
  explicit GilRelease(bool release) : state_(release && t_gil_pinned == 0 ? PyEval_SaveThread() : nullptr) {}
  ~GilRelease() {
    if (state_ != nullptr) PyEval_RestoreThread(state_);
  }
  GilRelease(const GilRelease&) = delete;
  GilRelease& operator=(const GilRelease&) = delete;

 private:
  PyThreadState* state_;
};

}  // namespace fngrad
