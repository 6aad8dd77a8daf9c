// Storage: the memory behind one or more tensors (a tensor and its views share one), with
// the version counter of that memory.
//
// Note [GIL and reference counts]
// Storages, graph nodes and tensors are reference counted without atomics: every count
// changes with the GIL held. Code that releases the GIL (large kernels) works on raw pointers
// whose owners are kept alive by references taken before the release, and never creates or
// drops references itself.
//
// Note [Version counter]
// Every in-place write to a tensor bumps the version of its storage, so all views of the same
// memory see it. SavedTensor remembers the version it saw and refuses to unpack a tensor that
// changed since. Writes through a NumPy array obtained from Tensor.numpy() bypass the counter,
// as writes through .data and .numpy() bypass it in PyTorch.
#pragma once

#include "core/common.h"

namespace fngrad {

struct Storage {
  int64_t refcount = 1;
  void* data = nullptr;
  size_t nbytes = 0;
  uint64_t version = 0;
  // When set, the memory belongs to this Python object (a NumPy array passed to from_numpy)
  // and is released by dropping the reference, with the GIL held.
  PyObject* py_owner = nullptr;
  // When set, the memory belongs to another storage (a tensor's .data shares memory but not
  // its version counter).
  Storage* parent = nullptr;
  // Otherwise the memory came from allocate_storage(): small buffers live in the same block,
  // right after this struct; large ones come from the block cache.
};

// A new storage of nbytes bytes, uninitialised, aligned to 64 bytes.
Storage* allocate_storage(size_t nbytes);
// A storage over memory owned by a Python object; takes a new reference to owner.
Storage* wrap_storage(PyObject* owner, void* data, size_t nbytes);
// A storage over another storage's memory with a version counter of its own.
Storage* alias_storage(Storage* parent);
void free_storage(Storage* s);

inline void incref(Storage* s) { s->refcount++; }
inline void decref(Storage* s) {
  if (--s->refcount == 0) free_storage(s);
}

// Returns cached large blocks to the system; fngrad.empty_cache() in Python.
void empty_cache();
// Bytes held by the caching allocator for reuse.
size_t cached_bytes();
// Upper bound of cached bytes (FNGRAD_CACHE_MB in the environment sets it at import).
void set_cache_limit(size_t bytes);

}  // namespace fngrad
