// The components gnomond runs, in start order (they stop in reverse), and the config schema they
// make up together. Adding a component to gnomond is one line in components.cc.
#pragma once

#include <span>

#include "config/section.h"
#include "http/component.h"

namespace gnomon::http {

struct ComponentEntry {
  const char* name;
  ComponentFactory create;
  // The component's config section, or null if it has none of its own.
  config::SectionSpec (*config_section)() = nullptr;
};

std::span<const ComponentEntry> Components();

// Schema::Core() plus every component's section: what gnomond's config file may hold.
const config::Schema& ComponentSchema();

}  // namespace gnomon::http
