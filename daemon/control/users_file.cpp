#include "control/users_file.h"

#include <crypt.h>
#include <glib.h>

#include <cstring>
#include <fstream>

namespace vncgate {
namespace {

bool constant_time_equal(const std::string &a, const std::string &b) {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

}  // namespace

bool users_file_check(const std::string &path, const std::string &user,
                      const std::string &password) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos || line.compare(0, colon, user) != 0 || colon != user.size())
      continue;
    std::string hash = line.substr(colon + 1);
    struct crypt_data data;
    std::memset(&data, 0, sizeof data);
    const char *out = crypt_r(password.c_str(), hash.c_str(), &data);
    return out && out[0] != '*' && constant_time_equal(out, hash);
  }
  return false;
}

bool users_file_set(const std::string &path, const std::string &user, const std::string &password,
                    std::string &error) {
  if (user.empty() || user.find_first_of(":\n\r") != std::string::npos) {
    error = "a user name cannot be empty or contain ':' or line breaks";
    return false;
  }
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$6$", 0, nullptr, 0, salt, sizeof salt)) {
    error = "cannot make a salt";
    return false;
  }
  struct crypt_data data;
  std::memset(&data, 0, sizeof data);
  const char *hash = crypt_r(password.c_str(), salt, &data);
  if (!hash || hash[0] == '*') {
    error = "crypt(3) failed";
    return false;
  }
  std::string out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, user.size() + 1, user + ":") == 0) continue;
    if (!line.empty()) out += line + "\n";
  }
  out += user + ":" + hash + "\n";
  g_autoptr(GError) err = nullptr;
  if (!g_file_set_contents_full(path.c_str(), out.data(), static_cast<gssize>(out.size()),
                                G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err)) {
    error = err->message;
    return false;
  }
  return true;
}

}  // namespace vncgate
