// Containment of a per-login leak in Cyrus SASL 2.1.28's DIGEST-MD5 plugin
// (Debian 12's libsasl2-modules) with OpenSSL 3. Linked into the vncgated
// executable only, which exports these three symbols (daemon/meson.build).
//
// What leaks: for every connection that negotiates a security layer
// (auth-conf; every cipher it can use with OpenSSL 3 is an RC4 variant, see
// below), the plugin's init_rc4() makes a fresh OSSL_LIB_CTX, loads the
// "legacy" and "default" providers into it and takes the cipher with
// EVP_CIPHER_fetch(libctx, "RC4", ""). free_rc4() frees the two
// EVP_CIPHER_CTXs, unloads both providers and frees the library context,
// but never calls EVP_CIPHER_free() on the fetched cipher (the plugin does
// not even import it). The fetched EVP_CIPHER keeps a reference to the
// legacy provider, so the provider with everything it allocated (its child
// library context, algorithm tables, name maps) survives: ~6 KiB of heap,
// ~8 KiB of RSS per login, for the life of the process (valgrind: "definitely
// lost ... CRYPTO_zalloc ... EVP_CIPHER_fetch ... libdigestmd5.so ...
// sasl_server_step").
//
// Why not another way: the library context is the plugin's own, made per
// connection, so loading the legacy provider once into the default context
// (or any context of ours) changes nothing. The other ciphers, "3des" and
// "des", do not work at all with OpenSSL 3 (DES_key_sched() now checks key
// parity, which the plugin's derived keys never have: "failed to init cipher
// '3des'" on both ends), so capping the SSF to steer the choice away from
// RC4 only breaks logins.
//
// How this contains it: the executable's definitions of EVP_CIPHER_fetch,
// EVP_CIPHER_free and OSSL_LIB_CTX_free come first in the global symbol
// scope, so the plugin's references bind to them (libcrypto's own calls do
// too). Each one forwards to libcrypto's and, for calls made from the
// DIGEST-MD5 plugin only:
//   - EVP_CIPHER_fetch notes the cipher with the library context it came from;
//   - EVP_CIPHER_free of a noted cipher forgets it (a fixed plugin frees it
//     itself, and then this file does nothing: no double free);
//   - OSSL_LIB_CTX_free first frees the ciphers still noted for that context.
//     By then the plugin has freed both cipher contexts and unloaded the
//     providers: nothing else uses the cipher, and dropping the last
//     reference tears the legacy provider down as it should.
// Calls from anywhere else pass straight through.
#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

// OpenSSL's opaque types, declared here so that no OpenSSL headers (and no
// libssl-dev) are needed to build.
struct ossl_lib_ctx_st;
struct evp_cipher_st;

namespace {

using FetchFn = evp_cipher_st *(*)(ossl_lib_ctx_st *, const char *, const char *);
using CipherFreeFn = void (*)(evp_cipher_st *);
using CtxFreeFn = void (*)(ossl_lib_ctx_st *);

// libcrypto's definition of `name`. libcrypto is loaded whenever one of
// these is called (the caller links it), so RTLD_NOLOAD finds it.
void *real_symbol(const char *name) {
  void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_NOLOAD);
  if (!lib) return nullptr;
  void *sym = dlvsym(lib, name, "OPENSSL_3.0.0");
  return sym ? sym : dlsym(lib, name);
}

template <typename Fn>
Fn real(const char *name) {
  return reinterpret_cast<Fn>(real_symbol(name));
}

bool called_from_digest_md5(const void *return_address) {
  Dl_info info;
  if (!dladdr(return_address, &info) || !info.dli_fname) return false;
  const char *slash = std::strrchr(info.dli_fname, '/');
  const char *base = slash ? slash + 1 : info.dli_fname;
  return std::strncmp(base, "libdigestmd5.", 13) == 0;
}

// Ciphers the plugin fetched and still holds, by library context. Never
// destroyed: OpenSSL may call in from atexit handlers after static
// destructors ran.
std::mutex g_mutex;
auto *g_noted = new std::unordered_map<ossl_lib_ctx_st *, std::vector<evp_cipher_st *>>();

// Called with g_mutex held.
void forget(evp_cipher_st *cipher) {
  for (auto &entry : *g_noted) {
    auto it = std::find(entry.second.begin(), entry.second.end(), cipher);
    if (it != entry.second.end()) {
      entry.second.erase(it);
      return;
    }
  }
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) evp_cipher_st *EVP_CIPHER_fetch(ossl_lib_ctx_st *ctx,
                                                                       const char *algorithm,
                                                                       const char *properties) {
  static const FetchFn fetch = real<FetchFn>("EVP_CIPHER_fetch");
  if (!fetch) return nullptr;
  evp_cipher_st *cipher = fetch(ctx, algorithm, properties);
  // Only a context of the plugin's own is ever freed by it; the default
  // context (nullptr) never is, so a cipher from it is not noted.
  if (cipher && ctx && called_from_digest_md5(__builtin_return_address(0))) {
    std::lock_guard<std::mutex> lock(g_mutex);
    (*g_noted)[ctx].push_back(cipher);
  }
  return cipher;
}

__attribute__((visibility("default"))) void EVP_CIPHER_free(evp_cipher_st *cipher) {
  static const CipherFreeFn cipher_free = real<CipherFreeFn>("EVP_CIPHER_free");
  if (cipher) {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_noted->empty() && called_from_digest_md5(__builtin_return_address(0))) forget(cipher);
  }
  if (cipher_free) cipher_free(cipher);
}

__attribute__((visibility("default"))) void OSSL_LIB_CTX_free(ossl_lib_ctx_st *ctx) {
  static const CtxFreeFn ctx_free = real<CtxFreeFn>("OSSL_LIB_CTX_free");
  std::vector<evp_cipher_st *> leaked;
  if (ctx) {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_noted->find(ctx);
    if (it != g_noted->end()) {
      leaked = std::move(it->second);
      g_noted->erase(it);
    }
  }
  // Outside the lock: freeing the cipher tears the provider down, which
  // frees the provider's own child context through this function again.
  if (!leaked.empty()) {
    static const CipherFreeFn cipher_free = real<CipherFreeFn>("EVP_CIPHER_free");
    for (evp_cipher_st *cipher : leaked)
      if (cipher_free) cipher_free(cipher);
  }
  if (ctx_free) ctx_free(ctx);
}

}  // extern "C"
