#pragma once
// Seconds on the steady clock as one number, for code that keeps times as doubles
// (telemetry readings, the progress bars' default clock).
#include <chrono>

namespace trainbench::core {

// Seconds on the steady clock (never set back): for intervals, not dates.
inline double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace trainbench::core
