#include "gnomon/iterator.h"

namespace gnomon {

Status SampleIterator::AppendRemaining(std::vector<Sample>* out) {
  while (Next()) out->push_back(At());
  return status();
}

Status SampleIterator::TakeRemaining(std::vector<Sample>* out) {
  out->clear();
  return AppendRemaining(out);
}

}  // namespace gnomon
