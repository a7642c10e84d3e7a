// The components gnomond runs, in start order (they stop in reverse). Adding a component to
// gnomond is one line in components.cc.
#pragma once

#include <span>

#include "http/component.h"

namespace gnomon::gnomond {

struct ComponentEntry {
  const char* name;
  http::ComponentFactory create;
};

std::span<const ComponentEntry> Components();

}  // namespace gnomon::gnomond
