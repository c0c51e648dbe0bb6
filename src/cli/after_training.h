#pragma once
// What `train` says once a run has ended, so that one command tells a user
// what they got: where this machine stands against the reference workload's
// published cards (as `compare --reference` judges it, labelled as published
// figures), the report of the run written beside it, and the commands worth
// running next.
#include <filesystem>
#include <string>

namespace trainbench::cli {

// Lines comparing the run in `run_dir` with every published reference: its
// steady training rate against each card's, with compare's verdict, and the
// caveat that the settings differ when they do. Empty when the run has no
// training rate to compare (stopped before its first pass ended).
std::string format_reference_standing(const std::filesystem::path& run_dir);

// Writes run_dir/report.html (the run, with the Titan RTX's published
// figures beside it) and returns its path.
std::filesystem::path write_run_report(const std::filesystem::path& run_dir);

// "Next:" and three commands: train on your own folder, bench, doctor.
std::string format_next_commands(const std::string& program);

}  // namespace trainbench::cli
