#include "common/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace kappa {

ProgressLine::ProgressLine(std::chrono::milliseconds interval)
    : enabled_(isatty(STDERR_FILENO) == 1), interval_(interval) {}

ProgressLine::~ProgressLine() { Finish(); }

bool ProgressLine::Due() const {
  return enabled_ && std::chrono::steady_clock::now() - last_ >= interval_;
}

void ProgressLine::Update(const std::string& text) {
  if (!enabled_) return;
  last_ = std::chrono::steady_clock::now();
  // \r returns to column 0; \x1b[K clears what a longer previous line left.
  std::fprintf(stderr, "\r%s\x1b[K", text.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::Finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
  drawn_ = false;
}

ProgressBlock::ProgressBlock() : enabled_(isatty(STDERR_FILENO) == 1) {}

void ProgressBlock::Update(const std::vector<std::string>& lines) {
  if (!enabled_) return;
  std::string out;
  // Up to the first line drawn last time, then each line cleared and
  // rewritten; \x1b[J clears what a longer previous block left below.
  if (drawn_ > 0) out += "\r\x1b[" + std::to_string(drawn_) + "A";
  for (const auto& line : lines) out += "\r" + line + "\x1b[K\n";
  out += "\x1b[J";
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = lines.size();
}

std::string FormatCount(double value) {
  const auto n = static_cast<long long>(std::llround(value));
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace kappa
