// ReprocessRun: where an interrupted `kappa reprocess` stands, kept in
// DIR/run.txt beside its state (DIR/events), so that a rerun after kill -9
// resumes instead of starting over, and a rerun after a finished run can
// tell whether its output is already complete.
//
// A small text file of "key value" lines, replaced atomically (written to a
// temporary file, fsynced, renamed):
//   kappa-reprocess-run 1
//   feature_set titanic-v2
//   phase rescore                 replay | rescore | done
//   model_version 3               0 until the fit stored a version
//   output_topic titanic-predictions.titanic-v2
//   output_start 0=0 1=17 ...     output partition -> its end when re-scoring began
//   output_end 0=40 1=60 ...      (done only) its end when re-scoring finished
//   history 0:0:40:40 1:...       (from rescore on) partition:first:next:events of the state
//   previous_model_version 3      the last finished run's model_version, history and
//   previous_history ...          output range, kept when a new run starts: if the new
//   previous_output_start ...     run ends with the same history and model, that
//   previous_output_end ...       output is still the answer and is not written again
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"

namespace kappa::training {

struct ReprocessRun {
  enum class Phase { kReplay, kRescore, kDone };
  std::string feature_set;
  Phase phase = Phase::kReplay;
  int model_version = 0;
  std::string output_topic;
  std::map<int32_t, int64_t> output_start;
  std::map<int32_t, int64_t> output_end;
  std::string history;
  int previous_model_version = 0;  // 0: no finished run before this one
  std::string previous_history;
  std::map<int32_t, int64_t> previous_output_start;
  std::map<int32_t, int64_t> previous_output_end;
  bool operator==(const ReprocessRun&) const = default;
};

std::string_view PhaseName(ReprocessRun::Phase phase);

// The record in `dir`, std::nullopt when there is none; Corruption naming
// the file when it cannot be read as one.
Result<std::optional<ReprocessRun>> LoadReprocessRun(const std::string& dir);
// Replaces the record in `dir` atomically (creating `dir` if needed).
Status SaveReprocessRun(const std::string& dir, const ReprocessRun& run);

}  // namespace kappa::training
