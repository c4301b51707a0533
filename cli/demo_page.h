// The status page `kappa demo` serves at "/": one self-contained HTML file
// that polls /status.json every second and draws its numbers and charts.
#pragma once

namespace kappa::cli {

extern const char kDemoPage[];

}  // namespace kappa::cli
