#include "cli/execution_flags.h"

#include "cli/option_checks.h"
namespace trainbench::cli {

void add_execution_flags(CLI::App* cmd, std::string* device, std::string* amp, std::optional<bool>* channels_last,
                         const std::string& amp_default) {
  cmd->add_option("--device", *device, "auto, cpu, cuda[:N], xpu[:N] or mps (see `trainbench devices`)")
      ->capture_default_str();
  cmd->add_option("--amp", *amp,
                  "Mixed precision: off, bf16 or fp16 (fp16 adds a gradient scaler when training), or auto. " +
                      amp_default)
      ->capture_default_str()
      ->check(one_of({"auto", "off", "bf16", "fp16"}));
  CLI::Option* on = cmd->add_flag_callback(
      "--channels-last", [channels_last] { *channels_last = true; },
      "Activations and convolution weights in NHWC layout (default: whichever layout measured faster for the "
      "device and precision)");
  CLI::Option* off = cmd->add_flag_callback(
      "--no-channels-last", [channels_last] { *channels_last = false; }, "Keep the contiguous NCHW layout");
  on->excludes(off);
}

}  // namespace trainbench::cli
