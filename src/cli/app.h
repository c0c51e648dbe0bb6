#pragma once
// The command line: parses argv, runs one command, and turns every error
// into one line on stderr and a non-zero exit code.
namespace trainbench::cli {

int run(int argc, char** argv);

}  // namespace trainbench::cli
