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
// as writes through .data and .numpy() bypass it in PyTorch; fngrad catches those that reach
// saved memory by checksums instead (Note [NumPy writes to saved memory]).
//
// Note [NumPy writes to saved memory]
// PyTorch computes a silently wrong gradient when a tensor saved for backward is written through
// a NumPy array that shares its memory (t.numpy(), np.asarray(t), the array given to
// from_numpy): the write does not bump the version counter. fngrad raises the in-place error at
// unpack instead, at no cost to a graph whose memory no NumPy array can write:
// - the memory's root storage (memory_root: a .data alias's parent) counts the saved tensors over
//   it (saved_refs) and knows whether a NumPy array may write it (numpy_views: live arrays from
//   Tensor.numpy(), counted by the arrays' base objects; or py_owner, the array given to
//   from_numpy, when anything besides the storage holds it or it is a view of another array);
// - a tensor saved while a NumPy array may write its memory keeps a checksum of the bytes it
//   spans (in SavedTensor::Rare, the side struct of its rare state), compared at unpack;
// - a tensor saved before the first array was made has no checksum of its own: that export
//   takes a snapshot checksum of the whole memory (only when saved_refs > 0), kept until the
//   last saved tensor over the memory is released (a side table keyed by the storage, has_snapshot),
//   and unpack compares the whole memory with it (as coarse as the version counter, which also
//   counts a write anywhere in the storage).
// Both checks run only for such memory; otherwise a save costs one counter increment and a
// flag test, an unpack one flag test.
#pragma once

#include "core/common.h"

namespace fngrad {

struct Storage {
  int32_t refcount = 1;
  // Note [NumPy writes to saved memory]: kept on the memory's root storage (memory_root).
  uint32_t saved_refs : 29;    // live SavedTensors over this memory
  uint32_t has_snapshot : 1;   // the NumPy export table holds a snapshot checksum of this memory
  uint32_t owner_is_view : 1;  // py_owner is a NumPy view of another array (its base may be written)
  uint32_t owner_private : 1;  // py_owner is a result fngrad computed and handed over: nothing writes it
  void* data = nullptr;
  size_t nbytes = 0;
  uint32_t version = 0;      // 32 bits, as PyTorch's VariableVersion
  uint32_t numpy_views = 0;  // live arrays from Tensor.numpy() over this memory (on the root)
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
// A storage over memory owned by a Python object; takes a new reference to owner. owner_is_view:
// the owner (a NumPy array) is a view of another array.
Storage* wrap_storage(PyObject* owner, void* data, size_t nbytes, bool owner_is_view = false);
// A storage over another storage's memory with a version counter of its own.
Storage* alias_storage(Storage* parent);
void free_storage(Storage* s);

inline void incref(Storage* s) { s->refcount++; }
inline void decref(Storage* s) {
  if (--s->refcount == 0) free_storage(s);
}

// The storage that owns the memory: a .data alias's parent (alias_storage links to the root), else s.
inline Storage* memory_root(Storage* s) { return s->parent != nullptr ? s->parent : s; }

// Note [NumPy writes to saved memory].
// A checksum of n bytes (position-dependent: a swap of two values changes it).
uint64_t memory_checksum(const void* data, size_t nbytes);
// A NumPy array over root's memory was made / died (Tensor.numpy()'s arrays).
void numpy_export_begin(Storage* root);
void numpy_export_end(Storage* root);
// Whether a NumPy array may write root's memory now (or did since a snapshot was taken).
bool numpy_may_write(Storage* root);
// The snapshot checksum of root's whole memory taken when an array was made while tensors over
// it were saved; null when there is none.
const uint64_t* numpy_snapshot(Storage* root);
// A saved tensor over root's memory was made / released.
inline void saved_ref(Storage* root) { root->saved_refs++; }
void drop_numpy_snapshot(Storage* root);
inline void saved_unref(Storage* root) {
  if (--root->saved_refs == 0 && root->has_snapshot) [[unlikely]]
    drop_numpy_snapshot(root);
}

// Returns cached large blocks to the system; fngrad.empty_cache() in Python.
void empty_cache();
// Bytes held by the caching allocator for reuse.
size_t cached_bytes();
// Upper bound of cached bytes (FNGRAD_CACHE_MB in the environment sets it at import).
void set_cache_limit(size_t bytes);

}  // namespace fngrad
