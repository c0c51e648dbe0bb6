#include "data/synth_exact_float.h"  // first: no FMA contraction in this file
#include "data/synth_hand.h"

#include <algorithm>
#include <cmath>

namespace trainbench::data::synth {
namespace {

// Painting layers, back to front; parts are sorted by layer before drawing so
// that each gesture can add them in whatever order reads best.
enum Layer { kArm, kBehindPalm, kPalm, kCurled, kFolded, kExtended };

enum Finger { kIndex, kMiddle, kRing, kPinky };

// Builds one jittered hand. Every random draw happens in the constructor or in
// the order the gesture calls the methods, so a pose is a pure function of the
// generator's state. As in synth.cpp, an expression draws at most one random
// number outside braces: argument evaluation order differs between compilers.
class PoseBuilder {
 public:
  explicit PoseBuilder(Rng& rng) : rng_(rng) {
    width_scale_ = rng.uniform(0.92f, 1.06f);
    half_height_ = 0.55f * rng.uniform(0.92f, 1.08f);
    finger_radius_ = rng.uniform(0.125f, 0.145f);  // a little thicker than life: must survive 64 px
    const float length_scale = rng.uniform(0.88f, 1.12f);
    const float nominal[4] = {0.80f, 0.90f, 0.84f, 0.66f};
    for (int f = 0; f < 4; ++f) lengths_[f] = nominal[f] * length_scale * rng.uniform(0.94f, 1.06f);
    thumb_length_ = 0.72f * length_scale * rng.uniform(0.92f, 1.08f);
  }

  float half_height() const { return half_height_; }

  void arm(float radius = 0.36f) {
    add(kArm, Shape::capsule({0, 0.3f}, {0, 7.0f}, radius), 1.0f, 0, true);
  }
  void palm() {
    add(kPalm, Shape::box({0, 0}, {0.5f * width_scale_, half_height_}, 0.22f, 0), 1.0f);
  }
  // `angle` in degrees clockwise from straight up, i.e. positive leans towards the pinky.
  void extended(Finger f, float angle) {
    const float length = lengths_[f];
    const Vec2 base = finger_base(f);
    const Vec2 tip = base + direction_from_up(angle + rng_.symmetric(4.0f)) * length;
    add(kExtended, Shape::capsule(base, tip, radius(f)), 1.0f, 0.22f / length);
  }
  // A finger bent into the palm: from the front only a rounded knuckle shows.
  void curled(Finger f) {
    const Vec2 base = finger_base(f);
    add(kCurled, Shape::capsule(base + Vec2{0, -0.18f}, base + Vec2{0, 0.1f}, radius(f) * 1.05f), 0.9f);
  }
  // Two joints, the second bent by `bend` degrees: a relaxed, half-closed finger.
  void bent(Finger f, float angle, float bend) {
    const float length = lengths_[f];
    const Vec2 base = finger_base(f);
    const Vec2 joint = base + direction_from_up(angle) * (0.55f * length);
    const Vec2 tip = joint + direction_from_up(angle + bend) * (0.32f * length);
    add(kExtended, Shape::capsule(base, joint, radius(f)), 0.97f, 0.3f);
    add(kExtended, Shape::capsule(joint, tip, radius(f) * 0.95f), 0.9f, 0.3f);
  }
  // `angle` in degrees from straight up towards the thumb side (-x).
  void thumb_extended(float angle, float length_factor = 1.0f) {
    const Vec2 base{-0.40f * width_scale_, 0.12f};
    const Vec2 tip = base + direction_from_up(-angle - rng_.symmetric(6.0f)) * (thumb_length_ * length_factor);
    add(kBehindPalm, Shape::capsule(base, tip, finger_radius_ * 1.15f), 1.0f);
  }
  // The thumb lying across the palm, as in a fist.
  void thumb_folded() {
    const Vec2 base{-0.46f * width_scale_, 0.25f};
    const Vec2 tip{rng_.uniform(0.02f, 0.18f), -half_height_ + 0.4f + rng_.symmetric(0.05f)};
    add(kFolded, Shape::capsule(base, tip, finger_radius_ * 1.15f), 1.0f, 0.35f);
  }
  void add(int layer, const Shape& shape, float tone, float fade = 0, bool is_arm = false) {
    HandPart part;
    part.shape = shape, part.tone = tone, part.outline_fade_until = fade, part.is_arm = is_arm;
    parts_.push_back({layer, part});
  }

