// The keys a user gives for an AEA file: a symmetric key as base64 or hex text or raw bytes, a PEM
// private key (ECDHE profiles), a password (scrypt profile).
#include <cctype>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "aea/aea.hpp"
#include "aea/structs.hpp"
#include "inspect/base64.hpp"

namespace upscope::aea {

namespace {

constexpr uint64_t kMaxKeyFile = 64 * 1024;

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Base64 (standard alphabet, '=' padding, whitespace ignored) or, with a "hex:" prefix, hex; Apple's
// aea tool writes keys as "base64:..." or "hex:...", so both prefixes are accepted.
std::optional<std::vector<uint8_t>> decode_text(std::string_view text) {
  std::string t = trim(text);
  std::vector<uint8_t> out;
  if (t.rfind("hex:", 0) == 0) {
    std::string h;
    for (char c : t.substr(4))
      if (!std::isspace(static_cast<unsigned char>(c))) h += c;
    if (h.size() % 2) return std::nullopt;
    for (size_t i = 0; i < h.size(); i += 2) {
      int v = 0;
      for (char c : h.substr(i, 2)) {
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f')                   ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')                   ? c - 'A' + 10
                                                           : -1;
        if (d < 0) return std::nullopt;
        v = v * 16 + d;
      }
      out.push_back(static_cast<uint8_t>(v));
    }
    return out;
  }
  if (t.rfind("base64:", 0) == 0) t = t.substr(7);
  return decode_base64(t);
}

Result<Keys> symmetric(std::vector<uint8_t> key, std::string_view from) {
  if (key.size() != kSymmetricKeySize)
    return fail(ErrorCode::kInvalidArgument, std::string(from),
                fmt::format("the key is {} bytes; an AEA symmetric key is {}", key.size(), kSymmetricKeySize));
  Keys k;
  k.symmetric = std::move(key);
  return k;
}

Result<std::string> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(ErrorCode::kIo, path, "cannot open the key file");
  std::string data;
  data.resize(kMaxKeyFile + 1);
  f.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(f.gcount()));
  if (data.size() > kMaxKeyFile)
    return fail(ErrorCode::kInvalidArgument, path, fmt::format("over {} bytes: not a key file", kMaxKeyFile));
  return data;
}

}  // namespace

Result<Keys> keys_from_base64(std::string_view text) {
  auto key = decode_text(text);
  if (!key) return fail(ErrorCode::kInvalidArgument, "--key", "not base64 text (nor hex: with a 'hex:' prefix)");
  return symmetric(std::move(*key), "--key");
}

Result<Keys> keys_from_file(const std::string& path) {
  UPSCOPE_TRY(std::string data, slurp(path));
  if (data.find("-----BEGIN") != std::string::npos) {
    Keys k;
    k.recipient_private_pem = data;
    return k;
  }
  if (data.size() == kSymmetricKeySize) return symmetric(std::vector<uint8_t>(data.begin(), data.end()), path);
  auto key = decode_text(data);
  if (!key)
    return fail(ErrorCode::kInvalidArgument, path,
                fmt::format("{} bytes: not a raw 32-byte key, base64 or hex: text of one, or a PEM private key",
                            data.size()));
  return symmetric(std::move(*key), path);
}

Result<std::string> password_from_file(const std::string& path) {
  UPSCOPE_TRY(std::string data, slurp(path));
  auto nl = data.find_first_of("\r\n");
  return nl == std::string::npos ? data : data.substr(0, nl);
}

}  // namespace upscope::aea
