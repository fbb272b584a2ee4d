#include "aa/aa.hpp"

#include <cstring>

#include <fmt/format.h>

#include "aa/structs.hpp"
#include "inspect/byte_reader.hpp"
#include "inspect/text.hpp"
#include "pbzx/stream.hpp"

namespace upscope::aa {

const Field* Entry::find(std::string_view key) const {
  for (const auto& f : fields)
    if (f.key == key) return &f;
  return nullptr;
}

std::optional<char> Entry::type() const {
  const Field* f = find("TYP");
  if (!f || f->kind != FieldKind::kUint) return std::nullopt;
  return static_cast<char>(f->uint_value);
}

std::optional<std::string> Entry::path() const {
  const Field* f = find("PAT");
  if (!f || f->kind != FieldKind::kString) return std::nullopt;
  return f->text;
}

std::optional<std::string> Entry::link() const {
  const Field* f = find("LNK");
  if (!f || f->kind != FieldKind::kString) return std::nullopt;
  return f->text;
}

std::optional<uint64_t> Entry::uint(std::string_view key) const {
  const Field* f = find(key);
  if (!f || f->kind != FieldKind::kUint) return std::nullopt;
  return f->uint_value;
}

std::string Entry::unsafe_path_reason() const {
  auto p = path();
  if (!p) return {};
  if (p->find('\0') != std::string::npos) return "NUL byte in path";
  if (!p->empty() && p->front() == '/') return "absolute path";
  size_t start = 0;
  while (start <= p->size()) {
    size_t end = p->find('/', start);
    if (end == std::string::npos) end = p->size();
    if (p->compare(start, end - start, "..") == 0 && end - start == 2) return "'..' component";
    start = end + 1;
  }
  return {};
}

namespace {

// Parses the fields of one header (bytes after the 6-byte prefix). Errors name the field.
Status parse_fields(Entry& e, Bytes h) {
  uint64_t pos = 0;
  const uint64_t base = e.offset + kEntryPrefix;
  while (pos < h.size()) {
    uint64_t left = h.size() - pos;
    if (left < 4)
      return fail(ErrorCode::kMalformed, fmt::format("entry {} field", e.index),
                  fmt::format("tag needs 4 bytes, the header has {} left", left), base + pos);
    Field f;
    f.offset = base + pos;
    f.key.assign(reinterpret_cast<const char*>(h.data() + pos), 3);
    f.subtype = static_cast<char>(h[pos + 3]);
    std::string name = printable(h.subspan(pos, 4));
    SubtypeInfo info;
    if (!subtype_info(f.subtype, info))
      return fail(ErrorCode::kMalformed, fmt::format("entry {} field {}", e.index, name),
                  fmt::format("unknown subtype '{}'", printable(h.subspan(pos + 3, 1))), f.offset);
    f.kind = info.kind;
    pos += 4;
    left = h.size() - pos;
    if (info.size > left)
      return fail(ErrorCode::kMalformed, fmt::format("entry {} field {}", e.index, name),
                  fmt::format("value needs {} bytes, the header has {} left", int(info.size), left), f.offset);
    // The value's info.size bytes are in the header (checked above); each read checks again.
    Cursor v(ByteReader(h, base, "entry header"), pos);
    switch (info.kind) {
      case FieldKind::kFlag: break;
      case FieldKind::kUint:
      case FieldKind::kBlob:
        f.uint_value = info.size == 1 ? v.u8() : info.size == 2 ? v.u16le() : info.size == 4 ? v.u32le() : v.u64le();
        break;
      case FieldKind::kHash: {
        const Bytes d = v.bytes(info.size);
        f.digest.assign(d.begin(), d.end());
        break;
      }
      case FieldKind::kTimeS: f.uint_value = v.u64le(); break;
      case FieldKind::kTimeT:
        f.uint_value = v.u64le();
        f.nsec = v.u32le();
        break;
      case FieldKind::kString: {
        const uint16_t len = v.u16le();
        if (uint64_t(len) > left - 2)
          return fail(ErrorCode::kMalformed, fmt::format("entry {} field {}", e.index, name),
                      fmt::format("string of {} bytes runs past the header ({} bytes left)", len, left - 2), f.offset);
        const Bytes text = v.bytes(len);  // as stored: a path may hold any byte
        f.text.assign(text.begin(), text.end());
        pos += len;
        break;
      }
    }
    if (!v.ok()) return fail(v.error());
    pos += info.size;
    e.fields.push_back(std::move(f));
  }
  return {};
}

}  // namespace

Result<ArchiveInfo> walk(Bytes archive, const ReadOptions& opt, Diagnostics& diags, const EntryFn& fn) {
  pbzx::StreamLimits lim;
  lim.max_output = opt.max_decoded;
  UPSCOPE_TRY(auto layout, pbzx::describe(archive, lim, /*allow_raw=*/true));
  ArchiveInfo info;
  info.container = layout.container;
  info.codec = layout.codec;
  info.decoded_size = layout.decoded_size;
  if (!layout.supported) return fail(ErrorCode::kUnsupported, layout.container + " stream", "unsupported codec " + layout.codec, 0);
  if (layout.container == "raw" && !(archive.size() >= 4 && (std::memcmp(archive.data(), "AA01", 4) == 0 ||
                                                            std::memcmp(archive.data(), "YAA1", 4) == 0)))
    return fail(ErrorCode::kMalformed, "Apple Archive", fmt::format("starts with {}, not AA01, YAA1 or a pbz* stream",
                                                                    printable(archive.first(std::min<size_t>(4, archive.size())))), 0);
  UPSCOPE_TRY(auto stream, pbzx::open(archive, layout, opt.pool, lim));
  std::vector<uint8_t> header(65536), skip(1 << 16);
  for (size_t index = 0;; ++index) {
    const uint64_t off = stream->produced();
    UPSCOPE_TRY(size_t n, stream->read({header.data(), kEntryPrefix}));
    if (n == 0) break;
    std::string where = fmt::format("entry {}", index);
    if (n < kEntryPrefix) {
      diags.error(off, where, fmt::format("truncated: the 6-byte prefix has only {} bytes", n));
      break;
    }
    Entry e;
    e.index = index;
    e.offset = off;
    e.magic = printable({header.data(), 4});
    if (e.magic != "AA01" && e.magic != "YAA1") {
      diags.error(off, where, fmt::format("magic {} is not AA01 or YAA1", e.magic));
      break;
    }
    e.header_size = ByteReader(header).u16le(4).value_or(0);  // after the 4-byte magic
    if (e.header_size <= 5) {
      diags.error(off, where, fmt::format("header_size {} is not above 5", e.header_size));
      break;
    }
    size_t body = e.header_size - kEntryPrefix;
    UPSCOPE_TRY(n, stream->read({header.data() + kEntryPrefix, body}));
    if (n < body) {
      diags.error(off, where, fmt::format("truncated: header_size {} but the archive ends after {} header bytes",
                                          e.header_size, kEntryPrefix + n));
      break;
    }
    if (auto st = parse_fields(e, {header.data() + kEntryPrefix, body}); !st) {
      diags.add(st.error());
      break;
    }
    // Blob payloads follow the header in field order.
    uint64_t payload = 0;
    bool overflow = false;
    for (auto& f : e.fields) {
      if (f.kind != FieldKind::kBlob) continue;
      f.blob_offset = off + e.header_size + payload;
      auto s = checked_add(payload, f.uint_value);
      if (!s) { overflow = true; break; }
      payload = *s;
    }
    e.payload_size = payload;
    auto end = checked_add(off + e.header_size, payload);
    if (overflow || !end || (info.decoded_size && *end > *info.decoded_size)) {
      diags.error(off, where, fmt::format("payload of {} bytes runs past the end of the archive ({} bytes)",
                                          overflow ? std::string("overflowing") : std::to_string(payload),
                                          info.decoded_size ? std::to_string(*info.decoded_size) : std::string("?")));
      break;
    }
    uint64_t left = payload;
    bool short_read = false;
    Visit v{e, [&](std::span<uint8_t> out) -> Result<size_t> {
              size_t want = size_t(std::min<uint64_t>(out.size(), left));
              UPSCOPE_TRY(size_t got, stream->read(out.first(want)));
              left -= got;
              if (got < want) short_read = true;
              return got;
            }};
    UPSCOPE_CHECK(fn(v));
    while (left && !short_read) {
      size_t want = size_t(std::min<uint64_t>(skip.size(), left));
      UPSCOPE_TRY(size_t got, stream->read({skip.data(), want}));
      left -= got;
      if (got < want) short_read = true;
    }
    if (short_read) {
      diags.error(off, where, fmt::format("payload of {} bytes is cut short by the end of the archive", payload));
      break;
    }
  }
  if (!info.decoded_size) info.decoded_size = stream->produced();
  return info;
}

Result<Listing> list(Bytes archive, const ReadOptions& opt) {
  Listing l;
  UPSCOPE_TRY(l.info, walk(archive, opt, l.diagnostics, [&](Visit& v) -> Status {
    l.entries.push_back(v.entry);
    return {};
  }));
  return l;
}

std::string type_name(char t) {
  switch (t) {
    case 'F': return "file";
    case 'D': return "directory";
    case 'L': return "symlink";
    case 'P': return "fifo";
    case 'C': return "character device";
    case 'B': return "block device";
    case 'S': return "socket";
    case 'W': return "whiteout";
    case 'R': return "door";
    case 'T': return "port";
    case 'M': return "metadata";
    default: return fmt::format("unknown ({})", printable({reinterpret_cast<const uint8_t*>(&t), 1}));
  }
}

}  // namespace upscope::aa
