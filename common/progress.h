// ProgressLine: one status line rewritten in place on a terminal.
//
// On a TTY (stderr), Update() redraws the line at most every `interval`; when
// stderr is not a TTY it prints nothing (logs and the final summary carry the
// information instead), so piped output stays clean. Finish() ends the line.
// Not thread-safe: one owner thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace kappa {

class ProgressLine {
 public:
  explicit ProgressLine(std::chrono::milliseconds interval = std::chrono::milliseconds(200));
  ~ProgressLine();

  bool enabled() const { return enabled_; }
  // True when a redraw is due; lets callers skip formatting the text.
  bool Due() const;
  void Update(const std::string& text);
  // Clears the line so that following output starts on a clean line.
  void Finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
};

// ProgressBlock: several lines redrawn in place on a terminal (stderr), for
// a live view; when stderr is not a TTY it draws nothing. Finish() leaves
// the last drawing on screen. Not thread-safe: one owner thread.
class ProgressBlock {
 public:
  ProgressBlock();
  bool enabled() const { return enabled_; }
  void Update(const std::vector<std::string>& lines);
  void Finish() { drawn_ = 0; }

 private:
  bool enabled_;
  size_t drawn_ = 0;
};

// Formats a rate with thousands separators: 12345.6 -> "12,346".
std::string FormatCount(double value);

}  // namespace kappa
