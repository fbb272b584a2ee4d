#include "plist/parse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "inspect/checked.hpp"
#include "inspect/limits.hpp"
#include "inspect/text.hpp"

namespace upscope::plist {

namespace {

// One libplist node (its node_t, plist_data_t and their malloc headers): about 100 bytes measured
// on libplist 2.2, rounded up so the bound stays a bound.
constexpr uint64_t kNodeBytes = 128;
// libplist 2.2 reads a binary plist recursively, one C stack frame per level: 200,000 nested arrays
// (a 1.8 MB file) overflow an 8 MiB stack. Its XML reader is iterative, but plist_free is recursive
// and overflows on 200,000 nested XML arrays (3 MB). Apple's plists nest a dozen levels deep.
constexpr uint32_t kMaxDepth = 512;

uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
uint64_t sat_mul(uint64_t a, uint64_t b) { return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

// An n-byte big-endian integer as libplist 2.2 reads it (its UINT_TO_HOST): any width from 1 to 255
// bytes is accepted, and one wider than 8 bytes is read from its last 8.
uint64_t load_be(const uint8_t* p, unsigned n) {
  if (n > 8) p += n - 8, n = 8;
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// The bplist00 layout (CFBinaryPList.c): header, objects, offset table, 32-byte trailer.
struct Trailer {
  uint8_t offset_int_size;
  uint8_t object_ref_size;
  uint64_t num_objects;
  uint64_t top_object;
  uint64_t offset_table_offset;
};

// One object as libplist will expand it: its own bytes and where its references lie.
struct Object {
  uint64_t own = kNodeBytes;
  uint64_t refs_at = 0;  // byte offset of its first reference
  uint64_t refs = 0;     // how many references (a dictionary's keys and values together)
};

struct Binary {
  Bytes d;
  Trailer t{};

  // Reads the trailer and checks the offset table lies inside the file, as libplist does first.
  bool open() {
    if (d.size() < 8 + 32) return false;
    const uint8_t* p = d.data() + d.size() - 32;
    t = {p[6], p[7], load_be(p + 8, 8), load_be(p + 16, 8), load_be(p + 24, 8)};
    if (t.offset_int_size == 0 || t.object_ref_size == 0) return false;  // libplist takes any other width
    const uint64_t table_end_max = d.size() - 32;
    return t.num_objects > 0 && t.num_objects <= table_end_max && t.top_object < t.num_objects &&
           range_fits(t.offset_table_offset, sat_mul(t.num_objects, t.offset_int_size), table_end_max);
  }

  // The object's header; a leaf of kNodeBytes when it cannot be read (libplist then fails on it).
  Object object(uint64_t index) const {
    Object o;
    const uint64_t at = load_be(d.data() + t.offset_table_offset + index * t.offset_int_size, t.offset_int_size);
    if (at >= d.size()) return o;
    const uint8_t marker = d[at];
    const unsigned type = marker >> 4, low = marker & 0x0F;
    if (type != 0x4 && type != 0x5 && type != 0x6 && type != 0xA && type != 0xC && type != 0xD) return o;
    uint64_t len = low, body = at + 1;
    if (low == 0x0F) {  // the length follows as an integer object: 0x1n, then 2^n big-endian bytes
      if (!range_fits(at + 1, 1, d.size()) || (d[at + 1] >> 4) != 0x1) return o;
      const unsigned n = 1u << (d[at + 1] & 0x0F);  // up to 32 KiB, as libplist allows
      if (!range_fits(at + 2, n, d.size())) return o;
      len = load_be(d.data() + at + 2, n);
      body = at + 2 + n;
    }
    switch (type) {
      case 0x4: o.own += std::min<uint64_t>(len, d.size()); break;                     // data, copied
      case 0x5: o.own += std::min<uint64_t>(len, d.size()) + 1; break;                 // ASCII, copied
      case 0x6: o.own += sat_mul(std::min<uint64_t>(len, d.size()), 3) + 1; break;     // UTF-16 as UTF-8
      default: {  // array, set, dictionary: references to other objects
        const uint64_t refs = type == 0xD ? sat_mul(len, 2) : len;
        if (!range_fits(body, sat_mul(refs, t.object_ref_size), d.size())) return o;
        o.refs_at = body;
        o.refs = refs;
        o.own += sat_mul(refs, 16);  // the child list, and a dictionary's hash table
      }
    }
    return o;
  }

  uint64_t ref(const Object& o, uint64_t k) const {
    return load_be(d.data() + o.refs_at + k * t.object_ref_size, t.object_ref_size);
  }
};

struct Bound {
  uint64_t bytes = 0;
  uint32_t depth = 0;
  bool cycle = false;
};

// Walks the object graph from the top object once, depth-first without recursion, memoising each
// object's expanded bytes and depth: linear in the file's size however often objects are shared.
Bound binary_bound(Bytes data) {
  Binary b{data};
  if (!b.open()) return {kNodeBytes + data.size(), 1, false};  // libplist rejects it: nothing expands
  enum : uint8_t { kNew, kOpen, kDone };
  std::vector<uint8_t> state(b.t.num_objects, kNew);
  std::vector<uint64_t> bytes(b.t.num_objects, 0);
  std::vector<uint32_t> depth(b.t.num_objects, 0);
  struct Frame {
    uint64_t index;
    Object obj;
    uint64_t next = 0;  // next reference to visit
    uint64_t bytes;
    uint32_t depth = 0;  // deepest child so far
  };
  std::vector<Frame> stack;
  auto push = [&](uint64_t i) {
    state[i] = kOpen;
    Object o = b.object(i);
    stack.push_back({i, o, 0, o.own, 0});
  };
  push(b.t.top_object);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next < f.obj.refs) {
      const uint64_t child = b.ref(f.obj, f.next++);
      if (child >= b.t.num_objects) continue;  // a dangling reference: libplist fails on it
      if (state[child] == kOpen) return {UINT64_MAX, UINT32_MAX, true};
      if (state[child] == kNew) {
        push(child);
        continue;
      }
      f.bytes = sat_add(f.bytes, bytes[child]);
      f.depth = std::max(f.depth, depth[child]);
      continue;
    }
    const uint64_t i = f.index, total = f.bytes;
    const uint32_t d = f.depth + 1;
    state[i] = kDone;
    bytes[i] = total;
    depth[i] = d;
    stack.pop_back();
    if (!stack.empty()) {
      stack.back().bytes = sat_add(stack.back().bytes, total);
      stack.back().depth = std::max(stack.back().depth, d);
    }
  }
  return {bytes[b.t.top_object], depth[b.t.top_object], false};
}

bool is_binary(Bytes data) {
  static constexpr std::string_view kMagic = "bplist00";
  return data.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), data.begin());
}

