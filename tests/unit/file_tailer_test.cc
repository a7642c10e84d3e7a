// FileTailer (ship/file_tailer.h): whole lines only, chunks bounded by size, resumption from a saved
// offset, and rotation both ways — by rename (the old file read to its end, then the new one) and
// by copytruncate (a new generation of the source from 0, identified again by its new first line)
// — a file deleted while read, a file rotated away found again (OpenRotated), and what a chunk
// says of the bytes after it.
#include "ship/file_tailer.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

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
  t.set_rotate_wait_ms(0);  // done with as soon as read (the next case waits)
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

TEST_CASE("file tailer: a renamed file written within rotate_wait is read on before the new one") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log", rotated = dir.path() + "/app.log.1";
  Append(path, "a\n");
  FileTailer t(path);
  t.set_rotate_wait_ms(300);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  const Chunk first = Next(t);
  REQUIRE(std::rename(path.c_str(), rotated.c_str()) == 0);
  Append(path, "new file\n");         // logrotate's `create`
  Append(rotated, "b\nstill writi");  // the writer has not reopened the path yet
  Chunk c = Next(t);
  CHECK(c.text == "b\n");  // its partial last line is held while it is written to
  CHECK(c.source == first.source);
  CHECK_FALSE(c.last);
  Append(rotated, "ng\n");
  CHECK(Next(t).text == "still writing\n");
  CHECK(Next(t).text.empty());  // quiet for less than rotate_wait: the new file waits
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  c = Next(t);
  CHECK(c.text == "new file\n");
  CHECK(c.source != first.source);
}

TEST_CASE("file tailer: a file truncated and written past the offset between two reads is a new generation") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  Append(path, "first line\nsecond\n");
  FileTailer t(path);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  const Chunk before = Next(t);
  REQUIRE(truncate(path.c_str(), 0) == 0);
  Append(path, "another first line\nand more than before\n");  // longer than the offset already
  const Chunk after = Next(t);
  CHECK(after.start == 0);
  CHECK(after.text == "another first line\nand more than before\n");
  CHECK(t.generation() == 1);
  CHECK(after.source != before.source);
}

TEST_CASE("file tailer: Peek reads ahead without moving, and not into another file's bytes") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  Append(path, "one\ntwo\nthree\n");
  FileTailer t(path);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  auto c = t.Read(4);
  REQUIRE(c.ok());
  REQUIRE(c->text == "one\n");
  auto ahead = t.Peek(c->end, 4);
  REQUIRE(ahead.ok());
  CHECK(ahead->text == "two\n");
  CHECK(ahead->start == 4);
  CHECK(ahead->source == c->source);
  CHECK(t.offset() == 0);  // nothing moved
  REQUIRE(truncate(path.c_str(), 0) == 0);
  Append(path, "replaced first line\n");
  auto stale = t.Peek(c->end, 4);
  REQUIRE(stale.ok());
  CHECK(stale->text.empty());  // the file changed under it: Read decides
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

TEST_CASE("file tailer: a truncated file is identified again by its new first line, once it has one") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  Append(path, "old first\nmore\n");
  FileTailer t(path);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  const Chunk before = Next(t);
  REQUIRE(truncate(path.c_str(), 0) == 0);
  CHECK(Next(t).text.empty());  // empty: no first line to tell it by
  Append(path, "new fir");
  CHECK(Next(t).text.empty());
  Append(path, "st\n");
  const Chunk after = Next(t);
  CHECK(after.text == "new first\n");
  CHECK(after.start == 0);
  REQUIRE(t.identity().has_value());
  CHECK(after.source == SourceId(*t.identity(), 1));
  CHECK(t.identity()->ino == ParseSourceId(before.source)->ino);
  CHECK(t.identity()->fingerprint != ParseSourceId(before.source)->fingerprint);
}

TEST_CASE("file tailer: a line past max_line_bytes comes in pieces") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  Append(path, std::string(25, 'x') + "\nshort\n");
  FileTailer t(path);
  t.set_max_line_bytes(10);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  CHECK(Next(t, 4).text == std::string(10, 'x'));
  CHECK(Next(t, 4).text == std::string(10, 'x'));
  CHECK(Next(t, 4).text == "xxxxx\n");
  CHECK(Next(t, 4).text == "short\n");
}

TEST_CASE("file tailer: chunks say whether more follows and whether the file is done with") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log", rotated = dir.path() + "/app.log.1";
  Append(path, "aaaa\nbbbb\ncc");
  FileTailer t(path);
  t.set_rotate_wait_ms(0);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  Chunk c = Next(t, 5);
  CHECK(c.text == "aaaa\n");
  CHECK_FALSE(c.at_end);  // "bbbb" follows
  c = Next(t, 7);
  CHECK(c.text == "bbbb\n");
  CHECK(c.at_end);  // only a partial line after it
  CHECK_FALSE(c.last);
  CHECK(t.size() == 12);
  REQUIRE(std::rename(path.c_str(), rotated.c_str()) == 0);
  c = Next(t, 5);
  CHECK(c.text == "cc");  // the rotated file's last line, without its newline
  CHECK(c.last);
}

TEST_CASE("file tailer: a file rotated away is read from a saved offset to its end, found by its identity") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log", rotated = dir.path() + "/app.log.1";
  Append(path, "one\ntwo\nthree");
  FileTailer t(path);
  REQUIRE(t.Start(std::nullopt, 0, 0).ok());
  const Chunk first = Next(t, 4);
  REQUIRE(first.text == "one\n");
  const SourceIdentity identity = *t.identity();
  REQUIRE(std::rename(path.c_str(), rotated.c_str()) == 0);
  Append(path, "another file\n");
  CHECK(FileTailer::OpenRotated(path, identity, 0, 4).status().code() == Status::Code::kNotFound);
  auto r = FileTailer::OpenRotated(rotated, identity, 0, 4);
  REQUIRE(r.ok());
  FileTailer& old = **r;
  old.set_rotate_wait_ms(0);
  CHECK_FALSE(old.finished());
  const Chunk rest = Next(old);
  CHECK(rest.text == "two\nthree");
  CHECK(rest.start == 4);
  CHECK(rest.source == first.source);
  CHECK(rest.last);
  CHECK(old.finished());
  CHECK(Next(old).text.empty());  // never follows the path to another file
}

}  // namespace
}  // namespace gnomon::ship
