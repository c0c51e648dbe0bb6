#pragma once
// glibc's malloc serves blocks above a (dynamic) threshold with fresh mmap
// calls and returns them with munmap, and trims freed heap tops. Tensor ops on
// the CPU allocate and free batch-sized buffers (8-32 MB) many times a step,
// so each one page-faults its memory anew, and threads doing so at once
// (loader workers augmenting batches, the trainer) serialise on the kernel's
// address-space lock. Keeping such blocks in the heap for reuse removed that:
// `data bench` at 288 px with trivial-wide on 2 cores went from 577 to 709
// images/s (GLIBC_TUNABLES with the same values, 2026-11-27).
namespace trainbench::core {

// Raises the mmap threshold to glibc's maximum (32 MB on 64-bit) and stops
// trimming. Call once at start-up; a no-op where the C library is not glibc.
void keep_tensor_sized_blocks_in_heap();

}  // namespace trainbench::core
