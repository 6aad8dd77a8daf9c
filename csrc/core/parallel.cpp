// The thread pool behind parallel_for. A job hands out chunks through an atomic counter, and
// the caller works on chunks too.
//
// Note [Pool wake-up]
// Large kernels come in runs (an optimizer step is a mul and a sub_ per parameter, each a few
// tens of microseconds), and waking a worker blocked on a condition variable costs a futex call
// plus however long the scheduler takes: on a shared VM, often as long as the kernel itself
// (`p -= lr * p.grad` on a 512x784 weight: 32 us at best, 65 us median with sleeping workers).
// So a worker that finishes a job keeps polling for the next one for kSpinMicros, yielding the
// core now and then (a BLAS thread or the caller may need it), and only then sleeps. The caller
// wakes sleepers only if there are any, and waits for the last chunks by polling too: each
// chunk is short, and the caller has just done the same amount of work itself.
//
// A job lives on the caller's stack. A worker announces itself in inside_ before it reads the
// job pointer and leaves after its last chunk; the caller clears the pointer and waits for
// inside_ to drop to zero before returning, so no worker can touch a finished job (both sides
// use sequentially consistent operations: either the caller sees the worker inside, or the
// worker sees no job).
//
// Note [Worker placement]
// Linux wakes a sleeping worker on the CPU of the thread that woke it when it judges that cheap,
// and a worker that keeps running stays "cache hot", so the load balancer leaves it there even
// with another CPU idle. On a two-CPU VM the worker then spent whole bursts of calls polling on
// the caller's CPU: the two took turns on one core and a two-thread kernel ran slower than a
// one-thread one (cumsum of 1024x1024 float32: 0.50 ms against 0.27 with the worker elsewhere).
// Two moves keep it off:
// - Before waking sleepers, the caller narrows the workers' affinity to the allowed CPUs other than
//   its own (a syscall of ~1.5 us per worker, only on that path), so the scheduler wakes them
//   there; a worker restores its mask before it next sleeps.
// - The caller publishes its CPU, and a polling worker that finds itself on it (the caller may
//   have moved) narrows its own mask for a moment, which migrates it at once, then restores it.
// No worker stays narrowed longer than it stays awake: binding for good would put every process's
// workers on the same CPUs (two MPI ranks on two cores). The mask restored is the one the pool's
// creator had when the pool started (`taskset`, os.sched_setaffinity before the first kernel).
// Measured (bench/families_index.py, 2 threads): cumsum forward 0.65 -> 0.46 ms, gather forward
// 1.22 -> 0.65 ms.
#include "core/parallel.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FNGRAD_CPU_RELAX() _mm_pause()
#else
#define FNGRAD_CPU_RELAX() ((void)0)
#endif

namespace fngrad {

namespace {

constexpr int64_t kSpinMicros = 200;

struct Job {
  ChunkFn fn = nullptr;
  void* ctx = nullptr;
  int64_t n = 0;
  int64_t chunks = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};

  void work() {
    for (;;) {
      const int64_t c = next.fetch_add(1);
      if (c >= chunks) return;
      fn(ctx, n * c / chunks, n * (c + 1) / chunks);
      done.fetch_add(1);
    }
  }
};

// Polls cond with a pause per try and, every 64 tries, a call of every64() and a sched_yield.
template <typename Cond, typename Every64> bool poll(const Cond& cond, int64_t micros, const Every64& every64) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
  for (uint32_t i = 1;; i++) {
    if (cond()) return true;
    FNGRAD_CPU_RELAX();
    if (i % 64 == 0) {
      if (micros >= 0 && std::chrono::steady_clock::now() >= until) return false;
      every64();
      sched_yield();
    }
  }
}

template <typename Cond> bool poll(const Cond& cond, int64_t micros) {
  return poll(cond, micros, [] {});
}