// XML in one pass: at most one node per element start tag, all of them together holding at most a
// copy of the text; the depth is that of open elements. Comments, CDATA, declarations and processing
// instructions are skipped whole, so a '<' inside them is not taken for a tag.
Bound xml_bound(Bytes data) {
  const std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  uint64_t starts = 0;
  uint32_t depth = 0, deepest = 0;
  auto skip_to = [&](size_t from, std::string_view end) {
    const size_t e = s.find(end, from);
    return e == std::string_view::npos ? s.size() : e + end.size();
  };
  for (size_t i = s.find('<'); i != std::string_view::npos; i = s.find('<', i)) {
    const std::string_view rest = s.substr(i);
    if (rest.starts_with("<!--")) i = skip_to(i + 4, "-->");
    else if (rest.starts_with("<![CDATA[")) i = skip_to(i + 9, "]]>");
    else if (rest.starts_with("<?")) i = skip_to(i + 2, "?>");
    else if (rest.starts_with("<!")) i = skip_to(i + 2, ">");
    else if (rest.starts_with("</")) {
      if (depth) --depth;
      i = skip_to(i + 2, ">");
    } else {
      ++starts;
      const size_t end = skip_to(i + 1, ">");
      if (end < 2 || s[end - 2] != '/') deepest = std::max(deepest, ++depth);  // not <tag/>
      i = end;
    }
  }
  return {sat_add(sat_mul(starts, kNodeBytes), data.size()), deepest, false};
}

}  // namespace

uint64_t tree_bytes_bound(Bytes data) { return is_binary(data) ? binary_bound(data).bytes : xml_bound(data).bytes; }

std::string string_item(plist_t dict, const char* key) {
  plist_t n = dict ? plist_dict_get_item(dict, key) : nullptr;
  if (!n || plist_get_node_type(n) != PLIST_STRING) return {};
  uint64_t len = 0;
  const char* s = plist_get_string_ptr(n, &len);
  return s ? std::string(s, static_cast<size_t>(len)) : std::string();
}

uint64_t tree_bytes_cap(uint64_t input_size) { return sat_add(4ull << 20, sat_mul(input_size, 128)); }

Result<Ptr> parse(Bytes data, std::string_view structure, Syntax syntax, std::optional<uint64_t> offset) {
  auto limit = [&](std::string rule) { return fail(ErrorCode::kLimit, std::string(structure), std::move(rule), offset); };
  if (data.size() > UINT32_MAX) return limit("larger than 4 GiB");
  const bool binary = syntax == Syntax::kAny && is_binary(data);
  const Bound b = binary ? binary_bound(data) : xml_bound(data);
  if (b.cycle) return fail(ErrorCode::kMalformed, std::string(structure), "binary plist objects reference themselves in a cycle", offset);
  if (b.depth > kMaxDepth)
    return limit(fmt::format("{} plist nested more than {} levels deep", binary ? "binary" : "XML", kMaxDepth));
  const uint64_t need = b.bytes;
  if (need > tree_bytes_cap(data.size()))
    return limit(fmt::format("{} bytes expand to more than {} of plist nodes (shared references are copied)",
                             data.size(), human_size(tree_bytes_cap(data.size()))));
  UPSCOPE_CHECK(check_memory(need, structure, offset));
  plist_t raw = nullptr;
  const char* text = reinterpret_cast<const char*>(data.data());
  if (syntax == Syntax::kXml) plist_from_xml(text, static_cast<uint32_t>(data.size()), &raw);
  else plist_from_memory(text, static_cast<uint32_t>(data.size()), &raw);
  return Ptr(raw);
}

}  // namespace upscope::plist
