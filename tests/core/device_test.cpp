#include "core/device.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/threads.h"

namespace trainbench::core {
namespace {

TEST(Device, CpuIsAlwaysThereAndFirst) {
  const auto devices = list_devices();
  ASSERT_FALSE(devices.empty());
  EXPECT_EQ(devices[0].id, "cpu");
  EXPECT_FALSE(devices[0].name.empty());
  EXPECT_EQ(device_id(resolve_device("cpu")), "cpu");
}

TEST(Device, AutoPicksAnAcceleratorWhenThereIsOne) {
  const auto devices = list_devices();
  const std::string expected = devices.size() > 1 ? devices[1].id : "cpu";
  EXPECT_EQ(device_id(resolve_device("auto")), expected);
}

TEST(Device, UnknownOrMissingDevicesAreClearErrors) {
  try {
    resolve_device("tpu");
    FAIL() << "no error";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("cpu"), std::string::npos) << "should list what exists: " << e.what();
  }
  EXPECT_THROW(resolve_device("cuda:x"), DeviceError);
  EXPECT_THROW(resolve_device("cuda:-1"), DeviceError);
  EXPECT_THROW(resolve_device("cuda:99"), DeviceError);
}

TEST(Threads, AvailableCoresIsPositiveAndConfigurable) {
  EXPECT_GE(available_cores(), 1);
  EXPECT_EQ(configure_threads(1), 1);
  EXPECT_EQ(configure_threads(0), available_cores());
  EXPECT_THROW(configure_threads(-2), UsageError);
}

}  // namespace
}  // namespace trainbench::core
