#include "ca_store.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <gnutls/x509.h>
#ifndef _WIN32
#include <pwd.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <fstream>
#include <sstream>

namespace vncgate::viewer {

namespace {

bool read_small_file(const std::string &path, std::string &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": " + _("cannot read the file");
    return false;
  }
  out.resize(kMaxCaFileSize + 1);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  if (out.size() > kMaxCaFileSize) {
    error = path + ": " + _("the file is larger than 1 MiB");
    return false;
  }
  return true;
}

bool parse_pem(const std::string &text, std::vector<CertInfo> &certs, std::string &error) {
  gnutls_datum_t data{reinterpret_cast<unsigned char *>(const_cast<char *>(text.data())),
                      static_cast<unsigned>(text.size())};
  gnutls_x509_crt_t *list = nullptr;
  unsigned n = 0;
  int rc = gnutls_x509_crt_list_import2(&list, &n, &data, GNUTLS_X509_FMT_PEM, 0);
  if (rc < 0 || n == 0) {
    error = std::string(_("no PEM certificate found")) +
            (rc < 0 ? std::string(": ") + gnutls_strerror(rc) : "");
    return false;
  }
  for (unsigned i = 0; i < n; ++i) {
    CertInfo info;
    gnutls_datum_t dn{};
    if (gnutls_x509_crt_get_dn3(list[i], &dn, 0) == 0) {
      info.subject.assign(reinterpret_cast<char *>(dn.data), dn.size);
      gnutls_free(dn.data);
    }
    unsigned char fp[32];
    size_t fp_size = sizeof fp;
    if (gnutls_x509_crt_get_fingerprint(list[i], GNUTLS_DIG_SHA256, fp, &fp_size) == 0) {
      for (size_t j = 0; j < fp_size; ++j) {
        char hex[4];
        snprintf(hex, sizeof hex, j ? ":%02X" : "%02X", fp[j]);
        info.fingerprint += hex;
      }
    }
    unsigned critical = 0;
    info.is_ca = gnutls_x509_crt_get_basic_constraints(list[i], &critical, nullptr, nullptr) > 0;
    gnutls_datum_t pem{};
    if (gnutls_x509_crt_export2(list[i], GNUTLS_X509_FMT_PEM, &pem) == 0) {
      info.pem.assign(reinterpret_cast<char *>(pem.data), pem.size);
      gnutls_free(pem.data);
    }
    certs.push_back(std::move(info));
    gnutls_x509_crt_deinit(list[i]);
  }
  gnutls_free(list);
  return true;
}

bool contains(const std::vector<CertInfo> &haystack, const CertInfo &c) {
  return std::any_of(haystack.begin(), haystack.end(),
                     [&](const CertInfo &h) { return h.fingerprint == c.fingerprint; });
}

}  // namespace

bool read_certificates(const std::string &path, std::vector<CertInfo> &certs, std::string &error) {
  std::string text;
  if (!read_small_file(path, text, error)) return false;
  if (!parse_pem(text, certs, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

std::string system_ca_path() {
  return "/etc/pki/CA/cacert.pem";
}

std::string user_ca_path() {
#ifdef _WIN32
  std::string home = g_get_home_dir();  // %USERPROFILE%
#else
  const struct passwd *pw = getpwuid(getuid());
  std::string home = pw && pw->pw_dir ? pw->pw_dir : g_get_home_dir();
#endif
  return home + "/.pki/CA/cacert.pem";
}

bool ca_is_installed(const std::string &path, std::string &where, std::string &error) {
  std::vector<CertInfo> wanted;
  if (!read_certificates(path, wanted, error)) return false;
  for (const std::string &store : {user_ca_path(), system_ca_path()}) {
    std::vector<CertInfo> have;
    std::string ignored;
    if (!g_file_test(store.c_str(), G_FILE_TEST_EXISTS) || !read_certificates(store, have, ignored))
      continue;
    if (std::all_of(wanted.begin(), wanted.end(),
                    [&](const CertInfo &c) { return contains(have, c); })) {
      where = store;
      return true;
    }
  }
  return false;
}

bool install_ca_file(const std::string &path, const std::string &dest, int &added,
                     std::string &error) {
  added = 0;
  std::vector<CertInfo> wanted;
  if (!read_certificates(path, wanted, error)) return false;
  std::string existing;
  std::vector<CertInfo> have;
  if (g_file_test(dest.c_str(), G_FILE_TEST_EXISTS)) {
    if (!read_small_file(dest, existing, error)) return false;
    std::string ignored;
    parse_pem(existing, have, ignored);
  }
  std::string text = existing;
  if (!text.empty() && text.back() != '\n') text += '\n';
  for (const auto &c : wanted) {
    if (contains(have, c)) continue;
    text += c.pem;
    have.push_back(c);
    ++added;
  }
  if (added == 0) return true;
  gchar *dir = g_path_get_dirname(dest.c_str());
  const int mk = g_mkdir_with_parents(dir, 0755);
  g_free(dir);
  if (mk != 0) {
    error = dest + ": " + _("cannot create the directory");
    return false;
  }
  GError *err = nullptr;
  if (!g_file_set_contents_full(dest.c_str(), text.data(), static_cast<gssize>(text.size()),
                                G_FILE_SET_CONTENTS_CONSISTENT, 0644, &err)) {
    error = err->message;
    g_error_free(err);
    return false;
  }
  return true;
}

}  // namespace vncgate::viewer
