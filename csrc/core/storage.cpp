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
#include <unordered_map>

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
// the kernel allows them), and kept in a size-keyed free list. A request is served by the smallest cached block that is
// at least as large and at most 25% larger. The mutex makes the cache safe if a future caller allocates without the
// GIL; today every caller holds it. FNGRAD_ALLOC_CACHE=0 in the environment (read at the first allocation) turns the
// cache off: large buffers then come from malloc like small ones, so that AddressSanitizer (whose malloc puts redzones
// around each block and quarantines freed ones) sees overflows and uses after free in them; mmap'd blocks reused by the
// cache are invisible to it. stress/sanitize.sh sets it.
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
  fail(ErrorKind::Runtime, "[allocate] Could not allocate ", nbytes, " bytes: the system is out of memory.");
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

Storage* wrap_storage(PyObject* owner, void* data, size_t nbytes, bool owner_is_view) {
  auto* s = static_cast<Storage*>(std::malloc(sizeof(Storage)));
  if (s == nullptr) out_of_memory(sizeof(Storage));
  new (s) Storage();
  Py_INCREF(owner);
  s->py_owner = owner;
  s->owner_is_view = owner_is_view;
  s->data = data;
  s->nbytes = nbytes;
  return s;
}

Storage* alias_storage(Storage* parent) {
  auto* s = static_cast<Storage*>(std::malloc(sizeof(Storage)));
  if (s == nullptr) out_of_memory(sizeof(Storage));
  new (s) Storage();
  parent = memory_root(parent);  // one level: memory_root(s) is then s->parent
  incref(parent);
  s->parent = parent;
  s->data = parent->data;
  s->nbytes = parent->nbytes;
  return s;
}

void free_storage(Storage* s) {
  if (s->has_snapshot) drop_numpy_snapshot(s);
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

// ---- Note [NumPy writes to saved memory] ----

namespace {

// Snapshot checksums by root storage (has_snapshot); guarded by the GIL.
std::unordered_map<Storage*, uint64_t>& numpy_snapshots() {
  static auto* table = new std::unordered_map<Storage*, uint64_t>();  // never destroyed: used at exit
  return *table;
}

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
constexpr uint64_t kP1 = 0x9E3779B185EBCA87ULL, kP2 = 0xC2B2AE3D27D4EB4FULL, kP3 = 0x165667B19E3779F9ULL;
inline uint64_t round64(uint64_t acc, uint64_t w) { return rotl(acc + w * kP2, 31) * kP1; }

}  // namespace

void drop_numpy_snapshot(Storage* root) {
  numpy_snapshots().erase(root);
  root->has_snapshot = 0;
}

// xxHash64's round on four independent lanes (memory speed), then the tail.
uint64_t memory_checksum(const void* data, size_t nbytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t a = kP1 + kP2, b = kP2, c = 0, d = 0 - kP1;
  size_t i = 0;
  for (; i + 32 <= nbytes; i += 32) {
    uint64_t w[4];
    std::memcpy(w, p + i, 32);
    a = round64(a, w[0]);
    b = round64(b, w[1]);
    c = round64(c, w[2]);
    d = round64(d, w[3]);
  }
  uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + nbytes;
  for (; i + 8 <= nbytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = rotl(h ^ round64(0, w), 27) * kP1 + kP3;
  }
  for (; i < nbytes; i++) h = rotl(h ^ (p[i] * kP3), 11) * kP1;
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  return h;
}

void numpy_export_begin(Storage* root) {
  root->numpy_views++;
  // Tensors saved before any array could write this memory have no checksum of their own.
  if (root->saved_refs > 0 && !root->has_snapshot) [[unlikely]] {
    numpy_snapshots()[root] = memory_checksum(root->data, root->nbytes);
    root->has_snapshot = 1;
  }
}

void numpy_export_end(Storage* root) { root->numpy_views--; }

bool numpy_may_write(Storage* root) {
  // Anything besides this storage holding from_numpy's array can write through it; a view's
  // base array can be written too.
  if (root->py_owner != nullptr && !root->owner_private && (Py_REFCNT(root->py_owner) > 1 || root->owner_is_view))
    return true;
  return root->numpy_views != 0 || root->has_snapshot;
}

const uint64_t* numpy_snapshot(Storage* root) {
  if (!root->has_snapshot) return nullptr;
  auto it = numpy_snapshots().find(root);
  return it != numpy_snapshots().end() ? &it->second : nullptr;
}

void empty_cache() { large_cache().empty(); }
size_t cached_bytes() { return large_cache().cached(); }
void set_cache_limit(size_t bytes) { large_cache().set_limit(bytes); }

}  // namespace fngrad
