// main() of the TLS test executables: enters the private mount namespace
// (see private_home.h) before GoogleTest starts anything.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "private_home.h"

int main(int argc, char **argv) {
  std::string error;
  if (!vncgate::it::tls::enter_private_home(error)) {
    std::fprintf(stderr,
                 "warning: no private home directory (%s); tests that need gtk-vnc's "
                 "~/.pki files are skipped\n",
                 error.c_str());
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
