#include "data/synth_exact_float.h"  // first: no FMA contraction in this file
#include "data/synth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include "core/error.h"
#include "data/image_codec.h"
#include "data/synth_canvas.h"
#include "data/synth_hand.h"

namespace trainbench::data {
namespace {

using synth::Canvas;
using synth::Color;
using synth::Paint;
using synth::Rng;
using synth::Shape;
using synth::Vec2;

// Seeds the JPEG quality stream apart from the picture stream ("quality" in ASCII).
constexpr std::uint64_t kQualityStream = 0x7175616C697479ull;

// A note on style below: C++ leaves the order in which function arguments
// (and the operands of * or +) are evaluated unspecified, and GCC and Clang
// really do differ. So an expression draws at most one random number, except
// inside braces {a, b}, which are evaluated left to right; otherwise the same
// seed would give different pictures depending on the compiler.

Color random_color(Rng& rng, float min_value = 0.15f, float max_saturation = 0.8f) {
  const float hue = rng.uniform(0, 360);
  const float saturation = rng.uniform(0.0f, max_saturation);
  const float value = rng.uniform(min_value, 0.97f);
  return synth::from_hsv(hue, saturation, value);
}

// Skin tones from very light to very dark, as in HaGRID's many subjects.
Color random_skin(Rng& rng) {
  static const Color kTones[] = {{255, 224, 196}, {241, 194, 160}, {226, 170, 130}, {198, 140, 100},
                                 {165, 112, 80},  {122, 82, 58},   {88, 58, 42}};
  const Color base = kTones[rng.uniform_int(0, 6)];
  const Color jitter{rng.symmetric(12), rng.symmetric(10), rng.symmetric(10)};
  return Color{base.r + jitter.r, base.g + jitter.g, base.b + jitter.b} * rng.uniform(0.82f, 1.08f);
}

Vec2 random_unit(Rng& rng) { return synth::direction_from_up(rng.uniform(0, 360)); }

// Walls, shelves, posters, lamps: random shapes that are not hands. A few are
// skin-coloured sticks about as thick as fingers, so that colour alone or
// "a rounded stick" alone does not give the class away.
void paint_background(Canvas& canvas, Rng& rng) {
  const float w = static_cast<float>(canvas.width()), h = static_cast<float>(canvas.height());
  const float long_side = std::max(w, h);
  const Color a = random_color(rng, 0.25f, 0.5f);
  const Color other = random_color(rng, 0.2f, 0.6f);
  const Color b = synth::mix(a, other, rng.uniform(0.3f, 1.0f));
  if (rng.chance(0.6f)) {
    const Vec2 start{rng.uniform(0, w), rng.uniform(0, h)};
    const Vec2 direction = random_unit(rng);
    canvas.fill_linear(a, b, start, start + direction * (long_side * rng.uniform(0.5f, 1.5f)));
  } else {
    const Vec2 centre{rng.uniform(0, w), rng.uniform(0, h)};
    canvas.fill_radial(a, b, centre, long_side * rng.uniform(0.4f, 1.2f));
  }

  const int clutter = rng.uniform_int(3, 12);
  for (int i = 0; i < clutter; ++i) {
    const Vec2 centre{rng.uniform(-0.1f * w, 1.1f * w), rng.uniform(-0.1f * h, 1.1f * h)};
    const float size = long_side * rng.uniform(0.04f, 0.35f);
    // Draws for every kind, always in the same order, then the kind picks what it needs.
    const int kind = rng.uniform_int(0, 5);
    const float ratio = rng.uniform(0.0f, 1.0f);
    const float angle = rng.uniform(0, 180);
    const Vec2 corners[3] = {random_unit(rng) * size, random_unit(rng) * size, random_unit(rng) * size};
    Shape shape;
    switch (kind) {
      case 0: shape = Shape::box(centre, {size, size * (0.2f + 1.3f * ratio)}, size * 0.3f * ratio, angle / 7.5f - 12); break;
      case 1: shape = Shape::circle(centre, size * 0.6f); break;
      case 2: shape = Shape::ellipse(centre, {size, size * (0.3f + 0.7f * ratio)}, angle); break;
      case 3: shape = Shape::ring(centre, size * 0.6f, size * (0.05f + 0.15f * ratio)); break;
      case 4: shape = Shape::triangle(centre + corners[0], centre + corners[1], centre + corners[2]); break;
      default: shape = Shape::capsule(centre, centre + corners[0] * 2, size * (0.03f + 0.12f * ratio));
    }
    Paint paint;
    paint.fill = random_color(rng);
    paint.alpha = rng.uniform(0.5f, 1.0f);
    paint.rim_darken = rng.uniform(0.0f, 0.3f);
    paint.rim_width = size * 0.3f;
    if (rng.chance(0.3f)) paint.outline = paint.fill * 0.5f, paint.outline_width = rng.uniform(1.0f, 4.0f);
    canvas.draw(shape, paint);
  }

  if (rng.chance(0.3f)) {
    const int sticks = rng.uniform_int(1, 3);
    const float short_side = std::min(w, h);
    for (int i = 0; i < sticks; ++i) {
      const Vec2 start{rng.uniform(0, w), rng.uniform(0, h)};
      const Vec2 direction = random_unit(rng);
      const Vec2 end = start + direction * (short_side * rng.uniform(0.08f, 0.25f));
      const float radius = short_side * rng.uniform(0.015f, 0.04f);
      Paint paint;
      paint.fill = random_skin(rng);
      paint.rim_darken = 0.3f;
      paint.rim_width = short_side * 0.02f;
      canvas.draw(Shape::capsule(start, end, radius), paint);
    }
  }
}

// The person making the gesture: head and shoulders behind the hand, as in
// HaGRID's selfie-style frames. Returns the shirt colour for the sleeve.
Color paint_person(Canvas& canvas, Rng& rng, Color skin) {
  const float w = static_cast<float>(canvas.width()), h = static_cast<float>(canvas.height());
  const float long_side = std::max(w, h);
  const Color shirt = random_color(rng, 0.1f, 0.9f);
  const float x = rng.uniform(0.2f, 0.8f) * w;
  const float top = rng.uniform(0.5f, 0.8f) * h;
  const float head = rng.uniform(0.08f, 0.14f) * long_side;
  Paint paint;
  paint.rim_darken = 0.3f;
  paint.fill = shirt;
  paint.rim_width = head * 0.5f;
  canvas.draw(Shape::box({x, top + h * 0.5f}, {rng.uniform(0.2f, 0.4f) * w, h * 0.5f}, head * 0.8f, 0), paint);
  paint.fill = skin * 0.95f;
  paint.rim_width = head * 0.3f;
  canvas.draw(Shape::capsule({x, top - head}, {x, top + head * 0.1f}, head * 0.38f), paint);
  const Vec2 face{x + rng.symmetric(head * 0.2f), top - head * 1.3f};
  const float tilt = rng.symmetric(8);
  const Color hair[] = {{25, 20, 18}, {60, 40, 25}, {110, 75, 40}, {170, 130, 80}, {120, 120, 120}};
  const Color hair_colour = hair[rng.uniform_int(0, 4)];
  paint.fill = hair_colour * rng.uniform(0.8f, 1.2f);
  canvas.draw(Shape::ellipse(face + Vec2{0, -head * 0.15f}, {head * 0.85f, head * 1.05f}, tilt), paint);
  paint.fill = skin;
  canvas.draw(Shape::ellipse(face, {head * 0.75f, head}, tilt), paint);
  return shirt;
}

// Where the hand goes: it spans 25-60% of the short side and stays inside the
// frame, except no_gesture hands, which rest low and may be cut by an edge.
synth::HandPlacement place_hand(const Canvas& canvas, const synth::HandPose& pose, Rng& rng) {
  const float w = static_cast<float>(canvas.width()), h = static_cast<float>(canvas.height());
  const float span = std::min(w, h) * rng.uniform(0.25f, 0.6f);
  synth::HandPlacement placement;
  placement.palm_width = span / 2.1f;  // a hand is about 2.1 palm widths from wrist to fingertip
  placement.mirrored = rng.chance(0.5f);
  placement.rotation = pose.rotation + rng.symmetric(pose.low_in_frame ? 40.0f : 25.0f);
  const float reach = span * 0.52f;
  Vec2 middle;  // centre of the hand's extent, about 0.45 palm widths above the palm centre
  middle.x = rng.uniform(reach, std::max(reach, w - reach));
  middle.y = pose.low_in_frame ? rng.uniform(0.62f * h, h - 0.2f * reach)
                               : rng.uniform(reach, std::max(reach, h - reach));
  const Vec2 up = synth::direction_from_up(placement.rotation) * (0.45f * placement.palm_width);
  placement.centre = middle - up;
  return placement;
}

}  // namespace

const std::vector<std::string>& hagrid_class_names() {
  static const std::vector<std::string> kNames = {
      "call", "dislike", "fist", "four", "like", "mute", "no_gesture", "ok", "one", "palm",
      "peace", "peace_inverted", "rock", "stop", "stop_inverted", "three", "three2", "two_up",
      "two_up_inverted"};
  return kNames;
}

Image render_gesture(int class_index, std::uint64_t seed, int image_index) {
  if (class_index < 0 || class_index >= synth::kGestureCount) {
    throw UsageError("synthetic class index " + std::to_string(class_index) + " is outside 0..18");
  }
  Rng rng(core::mix_seed(seed, {static_cast<std::uint64_t>(class_index), static_cast<std::uint64_t>(image_index)}));

  // HaGRID at 512 px: mostly phone frames, portrait or landscape.
  const int long_side = rng.uniform_int(448, 512);
  const int short_side = static_cast<int>(long_side * rng.uniform(0.56f, 1.0f) + 0.5f);
  const bool portrait = rng.chance(0.6f);
  Canvas canvas(portrait ? short_side : long_side, portrait ? long_side : short_side);

  paint_background(canvas, rng);
  synth::HandLook look;
  look.skin = random_skin(rng);
  look.light_direction = random_unit(rng);
  look.sleeve = random_color(rng, 0.1f, 0.9f);
  if (rng.chance(0.6f)) look.sleeve = paint_person(canvas, rng, look.skin * rng.uniform(0.92f, 1.05f));
  if (rng.chance(0.6f)) look.sleeve_from = rng.uniform(0.12f, 0.3f);

  const synth::HandPose pose = synth::make_pose(static_cast<synth::Gesture>(class_index), rng);
  synth::draw_hand(canvas, pose, place_hand(canvas, pose, rng), look);

  const Color cast{rng.uniform(0.92f, 1.08f), rng.uniform(0.92f, 1.08f), rng.uniform(0.92f, 1.08f)};
  const Vec2 light_origin{rng.uniform(0.0f, 1.0f) * canvas.width(), rng.uniform(0.0f, 1.0f) * canvas.height()};
  const Vec2 light_direction = random_unit(rng);
  canvas.relight(light_origin, light_direction * (rng.uniform(0.0f, 0.5f) / long_side), cast);
  const float noise = rng.uniform(1.0f, 6.0f);
  return canvas.to_image(rng, noise);
}

int synth_jpeg_quality(int class_index, std::uint64_t seed, int image_index) {
  Rng rng(core::mix_seed(seed ^ kQualityStream,
                         {static_cast<std::uint64_t>(class_index), static_cast<std::uint64_t>(image_index)}));
  return rng.uniform_int(60, 95);
}

std::string synth_file_name(int class_index, int image_index) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%05d", image_index);
  return hagrid_class_names().at(static_cast<std::size_t>(class_index)) + "_" + digits + ".jpg";
}

