#pragma once
// Recognising that the device (or the host) ran out of memory, which `train`
// turns into advice (a smaller batch, the --resume command) and `bench` into a
// retry at half the batch.
#include <exception>

namespace trainbench::core {

// Whether an exception is an allocation failure: c10::OutOfMemoryError (CUDA,
// XPU, MPS), std::bad_alloc, or a LibTorch error whose message says the
// allocator ran out ("out of memory", "can't allocate memory", ...).
bool is_out_of_memory(const std::exception& error);

}  // namespace trainbench::core
