#include "core/out_of_memory.h"

#include <c10/util/Exception.h>

#include <new>
#include <string>

#include "core/text.h"

namespace trainbench::core {

bool is_out_of_memory(const std::exception& error) {
  if (dynamic_cast<const c10::OutOfMemoryError*>(&error) || dynamic_cast<const std::bad_alloc*>(&error)) return true;
  // CPU allocations fail as a plain c10::Error ("DefaultCPUAllocator: can't
  // allocate memory: you tried to allocate ..." from posix_memalign, "not
  // enough memory" from malloc), and some back ends raise their own runtime
  // errors with "out of memory" in the text.
  const std::string message = core::lowercase(error.what());
  for (const char* phrase : {"out of memory", "not enough memory", "can't allocate memory", "cannot allocate memory"}) {
    if (message.find(phrase) != std::string::npos) return true;
  }
  return false;
}

}  // namespace trainbench::core
