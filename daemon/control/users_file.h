// The control API's users file: "name:$6$salt$hash" per line (crypt(3),
// any scheme libcrypt knows; "*" locks an account). Read on every check,
// so edits apply at once; written whole and renamed (vncgatectl passwd).
#pragma once

#include <string>

namespace vncgate {

bool users_file_check(const std::string &path, const std::string &user,
                      const std::string &password);
bool users_file_set(const std::string &path, const std::string &user, const std::string &password,
                    std::string &error);

}  // namespace vncgate