class ThreadPool {
 public:
  explicit ThreadPool(int threads) { start(threads); }
  ~ThreadPool() { stop(); }

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    std::lock_guard<std::mutex> job_lock(job_mu_);
    stop();
    start(threads);
  }

  // Returns false when another job holds the pool; the caller then runs inline.
  bool run(int64_t n, int64_t grain, ChunkFn fn, void* ctx) {
    std::unique_lock<std::mutex> job_lock(job_mu_, std::try_to_lock);
    if (!job_lock.owns_lock() || workers_.empty()) return false;
    const int64_t chunks = std::min<int64_t>(n / grain, static_cast<int64_t>(num_threads()) * 4);
    if (chunks < 2) return false;
    Job job;
    job.fn = fn;
    job.ctx = ctx;
    job.n = n;
    job.chunks = chunks;
    const int cpu = sched_getcpu();
    caller_cpu_.store(cpu, std::memory_order_relaxed);
    job_.store(&job);
    generation_.fetch_add(1);
    if (sleepers_.load() > 0) {
      keep_workers_off(cpu);
      std::lock_guard<std::mutex> lock(mu_);
      cv_.notify_all();
    }
    job.work();
    poll([&] { return job.done.load() == chunks; }, -1);
    job_.store(nullptr);
    poll([&] { return inside_.load() == 0; }, -1);
    return true;
  }

 private:
  // Starts up to threads - 1 workers. A system that refuses a thread (ulimit, memory) leaves the
  // pool with the workers it has: fewer threads only makes kernels slower.
  void start(int threads) {
    quit_.store(false);
    if (pthread_getaffinity_np(pthread_self(), sizeof allowed_, &allowed_) != 0) CPU_ZERO(&allowed_);
    for (int i = 1; i < threads; i++) {
      try {
        workers_.emplace_back([this] { loop(); });
      } catch (const std::system_error&) {
        break;
      }
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_.store(true);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  // Sets *others to the CPUs the pool's threads may use other than `cpu`; false when that leaves
  // none, `cpu` is not among them or the mask is unknown (Note [Worker placement]).
  bool others_than(int cpu, cpu_set_t* others) const {
    if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed_) || CPU_COUNT(&allowed_) < 2) return false;
    *others = allowed_;
    CPU_CLR(cpu, others);
    return true;
  }

  // Narrows every worker's affinity to the CPUs other than the caller's before waking them, so
  // that the scheduler places them there; each restores its mask before it next sleeps.
  void keep_workers_off(int cpu) {
    cpu_set_t others;
    if (!others_than(cpu, &others)) return;
    for (auto& t : workers_) pthread_setaffinity_np(t.native_handle(), sizeof others, &others);
  }

  // Moves a polling worker off the caller's CPU: a mask without the current CPU migrates the
  // thread before the call returns, and the full mask leaves it where it landed.
  void step_off_caller() {
    cpu_set_t others;
    const int cpu = caller_cpu_.load(std::memory_order_relaxed);
    if (sched_getcpu() != cpu || !others_than(cpu, &others)) return;
    if (pthread_setaffinity_np(pthread_self(), sizeof others, &others) == 0) {
      pthread_setaffinity_np(pthread_self(), sizeof allowed_, &allowed_);
    }
  }

  void loop() {
    uint64_t seen = generation_.load();
    for (;;) {
      auto ready = [&] { return quit_.load() || generation_.load() != seen; };
      if (!poll(ready, kSpinMicros, [&] { step_off_caller(); })) {
        pthread_setaffinity_np(pthread_self(), sizeof allowed_, &allowed_);
        std::unique_lock<std::mutex> lock(mu_);
        sleepers_.fetch_add(1);
        cv_.wait(lock, ready);
        sleepers_.fetch_sub(1);
      }
      if (quit_.load()) return;
      seen = generation_.load();
      step_off_caller();
      inside_.fetch_add(1);
      if (Job* job = job_.load()) job->work();
      inside_.fetch_sub(1);
    }
  }

  std::mutex job_mu_;  // one job at a time
  std::mutex mu_;      // with cv_: sleeping workers
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::atomic<bool> quit_{false};
  std::atomic<uint64_t> generation_{0};
  std::atomic<Job*> job_{nullptr};
  std::atomic<int> inside_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<int> caller_cpu_{-1};  // the CPU the last job's caller ran on
  cpu_set_t allowed_;                // the CPUs the pool's creator might run on
};

int default_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  return usable_cpus();
}

// Note [Pool size]
// set_num_threads(n) records n (get_num_threads returns it, as PyTorch's does), but the pool
// starts at most kMaxThreadsPerCpu workers per CPU: more threads than cores only take turns on
// them, and each idle worker polls for kSpinMicros after every job (Note [Pool wake-up]), so a
// thousand of them flood the machine and may exhaust the process's thread limit.
constexpr int kMaxThreadsPerCpu = 2;

int pool_threads(int requested) { return std::min(requested, kMaxThreadsPerCpu * usable_cpus()); }

std::atomic<int> g_num_threads{default_threads()};
ThreadPool* g_pool = nullptr;  // created on first parallel job; leaked at exit on purpose
std::mutex g_pool_mu;

void forget_pool_after_fork() {
  // The child has none of the parent's threads: start a fresh pool on demand.
  g_pool = nullptr;
  new (&g_pool_mu) std::mutex();
}

ThreadPool* pool() {
  std::lock_guard<std::mutex> lock(g_pool_mu);
  if (g_pool == nullptr) {
    static bool registered = [] {
      pthread_atfork(nullptr, nullptr, forget_pool_after_fork);
      return true;
    }();
    (void)registered;
    g_pool = new ThreadPool(pool_threads(g_num_threads.load()));
  }
  return g_pool;
}

}  // namespace

// The process's affinity mask, not the machine's CPU count: under `taskset -c 0` PyTorch (through
// OpenMP) also defaults to one thread, and more would only take turns on that CPU.
int usable_cpus() {
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0 && CPU_COUNT(&mask) > 0) return CPU_COUNT(&mask);
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

int get_num_threads() { return g_num_threads.load(); }

void set_num_threads(int n) {
  FNGRAD_CHECK_RUNTIME(n >= 1, "set_num_threads expects a positive integer");
  g_num_threads.store(n);
  std::lock_guard<std::mutex> lock(g_pool_mu);
  if (g_pool != nullptr) g_pool->resize(pool_threads(n));
}

void run_parallel(int64_t n, int64_t grain, ChunkFn fn, void* ctx) {
  if (!pool()->run(n, grain, fn, ctx)) fn(ctx, 0, n);
}

}  // namespace fngrad
