// Template: Parse / Execute / ExpandAlertTemplate (see template.h). The pieces live in
// template_lex.cc, template_parse.cc, template_exec.cc, template_builtins.cc,
// template_functions.cc and template_value.cc; this file prepends Prometheus' header and turns
// the engine's internal errors into Status.
#include "gotemplate/template.h"

#include <new>

#include "gotemplate/template_internal.h"

namespace gnomon::gotemplate {
namespace {

// What Prometheus prepends to every alert label and annotation template. Parsing it with the
// text keeps line and column numbers in errors the same as Prometheus reports them.
constexpr std::string_view kHeader =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}"
    "{{$value := .Value}}";

}  // namespace

struct Template::Impl {
  std::string name;
  std::string text;     // header + template text
  tmpl::TreeSet trees;  // the top-level tree under `name`, then {{define}}/{{block}} ones
};

Template::Template(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::Parse(std::string_view name, std::string_view text) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->name = std::string(name);
    impl->text = std::string(kHeader) + std::string(text);
    impl->trees = tmpl::ParseTree(impl->name, impl->text);
    return Template(std::move(impl));
  } catch (const tmpl::TemplateError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("template: " + std::string(name) + ": out of memory while parsing");
  }
}

Result<std::string> Template::Execute(const TemplateData& data, const QueryFunc& query) const {
  if (!impl_ || impl_->trees.empty()) return Status::FailedPrecondition("template: executing a moved-from template");
  try {
    return tmpl::Run(impl_->name, impl_->text, impl_->trees, data, query);
  } catch (const tmpl::TemplateError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("template: " + impl_->name + ": out of memory while executing");
  }
}

std::string ExpandAlertTemplate(std::string_view name, std::string_view text, const TemplateData& data,
                                const QueryFunc& query) {
  return ExpandAlertTemplate(name, Template::Parse(name, text), data, query);
}

std::string ExpandAlertTemplate(std::string_view name, const Result<Template>& t, const TemplateData& data,
                                const QueryFunc& query) {
  if (!t.ok()) {
    return "<error expanding template: error parsing template " + std::string(name) + ": " + t.status().message() +
           ">";
  }
  Result<std::string> out = t->Execute(data, query);
  if (!out.ok()) {
    return "<error expanding template: error executing template " + std::string(name) + ": " +
           out.status().message() + ">";
  }
  return std::move(out).value();
}

}  // namespace gnomon::gotemplate
