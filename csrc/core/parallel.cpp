// The thread pool behind parallel_for. Workers sleep on a condition variable between jobs;
// a job hands out chunks through an atomic counter, and the caller works on chunks too.
#include "core/parallel.h"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace fngrad {

namespace {

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
    int64_t chunks = std::min<int64_t>(n / grain, static_cast<int64_t>(num_threads()) * 4);
    if (chunks < 2) return false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = fn;
      ctx_ = ctx;
      n_ = n;
      chunks_ = chunks;
      next_.store(0);
      done_.store(0);
      generation_++;
    }
    cv_.notify_all();
    work();
    // Wait for chunks taken by workers; they are short, so spin briefly, then sleep.
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return done_.load() == chunks_; });
    fn_ = nullptr;
    return true;
  }

 private:
  void start(int threads) {
    quit_ = false;
    for (int i = 1; i < threads; i++) workers_.emplace_back([this] { loop(); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return quit_ || (generation_ != seen && fn_ != nullptr); });
        if (quit_) return;
        seen = generation_;
      }
      work();
    }
  }

  void work() {
    for (;;) {
      int64_t c = next_.fetch_add(1);
      if (c >= chunks_) return;
      int64_t begin = n_ * c / chunks_;
      int64_t end = n_ * (c + 1) / chunks_;
      fn_(ctx_, begin, end);
      if (done_.fetch_add(1) + 1 == chunks_) {
        std::lock_guard<std::mutex> lock(mu_);
        done_cv_.notify_all();
      }
    }
  }

  std::mutex job_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::vector<std::thread> workers_;
  bool quit_ = false;
  uint64_t generation_ = 0;
  ChunkFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0;
  int64_t chunks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> done_{0};
};

int default_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

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
    g_pool = new ThreadPool(g_num_threads.load());
  }
  return g_pool;
}

}  // namespace

int get_num_threads() { return g_num_threads.load(); }

void set_num_threads(int n) {
  FNGRAD_CHECK_RUNTIME(n >= 1, "[set_num_threads] set_num_threads expects a positive integer, got ", n, ".");
  g_num_threads.store(n);
  std::lock_guard<std::mutex> lock(g_pool_mu);
  if (g_pool != nullptr) g_pool->resize(n);
}

void run_parallel(int64_t n, int64_t grain, ChunkFn fn, void* ctx) {
  if (!pool()->run(n, grain, fn, ctx)) fn(ctx, 0, n);
}

}  // namespace fngrad
