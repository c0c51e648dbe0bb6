#pragma once
// A bench row as `bench` would store it, for the serve tests: one test
// (train, batch 32, 224 px, three repetitions with a 2% spread) of `model`
// on a machine, its provenance naming the device.
#include <string>

#include "store/bench_row.h"

namespace trainbench::testing {

inline store::BenchRow measured_row(const std::string& model, const std::string& device,
                                    const std::string& device_name, double images_per_sec) {
  store::BenchRow row;
  row.model = model;
  row.device = device;
  row.batch_size = row.requested_batch_size = 32;
  row.image_size = 224;
  row.repetitions = 3;
  row.warmup_steps = 10;
  row.steps = 30;
  row.images_per_sec = images_per_sec;
  row.images_per_sec_std = images_per_sec * 0.02;
  row.images_per_sec_samples = {images_per_sec * 0.98, images_per_sec, images_per_sec * 1.02};
  row.provenance.device_name = device_name;
  row.provenance.cpu_model = "AMD EPYC 9654 96-Core Processor";
  row.provenance.os = "Debian GNU/Linux 12 (bookworm)";
  row.provenance.timestamp_utc = "2026-12-01T10:00:00Z";
  return row;
}

}  // namespace trainbench::testing
