#pragma once
// Errors that cross a layer boundary. Each layer throws its own type with a
// message a user can act on; main() prints what() on one line and exits non-zero.
#include <stdexcept>
#include <string>

namespace trainbench {

// Base of every error trainbench raises on purpose.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Bad command-line input or settings that cannot work together.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Devices, threads, precision: the machine cannot do what was asked.
class DeviceError : public Error {
 public:
  using Error::Error;
};

// Data sets, image files, decoding.
class DataError : public Error {
 public:
  using Error::Error;
};

// Model names, weights, architectures.
class ModelError : public Error {
 public:
  using Error::Error;
};

// Training runs and run folders.
class RunError : public Error {
 public:
  using Error::Error;
};

// The results store (SQLite): opening, migrating, reading, writing.
class StoreError : public Error {
 public:
  using Error::Error;
};

}  // namespace trainbench
