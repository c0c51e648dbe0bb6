#pragma once
// What `train` says once a run has ended, so that one command tells a user
// what they got: where this machine stands against the reference workload's
// published cards (as `compare --reference` judges it, labelled as published
// figures), the report of the run written beside it, and the commands worth
// running next.
#include <filesystem>
#include <string>

#include "bench/standing.h"
#include "train/run_record.h"

namespace trainbench::cli {

// Where the run stands against the published cards
// (bench::format_run_standing): from `measured`, the cards' work measured
// after the run (train --standing), else from the run itself when it did the
// cards' work, else an estimate labelled as one and no verdict.
std::string format_reference_standing(const train::RunRecord& run, const bench::Standing* measured,
                                      const std::string& program);

// Writes report.html into the run's folder (the run, with the Titan RTX's
// published figures beside it) and returns its path.
std::filesystem::path write_run_report(const train::RunRecord& run);

// "Next:" and three commands: train on your own folder, bench, doctor.
std::string format_next_commands(const std::string& program);

}  // namespace trainbench::cli
