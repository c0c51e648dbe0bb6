#pragma once
// Ctrl-C handling for long runs: the first SIGINT/SIGTERM only raises a flag
// that the training loop checks after each step, so the run folder is left
// consistent; a second SIGINT exits at once.
namespace trainbench::core {

// Installs the handlers (idempotent). Restored on process exit only.
void install_interrupt_handlers();

// True once SIGINT or SIGTERM has arrived.
bool interrupt_requested();

// The signal that asked to stop (0 if none): exit codes are 128 + signal.
int interrupt_signal();

// For tests: forget a previous request.
void clear_interrupt();

}  // namespace trainbench::core
