// FileTailer (ship/file_tailer.h): whole lines only, chunks bounded by size, resumption from a saved
// offset, and rotation both ways — by rename (the old file read to its end, then the new one) and
// by copytruncate (a new generation of the source from 0) — and a file deleted while read.
#include "ship/file_tailer.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "test_util.h"

namespace gnomon::ship {
namespace {

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

// Reads and acknowledges one chunk.
Chunk Next(FileTailer& t, size_t max_bytes = 1 << 20) {
  auto c = t.Read(max_bytes);
  REQUIRE(c.ok());
  t.Advance(*c);
  return *c;
}

TEST_CASE("file tailer: whole lines only, bounded chunks, a long line whole") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  FileTailer t(path);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  CHECK(Next(t).text.empty());  // no file yet
  Append(path, "one\ntw");
  Chunk c = Next(t);
  CHECK(c.text == "one\n");
  CHECK(c.start == 0);
  CHECK(c.end == 4);
  CHECK(Next(t).text.empty());  // "tw" waits for its newline
  Append(path, "o\nthree\nfour\n");
  CHECK(Next(t, 10).text == "two\nthree\n");
  CHECK(Next(t, 10).text == "four\n");
  Append(path, std::string(50, 'x') + "\nafter\n");
  CHECK(Next(t, 10).text == std::string(50, 'x') + "\n");
  c = Next(t, 10);
  CHECK(c.text == "after\n");
  CHECK(c.end == 4 + 15 + 51 + 6);
}

TEST_CASE("file tailer: resumes at a saved offset of the same file only") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  Append(path, "one\ntwo\n");
  SourceIdentity identity;
  {
    FileTailer t(path);
    REQUIRE(t.Start(std::nullopt, 0, 0).ok());
    CHECK(Next(t, 4).text == "one\n");
    identity = *t.identity();
  }
  FileTailer same(path);
  REQUIRE(same.Start(identity, 0, 4).ok());
  CHECK(Next(same).text == "two\n");
  SourceIdentity other = identity;
  other.fingerprint ^= 1;
  FileTailer fresh(path);
  REQUIRE(fresh.Start(other, 0, 4).ok());  // the saved state is another file's: from 0
  CHECK(Next(fresh).text == "one\ntwo\n");
}

TEST_CASE("file tailer: rotation by rename reads the old file to its end, then the new one") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log", rotated = dir.path() + "/app.log.1";
  Append(path, "a\nb\n");
  FileTailer t(path);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  const Chunk first = Next(t);
  CHECK(first.text == "a\nb\n");
  REQUIRE(std::rename(path.c_str(), rotated.c_str()) == 0);
  Append(rotated, "c\nlast without newline");  // the writer had it open still
  Append(path, "d\n");
  const Chunk old_end = Next(t);
  CHECK(old_end.text == "c\nlast without newline");
  CHECK(old_end.source == first.source);
  CHECK(old_end.start == 4);
  const Chunk next = Next(t);
  CHECK(next.text == "d\n");
  CHECK(next.source != first.source);
  CHECK(next.start == 0);
}

TEST_CASE("file tailer: copytruncate starts a new generation from 0; a deleted file is waited for") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  Append(path, "header\nline 1\nline 2\n");
  FileTailer t(path);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  const Chunk before = Next(t);
  REQUIRE(truncate(path.c_str(), 0) == 0);
  Append(path, "header\n");  // the same first line: the same identity, so a new generation
  const Chunk after = Next(t);
  CHECK(after.text == "header\n");
  CHECK(after.start == 0);
  CHECK(t.generation() == 1);
  CHECK(after.source == before.source + "-1");
  REQUIRE(std::remove(path.c_str()) == 0);
  CHECK(Next(t).text.empty());
  Append(path, "reborn\n");
  const Chunk reborn = Next(t);
  CHECK(reborn.text == "reborn\n");
  CHECK(reborn.start == 0);
}

}  // namespace
}  // namespace gnomon::ship
