#include "core/malloc_tuning.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace trainbench::core {

void keep_tensor_sized_blocks_in_heap() {
#if defined(__GLIBC__)
  // glibc caps the threshold at 4 MB * sizeof(long) and keeps it fixed once
  // set (no more dynamic adjustment), which is what we want.
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024 * static_cast<int>(sizeof(long)));
  // Freed memory stays with the process for the next step's tensors; the
  // peak is what training needs anyway.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace trainbench::core
