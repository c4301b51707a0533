// `kappa models`: list, show, promote and roll back model versions.
#include <fmt/format.h>

#include <cstdio>
#include <ctime>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/kafka_flags.h"
#include "cli/model_key_flags.h"
#include "inference/model_publisher.h"
#include "inference/model_registry.h"

namespace kappa::cli {
namespace {

std::string FormatTime(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

double Metric(const inference::ModelManifest& m, const std::string& key) {
  const auto it = m.metrics.find(key);
  return it == m.metrics.end() ? 0.0 : it->second;
}

Status List(const inference::ModelRegistry& registry) {
  auto versions = registry.Versions();
  if (!versions.ok()) return versions.status();
  auto current = registry.Current();
  if (!current.ok()) return current.status();
  if (versions->empty()) {
    std::printf("no models in %s (run kappa train)\n", registry.dir().c_str());
    return Status::Ok();
  }
  std::printf("  %-8s %-20s %-12s %7s %8s %8s %10s\n", "version", "created (UTC)", "feature set",
              "rounds", "ROC AUC", "accuracy", "val. rows");
  for (int v : *versions) {
    auto m = registry.ReadManifest(v);
    const char* mark = *current == v ? "*" : " ";
    if (!m.ok()) {
      std::printf("%s v%04d    unreadable: %s\n", mark, v, m.status().message().c_str());
      continue;
    }
    std::printf("%s v%04d    %-20s %-12s %7d %8.4f %8.4f %10.0f\n", mark, v,
                FormatTime(m->created_ms).c_str(), m->feature_set.c_str(), m->boosted_rounds,
                Metric(*m, "roc_auc"), Metric(*m, "accuracy"), Metric(*m, "rows"));
  }
  std::printf("(* = current)\n");
  return Status::Ok();
}

// "hmac-sha256, key id 0123456789abcdef" or "none".
std::string DescribeSignature(const inference::ModelRegistry& registry, int version) {
  auto text = registry.ReadSignature(version);
  if (!text.ok()) return text.status().message();
  if (text->empty()) return "none";
  const auto first = text->find(' ');
  const auto second = text->find(' ', first + 1);
  if (first == std::string::npos || second == std::string::npos) return "malformed";
  return fmt::format("{}, key id {}", text->substr(0, first),
                     text->substr(first + 1, second - first - 1));
}

Status Show(const inference::ModelRegistry& registry, int version, bool json) {
  // Shown even when it does not verify (the `verified` line says why); the
  // JSON, meant for scripts to act on, only when it does.
  auto m = json ? registry.ReadManifest(version) : registry.InspectManifest(version);
  if (!m.ok()) return m.status();
  if (json) {
    std::printf("%s", m->ToJson().c_str());
    return Status::Ok();
  }
  auto model = registry.Load(version);  // says whether the artifact verifies
  std::printf("model v%04d (%s)\n", m->version, m->model_name.c_str());
  std::printf("  created       %s UTC\n", FormatTime(m->created_ms).c_str());
  std::printf("  verified      %s%s\n", model.ok() ? "yes" : model.status().message().c_str(),
              model.ok() && registry.key() == nullptr ? " (integrity only: no model key)" : "");
  std::printf("  signature     %s\n", DescribeSignature(registry, version).c_str());
  std::printf("  feature set   %s (%zu features)\n", m->feature_set.c_str(),
              m->feature_names.size());
  std::printf("  rounds        %d\n", m->boosted_rounds);
  std::printf("  trained from  %s: %llu labeled events (%llu train / %llu validation)\n",
              m->provenance.topic.c_str(),
              static_cast<unsigned long long>(m->provenance.labeled_events),
              static_cast<unsigned long long>(m->provenance.train_rows),
              static_cast<unsigned long long>(m->provenance.validation_rows));
  for (const auto& p : m->provenance.partitions) {
    std::printf("                [%d] offsets %lld..%lld\n", p.partition,
                static_cast<long long>(p.first_offset), static_cast<long long>(p.end_offset));
  }
  std::printf(
      "  validation    accuracy %.4f  ROC AUC %.4f  log loss %.4f  precision %.4f  "
      "recall %.4f\n",
      Metric(*m, "accuracy"), Metric(*m, "roc_auc"), Metric(*m, "log_loss"),
      Metric(*m, "precision"), Metric(*m, "recall"));
  std::printf("  importance   ");
  for (const auto& [name, share] : m->feature_importance) {
    std::printf(" %s %.1f%%", name.c_str(), 100 * share);
  }
  std::printf("\n  sha256        %s\n", m->booster_sha256.c_str());
  return Status::Ok();
}

// Sends `version` as the current one to the models topic, so running
// inference instances switch to it.
Status Announce(const inference::ModelRegistry& registry, int version, std::string_view action,
                const KafkaFlags& kafka, const std::string& topic) {
  auto model = registry.Load(version);
  if (!model.ok()) return model.status();
  return inference::PublishModel(ResolveKafka(kafka), topic, (*model)->manifest(),
                                 (*model)->booster_bytes(), action, true, registry.key());
}

}  // namespace

int RunModels(const Args& args) {
  KafkaFlags kafka;
  std::string models_dir = "./models";
  std::string models_topic{stream::kModelsTopic};
  bool json = false;
  bool no_publish = false;
  ModelKeyFlags key_flags;
  CommandLine cl("kappa models", "list | show N | promote N | rollback   [options]",
                 "Lists the model versions in --models-dir, shows one (manifest, metrics,\n"
                 "provenance, whether its artifact verifies), makes a version current\n"
                 "(promote) or returns to the previously current one (rollback).\n"
                 "promote and rollback verify the version first and publish it to the models\n"
                 "topic, so running `kappa infer` instances hot-reload it.\n"
                 "With a model key (--model-key-file), a version verifies only when it is\n"
                 "signed with that key, and what is published is signed.");
  cl.AllowPositionals("ACTION");
  cl.AddDirectory("models-dir", "DIR", "model versions (default ./models)", &models_dir);
  cl.AddString("models-topic", 0, "TOPIC", "models topic (default titanic-models)", &models_topic);
  AddModelKeyFlags(&cl, &key_flags);
  cl.AddSwitch("json", "show: print the manifest as JSON", &json);
  cl.AddSwitch("no-publish", "promote/rollback: change only the local registry", &no_publish);
  AddKafkaFlags(&cl, &kafka);
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("models", help.status());
  if (*help) return 0;
  const auto& pos = cl.positionals();
  const std::string action = pos.empty() ? "list" : pos[0];
  auto version_arg = [&]() -> Result<int> {
    if (pos.size() != 2) return Status::InvalidArgument(action + " needs a version number");
    std::string_view text = pos[1];
    if (!text.empty() && text[0] == 'v') text.remove_prefix(1);
    auto n = ParseInt(text);
    if (!n.ok() || *n < 1 || *n > 100000000) {
      return Status::InvalidArgument("not a version number: '" + pos[1] + "'");
    }
    return static_cast<int>(*n);
  };
  auto key = LoadModelKey(key_flags);
  if (!key.ok()) return ReportFailure("models", key.status());
  auto registry = inference::ModelRegistry::Open(models_dir, std::move(key).value());
  if (!registry.ok()) return ReportFailure("models", registry.status());

  if (action == "list" && pos.size() <= 1) return ReportFailure("models", List(**registry));
  if (action == "show") {
    auto v = version_arg();
    if (!v.ok()) return ReportFailure("models", v.status());
    return ReportFailure("models", Show(**registry, *v, json));
  }
  if (action == "promote") {
    auto v = version_arg();
    if (!v.ok()) return ReportFailure("models", v.status());
    if (Status s = (*registry)->Promote(*v); !s.ok()) return ReportFailure("models", s);
    std::printf("v%04d is current\n", *v);
    if (!no_publish) {
      return ReportFailure("models", Announce(**registry, *v, "promoted", kafka, models_topic));
    }
    return 0;
  }
  if (action == "rollback" && pos.size() == 1) {
    auto v = (*registry)->Rollback();
    if (!v.ok()) return ReportFailure("models", v.status());
    std::printf("rolled back: v%04d is current\n", *v);
    if (!no_publish) {
      return ReportFailure("models", Announce(**registry, *v, "rolled-back", kafka, models_topic));
    }
    return 0;
  }
  return ReportFailure("models", Status::InvalidArgument("unknown action '" + action +
                                                         "' (list, show N, promote N, rollback)"));
}

}  // namespace kappa::cli
