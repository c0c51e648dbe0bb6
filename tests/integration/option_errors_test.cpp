// Every option with a range or a set of allowed values, given one bad value:
// one line that names the option and says in words what it takes (no
// 300-digit bounds), and the usage-error exit code. The cases run through
// cli::run, the binary's own entry, in this process (a parse error happens
// before any work, and a process per case would pay LibTorch's start-up 50
// times); one case runs the built binary to show the process prints the same.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "test_support.h"

namespace trainbench {
namespace {

// CLI11 refuses the value while parsing (app.exit: its ValidationError code).
constexpr int kOptionParseError = static_cast<int>(CLI::ExitCodes::ValidationError);
// A command refuses it before doing anything (UsageError: "trainbench: error: ...").
constexpr int kOptionUsageError = 1;
// What CLI11 prints after a parse error's line.
const char* const kOptionErrorHint = "Run with --help for more information.";

struct BadOptionValue {
  std::string args;     // the command line after `trainbench`, split at spaces
  std::string option;   // the name the line must carry
  std::string allowed;  // what the line must say is allowed
  int exit_code = kOptionParseError;
};

struct OptionErrorRun {
  int exit_code = -1;
  std::string stderr_text;
};

std::vector<std::string> split_option_args(const std::string& args) {
  std::vector<std::string> words{"trainbench"};
  std::istringstream in(args);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

OptionErrorRun run_cli_in_process(const std::string& args) {
  std::vector<std::string> words = split_option_args(args);
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  OptionErrorRun run;
  ::testing::internal::CaptureStderr();
  run.exit_code = cli::run(static_cast<int>(words.size()), argv.data());
  run.stderr_text = ::testing::internal::GetCapturedStderr();
  return run;
}

std::vector<std::string> option_error_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// One line (plus CLI11's hint after a parse error), naming the option, saying
// what is allowed, with no number longer than 12 digits.
void expect_readable_option_error(const BadOptionValue& c, const OptionErrorRun& run) {
  SCOPED_TRACE("trainbench " + c.args + "\n" + run.stderr_text);
  EXPECT_EQ(run.exit_code, c.exit_code);
  const std::vector<std::string> lines = option_error_lines(run.stderr_text);
  ASSERT_FALSE(lines.empty());
  if (c.exit_code == kOptionParseError) {
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[1], kOptionErrorHint);
  } else {
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].rfind("trainbench: error: ", 0), 0u);
  }
  EXPECT_NE(lines[0].find(c.option), std::string::npos);
  EXPECT_NE(lines[0].find(c.allowed), std::string::npos);
  EXPECT_FALSE(std::regex_search(run.stderr_text, std::regex("[0-9]{13}")));
}

