#pragma once
// Each command adds its sub-command (flags, help) to the app; when it is the
// one that runs, its callback stores the process exit code in *exit_code.
#include <CLI/CLI.hpp>

namespace trainbench::cli {

void add_train_command(CLI::App& app, int* exit_code);
void add_eval_command(CLI::App& app, int* exit_code);
void add_predict_command(CLI::App& app, int* exit_code);
void add_devices_command(CLI::App& app, int* exit_code);
void add_models_command(CLI::App& app, int* exit_code);
void add_data_command(CLI::App& app, int* exit_code);
void add_export_command(CLI::App& app, int* exit_code);
void add_doctor_command(CLI::App& app, int* exit_code);
void add_bench_command(CLI::App& app, int* exit_code);
void add_results_command(CLI::App& app, int* exit_code);
void add_compare_command(CLI::App& app, int* exit_code);
void add_report_command(CLI::App& app, int* exit_code);
void add_launch_command(CLI::App& app, int* exit_code);
void add_serve_command(CLI::App& app, int* exit_code);

}  // namespace trainbench::cli
