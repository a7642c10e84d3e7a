#include "scrape/scrape_target.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace gnomon::scrape {

std::string ScrapeTarget::Key() const {
  // Everything a scrape depends on: a reload that changes any of it restarts the loop.
  std::string key = job + '\n' + url + '\n';
  for (const Label& l : labels) {
    key += l.name;
    key += '\xff';
    key += l.value;
    key += '\xff';
  }
  key += fmt::format("\n{} {} {} {} {} {} {} {} {}", interval_ms, timeout_ms, honor_labels, honor_timestamps,
                     sample_limit, label_limit, body_size_limit, basic_auth.has_value(), authorization.has_value());
  if (basic_auth.has_value())
    key += '\n' + basic_auth->username + '\xff' + basic_auth->password + '\xff' + basic_auth->password_file;
  if (authorization.has_value()) {
    key += '\n' + authorization->type + '\xff' + authorization->credentials + '\xff' + authorization->credentials_file;
  }
  for (const RelabelConfig& r : metric_relabel_configs) {
    key += fmt::format("\n{}|{}|{}|{}|{}|{}|{}", RelabelActionName(r.action), fmt::join(r.source_labels, ","),
                       r.separator, r.regex.text(), r.modulus, r.target_label, r.replacement);
  }
  return key;
}

}  // namespace gnomon::scrape
