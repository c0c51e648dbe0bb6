#pragma once
// Facts about the host that both provenance (what machine produced a figure)
// and `doctor` (what is wrong with it) read: WSL, containers, and the versions
// of the NVIDIA driver and of the runtime LibTorch was built with. Each reads
// through a SystemView or parses text, so tests feed it made-up machines.
#include <string>

#include "core/system_view.h"

namespace trainbench::core {

// Whether the view's /proc/version is a WSL kernel (1 or 2).
bool is_wsl(const SystemView& view);

// What shows that the view is a container ("/.dockerenv", "/proc/1/cgroup
// mentions docker"); empty when nothing does.
std::string container_marker(const SystemView& view);
bool in_container(const SystemView& view);

// The runtime versions from at::show_config()'s text ("  - CUDA Runtime 12.4",
// "  - HIP Runtime 6.2.41133"); empty when the line is absent.
std::string parse_runtime_version(const std::string& show_config, const std::string& runtime);

// "550.54.14" from /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX
// x86_64 Kernel Module  550.54.14  Thu Feb 22 ..."); empty when not found.
std::string parse_nvidia_driver_version(const std::string& proc_text);

}  // namespace trainbench::core
