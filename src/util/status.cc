#include "gnomon/status.h"

namespace gnomon {

namespace {
const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kInvalidArgument: return "invalid argument";
    case Status::Code::kNotFound: return "not found";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kIOError: return "I/O error";
    case Status::Code::kResourceExhausted: return "resource exhausted";
    case Status::Code::kBusy: return "busy";
    case Status::Code::kAborted: return "aborted";
    case Status::Code::kFailedPrecondition: return "failed precondition";
    case Status::Code::kInternal: return "internal error";
    case Status::Code::kNoSpace: return "no space";
  }
  return "unknown";
}
}  // namespace

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace gnomon
