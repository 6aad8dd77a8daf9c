// ops/matmul_kernel.h's kernel: NumPy's matmul over arrays that share the tensors' memory.
#include "ops/matmul_kernel.h"

#include "core/py_ref.h"
#include "python/tensor_type.h"

namespace fngrad {
namespace ops {

namespace {

PyObject* numpy_matmul() {
  static PyObject* fn = [] {
    PyRef np = PyRef::check(PyImport_ImportModule("numpy"));
    return PyRef::check(PyObject_GetAttrString(np.get(), "matmul")).release();
  }();
  return fn;
}

}  // namespace

void matmul_kernel(TensorObject* a, TensorObject* b, TensorObject* out) {
  PyRef na = PyRef::check(tensor_to_numpy(a, true));
  PyRef nb = PyRef::check(tensor_to_numpy(b, true));
  PyRef nout = PyRef::check(tensor_to_numpy(out, true));
  PyRef args = PyRef::check(PyTuple_Pack(2, na.get(), nb.get()));
  PyRef kwargs = PyRef::check(Py_BuildValue("{s:O}", "out", nout.get()));
  PyRef r = PyRef::check(PyObject_Call(numpy_matmul(), args.get(), kwargs.get()));
}

}  // namespace ops
}  // namespace fngrad
