#include "aea/probe.hpp"

#include <fmt/format.h>

#include "aea/aea.hpp"

namespace upscope::aea {

std::optional<Identification> probe(const ProbeInput& in) {
  if (!in.head.starts_with("AEA1")) return std::nullopt;
  Identification id;
  id.format = "aea";
  auto word = in.head.u32le(4);
  auto auth = in.head.u32le(8);
  if (!word || !auth) {
    id.description = "Apple Encrypted Archive (AEA1), header truncated";
    id.warnings.push_back(fmt::format("the file ends at {} bytes, inside the 12-byte AEA header", in.source.size()));
    return id;
  }
  const uint32_t profile = *word & 0xffffff;
  id.details["profile"] = profile;
  id.details["scrypt_strength"] = *word >> 24;
  id.details["auth_data_size"] = *auth;
  const ProfileInfo* p = profile_info(profile);
  if (!p) {
    id.description = fmt::format("Apple Encrypted Archive (AEA1), unknown profile {}", profile);
    id.warnings.push_back(fmt::format("unknown profile {} (AEA defines profiles 0 to 5)", profile));
    return id;
  }
  id.details["encrypted"] = p->encrypted;
  id.details["signed"] = p->is_signed;
  id.description = fmt::format("Apple Encrypted Archive (AEA1), profile {}: {}; {}", profile, p->summary,
                               p->encrypted ? "contents need " + std::string(p->needs) : "contents readable without a key");
  return id;
}

}  // namespace upscope::aea