namespace {

void validate(const SynthOptions& options) {
  if (options.out.empty()) throw UsageError("data synth needs an output folder: --out DIR");
  if (options.classes < 1 || options.classes > synth::kGestureCount) {
    throw UsageError("--classes must be between 1 and 19 (HaGRID has 19 classes), got " +
                     std::to_string(options.classes));
  }
  if (options.per_class < 1) {
    throw UsageError("--per-class must be at least 1, got " + std::to_string(options.per_class));
  }
  if (options.threads < 0) throw UsageError("--threads must be 0 (all cores) or more");
  std::error_code ec;
  const auto status = std::filesystem::status(options.out, ec);
  if (!std::filesystem::exists(status)) return;
  if (!std::filesystem::is_directory(status)) {
    throw UsageError(options.out.string() + " exists and is not a folder; pick another --out");
  }
  if (!std::filesystem::is_empty(options.out, ec) || ec) {
    throw UsageError(options.out.string() +
                     " is not empty; data synth only writes into a new or empty folder, so that old "
                     "images never mix with new ones. Delete it or pick another --out");
  }
}

void make_folder(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw DataError("cannot create folder " + path.string() + ": " + ec.message());
}

}  // namespace

SynthSummary write_synthetic_dataset(const SynthOptions& options, const std::function<void(int, int)>& on_progress) {
  validate(options);
  const auto& names = hagrid_class_names();
  for (int c = 0; c < options.classes; ++c) make_folder(options.out / names[static_cast<std::size_t>(c)]);

  const int total = options.classes * options.per_class;
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min(threads, total));

  // Workers take images by index from a shared counter; what each file holds
  // depends only on (seed, class, index), so scheduling cannot change it.
  std::atomic<int> next{0}, done{0}, running{threads};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> bytes{0};
  std::mutex mutex;
  std::condition_variable wake;
  std::exception_ptr failure;
  auto work = [&] {
    try {
      for (int task = next++; task < total && !stop; task = next++) {
        const int c = task / options.per_class, index = task % options.per_class;
        const Image image = render_gesture(c, options.seed, index);
        const auto jpeg = encode_jpeg(image, synth_jpeg_quality(c, options.seed, index));
        write_file_bytes(options.out / names[static_cast<std::size_t>(c)] / synth_file_name(c, index), jpeg);
        bytes += jpeg.size();
        ++done;
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
    std::lock_guard<std::mutex> lock(mutex);
    --running;
    wake.notify_one();
  };
  std::vector<std::thread> workers;
  try {
    for (int i = 0; i < threads; ++i) workers.emplace_back(work);
  } catch (const std::system_error& e) {
    stop = true;
    for (auto& t : workers) t.join();
    throw DataError(std::string("cannot start worker threads for data synth (try --threads 1): ") + e.what());
  }

  // The calling thread only reports progress, at most ten times a second, so
  // callbacks never race and a progress bar is not flooded.
  int reported = -1;
  try {
    bool finished = false;
    while (!finished) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        finished = wake.wait_for(lock, std::chrono::milliseconds(100), [&] { return running == 0; });
      }
      const int now = done;
      if (on_progress && now != reported && !stop) on_progress(now, total);
      reported = now;
    }
  } catch (...) {
    stop = true;
    for (auto& t : workers) t.join();
    throw;
  }
  for (auto& t : workers) t.join();
  if (failure) std::rethrow_exception(failure);

  SynthSummary summary;
  summary.classes = options.classes;
  summary.images = total;
  summary.bytes = bytes;
  return summary;
}

}  // namespace trainbench::data
