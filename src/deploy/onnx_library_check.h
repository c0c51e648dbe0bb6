#pragma once
// A second opinion on every exported file: ONNX's own library (1.12, Debian's
// libonnx-dev) parses the bytes we wrote with its protobuf classes, runs its
// checker, and infers every tensor's shape in strict mode (an operator fed
// shapes it cannot take is an error there, not at a user's runtime). Our
// writer (onnx_model.h) stays rather than building the graphs as ONNX's
// messages, for measured reasons (bench/onnx-writer-vs-library,
// bench/results/onnx-writer-vs-library.md): its bytes are identical to
// protobuf's for every family (a test holds it to that), it encodes them in
// about 70 % of protobuf's time, it needs no library where a PyTorch
// wheel's ABI rules libonnx out, and ONNX's version converter cannot bring
// our opset-17 graphs down to 13 (no adapters), so each opset is lowered
// directly. This check reads exactly the bytes that go to disk.
#include <cstdint>
#include <string>

namespace trainbench::deploy {

// Whether this build has ONNX's library (CMake found libonnx-dev).
bool onnx_library_available();

// Checks a serialized model with ONNX's library: it parses, passes
// onnx::checker::check_model, and strict shape inference gives its one
// output `classes` columns. Throws ModelError quoting the library. Without
// the library it checks nothing and returns false; true when checked.
bool check_with_onnx_library(const std::string& bytes, std::int64_t classes);

}  // namespace trainbench::deploy
