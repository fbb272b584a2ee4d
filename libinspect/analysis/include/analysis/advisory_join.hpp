// An advisory joined to a build diff (`upscope diff OLD NEW --advisory FILE`): each entry Apple lists
// (component, impact, CVEs) is placed on the changed components it names, so a researcher reads
// CVE -> component -> changed functions in one report. An entry whose component did not change is
// listed as "no change found".
#pragma once

#include <string>
#include <vector>

#include "analysis/advisory_placement.hpp"
#include "analysis/diff.hpp"

namespace upscope::build {

// The components an advisory name stands for, as lower-case name keys compared with each changed
// component's own key (its file name without extension, or the last part of its bundle id):
// "WebKit" -> webkit, javascriptcore, webcore ...; "Kernel" -> kernel; "IOSurfaceAccelerator" -> itself.
std::vector<std::string> advisory_keys(const std::string& component);

// The key of a changed component: "/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit" ->
// "webkit", "com.apple.iokit.IOSurfaceAccelerator" -> "iosurfaceaccelerator", "/usr/lib/libxpc.dylib" -> "libxpc".
std::string component_key(const std::string& id);

// One AdvisoryLink per advisory entry, in the advisory's order.
std::vector<AdvisoryLink> join_advisory(const advisory::Advisory& adv, const BuildDiff& diff);

}  // namespace upscope::build
