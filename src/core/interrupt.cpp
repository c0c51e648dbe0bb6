#include "core/interrupt.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace trainbench::core {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int signal_number) {
  if (g_signal.load() == SIGINT && signal_number == SIGINT) {
    // Second Ctrl-C: the user means it. _exit is async-signal-safe.
    _exit(128 + SIGINT);
  }
  g_signal.store(signal_number);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() { return g_signal.load() != 0; }

int interrupt_signal() { return g_signal.load(); }

void clear_interrupt() { g_signal.store(0); }

}  // namespace trainbench::core
