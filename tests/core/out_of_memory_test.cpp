#include "core/out_of_memory.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>

namespace trainbench::core {
namespace {

TEST(OutOfMemory, RecognisesAllocationFailures) {
  EXPECT_TRUE(is_out_of_memory(std::bad_alloc()));
  EXPECT_TRUE(is_out_of_memory(std::runtime_error("CUDA out of memory. Tried to allocate 2.00 GiB")));
  EXPECT_TRUE(is_out_of_memory(std::runtime_error("DefaultCPUAllocator: not enough memory: you tried to allocate")));
  EXPECT_FALSE(is_out_of_memory(std::runtime_error("Expected all tensors to be on the same device")));
}

TEST(OutOfMemory, RecognisesATorchAllocationErrorFromTheAllocator) {
  // A real one: more bytes than any machine has. LibTorch's CPU allocator
  // throws c10::Error with "not enough memory" (no allocation is made).
  try {
    (void)at::empty({int64_t{1} << 60}, at::kByte);
    FAIL() << "allocated 2^60 bytes";
  } catch (const std::exception& error) {
    EXPECT_TRUE(is_out_of_memory(error)) << error.what();
  }
}

}  // namespace
}  // namespace trainbench::core
