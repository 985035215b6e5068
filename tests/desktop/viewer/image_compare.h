// PNG comparisons for screenshots: RGB pixels only (alpha ignored).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vncgate::desktop {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<unsigned char> rgb;  // width * height * 3
  unsigned rgb_at(int x, int y) const;
};

std::optional<Image> load_png(const std::string &path, std::string &error);

// A rectangle of pixels left out of comparisons.
struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
  bool contains(int px, int py) const { return px >= x && px < x + w && py >= y && py < y + h; }
};

// Pixels that differ between two images of the same size (-1 when the
// sizes differ), pixels inside `ignore` left out.
long count_differences(const Image &a, const Image &b, Rect ignore = {});

// "N pixels differ, first at (x,y): 0xRRGGBB vs 0xRRGGBB" (for messages).
std::string describe_differences(const Image &a, const Image &b, Rect ignore = {});

// Where `needle` appears exactly inside `haystack` (top-left), if anywhere.
// (`ignore` is in the needle's coordinates.)
std::optional<std::pair<int, int>> find_subimage(const Image &haystack, const Image &needle,
                                                 Rect ignore = {});

// Number of distinct colours (capped at `cap`).
int distinct_colours(const Image &image, int cap = 64);

}  // namespace vncgate::desktop
