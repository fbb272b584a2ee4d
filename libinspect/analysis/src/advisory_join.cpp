#include "analysis/advisory_join.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

namespace upscope::build {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Names whose code Apple ships as several images: the advisory's name stands for all of them.
const std::map<std::string, std::vector<std::string>>& groups() {
  static const std::map<std::string, std::vector<std::string>> kGroups = {
      {"webkit", {"webkit", "webcore", "javascriptcore", "webkitlegacy", "webgpu", "webinspectorui", "libwebrtc"}},
      {"javascriptcore", {"javascriptcore"}},
      {"webrtc", {"libwebrtc", "webcore"}},
      {"webgl", {"webcore", "angle", "libangle-shared"}},
      {"kernel", {"kernel"}},
      {"xnu", {"kernel"}},
      {"libc", {"libsystem_c"}},
      {"libsystem", {"libsystem_kernel", "libsystem_c", "libsystem_platform", "libsystem_pthread", "libsystem.b"}},
      {"libxpc", {"libxpc", "xpc"}},
      {"libc++", {"libc++.1", "libc++abi"}},
      {"zlib", {"libz.1", "libz"}},
      {"curl", {"libcurl.4", "libcurl", "curl"}},
      {"sqlite", {"libsqlite3", "sqlite3"}},
      {"libarchive", {"libarchive.2", "libarchive"}},
      {"libxml2", {"libxml2.2", "libxml2"}},
      {"model i/o", {"modelio"}},
      {"gpu drivers", {"agxmetal", "agx"}},
      {"apfs", {"apfs"}},
  };
  return kGroups;
}

}  // namespace

std::vector<std::string> advisory_keys(const std::string& component) {
  std::string key = lower(component);
  // "WebKit Web Inspector", "WebKit PDF": the WebKit stack.
  if (key.rfind("webkit ", 0) == 0) key = "webkit";
  auto it = groups().find(key);
  if (it != groups().end()) return it->second;
  std::string compact;
  for (char c : key)
    if (c != ' ') compact += c;
  return {compact};
}

std::string component_key(const std::string& id) {
  std::string last = id.substr(id.find_last_of('/') == std::string::npos ? 0 : id.find_last_of('/') + 1);
  if (id.find('/') == std::string::npos) {
    // A bundle id: its last part.
    const auto dot = id.find_last_of('.');
    if (dot != std::string::npos) last = id.substr(dot + 1);
    return lower(last);
  }
  // A file: its name without the last extension (".dylib", ".kext" ...).
  for (const char* ext : {".dylib", ".kext", ".framework", ".app", ".bundle", ".so"}) {
    const std::string e(ext);
    if (last.size() > e.size() && last.compare(last.size() - e.size(), e.size(), e) == 0) {
      last.resize(last.size() - e.size());
      break;
    }
  }
  return lower(last);
}

std::vector<AdvisoryLink> join_advisory(const advisory::Advisory& adv, const BuildDiff& diff) {
  std::vector<AdvisoryLink> out;
  for (const auto& e : adv.entries) {
    AdvisoryLink l;
    l.component = e.component;
    l.line = e.line;
    l.impact = e.impact;
    l.cves = e.cves;
    if (const auto* row = advisory::find_component(e.component))
      l.placement = fmt::format("{} ({})", to_string(row->location), row->reason);
    else
      l.placement = "not in the component table";
    const auto keys = advisory_keys(e.component);
    for (const auto& c : diff.changes) {
      const std::string k = component_key(c.id);
      if (std::find(keys.begin(), keys.end(), k) != keys.end()) l.changes.push_back(c.id);
    }
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace upscope::build
