#include "security/mechanism_hint.h"

#include <gtest/gtest.h>

namespace vncgate {
namespace {

TEST(MechanismHint, NoHintKeepsTheList) {
  EXPECT_EQ(narrow_mechlist("GSSAPI,DIGEST-MD5", AuthHint::None), "GSSAPI,DIGEST-MD5");
  EXPECT_EQ(narrow_mechlist("", AuthHint::None), "");
}

TEST(MechanismHint, KerberosKeepsTheGssMechanismsInOrder) {
  EXPECT_EQ(narrow_mechlist("SCRAM-SHA-256,GS2-KRB5,DIGEST-MD5,GSSAPI", AuthHint::Kerberos),
            "GS2-KRB5,GSSAPI");
  EXPECT_EQ(narrow_mechlist("GSS-SPNEGO,PLAIN,GS2-KRB5-PLUS", AuthHint::Kerberos),
            "GSS-SPNEGO,GS2-KRB5-PLUS");
}

TEST(MechanismHint, PasswordKeepsEverythingElse) {
  EXPECT_EQ(narrow_mechlist("GSSAPI,DIGEST-MD5,SCRAM-SHA-256,GS2-KRB5", AuthHint::Password),
            "DIGEST-MD5,SCRAM-SHA-256");
  EXPECT_EQ(narrow_mechlist("PLAIN,LOGIN", AuthHint::Password), "PLAIN,LOGIN");
}

TEST(MechanismHint, NeverAddsAMechanism) {
  EXPECT_EQ(narrow_mechlist("DIGEST-MD5", AuthHint::Kerberos), "");
  EXPECT_EQ(narrow_mechlist("GSSAPI", AuthHint::Password), "");
  EXPECT_EQ(narrow_mechlist("", AuthHint::Kerberos), "");
}

TEST(MechanismHint, EmptyItemsAndCaseAreHandled) {
  EXPECT_EQ(narrow_mechlist(",gssapi,,DIGEST-MD5,", AuthHint::Kerberos), "gssapi");
  EXPECT_EQ(narrow_mechlist(",gssapi,,DIGEST-MD5,", AuthHint::Password), "DIGEST-MD5");
  EXPECT_TRUE(is_kerberos_mechanism("GSSAPI"));
  EXPECT_TRUE(is_kerberos_mechanism("gs2-krb5"));
  EXPECT_FALSE(is_kerberos_mechanism("GSSAPIX"));
  EXPECT_FALSE(is_kerberos_mechanism("GS2-IAKERB"));
  EXPECT_FALSE(is_kerberos_mechanism(""));
}

TEST(MechanismHint, ApplyNarrowsInPlace) {
  std::string list = "GSSAPI,DIGEST-MD5";
  std::string error;
  EXPECT_TRUE(apply_mechanism_hint(list, AuthHint::Password, error));
  EXPECT_EQ(list, "DIGEST-MD5");
  EXPECT_TRUE(error.empty());
}

TEST(MechanismHint, ApplyNamesTheHintWhenNothingIsLeft) {
  std::string list = "DIGEST-MD5,SCRAM-SHA-1";
  std::string error;
  EXPECT_FALSE(apply_mechanism_hint(list, AuthHint::Kerberos, error));
  EXPECT_EQ(list, "DIGEST-MD5,SCRAM-SHA-1");
  EXPECT_EQ(error,
            "no SASL mechanism is left for the client's Vncgate-Auth: kerberos (policy allows "
            "DIGEST-MD5,SCRAM-SHA-1)");
}

}  // namespace
}  // namespace vncgate
