// Stand-in for libFuzzer when clang++ is not available: runs the fuzz target
// once on every corpus file named on the command line, directly, in a
// directory, or in a libFuzzer "-seed_inputs=a,b,..." option. Other
// "-flags" are libFuzzer options and are ignored.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

namespace fs = std::filesystem;

bool run_file(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A heap copy of exactly the input size, so ASan/valgrind see overreads.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  return true;
}

bool run_path(const fs::path &path, size_t &count) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto &e : fs::directory_iterator(path)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto &f : files) {
      if (!run_file(f)) return false;
      ++count;
    }
    return true;
  }
  if (!run_file(path)) return false;
  ++count;
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  size_t count = 0;
  constexpr std::string_view kSeeds = "-seed_inputs=";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with(kSeeds)) {
      std::string_view list = arg.substr(kSeeds.size());
      while (!list.empty()) {
        size_t comma = list.find(',');
        if (!run_path(fs::path(list.substr(0, comma)), count)) return 1;
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
    } else if (!arg.starts_with("-")) {
      if (!run_path(fs::path(arg), count)) return 1;
    }
  }
  // An empty input is always worth a run, and catches an empty corpus.
  LLVMFuzzerTestOneInput(nullptr, 0);
  std::printf("replayed %zu inputs\n", count);
  return count > 0 ? 0 : 1;
}
