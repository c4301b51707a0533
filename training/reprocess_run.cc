#include "training/reprocess_run.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kappa::training {
namespace {

constexpr std::string_view kMagic = "kappa-reprocess-run 1";

std::string RunFile(const std::string& dir) { return dir + "/run.txt"; }

std::string FormatOffsets(const std::map<int32_t, int64_t>& offsets) {
  std::string out;
  for (const auto& [p, o] : offsets) {
    if (!out.empty()) out += ' ';
    out += std::to_string(p) + "=" + std::to_string(o);
  }
  return out;
}

bool ParseOffsets(const std::string& text, std::map<int32_t, int64_t>* out) {
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) return false;
    try {
      size_t used = 0;
      const long p = std::stol(item.substr(0, eq), &used);
      if (used != eq || p < 0 || p > INT32_MAX) return false;
      const std::string rest = item.substr(eq + 1);
      const long long o = std::stoll(rest, &used);
      if (used != rest.size() || o < 0) return false;
      (*out)[static_cast<int32_t>(p)] = o;
    } catch (const std::exception&) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view PhaseName(ReprocessRun::Phase phase) {
  switch (phase) {
    case ReprocessRun::Phase::kReplay:
      return "replay";
    case ReprocessRun::Phase::kRescore:
      return "rescore";
    case ReprocessRun::Phase::kDone:
      return "done";
  }
  return "?";
}

Result<std::optional<ReprocessRun>> LoadReprocessRun(const std::string& dir) {
  const std::string path = RunFile(dir);
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::optional<ReprocessRun>();
    return Status::IoError("cannot read " + path);
  }
  const auto damaged = [&](const std::string& why) {
    return Status::Corruption(path + " is damaged (" + why + "); delete " + dir +
                              " to start the reprocess over");
  };
  std::string line;
  if (!std::getline(in, line) || line != kMagic) return damaged("not a reprocess run record");
  ReprocessRun run;
  bool has_phase = false;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "feature_set") {
      run.feature_set = value;
    } else if (key == "phase") {
      has_phase = true;
      if (value == "replay") {
        run.phase = ReprocessRun::Phase::kReplay;
      } else if (value == "rescore") {
        run.phase = ReprocessRun::Phase::kRescore;
      } else if (value == "done") {
        run.phase = ReprocessRun::Phase::kDone;
      } else {
        return damaged("unknown phase '" + value + "'");
      }
    } else if (key == "model_version" || key == "previous_model_version") {
      int* version = key == "model_version" ? &run.model_version : &run.previous_model_version;
      try {
        *version = std::stoi(value);
      } catch (const std::exception&) {
        return damaged(key + " '" + value + "'");
      }
    } else if (key == "output_topic") {
      run.output_topic = value;

    } else if (key == "output_start" || key == "output_end" || key == "previous_output_start" ||
               key == "previous_output_end") {
      auto* offsets = key == "output_start"          ? &run.output_start
                      : key == "output_end"          ? &run.output_end
                      : key == "previous_output_start" ? &run.previous_output_start
                                                       : &run.previous_output_end;
      if (!ParseOffsets(value, offsets)) return damaged(key + " '" + value + "'");
    } else if (key == "history") {
      run.history = value;
    } else if (key == "previous_history") {
      run.previous_history = value;
    } else if (!key.empty()) {
      return damaged("unknown key '" + key + "'");
    }
  }
  if (run.feature_set.empty() || !has_phase) return damaged("no feature_set or phase");
  return std::optional<ReprocessRun>(std::move(run));
}

Status SaveReprocessRun(const std::string& dir, const ReprocessRun& run) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  std::string text(kMagic);
  text += "\nfeature_set " + run.feature_set;
  text += "\nphase " + std::string(PhaseName(run.phase));
  text += "\nmodel_version " + std::to_string(run.model_version);
  text += "\noutput_topic " + run.output_topic;
  text += "\noutput_start " + FormatOffsets(run.output_start);
  text += "\noutput_end " + FormatOffsets(run.output_end);
  text += "\nhistory " + run.history;
  text += "\nprevious_model_version " + std::to_string(run.previous_model_version);
  text += "\nprevious_history " + run.previous_history;
  text += "\nprevious_output_start " + FormatOffsets(run.previous_output_start);
  text += "\nprevious_output_end " + FormatOffsets(run.previous_output_end) + "\n";
  const std::string path = RunFile(dir);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("cannot write " + tmp + ": " + std::strerror(errno));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) return Status::IoError("cannot write " + tmp + ": " + std::strerror(saved_errno));
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IoError("cannot replace " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace kappa::training
