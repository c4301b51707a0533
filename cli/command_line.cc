#include "cli/command_line.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>

namespace kappa::cli {

Result<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return Status::InvalidArgument("expected an integer, got '" + std::string(text) + "'");
  }
  return value;
}

Result<double> ParseDouble(std::string_view text) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
      !std::isfinite(value)) {
    return Status::InvalidArgument("expected a number, got '" + std::string(text) + "'");
  }
  return value;
}

Result<double> ParseProbability(std::string_view text) {
  auto p = ParseDouble(text);
  if (!p.ok() || *p < 0 || *p > 1) {
    return Status::InvalidArgument("expected 0..1, got '" + std::string(text) + "'");
  }
  return p;
}

CommandLine::CommandLine(std::string command, std::string synopsis, std::string description)
    : command_(std::move(command)),
      synopsis_(std::move(synopsis)),
      description_(std::move(description)) {
  flags_.push_back({"help", 'h', "", "show this help and exit", nullptr});
}

void CommandLine::AddOption(std::string long_name, char short_name, std::string value_name,
                            std::string help, std::function<Status(std::string_view)> set) {
  flags_.push_back(
      {std::move(long_name), short_name, std::move(value_name), std::move(help), std::move(set)});
}

void CommandLine::AddSwitch(std::string long_name, std::string help, bool* target) {
  flags_.push_back({std::move(long_name), 0, "", std::move(help), [target](std::string_view) {
                      *target = true;
                      return Status::Ok();
                    }});
}

void CommandLine::AddString(std::string long_name, char short_name, std::string value_name,
                            std::string help, std::string* target) {
  AddOption(std::move(long_name), short_name, std::move(value_name), std::move(help),
            [target](std::string_view v) {
              *target = std::string(v);
              return Status::Ok();
            });
}

void CommandLine::AddDirectory(std::string long_name, std::string value_name, std::string help,
                               std::string* target) {
  AddOption(std::move(long_name), 0, std::move(value_name), std::move(help),
            [target](std::string_view v) -> Status {
              if (v.empty()) return Status::InvalidArgument("expected a directory");
              std::error_code ec;
              const auto status = std::filesystem::status(std::string(v), ec);
              if (std::filesystem::exists(status) && !std::filesystem::is_directory(status)) {
                return Status::InvalidArgument(std::string(v) + " is not a directory");
              }
              *target = std::string(v);
              return Status::Ok();
            });
}

void CommandLine::AddInt(std::string long_name, char short_name, std::string value_name,
                         std::string help, int64_t* target, int64_t min, int64_t max) {
  AddOption(
      std::move(long_name), short_name, std::move(value_name), std::move(help),
      [target, min, max](std::string_view v) -> Status {
        auto n = ParseInt(v);
        if (!n.ok()) return n.status();
        if (*n < min || *n > max) {
          return Status::InvalidArgument(fmt::format("expected {}..{}, got {}", min, max, *n));
        }
        *target = *n;
        return Status::Ok();
      });
}

void CommandLine::AddEpilog(std::string text) { epilog_ = std::move(text); }

const CommandLine::Flag* CommandLine::Find(std::string_view long_name) const {
  for (const auto& f : flags_) {
    if (f.long_name == long_name) return &f;
  }
  return nullptr;
}

const CommandLine::Flag* CommandLine::Find(char short_name) const {
  for (const auto& f : flags_) {
    if (short_name != 0 && f.short_name == short_name) return &f;
  }
  return nullptr;
}

Result<bool> CommandLine::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const Flag* flag = nullptr;
    std::string shown;  // the flag as the user wrote it, for messages
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0 && arg.size() > 2) {
      std::string name = arg.substr(2);
      if (const auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      shown = "--" + name;
      flag = Find(name);
    } else if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
      shown = arg.substr(0, 2);
      flag = Find(arg[1]);
      if (arg.size() > 2) inline_value = arg.substr(2);
    } else if (arg == "--") {
      for (++i; i < args.size(); ++i) positionals_.push_back(args[i]);
      break;
    } else {
      if (positional_name_.empty()) {
        return Status::InvalidArgument("unexpected argument '" + arg + "' (see --help)");
      }
      positionals_.push_back(arg);
      continue;
    }
    if (flag == nullptr) {
      return Status::InvalidArgument("unknown option " + shown + " (see --help)");
    }
    if (flag->long_name == "help") {
      fmt::print("{}", Help());
      return true;
    }
    std::string value;
    if (flag->value_name.empty()) {
      if (inline_value) return Status::InvalidArgument(shown + " takes no value");
    } else if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::InvalidArgument(shown + " needs a value (" + flag->value_name + ")");
    }
    KAPPA_RETURN_IF_ERROR(flag->set(value).WithContext(shown));
  }
  return false;
}

std::string CommandLine::Help() const {
  std::string out =
      fmt::format("Usage: {} {}\n\n{}\n\nOptions:\n", command_, synopsis_, description_);
  for (const auto& f : flags_) {
    std::string names = f.short_name != 0 ? fmt::format("-{}, --{}", f.short_name, f.long_name)
                                          : fmt::format("    --{}", f.long_name);
    if (!f.value_name.empty()) names += " " + f.value_name;
    // Continuation lines of a long help text are indented under the first.
    std::string help = f.help;
    for (size_t pos = 0; (pos = help.find('\n', pos)) != std::string::npos; pos += 31) {
      help.replace(pos, 1, "\n" + std::string(30, ' '));
    }
    if (names.size() <= 26) {
      out += fmt::format("  {:<28}{}\n", names, help);
    } else {
      out += fmt::format("  {}\n{:30}{}\n", names, "", help);
    }
  }
  if (!epilog_.empty()) out += "\n" + epilog_ + "\n";
  return out;
}

}  // namespace kappa::cli
