// Writes three samples through the installed Gnomon library and reads them back.
#include <gnomon/db.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::unique_ptr<gnomon::DB> db;
  gnomon::Status s = gnomon::DB::Open(gnomon::Options(), argv[1], &db);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  gnomon::WriteBatch b;
  for (int i = 0; i < 3; ++i) b.Add({{"__name__", "consumer_up"}}, 1000 * i, i);
  if (!db->Write(b).ok()) return 1;
  auto set = db->Select({gnomon::Matcher::Equal("__name__", "consumer_up")}, 0, 10000);
  if (!set.ok()) return 1;
  int n = 0;
  while ((*set)->Next()) {
    for (auto* it = (*set)->samples(); it->Next();) ++n;
  }
  std::printf("consumer: read %d samples\n", n);
  return n == 3 ? 0 : 1;
}
