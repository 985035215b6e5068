#include "image_compare.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include <cstdio>
#include <cstring>
#include <set>

namespace vncgate::desktop {

unsigned Image::rgb_at(int x, int y) const {
  const size_t i =
      (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 3;
  return (unsigned{rgb[i]} << 16) | (unsigned{rgb[i + 1]} << 8) | rgb[i + 2];
}

std::optional<Image> load_png(const std::string &path, std::string &error) {
  GError *err = nullptr;
  GdkPixbuf *pb = gdk_pixbuf_new_from_file(path.c_str(), &err);
  if (!pb) {
    error = path + ": " + err->message;
    g_error_free(err);
    return std::nullopt;
  }
  Image img;
  img.width = gdk_pixbuf_get_width(pb);
  img.height = gdk_pixbuf_get_height(pb);
  const int channels = gdk_pixbuf_get_n_channels(pb);
  const int stride = gdk_pixbuf_get_rowstride(pb);
  const guchar *px = gdk_pixbuf_read_pixels(pb);
  img.rgb.resize(static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 3);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      std::memcpy(&img.rgb[(static_cast<size_t>(y) * static_cast<size_t>(img.width) +
                            static_cast<size_t>(x)) *
                           3],
                  px + static_cast<ptrdiff_t>(y) * stride + x * channels, 3);
  g_object_unref(pb);
  return img;
}

long count_differences(const Image &a, const Image &b, Rect ignore) {
  if (a.width != b.width || a.height != b.height) return -1;
  long n = 0;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x)
      if (!ignore.contains(x, y) && a.rgb_at(x, y) != b.rgb_at(x, y)) ++n;
  return n;
}

std::string describe_differences(const Image &a, const Image &b, Rect ignore) {
  if (a.width != b.width || a.height != b.height)
    return std::to_string(a.width) + "x" + std::to_string(a.height) + " vs " +
           std::to_string(b.width) + "x" + std::to_string(b.height);
  long n = 0;
  std::string first;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x)
      if (!ignore.contains(x, y) && a.rgb_at(x, y) != b.rgb_at(x, y) && n++ == 0) {
        char buf[96];
        std::snprintf(buf, sizeof buf, ", first at (%d,%d): 0x%06x vs 0x%06x", x, y, a.rgb_at(x, y),
                      b.rgb_at(x, y));
        first = buf;
      }
  return std::to_string(n) + " pixels differ" + first;
}

std::optional<std::pair<int, int>> find_subimage(const Image &hay, const Image &needle,
                                                 Rect ignore) {
  if (needle.width > hay.width || needle.height > hay.height || needle.width == 0)
    return std::nullopt;
  const size_t row = static_cast<size_t>(needle.width) * 3;
  auto at = [](const Image &img, int x, int y) {
    return &img.rgb[(static_cast<size_t>(y) * static_cast<size_t>(img.width) +
                     static_cast<size_t>(x)) *
                    3];
  };
  for (int oy = 0; oy + needle.height <= hay.height; ++oy) {
    for (int ox = 0; ox + needle.width <= hay.width; ++ox) {
      bool match = true;
      for (int y = 0; y < needle.height && match; ++y) {
        if (y >= ignore.y && y < ignore.y + ignore.h) {
          for (int x = 0; x < needle.width && match; ++x)
            match = ignore.contains(x, y) ||
                    std::memcmp(at(hay, ox + x, oy + y), at(needle, x, y), 3) == 0;
        } else {
          match = std::memcmp(at(hay, ox, oy + y), at(needle, 0, y), row) == 0;
        }
      }
      if (match) return std::make_pair(ox, oy);
    }
  }
  return std::nullopt;
}

int distinct_colours(const Image &image, int cap) {
  std::set<unsigned> seen;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      seen.insert(image.rgb_at(x, y));
      if (static_cast<int>(seen.size()) >= cap) return cap;
    }
  return static_cast<int>(seen.size());
}

}  // namespace vncgate::desktop
