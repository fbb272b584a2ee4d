// The generic diff of two build inventories (docs/diff.md). Byte truth first: a component whose
// whole-content bytes differ is always a change, whatever its normalised hashes say. Change classes
// then say which bytes changed (code, data, signature, metadata, relink, content), and for code the
// functions that changed, with what they now call or reference differently.
#pragma once

#include <string>
#include <vector>

#include "analysis/model.hpp"

namespace upscope {

enum class ChangeKind { kAdded, kRemoved, kModified };
const char* to_string(ChangeKind k);

// Which bytes of a modified component changed (docs/diff.md §3).
enum class ChangeClass { kCode, kData, kSignature, kMetadata, kRelink, kContent };
const char* to_string(ChangeClass c);  // "code", "data", "signature", "metadata", "relink", "content"

struct Evidence {
  std::string field;  // "code_hash", "sha256", "uuid", "version", "size"
  std::string old_value;
  std::string new_value;
};

// One fact behind a class: a section, an entitlement, a linked library, the code of one slice.
struct ClassDetail {
  ChangeClass cls = ChangeClass::kContent;
  std::string what;    // "__TEXT,__cstring", "entitlement com.apple.private.x", "links /usr/lib/libz.1.dylib"
  ChangeKind change = ChangeKind::kModified;
  std::string old_value, new_value;
  std::string note;    // "1 byte", "64 -> 80 bytes"
};

struct FunctionChange {
  std::string id;          // the function's identity (its symbol, or its place after a named one)
  std::string name;        // what people see: the raw symbol, or "sub_<address>" in the new build
  std::string demangled;   // a C++ symbol as people read it; "" when it is not one
  ChangeKind kind = ChangeKind::kModified;
  uint32_t instructions = 0;          // instructions in the new function (the old one when removed)
  uint32_t changed_instructions = 0;  // modified: instructions that differ (0 when not known)
  std::vector<std::string> calls_added, calls_removed, refs_added, refs_removed;
};

struct Change {
  std::string id;
  ChangeKind kind = ChangeKind::kModified;
  ComponentKind component_kind = ComponentKind::kFile;
  Space space = Space::kData;
  Location location = Location::kUnknown;
  std::vector<Evidence> evidence;
  std::vector<ChangeClass> classes;     // modified: sorted, never empty
  std::vector<ClassDetail> details;     // what each class compared and found different
  std::vector<std::string> symbols_added, symbols_removed;
  std::vector<std::string> functions_added, functions_removed, functions_changed;
  std::vector<FunctionChange> functions;  // the same, with instruction counts and call differences
  // Only layout noise changed (classes == {relink}): folded in default text output, never dropped.
  bool relink_only() const { return classes.size() == 1 && classes[0] == ChangeClass::kRelink; }
  bool has(ChangeClass c) const;
};

// An advisory entry placed on the changes it names (diff --advisory): CVE -> component -> changes.
struct AdvisoryLink {
  std::string component;             // as the advisory names it: "WebKit", "IOSurfaceAccelerator"
  uint64_t line = 0;
  std::string impact;
  std::vector<std::string> cves;
  std::string placement;             // where the component table places it, and why
  std::vector<std::string> changes;  // ids of the changes it names; empty: no change found
};

struct BuildDiff {
  std::vector<Change> changes;  // sorted by id
  std::vector<AdvisoryLink> advisory;  // set by `diff --advisory`
  // What either side could not read: a change could hide there.
  std::vector<NotAnalysed> not_analysed;
  // An OS or App cryptex whose contents changed while its trust cache (in both builds) did not, one
  // sentence each; the verdict quotes them as evidence (they do not decide it).
  std::vector<std::string> trust_cache_notes;
  bool empty() const { return changes.empty(); }
};

// Compares by stable id. A component whose whole-content hash differs is modified, always; one
// without content hashes (old catalogues) is modified when its code hash, facts, UUID, version or
// size differ. Drill-downs (functions, section bytes) are read through detail_loader, in parallel.
BuildDiff diff_builds(const BuildInventory& old_build, const BuildInventory& new_build);

// One line for evidence: "data changed (__TEXT,__cstring, 1 byte)", "code changed (3 functions)",
// "added", "relink only (layout noise: same code and data at another layout)".
std::string change_summary(const Change& c);

}  // namespace upscope
