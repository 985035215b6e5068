#include "private_home.h"

#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "temp_dir.h"

namespace vncgate::it::tls {

namespace {

bool g_active = false;
std::string g_home;

bool is_directory(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void require_active() {
  if (!g_active)
    throw std::logic_error("gtk-vnc PKI files may only be written inside the private home");
}

std::string pki_dir() {
  return g_home + "/.pki";
}

void copy_file(const std::string &from, const std::string &to) {
  std::filesystem::create_directories(std::filesystem::path(to).parent_path());
  std::string text = read_file(from);
  if (text.empty()) throw std::runtime_error("cannot read " + from);
  write_file(to, text);
}

}  // namespace

bool enter_private_home(std::string &error) {
  const passwd *pw = getpwuid(getuid());
  if (!pw || !pw->pw_dir || !*pw->pw_dir) {
    error = "no passwd entry (home directory) for this user";
    return false;
  }
  g_home = pw->pw_dir;
  if (!is_directory(g_home)) {
    error = "home directory " + g_home + " does not exist";
    return false;
  }
  if (unshare(CLONE_NEWNS) != 0) {
    error = std::string("unshare(CLONE_NEWNS): ") + strerror(errno);
    return false;
  }
  // Without this, a mount below could propagate to the host namespace
  // (systemd makes / a shared mount).
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    error = std::string("making / private: ") + strerror(errno);
    return false;
  }
  auto empty_tmpfs = [&](const std::string &where) {
    if (mount("vncgate-tls-test", where.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
              "mode=0700,size=16m") != 0) {
      error = "mounting a tmpfs over " + where + ": " + strerror(errno);
      return false;
    }
    return true;
  };
  if (!empty_tmpfs(g_home)) return false;
  // gtk-vnc looks in /etc/pki first; hide a system-wide CA if there is one.
  if (is_directory("/etc/pki") && !empty_tmpfs("/etc/pki")) return false;
  g_active = true;
  return true;
}

bool private_home_active() {
  return g_active;
}

const std::string &private_home() {
  return g_home;
}

void install_gvnc_ca(const std::string &ca_pem) {
  require_active();
  copy_file(ca_pem, pki_dir() + "/CA/cacert.pem");
}

void install_gvnc_client_cert(const std::string &name, const std::string &cert_pem,
                              const std::string &key_pem) {
  require_active();
  copy_file(cert_pem, pki_dir() + "/" + name + "/clientcert.pem");
  copy_file(key_pem, pki_dir() + "/" + name + "/private/clientkey.pem");
}

void clear_gvnc_pki() {
  if (!g_active) return;
  std::error_code ec;
  std::filesystem::remove_all(pki_dir(), ec);
}

}  // namespace vncgate::it::tls
