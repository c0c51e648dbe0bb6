#include "data/synth_exact_float.h"  // first: no FMA contraction in this file
#include "data/synth_canvas.h"

#include <algorithm>
#include <cmath>

namespace trainbench::data::synth {
namespace {

constexpr float kPi = 3.14159265358979f;

float clamp01(float v) { return std::min(1.0f, std::max(0.0f, v)); }

// Rotates v clockwise (on screen, y down) by the angle with this cos/sin.
Vec2 rotate(Vec2 v, float cos_a, float sin_a) { return {v.x * cos_a - v.y * sin_a, v.x * sin_a + v.y * cos_a}; }

// p in the frame of a shape centred at `centre` and rotated by `degrees`.
Vec2 to_local(Vec2 p, Vec2 centre, float degrees) {
  const float r = degrees * kPi / 180.0f;
  return rotate(p - centre, std::cos(r), -std::sin(r));
}

float rounded_box_distance(Vec2 q, Vec2 half, float radius) {
  const float dx = std::fabs(q.x) - half.x + radius;
  const float dy = std::fabs(q.y) - half.y + radius;
  const float outside = length({std::max(dx, 0.0f), std::max(dy, 0.0f)});
  return outside + std::min(std::max(dx, dy), 0.0f) - radius;
}

// Inigo Quilez's ellipse approximation: exact on the boundary, close enough
// near it, which is all anti-aliasing and rim shading need.
float ellipse_distance(Vec2 q, Vec2 half) {
  const float k0 = length({q.x / half.x, q.y / half.y});
  const float k1 = length({q.x / (half.x * half.x), q.y / (half.y * half.y)});
  if (k1 < 1e-6f) return -std::min(half.x, half.y);
  return k0 * (k0 - 1.0f) / k1;
}

// Exact signed distance to a triangle (Inigo Quilez), either winding.
float triangle_distance(Vec2 p, Vec2 a, Vec2 b, Vec2 c) {
  const Vec2 e0 = b - a, e1 = c - b, e2 = a - c;
  const Vec2 v0 = p - a, v1 = p - b, v2 = p - c;
  auto edge = [](Vec2 v, Vec2 e) { return v - e * clamp01(dot(v, e) / dot(e, e)); };
  const Vec2 pq0 = edge(v0, e0), pq1 = edge(v1, e1), pq2 = edge(v2, e2);
  const float s = (e0.x * e2.y - e0.y * e2.x) > 0 ? 1.0f : -1.0f;
  const float d2 = std::min({dot(pq0, pq0), dot(pq1, pq1), dot(pq2, pq2)});
  const float c0 = s * (v0.x * e0.y - v0.y * e0.x);
  const float c1 = s * (v1.x * e1.y - v1.y * e1.x);
  const float c2 = s * (v2.x * e2.y - v2.y * e2.x);
  const float inside_test = std::min({c0, c1, c2});
  return -std::sqrt(d2) * (inside_test > 0 ? 1.0f : -1.0f);
}

}  // namespace

float Rng::uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
float Rng::uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
int Rng::uniform_int(int lo, int hi) {
  const std::uint64_t span = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<int>(((next() >> 32) * span) >> 32);
}
bool Rng::chance(float probability) { return uniform() < probability; }

float length(Vec2 v) { return std::sqrt(v.x * v.x + v.y * v.y); }
float dot(Vec2 a, Vec2 b) { return a.x * b.x + a.y * b.y; }
Vec2 direction_from_up(float degrees) {
  const float r = degrees * kPi / 180.0f;
  return {std::sin(r), -std::cos(r)};
}

Color mix(Color a, Color b, float t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

Color from_hsv(float hue, float saturation, float value) {
  const float h = std::fmod(std::fmod(hue, 360.0f) + 360.0f, 360.0f) / 60.0f;
  const float c = value * saturation;
  const float x = c * (1.0f - std::fabs(std::fmod(h, 2.0f) - 1.0f));
  const float m = value - c;
  float r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
    case 0: r = c, g = x; break;
    case 1: r = x, g = c; break;
    case 2: g = c, b = x; break;
    case 3: g = x, b = c; break;
    case 4: r = x, b = c; break;
    default: r = c, b = x; break;
  }
  return {(r + m) * 255.0f, (g + m) * 255.0f, (b + m) * 255.0f};
}

Shape Shape::capsule(Vec2 a, Vec2 b, float radius) {
  Shape s;
  s.kind = Kind::kCapsule, s.a = a, s.b = b, s.radius = radius;
  return s;
}
Shape Shape::box(Vec2 centre, Vec2 half, float corner_radius, float angle_degrees) {
  Shape s;
  s.kind = Kind::kBox, s.a = centre, s.half = half, s.angle = angle_degrees;
  s.radius = std::min({corner_radius, half.x, half.y});
  return s;
}
Shape Shape::ellipse(Vec2 centre, Vec2 half, float angle_degrees) {
  Shape s;
  s.kind = Kind::kEllipse, s.a = centre, s.half = half, s.angle = angle_degrees;
  return s;
}
Shape Shape::ring(Vec2 centre, float radius, float half_thickness) {
  Shape s;
  s.kind = Kind::kRing, s.a = centre, s.radius = radius, s.thickness = half_thickness;
  return s;
}
Shape Shape::triangle(Vec2 a, Vec2 b, Vec2 c) {
  Shape s;
  s.kind = Kind::kTriangle, s.a = a, s.b = b, s.c = c;
  return s;
}

float Shape::distance(Vec2 p, float* along) const {
  switch (kind) {
    case Kind::kCapsule: {
      const Vec2 pa = p - a, ba = b - a;
      const float len2 = dot(ba, ba);
      const float h = len2 > 0 ? clamp01(dot(pa, ba) / len2) : 0.0f;
      if (along) *along = h;
      return length(pa - ba * h) - radius;
    }
    case Kind::kBox: return rounded_box_distance(to_local(p, a, angle), half, radius);
    case Kind::kEllipse: return ellipse_distance(to_local(p, a, angle), half);
    case Kind::kRing: return std::fabs(length(p - a) - radius) - thickness;
    case Kind::kTriangle: return triangle_distance(p, a, b, c);
  }
  return 1e9f;
}

void Shape::bounds(Vec2* min, Vec2* max) const {
  float reach = 0;
  switch (kind) {
    case Kind::kCapsule:
      *min = {std::min(a.x, b.x) - radius, std::min(a.y, b.y) - radius};
      *max = {std::max(a.x, b.x) + radius, std::max(a.y, b.y) + radius};
      break;
    case Kind::kTriangle:
      *min = {std::min({a.x, b.x, c.x}), std::min({a.y, b.y, c.y})};
      *max = {std::max({a.x, b.x, c.x}), std::max({a.y, b.y, c.y})};
      break;
    case Kind::kBox: reach = length(half); break;
    case Kind::kEllipse: reach = std::max(half.x, half.y); break;
    case Kind::kRing: reach = radius + thickness; break;
  }
  if (reach > 0) *min = {a.x - reach, a.y - reach}, *max = {a.x + reach, a.y + reach};
  *min = *min - Vec2{1.5f, 1.5f};
  *max = *max + Vec2{1.5f, 1.5f};
}

Canvas::Canvas(int width, int height)
    : width_(width), height_(height), pixels_(static_cast<std::size_t>(width) * height * 3, 0.0f) {}

void Canvas::fill_linear(Color from, Color to, Vec2 start, Vec2 end) {
  const Vec2 axis = end - start;
  const float len2 = std::max(dot(axis, axis), 1e-6f);
  for (int y = 0; y < height_; ++y) {
    for (int x = 0; x < width_; ++x) {
      const float t = clamp01(dot(Vec2{x + 0.5f, y + 0.5f} - start, axis) / len2);
      const Color c = mix(from, to, t);
      float* px = at(x, y);
      px[0] = c.r, px[1] = c.g, px[2] = c.b;
    }
  }
}

void Canvas::fill_radial(Color inner, Color outer, Vec2 centre, float radius) {
  for (int y = 0; y < height_; ++y) {
    for (int x = 0; x < width_; ++x) {
      const float t = clamp01(length(Vec2{x + 0.5f, y + 0.5f} - centre) / radius);
      const Color c = mix(inner, outer, t);
      float* px = at(x, y);
      px[0] = c.r, px[1] = c.g, px[2] = c.b;
    }
  }
}

void Canvas::draw(const Shape& shape, const Paint& paint) {
  Vec2 lo, hi;
  shape.bounds(&lo, &hi);
  const int x0 = std::max(0, static_cast<int>(std::floor(lo.x)));
  const int y0 = std::max(0, static_cast<int>(std::floor(lo.y)));
  const int x1 = std::min(width_ - 1, static_cast<int>(std::ceil(hi.x)));
  const int y1 = std::min(height_ - 1, static_cast<int>(std::ceil(hi.y)));
  const bool fade = shape.kind == Shape::Kind::kCapsule && paint.outline_fade_until > 0;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const Vec2 p{x + 0.5f, y + 0.5f};
      float along = 1.0f;
      const float d = shape.distance(p, fade ? &along : nullptr);
      // One pixel of anti-aliasing: coverage goes 1 -> 0 as d goes -0.5 -> 0.5.
      const float coverage = clamp01(0.5f - d) * paint.alpha;
      if (coverage <= 0) continue;
      const float depth = -d;
      const float rim = 1.0f - clamp01(depth / paint.rim_width);
      // Clamped so that a long shape (a forearm) does not fade to black or white.
      const float light = std::min(1.25f, std::max(0.75f, 1.0f + dot(p - paint.light_origin, paint.light_gradient)));
      Color c = paint.fill * (light * (1.0f - paint.rim_darken * rim * rim));
      if (paint.outline_width > 0) {
        float w = clamp01(paint.outline_width + 0.5f - depth);
        if (fade) w *= clamp01(along / paint.outline_fade_until);
        c = mix(c, paint.outline, w);
      }
      float* px = at(x, y);
      px[0] += (c.r - px[0]) * coverage;
      px[1] += (c.g - px[1]) * coverage;
      px[2] += (c.b - px[2]) * coverage;
    }
  }
}

