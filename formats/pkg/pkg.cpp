// Installer packages: members and components of the xar archive (docs/formats/pkg.md §2), one
// member's bytes, and the cpio archive of a member listed as a stream (payload.cpp).
#include "pkg/pkg.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "pkg/archive_io.hpp"

namespace upscope::pkg {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::kComponent: return "component";
    case Kind::kProduct: return "product";
    case Kind::kOther: return "other";
  }
  return "other";
}

std::string mode_string(uint32_t mode) { return fmt::format("{:06o}", mode & 0177777); }

namespace {

// Places a member in its component: "Bom" in a flat package, "Hello.pkg/Bom" in a product archive.
void place(const ArchiveEntry& m, std::map<std::string, Component>& by_name) {
  if (m.type != 'F') return;
  const size_t slash = m.path.find('/');
  if (slash != std::string::npos && m.path.find('/', slash + 1) != std::string::npos) return;  // deeper: resources
  const std::string dir = slash == std::string::npos ? "" : m.path.substr(0, slash);
  const std::string base = slash == std::string::npos ? m.path : m.path.substr(slash + 1);
  std::string Component::*field = base == "Bom"           ? &Component::bom
                                  : base == "Payload"     ? &Component::payload
                                  : base == "Scripts"     ? &Component::scripts
                                  : base == "PackageInfo" ? &Component::package_info
                                                          : nullptr;
  if (!field) return;
  Component& c = by_name[dir];
  c.name = dir;
  c.*field = m.path;
}

// Opens the archive and moves to `member` (a regular file); the Archive is positioned at its data.
Result<std::pair<std::unique_ptr<Archive>, ArchiveEntry>> open_member(const Source& src, const std::string& member) {
  UPSCOPE_TRY(auto a, Archive::open_xar(src, "xar archive"));
  for (;;) {
    UPSCOPE_TRY(auto e, a->next());
    if (!e) break;
    if (e->path == member && e->type == 'F') return std::pair{std::move(a), std::move(*e)};
  }
  return fail(ErrorCode::kNotFound, "xar archive", fmt::format("no member '{}'", member));
}

Result<Package> read_package(const Source& src, const ReadOptions& opt) {
  Package p;
  // Our own bounded look at the TOC first: libarchive would inflate whatever the header promises.
  UPSCOPE_TRY(p.toc, read_toc(src, opt.max_toc));
  UPSCOPE_TRY(auto a, Archive::open_xar(src, "xar archive"));
  std::map<std::string, Component> by_name;
  for (;;) {
    UPSCOPE_TRY(auto e, a->next());
    if (!e) break;
    if (p.members.size() >= opt.max_members)
      return fail(ErrorCode::kLimit, "xar archive", fmt::format("more than {} members", opt.max_members));
    place(*e, by_name);
    if (e->path == "Distribution" && e->type == 'F') p.distribution = true;
    p.members.push_back(std::move(*e));
  }
  for (auto& [name, c] : by_name) p.components.push_back(std::move(c));
  p.kind = p.distribution                                              ? Kind::kProduct
           : (!p.components.empty() && p.components[0].name.empty()) ? Kind::kComponent
                                                                     : Kind::kOther;
  return p;
}

Result<std::vector<uint8_t>> read_member_bytes(const Source& src, const std::string& member, uint64_t max_size) {
  UPSCOPE_TRY(auto am, open_member(src, member));
  auto& [a, e] = am;
  if (e.size > max_size)
    return fail(ErrorCode::kLimit, fmt::format("member '{}'", member),
                fmt::format("{} bytes, over the limit of {}", e.size, max_size));
  std::vector<uint8_t> out(static_cast<size_t>(e.size));
  size_t got = 0;
  while (got < out.size()) {
    UPSCOPE_TRY(size_t n, a->read(std::span<uint8_t>(out).subspan(got)));
    if (n == 0) break;
    got += n;
  }
  if (got != out.size())
    return fail(ErrorCode::kTruncated, fmt::format("member '{}'", member),
                fmt::format("holds {} bytes, its header says {}", got, out.size()));
  return out;
}

Result<Listing> list_member(const Source& src, const std::string& member, const ListOptions& opt) {
  UPSCOPE_TRY(auto am, open_member(src, member));
  Archive* a = am.first.get();
  Pull in = [a](std::span<uint8_t> out) { return a->read(out); };
  return list_stream(std::move(in), fmt::format("member '{}'", member), opt);
}

// Errors name the package file.
template <typename T>
Result<T> named(Result<T> r, const Source& src) {
  if (!r) return fail(r.error().in_file(src.name()));
  return r;
}
}  // namespace

