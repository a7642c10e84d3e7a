// gnomon-ship's building blocks (ship/): a file's source identity (stable across a rename and
// appends, new for another file at the same path; not before a whole first line), and the saved
// offsets (round trip through the state file, atomic replacement, every malformed line named).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "ship/ship_state.h"
#include "ship/source_identity.h"
#include "test_util.h"

namespace gnomon::ship {
namespace {

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

Result<SourceIdentity> Identify(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  auto id = IdentifyFile(fd);
  close(fd);
  return id;
}

TEST_CASE("source identity: kept by appends and a rename, new for another file, not before a first line") {
  testing::TempDir dir;
  const std::string a = dir.path() + "/app.log", b = dir.path() + "/app.log.1";
  Append(a, "partial");
  CHECK(Identify(a).status().code() == Status::Code::kFailedPrecondition);
  Append(a, " first line\n");
  auto first = Identify(a);
  REQUIRE(first.ok());
  Append(a, "second line\n");
  CHECK(*Identify(a) == *first);
  REQUIRE(std::rename(a.c_str(), b.c_str()) == 0);  // rotated by rename: the same source
  CHECK(*Identify(b) == *first);
  Append(a, "partial first line\n");  // a new file at the old path: another source
  auto second = Identify(a);
  REQUIRE(second.ok());
  CHECK_FALSE(*second == *first);
  CHECK(SourceId(*first, 0) != SourceId(*second, 0));
  CHECK(SourceId(*first, 2) == SourceId(*first, 0) + "-2");
  // 256 bytes without a newline are enough to tell a file apart.
  const std::string c = dir.path() + "/long.log";
  Append(c, std::string(300, 'x'));
  CHECK(Identify(c).ok());
}

TEST_CASE("ship state: saved and loaded back, replaced atomically, paths escaped") {
  testing::TempDir dir;
  const std::string state_dir = dir.path() + "/state-dir";  // created by Load
  auto loaded = ShipState::Load(state_dir);
  REQUIRE(loaded.ok());
  CHECK(loaded->sources().empty());
  loaded->Set("803:1a2b:00000000deadbeef", {"/var/log/app.log", 0, 1234});
  loaded->Set("803:1a2c:0000000012345678", {"/var/log/we\tird\\name\n.log", 3, 99});
  REQUIRE(loaded->Save().ok());
  auto again = ShipState::Load(state_dir);
  REQUIRE(again.ok());
  CHECK(again->sources() == loaded->sources());
  again->Set("803:1a2b:00000000deadbeef", {"/var/log/app.log.1", 0, 5678});
  again->Erase("803:1a2c:0000000012345678");
  REQUIRE(again->Save().ok());
  auto third = ShipState::Load(state_dir);
  REQUIRE(third.ok());
  REQUIRE(third->sources().size() == 1);
  CHECK(third->Find("803:1a2b:00000000deadbeef")->offset == 5678);
  CHECK(third->Find("nope") == nullptr);
  CHECK(access((state_dir + "/state.tmp").c_str(), F_OK) != 0);  // renamed away
}

TEST_CASE("ship state: a malformed file is refused with its line and reason") {
  auto parse = [](const std::string& text) { return ShipState::Parse(text, "state").status().message(); };
  CHECK(parse("") == "state:0: empty file");
  CHECK(parse("gnomon-ship state 2\n") == "state:1: expected \"gnomon-ship state 1\"");
  CHECK(parse("gnomon-ship state 1\nabc\t0\t12") == "state:2: the last line has no newline (a torn write)");
  CHECK(parse("gnomon-ship state 1\nabc\t0\n") ==
        "state:2: expected SOURCE, GENERATION, OFFSET and PATH separated by tabs");
  CHECK(parse("gnomon-ship state 1\nabc\tx\t12\t/p\n") == "state:2: bad generation \"x\"");
  CHECK(parse("gnomon-ship state 1\nabc\t0\t-1\t/p\n") == "state:2: bad offset \"-1\"");
  CHECK(parse("gnomon-ship state 1\nabc\t0\t1\t/p\\q\n") == "state:2: bad escape in the path");
  CHECK(parse("gnomon-ship state 1\nabc\t0\t1\t/p\nabc\t0\t2\t/q\n") == "state:3: source abc twice");
  CHECK(parse("gnomon-ship state 1\n\t0\t1\t/p\n") == "state:2: empty source");
  CHECK(ShipState::Parse("gnomon-ship state 1\n", "state").ok());
}

}  // namespace
}  // namespace gnomon::ship
