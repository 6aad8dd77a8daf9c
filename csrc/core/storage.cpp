// Storage allocation. Small buffers share one malloc block with their Storage header (one
// allocation per tensor). Large buffers come from a cache of mmap'd blocks: a freshly mapped
// block costs a page fault per page on first touch, which on this class of machine is a large
// part of an elementwise op on 64 MiB, so freed blocks are kept for reuse (bounded by the
// cache limit) instead of being returned to the system.
#include "core/storage.h"

#include <sys/mman.h>

#include <cstring>
#include <map>
#include <mutex>

namespace fngrad {

namespace {

constexpr size_t kHeader = 48;  // sizeof(Storage); a multiple of 16, so that data stays aligned
// Above this many bytes, buffers come from the block cache: glibc serves such sizes with fresh
// mmaps (or trims them back to the system), and every fresh page costs a fault on first touch.
constexpr size_t kLargeThreshold = 64 << 10;
constexpr size_t kHugePage = 2 << 20;
constexpr size_t kBlockGranule = 64 << 10;  // size classes below kHugePage

static_assert(sizeof(Storage) <= kHeader, "Storage header must fit in kHeader bytes");
static_assert(kHeader % 16 == 0, "small buffers must stay 16-byte aligned");

// Note [Large block cache]
// Blocks are rounded up to 64 KiB below 2 MiB, and to 2 MiB above (transparent huge pages where
// the kernel allows them), and kept in a size-keyed free list. A request is served by the smallest cached block that is at
// least as large and at most 25% larger. The mutex makes the cache safe if a future caller
// allocates without the GIL; today every caller holds it.
// FNGRAD_ALLOC_CACHE=0 in the environment (read at the first allocation) turns the cache off:
// large buffers then come from malloc like small ones, so that AddressSanitizer (whose malloc
// puts redzones around each block and quarantines freed ones) sees overflows and uses after
// free in them; mmap'd blocks reused by the cache are invisible to it. stress/sanitize.sh sets it.
class LargeBlockCache {
 public:
  void* allocate(size_t nbytes, size_t* actual) {
    size_t size = round_up(nbytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.lower_bound(size);
      if (it != free_.end() && it->first <= size + size / 4) {
        void* p = it->second;
        *actual = it->first;
        cached_ -= it->first;
        free_.erase(it);
        return p;
      }
    }
    void* p = map_block(size);
    if (p == nullptr) {
      // The cache may hold enough memory to satisfy the request once released.
      empty();
      p = map_block(size);
    }
    *actual = size;
    return p;
  }

  void release(void* p, size_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ + size <= limit_) {
      free_.emplace(size, p);
      cached_ += size;
      return;
    }
    munmap(p, size);
  }

  void empty() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& kv : free_) munmap(kv.second, kv.first);
    free_.clear();
    cached_ = 0;
  }

  size_t cached() {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_;
  }

  void set_limit(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = bytes;
    while (cached_ > limit_ && !free_.empty()) {
      auto it = std::prev(free_.end());
      munmap(it->second, it->first);
      cached_ -= it->first;
      free_.erase(it);
    }
  }

 private:
  static size_t round_up(size_t n) {
    size_t granule = n >= kHugePage ? kHugePage : kBlockGranule;
    return (n + granule - 1) / granule * granule;
  }
  static void* map_block(size_t size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
#ifdef MADV_HUGEPAGE
    if (size >= kHugePage) madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
  }

  std::mutex mu_;
  std::multimap<size_t, void*> free_;
  size_t cached_ = 0;
  size_t limit_ = size_t(1) << 30;
};

LargeBlockCache& large_cache() {
  // Leaked on purpose: storages may be freed during interpreter shutdown, after static
  // destructors would have run.
  static LargeBlockCache* cache = [] {
    auto* c = new LargeBlockCache();
    if (const char* env = std::getenv("FNGRAD_CACHE_MB")) {
      c->set_limit(static_cast<size_t>(std::strtoull(env, nullptr, 10)) << 20);
    }
    return c;
  }();
  return *cache;
}

bool large_cache_enabled() {
  static const bool enabled = [] {
    const char* env = std::getenv("FNGRAD_ALLOC_CACHE");
    return env == nullptr || std::strcmp(env, "0") != 0;
  }();
  return enabled;
}

[[noreturn]] void out_of_memory(size_t nbytes) {
  fail(ErrorKind::Runtime, "[allocate] Could not allocate ", nbytes,
       " bytes: the system is out of memory.");
}

}  // namespace

Storage* allocate_storage(size_t nbytes) {
  if (nbytes >= kLargeThreshold && large_cache_enabled()) {
    auto* s = static_cast<Storage*>(std::malloc(sizeof(Storage)));
    if (s == nullptr) out_of_memory(nbytes);
    new (s) Storage();
    size_t actual = 0;
    s->data = large_cache().allocate(nbytes, &actual);
    if (s->data == nullptr) {
      std::free(s);
      out_of_memory(nbytes);
    }
    s->nbytes = actual;
    return s;
  }
  void* block = std::malloc(kHeader + (nbytes ? nbytes : 1));
  if (block == nullptr) out_of_memory(nbytes);
  auto* s = new (block) Storage();
  s->data = static_cast<char*>(block) + kHeader;
  s->nbytes = nbytes;
  return s;
}

Storage* wrap_storage(PyObject* owner, void* data, size_t nbytes) {
  auto* s = static_cast<Storage*>(std::malloc(sizeof(Storage)));
  if (s == nullptr) out_of_memory(sizeof(Storage));
  new (s) Storage();
  Py_INCREF(owner);
  s->py_owner = owner;
  s->data = data;
  s->nbytes = nbytes;
  return s;
}

Storage* alias_storage(Storage* parent) {
  auto* s = static_cast<Storage*>(std::malloc(sizeof(Storage)));
  if (s == nullptr) out_of_memory(sizeof(Storage));
  new (s) Storage();
  incref(parent);
  s->parent = parent;
  s->data = parent->data;
  s->nbytes = parent->nbytes;
  return s;
}

void free_storage(Storage* s) {
  if (s->py_owner != nullptr) {
    // See Note [GIL and reference counts]: storages die with the GIL held.
    Py_DECREF(s->py_owner);
    s->~Storage();
    std::free(s);
  } else if (s->parent != nullptr) {
    decref(s->parent);
    s->~Storage();
    std::free(s);
  } else if (s->data != reinterpret_cast<char*>(s) + kHeader) {
    large_cache().release(s->data, s->nbytes);
    s->~Storage();
    std::free(s);
  } else {
    s->~Storage();
    std::free(s);  // data lives in the same block
  }
}

void empty_cache() { large_cache().empty(); }
size_t cached_bytes() { return large_cache().cached(); }
void set_cache_limit(size_t bytes) { large_cache().set_limit(bytes); }

}  // namespace fngrad