std::vector<BadOptionValue> bad_option_values() {
  const std::string synth = "data synth --out /nonexistent/synth ";
  const std::string data_bench = "data bench --data /nonexistent/data ";
  const std::string eval = "eval --run /nonexistent/run --data /nonexistent/data ";
  const std::string predict = "predict --run /nonexistent/run /nonexistent/a.jpg ";
  const std::string bench = "bench --no-db ";
  const std::string export_onnx = "export --run /nonexistent/run --out /nonexistent/m.onnx ";
  const std::string launch = "launch ";
  const std::string after_dashes = " -- train --data /nonexistent/data";
  const std::string whole_8_4096 = "a whole number from 8 to 4096 (pixels)";
  const std::string amp_set = "one of auto, off, bf16, fp16";
  return {
      // train
      {"train --lr 0", "--lr", "a number above 0 (the peak learning rate, e.g. 1e-3)"},
      {"train --lr nan", "--lr", "a number above 0"},
      {"train --val-split 1.5", "--val-split", "a number from 0 to 1"},
      {"train --img-size 4", "--img-size", whole_8_4096},
      {"train --img-size 5000", "--img-size", whole_8_4096},
      {"train -b 0", "--batch-size", "a whole number above 0"},
      {"train --epochs 0", "--epochs", "a whole number above 0"},
      {"train --epochs two", "--epochs", "'two' is not a whole number above 0"},
      {"train --epochs 1.5", "--epochs", "'1.5' is not a whole number above 0"},
      {"train --epochs 99999999999", "--epochs", "too large (at most 2147483647)"},
      {"train --weight-decay=-0.1", "--weight-decay", "a number of 0 or more"},
      {"train --seed=-1", "--seed", "a whole number of 0 or more"},
      {"train --workers=-1", "--workers", "a whole number of 0 or more (0: one per available core)"},
      {"train --prefetch 0", "--prefetch", "a whole number above 0"},
      {"train --threads=-2", "--threads", "a whole number of 0 or more"},
      {"train --amp fp8", "--amp", amp_set},
      {"train --augment heavy", "--augment", "one of trivial-wide, trivial-wide-scaled, none"},
      {"train --pretrained-strict maybe", "--pretrained-strict", "one of on, off"},
      {"train --max-steps=-5", "--max-steps", "a whole number of 0 or more"},
      {"train --checkpoint-every x", "--checkpoint-every", "a whole number of 0 or more"},
      {"train --dist-backend mpi", "--dist-backend", "one of auto, gloo, nccl"},
      {"train --dist-timeout 0", "--dist-timeout", "a whole number above 0 (seconds)"},
      {"train --accumulate 0", "--accumulate", "a whole number above 0 (micro-batches per step)"},
      {"train --bucket-mb 0", "--bucket-mb", "a number above 0 (MB)"},
      {"train --grad-compression int8", "--grad-compression", "one of none, fp16, bf16"},
      {"train --telemetry-interval 0.001", "--telemetry-interval", "a number from 0.01 to 3600 (seconds"},
      {"train --max-image-pixels 0", "--max-image-pixels", "a whole number above 0 (pixels)"},
      // eval, predict
      {eval + "--amp fp8", "--amp", amp_set},
      {eval + "-b 0", "--batch-size", "a whole number above 0"},
      {eval + "--workers=-1", "--workers", "a whole number of 0 or more"},
      {eval + "--threads x", "--threads", "a whole number of 0 or more"},
      {eval + "--max-image-pixels=-3", "--max-image-pixels", "a whole number above 0"},
      {predict + "--top-k 0", "--top-k", "a whole number above 0"},
      {predict + "--amp fp32", "--amp", amp_set},
      {predict + "--threads=-1", "--threads", "a whole number of 0 or more"},
      // data
      {synth + "--classes 20", "--classes", "a whole number from 2 to 19"},
      {synth + "--classes 1", "--classes", "a whole number from 2 to 19"},
      {synth + "--per-class 0", "--per-class", "a whole number above 0"},
      {synth + "--seed x", "--seed", "a whole number of 0 or more"},
      {synth + "--threads=-1", "--threads", "a whole number of 0 or more"},
      {data_bench + "--img-size 7", "--img-size", whole_8_4096},
      {data_bench + "-b 0", "--batch-size", "a whole number above 0"},
      {data_bench + "--workers=-1", "--workers", "a whole number of 0 or more"},
      {data_bench + "--threads=-1", "--threads", "a whole number of 0 or more"},
      {data_bench + "--augment all", "--augment", "one of trivial-wide, trivial-wide-scaled, none"},
      {data_bench + "--seconds 0", "--seconds", "a number above 0 (seconds)"},
      {"data verify /nonexistent/data --workers=-1", "--workers", "a whole number of 0 or more"},
      // bench: its own flags, then its LIST options (checked by the command)
      {bench + "--amp off,fp8", "--amp", amp_set},
      {bench + "--mode eval", "--mode", "one of train, infer, both"},
      {bench + "-r 0", "--repetitions", "a whole number above 0"},
      {bench + "--warmup-steps 0", "--warmup-steps", "a whole number above 0"},
      {bench + "--steps 2.5", "--steps", "a whole number above 0"},
      {bench + "--delay=-1", "--delay", "a number of 0 or more (seconds)"},
      {bench + "--threads=-1", "--threads", "a whole number of 0 or more"},
      {bench + "--seed=abc", "--seed", "a whole number of 0 or more"},
      {bench + "-o xml", "--output", "one of md, csv, json, jsonl, sql"},
      {bench + "--scaling 0", "--scaling", "a whole number above 0 (local ranks)"},
      {bench + "--dist-backend mpi", "--dist-backend", "one of auto, gloo, nccl"},
      {bench + "--dist-timeout 0", "--dist-timeout", "a whole number above 0"},
      {bench + "--bucket-mb=-1", "--bucket-mb", "a number above 0 (MB)"},
      {bench + "--telemetry-interval 4000", "--telemetry-interval", "a number from 0.01 to 3600"},
      {bench + "--max-image-pixels 0", "--max-image-pixels", "a whole number above 0"},
      {bench + "-b 0", "--batch-size", "is not a positive integer", kOptionUsageError},
      {bench + "--img-size 16-8", "--img-size", "ends before it starts", kOptionUsageError},
      {bench + "--workers x", "--workers", "is not a positive integer", kOptionUsageError},
      {bench + "--channels-last maybe", "--channels-last", "is not 0, 1 or auto", kOptionUsageError},
      {bench + "--input disk", "--input", "is not synthetic or real", kOptionUsageError},
      {bench + "--model resnet7", "--model", "known: resnet18", kOptionUsageError},
      // results, report, compare
      {"results --kind eval", "--kind", "one of bench, train"},
      {"results --last=-1", "--last", "a whole number of 0 or more (0: all)"},
      {"results -o xml", "--output", "one of md, csv, json, jsonl, sql"},
      {"report --reference nvidia-9090", "--reference", "one of titan-rtx"},
      {"report -o /nonexistent/r.pdf", "-o", ".html (one self-contained page) or .md", kOptionUsageError},
      {"compare a b -o html", "--output", "one of md, json"},
      // export: --opset's range and the sets are the command's own checks
      {export_onnx + "--opset x", "--opset", "'x' is not a whole number (13 to 17)"},
      {export_onnx + "--dtype float64", "--dtype", "must be float32 or float16", kOptionUsageError},
      {export_onnx + "--format pdf", "--format", "must be auto, onnx or safetensors", kOptionUsageError},
      // launch: whole numbers while parsing, their ranges in the launcher
      {launch + "--nproc-per-node two" + after_dashes, "--nproc-per-node", "'two' is not a whole number (1 or more)"},
      {launch + "--nproc-per-node 0" + after_dashes, "--nproc-per-node", "must be at least 1", kOptionUsageError},
      {launch + "--nnodes 0" + after_dashes, "--nnodes", "must be at least 1", kOptionUsageError},
      {launch + "--nnodes 2 --node-rank 2 --master-addr 10.0.0.1" + after_dashes, "--node-rank",
       "must be from 0 to 1", kOptionUsageError},
      {launch + "--master-port 70000" + after_dashes, "--master-port", "not a port (1-65535)", kOptionUsageError},
      {launch + "--master-port http" + after_dashes, "--master-port", "a whole number (a port, 1 to 65535)"},
      {launch + "--timeout 0" + after_dashes, "--timeout", "must be at least 1 second", kOptionUsageError},
  };
}

