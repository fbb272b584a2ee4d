// Libraries opened at run time instead of linked (libpq for PostgreSQL catalogues, libarchive for
// installer packages): a process that does not need one does not load it and what it depends on.
#pragma once

#include <dlfcn.h>

#include <string>

namespace upscope {

// dlopen(soname, RTLD_NOW | RTLD_LOCAL); nullptr with the loader's reason in `why` ("" when it
// gives none).
inline void* open_shared_library(const char* soname, std::string& why) {
  void* lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* reason = dlerror();
    why = reason ? reason : "";
  }
  return lib;
}

// The function `name` of `lib` into `f`; false when the library has none.
template <typename F>
bool find_function(void* lib, F& f, const char* name) {
  f = reinterpret_cast<F>(dlsym(lib, name));  // a function pointer from the loader, not file bytes
  return f != nullptr;
}

}  // namespace upscope