void Canvas::relight(Vec2 origin, Vec2 gradient, Color cast) {
  for (int y = 0; y < height_; ++y) {
    for (int x = 0; x < width_; ++x) {
      const float light = std::max(0.0f, 1.0f + dot(Vec2{x + 0.5f, y + 0.5f} - origin, gradient));
      float* px = at(x, y);
      px[0] *= light * cast.r, px[1] *= light * cast.g, px[2] *= light * cast.b;
    }
  }
}

Image Canvas::to_image(Rng& rng, float sigma) const {
  Image image(width_, height_);
  // A triangular variable on [-1, 1] has standard deviation 1/sqrt(6).
  const float scale = sigma * 2.4494897f / 1023.0f;
  const std::size_t pixel_count = static_cast<std::size_t>(width_) * height_;
  for (std::size_t i = 0; i < pixel_count; ++i) {
    std::uint64_t bits = rng.next();  // six 10-bit uniforms: two per channel
    for (int ch = 0; ch < 3; ++ch) {
      const float u = static_cast<float>(bits & 1023) + static_cast<float>((bits >> 10) & 1023) - 1023.0f;
      bits >>= 20;
      const float v = std::min(255.0f, std::max(0.0f, pixels_[i * 3 + ch] + u * scale));
      image.pixels[i * 3 + ch] = static_cast<std::uint8_t>(v + 0.5f);
    }
  }
  return image;
}

}  // namespace trainbench::data::synth