  HandPose finish(float rotation) {
    std::stable_sort(parts_.begin(), parts_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    HandPose pose;
    pose.rotation = rotation;
    for (const auto& p : parts_) pose.parts.push_back(p.second);
    return pose;
  }

  float finger_radius() const { return finger_radius_; }

 private:
  Vec2 finger_base(Finger f) const {
    const float x[4] = {-0.375f, -0.125f, 0.125f, 0.375f};
    return {x[f] * width_scale_, -half_height_ + 0.12f};
  }
  float radius(Finger f) const { return f == kPinky ? finger_radius_ * 0.9f : finger_radius_; }

  Rng& rng_;
  float width_scale_, half_height_, finger_radius_, thumb_length_;
  float lengths_[4];
  std::vector<std::pair<int, HandPart>> parts_;
};

// Marks a curled finger (or folded thumb) in an angle list. A sentinel rather
// than NaN, which -ffast-math would let the compiler assume away.
constexpr float kCurl = 1000.0f;
bool is_curled(float angle) { return angle >= kCurl; }

// A standard front-view hand: each finger is extended at the given angle
// (degrees towards the pinky) or curled when the angle is kCurl.
HandPose front_hand(Rng& rng, const float (&angles)[4], float thumb_angle, float rotation) {
  PoseBuilder b(rng);
  b.arm();
  b.palm();
  for (int f = 0; f < 4; ++f) {
    if (is_curled(angles[f])) {
      b.curled(static_cast<Finger>(f));
    } else {
      b.extended(static_cast<Finger>(f), angles[f]);
    }
  }
  if (is_curled(thumb_angle)) {
    b.thumb_folded();
  } else {
    b.thumb_extended(thumb_angle);
  }
  return b.finish(rotation);
}

// Thumbs up, seen from the side: a narrow fist with the four curled fingers
// as stacked horizontal bars, and the thumb on top.
HandPose thumb_up(Rng& rng, float rotation) {
  PoseBuilder b(rng);
  const float r = b.finger_radius() * 0.95f;
  b.add(kArm, Shape::capsule({0.05f, 0.3f}, {0.05f, 7.0f}, 0.33f), 1.0f, 0, true);
  b.add(kPalm, Shape::box({0.05f, 0.0f}, {0.36f, 0.47f}, 0.2f, 0), 1.0f);
  for (int i = 0; i < 4; ++i) {
    const float y = -0.35f + i * 0.235f;
    b.add(kCurled, Shape::capsule({-0.02f, y}, {0.42f + rng.symmetric(0.04f), y}, r), 0.9f);
  }
  const Vec2 base{-0.2f, -0.1f};
  const Vec2 direction = direction_from_up(rng.symmetric(10.0f));
  const Vec2 tip = base + direction * rng.uniform(0.85f, 1.05f);
  b.add(kExtended, Shape::capsule(base, tip, b.finger_radius() * 1.2f), 1.0f, 0.3f);
  return b.finish(rotation);
}

// OK sign: thumb and index tips touch in a ring; the other three fingers up.
HandPose ok_sign(Rng& rng) {
  PoseBuilder b(rng);
  b.arm();
  b.palm();
  b.extended(kMiddle, 2.0f);
  b.extended(kRing, 9.0f);
  b.extended(kPinky, 17.0f);
  const float r = b.finger_radius();
  // The hole must stay open at 64 px, so the ring is a little larger than life.
  const float ring_radius = rng.uniform(0.25f, 0.3f);
  const Vec2 centre{-0.6f + rng.symmetric(0.04f), -b.half_height() - 0.24f + rng.symmetric(0.04f)};
  const Vec2 index_end = centre + Vec2{0.7f, -0.55f} * ring_radius;
  const Vec2 thumb_end = centre + Vec2{-0.55f, 0.7f} * ring_radius;
  b.add(kExtended, Shape::capsule({-0.36f, -b.half_height() + 0.1f}, index_end, r), 1.0f, 0.3f);
  b.add(kBehindPalm, Shape::capsule({-0.40f, 0.1f}, thumb_end, r * 1.1f), 1.0f);
  b.add(kExtended, Shape::ring(centre, ring_radius, r * 0.75f), 1.0f);
  return b.finish(0);
}

// Not a gesture: a relaxed hand with half-bent fingers (upright or hanging
// down), or a narrow side view with the fingers together and bent.
HandPose no_gesture(Rng& rng) {
  PoseBuilder b(rng);
  const float rotation = rng.chance(0.4f) ? 180.0f : 0.0f;
  if (rng.chance(0.65f)) {
    b.arm();
    b.palm();
    const float side = rng.chance(0.5f) ? 1.0f : -1.0f;
    const float bend = rng.uniform(45.0f, 110.0f) * side;
    const float spread = rng.uniform(0.0f, 6.0f);
    for (int f = 0; f < 4; ++f) {
      const float angle = (f - 1.5f) * spread + rng.symmetric(5.0f);
      b.bent(static_cast<Finger>(f), angle, bend + rng.symmetric(15.0f));
    }
    b.thumb_extended(rng.uniform(15.0f, 40.0f), 0.7f);
  } else {
    b.arm(0.3f);
    const float h = b.half_height();
    b.add(kPalm, Shape::box({0, 0}, {0.24f, h}, 0.18f, 0), 1.0f);
    const Vec2 base{0.0f, -h + 0.1f};
    // Fingers bent forward into a hook, so the silhouette never reads as one raised finger.
    const Vec2 knuckle_direction = direction_from_up(rng.uniform(30.0f, 60.0f));
    const Vec2 joint = base + knuckle_direction * rng.uniform(0.35f, 0.5f);
    const Vec2 tip_direction = direction_from_up(rng.uniform(110.0f, 150.0f));
    const Vec2 tip = joint + tip_direction * rng.uniform(0.3f, 0.4f);
    b.add(kExtended, Shape::capsule(base, joint, 0.22f), 0.97f, 0.3f);
    b.add(kExtended, Shape::capsule(joint, tip, 0.19f), 0.9f, 0.3f);
    b.add(kBehindPalm, Shape::capsule({-0.1f, 0.15f}, {-0.3f, -0.2f}, 0.14f), 1.0f);
  }
  HandPose pose = b.finish(rotation);
  pose.low_in_frame = true;
  return pose;
}

}  // namespace

HandPose make_pose(Gesture gesture, Rng& rng) {
  // Finger angles in degrees (index, middle, ring, pinky); kCurl = curled.
  switch (gesture) {
    case Gesture::kCall: return front_hand(rng, {kCurl, kCurl, kCurl, 38}, 75, 0);
    case Gesture::kDislike: return thumb_up(rng, 180);
    case Gesture::kFist: return front_hand(rng, {kCurl, kCurl, kCurl, kCurl}, kCurl, 0);
    case Gesture::kFour: return front_hand(rng, {-9, -3, 3, 10}, kCurl, 0);
    case Gesture::kLike: return thumb_up(rng, 0);
    case Gesture::kMute: return front_hand(rng, {-90, kCurl, kCurl, kCurl}, kCurl, 0);
    case Gesture::kNoGesture: return no_gesture(rng);
    case Gesture::kOk: return ok_sign(rng);
    case Gesture::kOne: return front_hand(rng, {0, kCurl, kCurl, kCurl}, kCurl, 0);
    case Gesture::kPalm: return front_hand(rng, {-24, -8, 8, 24}, 58, 0);
    case Gesture::kPeace: return front_hand(rng, {-16, 16, kCurl, kCurl}, kCurl, 0);
    case Gesture::kPeaceInverted: return front_hand(rng, {-16, 16, kCurl, kCurl}, kCurl, 180);
    case Gesture::kRock: return front_hand(rng, {-6, kCurl, kCurl, 14}, kCurl, 0);
    case Gesture::kStop: return front_hand(rng, {-2, -0.7f, 0.7f, 2}, 18, 0);
    case Gesture::kStopInverted: return front_hand(rng, {-2, -0.7f, 0.7f, 2}, 18, 180);
    case Gesture::kThree: return front_hand(rng, {-11, 0, 11, kCurl}, kCurl, 0);
    case Gesture::kThree2: return front_hand(rng, {-9, 7, kCurl, kCurl}, 52, 0);
    case Gesture::kTwoUp: return front_hand(rng, {-1.5f, 1.5f, kCurl, kCurl}, kCurl, 0);
    case Gesture::kTwoUpInverted: return front_hand(rng, {-1.5f, 1.5f, kCurl, kCurl}, kCurl, 180);
  }
  return front_hand(rng, {kCurl, kCurl, kCurl, kCurl}, kCurl, 0);
}

void draw_hand(Canvas& canvas, const HandPose& pose, const HandPlacement& placement, const HandLook& look) {
  const float radians = placement.rotation * 3.14159265f / 180.0f;
  const float cos_r = std::cos(radians), sin_r = std::sin(radians);
  const float scale = placement.palm_width;
  const float flip = placement.mirrored ? -1.0f : 1.0f;
  auto to_canvas = [&](Vec2 p) {
    const Vec2 m{p.x * flip * scale, p.y * scale};
    return placement.centre + Vec2{m.x * cos_r - m.y * sin_r, m.x * sin_r + m.y * cos_r};
  };

  Paint paint;
  paint.outline_width = std::max(1.0f, 0.035f * scale);
  paint.rim_darken = 0.35f;
  paint.light_origin = placement.centre;
  paint.light_gradient = look.light_direction * (0.22f / scale);

  for (const HandPart& part : pose.parts) {
    Shape s = part.shape;
    s.a = to_canvas(s.a), s.b = to_canvas(s.b), s.c = to_canvas(s.c);
    s.radius *= scale, s.thickness *= scale, s.half = s.half * scale;
    s.angle = placement.rotation + flip * s.angle;
    paint.fill = look.skin * part.tone;
    paint.outline = look.skin * 0.55f;
    paint.outline_fade_until = part.outline_fade_until;
    // Rim shading covers the outer 15% of a palm, or a finger's whole radius.
    const float rim = 0.15f * scale;
    paint.rim_width = std::max(1.0f, s.kind == Shape::Kind::kCapsule ? std::min(rim, s.radius) : rim);
    canvas.draw(s, paint);
    if (part.is_arm && look.sleeve_from >= 0) {
      Paint cloth = paint;
      cloth.fill = look.sleeve;
      cloth.outline = look.sleeve * 0.6f;
      cloth.outline_fade_until = 0;
      cloth.rim_width = s.radius * 1.3f;
      const Vec2 start = s.a + (s.b - s.a) * look.sleeve_from;
      canvas.draw(Shape::capsule(start, s.b, s.radius * 1.3f), cloth);
    }
  }
}

}  // namespace trainbench::data::synth
