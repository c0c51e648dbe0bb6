#pragma once
// Drawing primitives for the synthetic data set: a seeded random number
// generator whose output is the same on every platform, and a floating-point
// RGB canvas that paints anti-aliased signed-distance shapes. Nothing here
// knows about hands; see synth_hand.h for that.
#include <cstdint>
#include <vector>

#include "core/random.h"
#include "data/image.h"

namespace trainbench::data::synth {

// The drawing-friendly face of core::Rng (xoshiro256**). We do not use
// <random>'s distributions because their output is implementation-defined,
// and the synthetic files must be byte-identical wherever they are generated.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : generator_(seed) {}
  std::uint64_t next() { return generator_.next_u64(); }
  float uniform();                   // [0, 1)
  float uniform(float lo, float hi);  // [lo, hi)
  int uniform_int(int lo, int hi);    // [lo, hi], both ends included
  bool chance(float probability);
  float symmetric(float magnitude) { return uniform(-magnitude, magnitude); }

 private:
  core::Rng generator_;
};

struct Vec2 {
  float x = 0, y = 0;
};
inline Vec2 operator+(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
inline Vec2 operator-(Vec2 a, Vec2 b) { return {a.x - b.x, a.y - b.y}; }
inline Vec2 operator*(Vec2 a, float s) { return {a.x * s, a.y * s}; }
float length(Vec2 v);
float dot(Vec2 a, Vec2 b);
// Unit vector at `degrees` clockwise from straight up (image y grows downwards).
Vec2 direction_from_up(float degrees);

// Linear RGB-ish colour in 0..255 units (we never gamma-correct: the goal is
// plausible pictures, not photometry).
struct Color {
  float r = 0, g = 0, b = 0;
};
inline Color operator*(Color c, float s) { return {c.r * s, c.g * s, c.b * s}; }
Color mix(Color a, Color b, float t);
// A colour from hue (0..360), saturation and value (0..1).
Color from_hsv(float hue, float saturation, float value);

// A shape described by its signed distance in pixels (negative inside).
struct Shape {
  enum class Kind { kCapsule, kBox, kEllipse, kRing, kTriangle };
  Kind kind = Kind::kCapsule;
  Vec2 a, b, c;      // capsule: segment a-b; box/ellipse/ring: centre a; triangle: a, b, c
  float radius = 0;  // capsule/ring: radius; box: corner radius
  Vec2 half;         // box/ellipse: half extents before rotation
  float thickness = 0;  // ring: half thickness of the band
  float angle = 0;      // box/ellipse: rotation in degrees, clockwise

  static Shape capsule(Vec2 a, Vec2 b, float radius);
  static Shape circle(Vec2 centre, float radius) { return capsule(centre, centre, radius); }
  static Shape box(Vec2 centre, Vec2 half, float corner_radius, float angle_degrees);
  static Shape ellipse(Vec2 centre, Vec2 half, float angle_degrees);
  static Shape ring(Vec2 centre, float radius, float half_thickness);
  static Shape triangle(Vec2 a, Vec2 b, Vec2 c);

  // Signed distance at p; for a capsule, *along (if given) receives where p
  // projects on the segment, 0 at a and 1 at b.
  float distance(Vec2 p, float* along = nullptr) const;
  // Axis-aligned bounds {min, max} of the shape (slightly generous).
  void bounds(Vec2* min, Vec2* max) const;
};

// How a shape is painted. Shading fakes a rounded, lit surface cheaply: the
// fill darkens towards the edge (rim) and brightens along a light direction.
struct Paint {
  Color fill;
  float alpha = 1.0f;
  Color outline;
  float outline_width = 0;       // pixels, drawn just inside the edge
  float outline_fade_until = 0;  // capsules: no outline near end a, full from this fraction on
  float rim_darken = 0;          // 0..1: how much darker the very edge is
  float rim_width = 1;           // pixels over which the rim darkening fades out
  Vec2 light_origin;             // brightness is 1 at this point ...
  Vec2 light_gradient;           // ... and changes by this much per pixel
};

// A float RGB image that shapes are painted onto, converted to 8-bit at the end.
class Canvas {
 public:
  Canvas(int width, int height);
  int width() const { return width_; }
  int height() const { return height_; }

  // Fills everything with a gradient from `from` at `start` to `to` at `end`.
  void fill_linear(Color from, Color to, Vec2 start, Vec2 end);
  // Fills everything with `inner` at `centre` fading to `outer` at `radius`.
  void fill_radial(Color inner, Color outer, Vec2 centre, float radius);
  void draw(const Shape& shape, const Paint& paint);
  // Multiplies every pixel by a brightness that varies linearly across the
  // image (uneven lighting) and by a colour cast.
  void relight(Vec2 origin, Vec2 gradient, Color cast);
  // Adds sensor-like noise (triangular distribution, about `sigma` levels)
  // and rounds to 8 bits.
  Image to_image(Rng& rng, float sigma) const;

 private:
  float* at(int x, int y) { return &pixels_[(static_cast<std::size_t>(y) * width_ + x) * 3]; }
  int width_;
  int height_;
  std::vector<float> pixels_;
};

}  // namespace trainbench::data::synth
