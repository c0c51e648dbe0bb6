# The sources under src/ that never touch a tensor, directly or through a
# header they include: CMakeLists.txt compiles them without LibTorch. Every
# other source under src/ is a torch source. tests/layers_test.py fails when a
# file here reaches a LibTorch header, or when a torch source does not and
# belongs here.
set(TRAINBENCH_PLAIN_SOURCES
  bench/bench_matrix.cpp bench/compare.cpp bench/compare_inputs.cpp bench/compare_report.cpp
  bench/compare_rules.cpp bench/out_of_memory.cpp bench/printers.cpp bench/profile.cpp bench/reference_figures.cpp
  bench/same_work.cpp bench/scaling.cpp bench/scaling_runner.cpp bench/statistics.cpp
  cli/compare_command.cpp cli/doctor_command.cpp cli/execution_flags.cpp cli/gradient_flags.cpp cli/image_limit_flag.cpp
  cli/launch_command.cpp cli/option_checks.cpp cli/report_command.cpp cli/results_command.cpp cli/serve_command.cpp cli/store_flags.cpp
  cli/telemetry_flags.cpp
  core/atomic_file.cpp core/host_facts.cpp core/interrupt.cpp core/malloc_tuning.cpp
  core/thread_pool_environment.cpp core/provenance.cpp core/random.cpp core/system_view.cpp core/table.cpp
  dist/launch_environment.cpp dist/local_launcher.cpp dist/network_checks.cpp
  deploy/convnext_onnx.cpp deploy/mobile_onnx.cpp deploy/onnx_library_check.cpp deploy/onnx_lowering.cpp deploy/onnx_model.cpp deploy/protobuf_writer.cpp deploy/resnet_onnx.cpp
  deploy/vit_onnx.cpp
  data/data_verify.cpp data/fashion_mnist.cpp data/file_read.cpp data/image_codec.cpp data/image_folder.cpp
  data/image_limits.cpp data/resize_pad.cpp data/shard.cpp data/skipped_files.cpp data/synth.cpp data/synth_canvas.cpp
  data/synth_hand.cpp
  doctor/check.cpp doctor/data_checks.cpp
  models/convnext_config.cpp models/mobile_net_config.cpp models/resnet_config.cpp models/vision_transformer_config.cpp
  report/html_report.cpp report/markdown_report.cpp report/report_builder.cpp report/report_run.cpp
  report/run_series.cpp report/svg_chart.cpp
  serve/http_request.cpp serve/http_server.cpp serve/machine_comparison.cpp serve/results_page.cpp serve/results_site.cpp
  store/bench_row.cpp store/postgres_database.cpp store/result_bundle.cpp store/results_store.cpp store/sql_database.cpp
  store/sqlite_database.cpp
  telemetry/intel_gpu_source.cpp telemetry/nvml_source.cpp telemetry/phase_summary.cpp
  telemetry/proc_stats.cpp telemetry/sampler.cpp telemetry/telemetry_log.cpp telemetry/telemetry_sample.cpp
  train/epoch_plan.cpp train/metrics_records.cpp train/one_cycle.cpp train/progress_bar.cpp train/resume_state.cpp train/run_folder.cpp
  train/run_record.cpp train/run_summary.cpp train/train_config.cpp
  weights/model_card.cpp
)
