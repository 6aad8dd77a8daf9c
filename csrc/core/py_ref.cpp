#include "core/py_ref.h"

#include <cstring>

namespace fngrad {

std::string py_type_name(PyObject* o) {
  PyTypeObject* t = Py_TYPE(o);
  PyObject* module = PyObject_GetAttrString(reinterpret_cast<PyObject*>(t), "__module__");
  std::string name = _PyType_Name(t);
  if (module != nullptr && PyUnicode_Check(module)) {
    const char* m = PyUnicode_AsUTF8(module);
    if (m != nullptr && std::strcmp(m, "builtins") != 0) name = std::string(m) + "." + name;
  }
  Py_XDECREF(module);
  PyErr_Clear();
  return name;
}

}  // namespace fngrad
