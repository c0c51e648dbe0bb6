#include "doctor/check.h"

namespace trainbench::doctor {

std::string to_string(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kWarn:
      return "warn";
    case Status::kFail:
      return "fail";
  }
  return "unknown";
}

}  // namespace trainbench::doctor
