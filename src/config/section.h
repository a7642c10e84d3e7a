// Config sections: how a component owns its part of gnomond's TOML file.
//
// A section is a plain struct S, default-constructible (the defaults) and equality-comparable,
// with
//     static constexpr std::string_view kName = "alerting";         // the [alerting] table
//     static std::span<const config::Field<S>> Fields();            // its keys
// Each Field names a key and the setter that checks a Value and stores it, returning "" or the
// reason the value is rejected (the loader adds FILE:LINE:COL and the dotted key). The setters
// below cover the formats config.h documents; a section may combine them freely.
//
// A section may also be written as an array of tables, [[name]] (Prometheus' `remote_write:`
// list): the array then goes to the section's key that has the section's own name.
//
// A Schema lists the sections a program understands: Schema::Core() has gnomond's own [server],
// [storage] and [limits]; components add theirs (http::ComponentSchema() is gnomond's whole
// schema). A Config (config.h) keeps the core sections as members and every other section by
// type: `config.Get<S>()` (S's defaults when the file has no such section).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace gnomon::config {

// One value to assign: a node of the TOML file, or the text of a command-line flag. Opaque to
// sections; read it with the functions below.
class Value;

// ---- reading values: each returns "" on success or the reason; destinations are written only on
// success.
std::string ReadString(const Value& value, std::string* out);
std::string ReadInteger(const Value& value, int64_t* out);

std::string SetString(const Value& value, std::string* dst);
std::string SetNonEmptyString(const Value& value, std::string* dst);
// A string sent in an HTTP header: no spaces or control characters.
std::string SetToken(const Value& value, std::string* dst);
// host:port or [v6]:port.
std::string SetListen(const Value& value, std::string* dst);
// A Prometheus duration string ("30s", "15d"), in [min_ms, max_ms].
std::string SetDuration(const Value& value, int64_t* dst, int64_t min_ms, int64_t max_ms);
// A size: an integer number of bytes or a string with a unit ("64MiB"), in [min, max].
std::string SetSize(const Value& value, uint64_t* dst, uint64_t min, uint64_t max);
// An array of non-empty strings; from a flag, a comma-separated list.
std::string SetStringList(const Value& value, std::vector<std::string>* dst);
// A table of label names to strings; from a flag, "name=value,name=value".
std::string SetLabelMap(const Value& value, std::map<std::string, std::string>* dst);
// A table of any names (HTTP header names, say) to strings; from a flag, "name=value,...".
std::string SetStringMap(const Value& value, std::map<std::string, std::string>* dst);

// An array of tables ([[section.key]] in the file): for each table calls `begin_item`, then `set`
// for each of its keys; "" or the first reason, prefixed with the item's number and line. Not
// settable from a flag.
std::string ForEachTable(const Value& value, const std::function<void()>& begin_item,
                         const std::function<std::string(std::string_view key, const Value& value)>& set,
                         const std::function<std::string()>& end_item);

// A table's keys (an inline table or a [a.b] subtable): calls `set` for each; "" or the first
// reason, naming the key. Not settable from a flag.
std::string ForEachKey(const Value& value, const std::function<std::string(std::string_view key, const Value& value)>& set);

// A value handed to a YAML-reading parser as it is (Prometheus' scrape_configs written inline in
// the TOML file): the value, a table or an array from the file, as YAML text of the same
// structure, each line indented by `indent` spaces; *lines gets, for each line of the text, the
// file's line it comes from (to point a YAML parser's errors back into the file) and *file the
// file's name. Strings stay strings, integers, floats and booleans stay what they are, dates
// become strings. Not settable from a flag.
std::string ReadAsYaml(const Value& value, int indent, std::string* yaml, std::vector<int>* lines, std::string* file);

// A non-negative integer in [min, max] (and within T).
template <typename T>
std::string SetCount(const Value& value, T* dst, uint64_t min, uint64_t max) {
  int64_t v = 0;
  if (std::string err = ReadInteger(value, &v); !err.empty()) return err;
  if (v < 0) return fmt::format("must not be negative, got {}", v);
  const uint64_t u = static_cast<uint64_t>(v);
  if (max > std::numeric_limits<T>::max()) max = std::numeric_limits<T>::max();
  if (u < min) return fmt::format("must be at least {}, got {}", min, u);
  if (u > max) return fmt::format("must be at most {}, got {}", max, u);
  *dst = static_cast<T>(u);
  return "";
}

// One of the named values.
template <typename E, size_t N>
std::string SetEnum(const Value& value, E* dst, const std::pair<std::string_view, E> (&names)[N]) {
  std::string text;
  if (std::string err = ReadString(value, &text); !err.empty()) return err;
  std::string choices;
  for (const auto& [name, e] : names) {
    if (name == text) {
      *dst = e;
      return "";
    }
    if (!choices.empty()) choices += ", ";
    choices += fmt::format("\"{}\"", name);
  }
  return fmt::format("unknown value \"{}\" (expected one of {})", text, choices);
}

// ---- sections --------------------------------------------------------------------------------

template <typename S>
struct Field {
  std::string_view key;
  std::string (*set)(S* section, const Value& value);
};

// An array of tables, each read with T's Fields() (as a section's keys are); when T has
// `std::string Validate() const`, it checks each finished table ("" or the reason).
template <typename T>
std::string SetTableArray(const Value& value, std::vector<T>* dst) {
  std::vector<T> out;
  std::string err = ForEachTable(
      value, [&] { out.emplace_back(); },
      [&](std::string_view key, const Value& v) -> std::string {
        for (const Field<T>& f : T::Fields()) {
          if (f.key == key) return f.set(&out.back(), v);
        }
        std::string keys;
        for (const Field<T>& f : T::Fields()) keys += (keys.empty() ? "" : ", ") + std::string(f.key);
        return "unknown key (the keys are " + keys + ")";
      },
      [&]() -> std::string {
        if constexpr (requires(const T& t) { t.Validate(); }) return out.back().Validate();
        return "";
      });
  if (!err.empty()) return err;
  *dst = std::move(out);
  return "";
}

class Config;

// A section, type-erased: what the loader needs to parse it into a Config.
struct SectionSpec {
  std::string_view name;
  std::vector<std::string_view> keys;
  // Stores `value` for `key` (one of `keys`) into the section inside *config; "" or the reason.
  std::string (*set)(Config* config, std::string_view key, const Value& value);

  template <typename S>
  static SectionSpec Of();
};

class Schema {
 public:
  // [server], [storage], [limits].
  static const Schema& Core();

  // Adds a section; a second section of the same name replaces nothing and is ignored.
  Schema& Add(SectionSpec section);
  const SectionSpec* Find(std::string_view name) const;
  const std::vector<SectionSpec>& sections() const { return sections_; }

 private:
  std::vector<SectionSpec> sections_;
};

}  // namespace gnomon::config
