// ShipState: gnomon-ship's durable offsets (issue 13). Per source (SourceId without its
// generation): the path it was last seen at, its generation, and the byte offset up to which
// gnomond acknowledged its lines. The shipper saves it only after a 2xx, atomically (a temporary
// file written and fsynced, renamed over DIR/state, the directory fsynced), so after a crash of
// either side the saved offset is one gnomond has: at worst it resends a batch gnomond already
// stored, which gnomond recognises by its source range and does not store again.
//
// DIR/state is text: the line `gnomon-ship state 1`, then one line per source:
// `SOURCE<TAB>GENERATION<TAB>OFFSET<TAB>PATH`, the path with `\`, tab and newline escaped as
// `\\`, `\t` and `\n`. Load rejects anything else with the line number and reason.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "gnomon/status.h"

namespace gnomon::ship {

struct SourceState {
  std::string path;
  uint32_t generation = 0;
  uint64_t offset = 0;
  bool operator==(const SourceState&) const = default;
};

class ShipState {
 public:
  // Reads DIR/state, creating DIR when missing; no file is an empty state.
  static Result<ShipState> Load(const std::string& dir);
  // The same from the file's text (`name` for messages).
  static Result<ShipState> Parse(std::string_view text, std::string_view name);

  const SourceState* Find(std::string_view source) const;
  void Set(const std::string& source, SourceState state) { sources_[source] = std::move(state); }
  void Erase(std::string_view source);
  const std::map<std::string, SourceState, std::less<>>& sources() const { return sources_; }

  std::string Serialize() const;
  // Writes the state durably to DIR/state (atomically replacing it).
  Status Save() const;

 private:
  std::string dir_;
  std::map<std::string, SourceState, std::less<>> sources_;
};

}  // namespace gnomon::ship