TEST(OptionErrors, EveryBadValueIsOneReadableLineNamingTheOptionAndWhatItTakes) {
  for (const BadOptionValue& c : bad_option_values()) {
    expect_readable_option_error(c, run_cli_in_process(c.args));
  }
}

// The program itself prints the same line and exits with the same code.
TEST(OptionErrors, TheBinaryPrintsTheSameLine) {
  const BadOptionValue c{"train --lr 0", "--lr", "--lr: '0' is not a number above 0 (the peak learning rate, e.g. 1e-3)"};
  OptionErrorRun run;
  run.stderr_text = testing::run_command(testing::trainbench_command(c.args + " 2>&1 >/dev/null"), &run.exit_code);
  expect_readable_option_error(c, run);
  EXPECT_EQ(run.stderr_text, run_cli_in_process(c.args).stderr_text);
}

// --help shows the checks short ([8..4096], (> 0), {auto,off,bf16,fp16}),
// never a bound of hundreds of digits.
TEST(OptionErrors, HelpShowsTheAllowedValuesShort) {
  for (const std::string command :
       {"train", "eval", "predict", "data synth", "data bench", "data verify", "bench", "results", "report",
        "compare", "export", "launch"}) {
    std::vector<std::string> words = split_option_args(command + " --help");
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    ::testing::internal::CaptureStdout();
    const int code = cli::run(static_cast<int>(words.size()), argv.data());
    const std::string help = ::testing::internal::GetCapturedStdout();
    SCOPED_TRACE(command + " --help\n" + help);
    EXPECT_EQ(code, 0);
    EXPECT_FALSE(std::regex_search(help, std::regex("[0-9]{13}")));
    EXPECT_EQ(help.find("POSITIVE"), std::string::npos);
    EXPECT_EQ(help.find("NONNEGATIVE"), std::string::npos);
    if (command == "train") {
      for (const char* shown : {"INT:[8..4096]", "FLOAT:(> 0)", "TEXT:{auto,off,bf16,fp16}", "FLOAT:[0.01..3600]"}) {
        EXPECT_NE(help.find(shown), std::string::npos) << shown;
      }
    }
  }
}

}  // namespace
}  // namespace trainbench
