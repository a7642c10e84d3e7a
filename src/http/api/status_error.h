// SetStatusError: the one mapping from an engine Status to an HTTP error response, for every
// endpoint. The same code can mean different things to a writer and a reader, so the caller says
// which it is:
//
//   code                 write (ingest)                      query / read
//   kInvalidArgument     400 bad_data                        400 bad_data
//   kResourceExhausted   400 bad_data (a write limit)        422 execution (a query limit)
//   kFailedPrecondition  422 execution                       422 execution
//   kAborted             503 timeout                         503 timeout
//   kBusy                503 unavailable + Retry-After       503 unavailable + Retry-After
//   kNoSpace             507 unavailable + Retry-After       500 internal
//   kIOError             503 unavailable + Retry-After       500 internal
//   anything else        500 internal                        500 internal
//
// A write that failed for lack of durability (disk full, I/O error) is never answered 2xx and is
// retryable: the engine recovers by itself once the disk does.
#pragma once

#include "gnomon/status.h"
#include "http/server/request.h"

namespace gnomon::api {

enum class StatusContext { kWrite, kQuery };

void SetStatusError(http::Response& resp, const Status& status, StatusContext context);

}  // namespace gnomon::api
