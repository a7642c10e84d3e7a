// gnomon-ship's own metrics (issue 13), in the Prometheus text exposition format for its optional
// --listen /metrics, and the one-line status it logs every status_interval.
#pragma once

#include <string>

#include "ship/shipper.h"

namespace gnomon::ship {

// gnomon_ship_* counters (lines read, shipped, skipped; batches; pushes failed), per-file gauges
// (offset, size, lag in bytes, by path), the breaker's state (one series per state, 1 for the
// current one) and how often it opened, and whether a catch-up is under way.
std::string RenderMetrics(const ShipperSnapshot& snapshot);

// `files=2 lag_bytes=0 lines_shipped=3000 ... breaker=closed` (logfmt fields).
std::string StatusLine(const ShipperSnapshot& snapshot);

}  // namespace gnomon::ship
