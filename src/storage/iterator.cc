#include "gnomon/iterator.h"

namespace gnomon {

Status SampleIterator::AppendRemaining(std::vector<Sample>* out) {
  while (Next()) out->push_back(At());
  return status();
}

}  // namespace gnomon
