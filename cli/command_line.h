// CommandLine: the flag parser every `kappa` command uses, so that all of
// them accept flags the same way and `--help` is generated from the same
// table the parser reads (it cannot drift).
//
// Accepted forms: `--name value`, `--name=value`, `-x value`, `-xvalue`,
// switches `--name`. Unknown flags, missing values and unparsable values are
// InvalidArgument naming the flag. `-h`/`--help` prints help to stdout.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kappa::cli {

class CommandLine {
 public:
  // `command` e.g. "kappa produce"; `synopsis` the argument line after it;
  // `description` a paragraph shown under the usage line.
  CommandLine(std::string command, std::string synopsis, std::string description);

  // A flag taking a value; `set` parses and stores it.
  void AddOption(std::string long_name, char short_name, std::string value_name, std::string help,
                 std::function<Status(std::string_view)> set);
  void AddSwitch(std::string long_name, std::string help, bool* target);
  void AddString(std::string long_name, char short_name, std::string value_name, std::string help,
                 std::string* target);
  // A directory the command reads or creates: when the path exists it must
  // be a directory (InvalidArgument naming it otherwise).
  void AddDirectory(std::string long_name, std::string value_name, std::string help,
                    std::string* target);
  void AddInt(std::string long_name, char short_name, std::string value_name, std::string help,
              int64_t* target, int64_t min, int64_t max);
  // Extra text at the end of --help (exit codes, examples).
  void AddEpilog(std::string text);
  // Allows positional arguments (otherwise they are an error).
  void AllowPositionals(std::string name) { positional_name_ = std::move(name); }

  // Parses `args` (the words after the command name). Returns true when help
  // was requested and printed (the caller exits 0).
  Result<bool> Parse(const std::vector<std::string>& args);
  const std::vector<std::string>& positionals() const { return positionals_; }

  std::string Help() const;

 private:
  struct Flag {
    std::string long_name;
    char short_name = 0;
    std::string value_name;  // empty for switches
    std::string help;
    std::function<Status(std::string_view)> set;
  };
  const Flag* Find(std::string_view long_name) const;
  const Flag* Find(char short_name) const;

  std::string command_;
  std::string synopsis_;
  std::string description_;
  std::string epilog_;
  std::string positional_name_;
  std::vector<Flag> flags_;
  std::vector<std::string> positionals_;
};

// Strict number parsing for flag values: the whole text must be a number.
Result<int64_t> ParseInt(std::string_view text);
Result<double> ParseDouble(std::string_view text);
// A --threshold: a probability 0..1, InvalidArgument otherwise.
Result<double> ParseProbability(std::string_view text);

}  // namespace kappa::cli