Result<Package> read(const Source& src, const ReadOptions& opt) { return named(read_package(src, opt), src); }

Result<std::vector<uint8_t>> read_member(const Source& src, const std::string& member, uint64_t max_size) {
  return named(read_member_bytes(src, member, max_size), src);
}

Result<Listing> list_member_archive(const Source& src, const std::string& member, const ListOptions& opt) {
  return named(list_member(src, member, opt), src);
}

nlohmann::ordered_json to_json(const ArchiveEntry& e) {
  nlohmann::ordered_json j;
  j["path"] = e.path;
  j["type"] = std::string(1, e.type);
  j["mode"] = mode_string(e.mode);
  j["uid"] = e.uid;
  j["gid"] = e.gid;
  j["size"] = e.size;
  j["mtime"] = e.mtime;
  j["link_target"] = e.type == 'L' || e.type == 'H' ? nlohmann::ordered_json(e.link) : nlohmann::ordered_json(nullptr);
  return j;
}

nlohmann::ordered_json to_json(const Package& p) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["format"] = p.kind == Kind::kOther ? "xar" : "pkg";
  j["kind"] = to_string(p.kind);
  j["toc"] = {{"header_size", p.toc.header_size},
              {"compressed", p.toc.compressed},
              {"uncompressed", p.toc.uncompressed},
              {"checksum", p.toc.checksum == 0   ? "none"
                           : p.toc.checksum == 1 ? "sha1"
                           : p.toc.checksum == 2 ? "md5"
                                                 : "other"}};
  j["distribution"] = p.distribution;
  Json members = Json::array();
  for (const auto& m : p.members) members.push_back(to_json(m));
  j["members"] = std::move(members);
  Json comps = Json::array();
  auto opt = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  for (const auto& c : p.components)
    comps.push_back({{"name", c.name}, {"bom", opt(c.bom)}, {"payload", opt(c.payload)}, {"scripts", opt(c.scripts)},
                     {"package_info", opt(c.package_info)}});
  j["components"] = std::move(comps);
  return j;
}

std::string to_text(const Package& p) {
  std::string s = fmt::format("  xar: TOC {} bytes ({} compressed), checksum {}; {} members{}\n", p.toc.uncompressed,
                              p.toc.compressed, p.toc.checksum == 1 ? "SHA-1" : p.toc.checksum == 2 ? "MD5" : "other",
                              p.members.size(), p.distribution ? ", with a Distribution (product archive)" : "");
  s += "  members:\n";
  for (const auto& m : p.members)
    s += fmt::format("    {} {:>12}  {}\n", m.type, m.type == 'D' ? std::string("-") : std::to_string(m.size), m.path);
  for (const auto& c : p.components) {
    std::vector<std::string> parts;
    for (auto [label, v] : {std::pair{"Bom", &c.bom}, {"PackageInfo", &c.package_info}, {"Payload", &c.payload},
                            {"Scripts", &c.scripts}})
      if (!v->empty()) parts.push_back(label);
    std::string joined;
    for (const auto& x : parts) joined += (joined.empty() ? "" : ", ") + x;
    s += fmt::format("  component {}: {}\n", c.name.empty() ? "(top level)" : c.name, joined);
  }
  return s;
}

}  // namespace upscope::pkg
