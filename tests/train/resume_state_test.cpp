#include "train/resume_state.h"

#include <gtest/gtest.h>

#include <limits>

#include "core/error.h"

namespace trainbench::train {
namespace {

ResumeState example() {
  ResumeState s;
  s.epoch = 2;
  s.epoch_steps = 5;
  s.next_batch = 6;
  s.step = 19;
  s.metrics_bytes = 123456789012ull;
  s.run_seconds = 12.75;
  s.pass_correct = 11;
  s.pass_samples = 20;
  s.pass_batches = 5;
  s.pass_loss_sum = 5.4321;
  s.pass_last_loss = 0.987654321;
  s.pass_seconds = 1.5;
  s.pass_wait_seconds = 0.25;
  s.pass_images = 20;
  s.train_seconds = 3.5;
  s.wait_seconds = 0.5;
  s.train_images_seen = 54;
  s.first_epoch_images_per_sec = 15.428571428571429;
  s.train_loss = 1.0986;
  s.train_accuracy = 0.3333333333333333;
  s.val_loss = 1.05;
  s.val_accuracy = 0.5;
  s.best_val_loss = 1.05;
  s.best_epoch = 1;
  s.scaler = {{"scale", 32768.0}, {"growth_tracker", 7.0}, {"skipped_steps", 2.0}};
  s.skipped = {{"/data/a/bad.jpg", "not a JPEG"}};
  return s;
}

TEST(ResumeState, RoundTripsEveryFieldExactlyThroughJsonText) {
  const ResumeState a = example();
  const ResumeState b = resume_state_from_json(nlohmann::json::parse(to_json(a).dump()));
  EXPECT_EQ(b.epoch, a.epoch);
  EXPECT_EQ(b.epoch_steps, a.epoch_steps);
  EXPECT_EQ(b.next_batch, a.next_batch);
  EXPECT_EQ(b.step, a.step);
  EXPECT_EQ(b.metrics_bytes, a.metrics_bytes);
  EXPECT_EQ(b.run_seconds, a.run_seconds);
  EXPECT_EQ(b.pass_correct, a.pass_correct);
  EXPECT_EQ(b.pass_loss_sum, a.pass_loss_sum);  // doubles survive the text exactly
  EXPECT_EQ(b.pass_last_loss, a.pass_last_loss);
  EXPECT_EQ(b.first_epoch_images_per_sec, a.first_epoch_images_per_sec);
  EXPECT_EQ(b.train_accuracy, a.train_accuracy);
  EXPECT_EQ(b.best_val_loss, a.best_val_loss);
  EXPECT_EQ(b.best_epoch, a.best_epoch);
  EXPECT_EQ(b.scaler, a.scaler);
  EXPECT_EQ(b.skipped, a.skipped);
}

TEST(ResumeState, NoBestLossYetSurvivesJsonWhichHasNoInfinity) {
  ResumeState a = example();
  a.best_val_loss = std::numeric_limits<double>::infinity();
  const std::string text = to_json(a).dump();
  EXPECT_EQ(text.find("null"), std::string::npos) << text;
  EXPECT_TRUE(std::isinf(resume_state_from_json(nlohmann::json::parse(text)).best_val_loss));
}

TEST(ResumeState, MalformedStatesAreErrorsNamingTheKey) {
  const auto message = [](const std::function<void(nlohmann::json&)>& change) {
    nlohmann::json json = to_json(example());
    change(json);
    try {
      resume_state_from_json(json);
    } catch (const RunError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([](nlohmann::json& j) { j.erase("step"); }).find("'step'"), std::string::npos);
  EXPECT_NE(message([](nlohmann::json& j) { j["step"] = "19"; }).find("'step'"), std::string::npos);
  EXPECT_NE(message([](nlohmann::json& j) { j["step"] = 19.5; }).find("whole number"), std::string::npos);
  EXPECT_NE(message([](nlohmann::json& j) { j["pass_images"] = -1; }).find("out of range"), std::string::npos);
  EXPECT_NE(message([](nlohmann::json& j) { j["epoch"] = 0; }).find("at least 1"), std::string::npos);
  EXPECT_NE(message([](nlohmann::json& j) { j["epoch"] = 1e12; }).find("'epoch'"), std::string::npos);
  EXPECT_NE(message([](nlohmann::json& j) { j["scaler"] = {{"scale", "big"}}; }).find("scaler"), std::string::npos);
  EXPECT_NE(message([](nlohmann::json& j) { j["skipped"] = {{{"path", 3}}}; }).find("skipped"), std::string::npos);
  EXPECT_NE(message([](nlohmann::json& j) { j = nlohmann::json::array(); }).find("not a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace trainbench::train
