#pragma once
// A procedurally drawn hand: which fingers are extended, curled or folded,
// and at what angles, for each HaGRID gesture. The pose is built in "hand
// units" (palm width 1, palm centre at the origin, fingers pointing up, the
// thumb on the -x side) and then placed on a canvas by a similarity transform.
#include <vector>

#include "data/synth_canvas.h"

namespace trainbench::data::synth {

// In the order of hagrid_class_names(), so a class index casts to a Gesture.
enum class Gesture {
  kCall, kDislike, kFist, kFour, kLike, kMute, kNoGesture, kOk, kOne, kPalm, kPeace, kPeaceInverted,
  kRock, kStop, kStopInverted, kThree, kThree2, kTwoUp, kTwoUpInverted,
};
constexpr int kGestureCount = 19;

// One shape of the hand, in hand units.
struct HandPart {
  Shape shape;
  float tone = 1.0f;              // skin brightness: curled fingers sit in shadow
  float outline_fade_until = 0;   // see Paint: hides the outline where a finger joins the palm
  bool is_arm = false;            // the forearm, which a sleeve may cover
};

struct HandPose {
  std::vector<HandPart> parts;  // in painting order, back to front
  float rotation = 0;           // degrees: 180 for the *_inverted and dislike gestures
  bool low_in_frame = false;    // no_gesture: the hand rests low or at an edge
};

// A pose for the gesture, with its finger lengths, widths and angles jittered.
HandPose make_pose(Gesture gesture, Rng& rng);

// Where and how a pose lands on the canvas.
struct HandPlacement {
  Vec2 centre;           // pixel position of the palm centre
  float palm_width = 0;  // pixels per hand unit
  float rotation = 0;    // degrees clockwise, applied after mirroring
  bool mirrored = false;  // a left hand instead of a right one
};

struct HandLook {
  Color skin;
  Color sleeve;
  float sleeve_from = -1;  // fraction along the arm where a sleeve starts; < 0: bare arm
  Vec2 light_direction;    // unit vector: the side of the hand that is brighter
};

void draw_hand(Canvas& canvas, const HandPose& pose, const HandPlacement& placement, const HandLook& look);

}  // namespace trainbench::data::synth
