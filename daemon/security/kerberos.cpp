#include "security/kerberos.h"

#include <glib.h>
#include <unistd.h>

#ifdef HAVE_KRB5
#include <krb5.h>
#endif

namespace vncgate {

void kerberos_apply(const KerberosSettings &s) {
  if (!s.keytab.empty()) g_setenv("KRB5_KTNAME", ("FILE:" + s.keytab).c_str(), FALSE);
  if (!s.replay_cache.empty()) g_setenv("KRB5RCACHENAME", s.replay_cache.c_str(), TRUE);
}

std::string kerberos_check_keytab(const KerberosSettings &s) {
  if (s.keytab.empty()) return {};
  if (access(s.keytab.c_str(), R_OK) != 0)
    return "keytab " + s.keytab + " is not readable: GSSAPI logins will fail";
#ifdef HAVE_KRB5
  krb5_context ctx = nullptr;
  if (krb5_init_context(&ctx) != 0) return {};
  std::string warning;
  krb5_keytab kt = nullptr;
  std::string name = "FILE:" + s.keytab;
  bool found = false;
  int entries = 0;
  if (krb5_kt_resolve(ctx, name.c_str(), &kt) == 0) {
    krb5_kt_cursor cursor;
    if (krb5_kt_start_seq_get(ctx, kt, &cursor) == 0) {
      krb5_keytab_entry entry;
      while (krb5_kt_next_entry(ctx, kt, &entry, &cursor) == 0) {
        ++entries;
        char *princ = nullptr;
        if (krb5_unparse_name(ctx, entry.principal, &princ) == 0) {
          if (g_str_has_prefix(princ, (s.service + "/").c_str())) found = true;
          krb5_free_unparsed_name(ctx, princ);
        }
        krb5_free_keytab_entry_contents(ctx, &entry);
      }
      krb5_kt_end_seq_get(ctx, kt, &cursor);
    }
    krb5_kt_close(ctx, kt);
  }
  if (!found) {
    warning = "keytab " + s.keytab + " holds no key for " + s.service + "/<host>@REALM (" +
              std::to_string(entries) +
              " entries): GSSAPI logins will fail; add one with kadmin "
              "ktadd or msktutil";
  }
  krb5_free_context(ctx);
  return warning;
#else
  return {};
#endif
}

std::string kerberos_check_realm(const std::string &sasl_realm) {
#ifdef HAVE_KRB5
  if (sasl_realm.empty()) return {};
  krb5_context ctx = nullptr;
  if (krb5_init_context(&ctx) != 0) return {};
  char *def = nullptr;
  std::string warning;
  if (krb5_get_default_realm(ctx, &def) == 0 && def) {
    if (sasl_realm != def) {
      warning = std::string("[sasl] realm=") + sasl_realm +
                " differs from the Kerberos default realm " + def + ": GSSAPI users of " + def +
                " will appear as user@" + sasl_realm +
                ", the same names as password users of that realm; set realm=" + def +
                " or keep the two user sets apart";
    }
    krb5_free_default_realm(ctx, def);
  }
  krb5_free_context(ctx);
  return warning;
#else
  (void)sasl_realm;
  return {};
#endif
}

}  // namespace vncgate
