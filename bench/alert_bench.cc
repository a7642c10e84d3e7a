// Alert rule evaluation: one alerting rule over the TSBS cpu-only dataset (1,000 series, so
// 1,000 alerts at once) with a label template and two annotation templates, evaluated at one
// instant; and the cost of one template, parsed once and executed, against parsed on every use
// (which is what AlertingRule avoids by parsing its templates when it is built).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "alert/alerting_rule.h"
#include "gnomon/db.h"
#include "gotemplate/template.h"
#include "tsbs_data.h"

namespace gnomon {
namespace {

constexpr int kHosts = 100;
constexpr int kSteps = 360;  // one hour at 10 s
constexpr int64_t kEndMs = 1'700'000'000'000;

DB* Dataset() { return bench::TsbsDatabase(kHosts, kSteps, kEndMs); }

alert::Rule HighUsage() {
  alert::Rule r;
  r.alert = "HighUsage";
  // Every series, told apart by a `field` label once the metric name is dropped.
  r.expr = R"q(label_replace({__name__=~"cpu_usage_.*"}, "field", "$1", "__name__", "cpu_usage_(.*)") >= 0)q";
  r.for_ms = 300'000;
  r.labels = {{"severity", "{{ if gt $value 90.0 }}page{{ else }}ticket{{ end }}"}};
  r.annotations = {{"summary", "{{ $labels.hostname }}: {{ $labels.__name__ }} at {{ $value | printf \"%.1f\" }}%"},
                   {"description", "{{ $value | humanizePercentage }} on {{ $labels.hostname }} ({{ $labels.region }})"}};
  return r;
}

void BM_AlertingRuleEval(benchmark::State& state) {
  alert::EvalContext ctx;
  ctx.db = Dataset();
  alert::AlertingRule rule(HighUsage());
  size_t alerts = 0;
  for (auto _ : state) {
    std::vector<promql::SeriesResult> out;
    if (Status st = rule.Eval(ctx, kEndMs, &out); !st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      return;
    }
    alerts += out.size() / 2;  // ALERTS and ALERTS_FOR_STATE per alert
  }
  state.SetItemsProcessed(static_cast<int64_t>(alerts));
  state.counters["alerts"] = static_cast<double>(rule.Alerts().size());
}
BENCHMARK(BM_AlertingRuleEval)->Unit(benchmark::kMillisecond);

gotemplate::TemplateData Data() {
  gotemplate::TemplateData d;
  d.labels = {{"__name__", "cpu_usage_user"}, {"hostname", "host_7"}, {"region", "eu-west-1"}};
  d.value = 93.25;
  return d;
}

const char* kAnnotation = "{{ $labels.hostname }}: {{ $labels.__name__ }} at {{ $value | printf \"%.1f\" }}%";

void BM_TemplateParsedOnce(benchmark::State& state) {
  const gotemplate::TemplateData d = Data();
  const Result<gotemplate::Template> t = gotemplate::Template::Parse("__alert_x", kAnnotation);
  for (auto _ : state) benchmark::DoNotOptimize(gotemplate::ExpandAlertTemplate("__alert_x", t, d, nullptr));
}
BENCHMARK(BM_TemplateParsedOnce);

void BM_TemplateParsedEachTime(benchmark::State& state) {
  const gotemplate::TemplateData d = Data();
  for (auto _ : state) benchmark::DoNotOptimize(gotemplate::ExpandAlertTemplate("__alert_x", kAnnotation, d, nullptr));
}
BENCHMARK(BM_TemplateParsedEachTime);

}  // namespace
}  // namespace gnomon

BENCHMARK_MAIN();
