#include "pkg/archive_io.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <mutex>

#include <fmt/format.h>

#include "inspect/shared_library.hpp"

namespace upscope::pkg {

namespace {
constexpr size_t kPiece = 256 * 1024;  // bytes handed to libarchive per read callback

// libarchive is opened at run time, when an installer package is first read: linked, it loaded
// libxml2, ICU and the shared libstdc++ at every start of upscope (about 4 ms), whatever the command.
struct LibArchive {
  decltype(&::archive_entry_filetype) archive_entry_filetype = nullptr;
  decltype(&::archive_entry_gid) archive_entry_gid = nullptr;
  decltype(&::archive_entry_hardlink) archive_entry_hardlink = nullptr;
  decltype(&::archive_entry_mode) archive_entry_mode = nullptr;
  decltype(&::archive_entry_mtime) archive_entry_mtime = nullptr;
  decltype(&::archive_entry_pathname) archive_entry_pathname = nullptr;
  decltype(&::archive_entry_size) archive_entry_size = nullptr;
  decltype(&::archive_entry_size_is_set) archive_entry_size_is_set = nullptr;
  decltype(&::archive_entry_symlink) archive_entry_symlink = nullptr;
  decltype(&::archive_entry_uid) archive_entry_uid = nullptr;
  decltype(&::archive_error_string) archive_error_string = nullptr;
  decltype(&::archive_filter_bytes) archive_filter_bytes = nullptr;
  decltype(&::archive_read_data) archive_read_data = nullptr;
  decltype(&::archive_read_free) archive_read_free = nullptr;
  decltype(&::archive_read_new) archive_read_new = nullptr;
  decltype(&::archive_read_next_header) archive_read_next_header = nullptr;
  decltype(&::archive_read_open1) archive_read_open1 = nullptr;
  decltype(&::archive_read_set_callback_data) archive_read_set_callback_data = nullptr;
  decltype(&::archive_read_set_read_callback) archive_read_set_read_callback = nullptr;
  decltype(&::archive_read_set_seek_callback) archive_read_set_seek_callback = nullptr;
  decltype(&::archive_read_set_skip_callback) archive_read_set_skip_callback = nullptr;
  decltype(&::archive_read_support_filter_bzip2) archive_read_support_filter_bzip2 = nullptr;
  decltype(&::archive_read_support_filter_gzip) archive_read_support_filter_gzip = nullptr;
  decltype(&::archive_read_support_filter_none) archive_read_support_filter_none = nullptr;
  decltype(&::archive_read_support_filter_xz) archive_read_support_filter_xz = nullptr;
  decltype(&::archive_read_support_format_cpio) archive_read_support_format_cpio = nullptr;
  decltype(&::archive_read_support_format_xar) archive_read_support_format_xar = nullptr;
};

const LibArchive* g_la = nullptr;  // set once loaded; every call below comes after an open that loaded it

// The loaded table, or why libarchive is not there.
Result<const LibArchive*> libarchive() {
  static LibArchive t;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string why;
    void* lib = open_shared_library("libarchive.so.13", why);
    if (!lib) {
      error = fmt::format("libarchive.so.13 could not be loaded ({}): install libarchive13",
                          why.empty() ? "unknown reason" : why);
      return;
    }
    bool all = true;
    all &= find_function(lib, t.archive_entry_filetype, "archive_entry_filetype");
    all &= find_function(lib, t.archive_entry_gid, "archive_entry_gid");
    all &= find_function(lib, t.archive_entry_hardlink, "archive_entry_hardlink");
    all &= find_function(lib, t.archive_entry_mode, "archive_entry_mode");
    all &= find_function(lib, t.archive_entry_mtime, "archive_entry_mtime");
    all &= find_function(lib, t.archive_entry_pathname, "archive_entry_pathname");
    all &= find_function(lib, t.archive_entry_size, "archive_entry_size");
    all &= find_function(lib, t.archive_entry_size_is_set, "archive_entry_size_is_set");
    all &= find_function(lib, t.archive_entry_symlink, "archive_entry_symlink");
    all &= find_function(lib, t.archive_entry_uid, "archive_entry_uid");
    all &= find_function(lib, t.archive_error_string, "archive_error_string");
    all &= find_function(lib, t.archive_filter_bytes, "archive_filter_bytes");
    all &= find_function(lib, t.archive_read_data, "archive_read_data");
    all &= find_function(lib, t.archive_read_free, "archive_read_free");
    all &= find_function(lib, t.archive_read_new, "archive_read_new");
    all &= find_function(lib, t.archive_read_next_header, "archive_read_next_header");
    all &= find_function(lib, t.archive_read_open1, "archive_read_open1");
    all &= find_function(lib, t.archive_read_set_callback_data, "archive_read_set_callback_data");
    all &= find_function(lib, t.archive_read_set_read_callback, "archive_read_set_read_callback");
    all &= find_function(lib, t.archive_read_set_seek_callback, "archive_read_set_seek_callback");
    all &= find_function(lib, t.archive_read_set_skip_callback, "archive_read_set_skip_callback");
    all &= find_function(lib, t.archive_read_support_filter_bzip2, "archive_read_support_filter_bzip2");
    all &= find_function(lib, t.archive_read_support_filter_gzip, "archive_read_support_filter_gzip");
    all &= find_function(lib, t.archive_read_support_filter_none, "archive_read_support_filter_none");
    all &= find_function(lib, t.archive_read_support_filter_xz, "archive_read_support_filter_xz");
    all &= find_function(lib, t.archive_read_support_format_cpio, "archive_read_support_format_cpio");
    all &= find_function(lib, t.archive_read_support_format_xar, "archive_read_support_format_xar");
    if (!all) error = "libarchive.so.13 lacks a function upscope needs";
    if (error.empty()) g_la = &t;
  });
  if (!error.empty()) return fail(ErrorCode::kUnsupported, "libarchive", error);
  return &t;
}

}  // namespace

struct Archive::State {
  struct archive* a = nullptr;
  std::string label;
  const Source* src = nullptr;  // xar: random access
  uint64_t pos = 0;
  Pull pull;                    // cpio: a stream
  std::vector<uint8_t> buf;
  uint64_t input_bytes = 0;
  std::optional<Error> pull_error;  // reported instead of libarchive's text for the same failure

  ~State() {
    if (a) g_la->archive_read_free(a);
  }

  Error error(std::string_view doing) const {
    if (pull_error) return *pull_error;
    const char* msg = g_la->archive_error_string(a);
    return make_error(ErrorCode::kMalformed, label,
                      fmt::format("{}: {} (libarchive)", doing, msg && *msg ? msg : "unknown error"));
  }
};

namespace {

la_ssize_t read_cb(struct archive*, void* data, const void** buffer) {
  auto* s = static_cast<Archive::State*>(data);
  if (s->src) {
    if (s->pos >= s->src->size()) return 0;
    const uint64_t n = std::min<uint64_t>(kPiece, s->src->size() - s->pos);
    if (auto piece = s->src->piece_at(s->pos, n)) {
      *buffer = piece->data();
      s->pos += piece->size();
      s->input_bytes += piece->size();
      return static_cast<la_ssize_t>(piece->size());
    }
    s->buf.resize(static_cast<size_t>(n));
    if (auto st = s->src->read_at(s->pos, s->buf); !st) {
      s->pull_error = st.error();
      return ARCHIVE_FATAL;
    }
    *buffer = s->buf.data();
    s->pos += n;
    s->input_bytes += n;
    return static_cast<la_ssize_t>(n);
  }
  s->buf.resize(kPiece);
  auto got = s->pull(s->buf);
  if (!got) {
    s->pull_error = got.error();
    return ARCHIVE_FATAL;
  }
  *buffer = s->buf.data();
  s->input_bytes += *got;
  return static_cast<la_ssize_t>(*got);
}

la_int64_t skip_cb(struct archive*, void* data, la_int64_t request) {
  auto* s = static_cast<Archive::State*>(data);
  if (!s->src || request <= 0) return 0;  // a stream cannot skip: libarchive reads through instead
  const uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(request), s->src->size() - std::min(s->pos, s->src->size()));
  s->pos += n;
  return static_cast<la_int64_t>(n);
}

la_int64_t seek_cb(struct archive*, void* data, la_int64_t offset, int whence) {
  auto* s = static_cast<Archive::State*>(data);
  const int64_t size = static_cast<int64_t>(s->src->size());
  int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? static_cast<int64_t>(s->pos) : size;
  int64_t to;
  if (__builtin_add_overflow(base, offset, &to) || to < 0 || to > size) return ARCHIVE_FATAL;
  s->pos = static_cast<uint64_t>(to);
  return to;
}

char type_letter(mode_t t) {
  switch (t) {
    case AE_IFREG: return 'F';
    case AE_IFDIR: return 'D';
    case AE_IFLNK: return 'L';
    case AE_IFCHR: return 'C';
    case AE_IFBLK: return 'B';
    case AE_IFIFO: return 'P';
    case AE_IFSOCK: return 'S';
    default: return '?';
  }
}

}  // namespace

Archive::Archive(std::unique_ptr<State> s) : s_(std::move(s)) {}
Archive::~Archive() = default;

uint64_t Archive::input_bytes() const { return s_->input_bytes; }

uint64_t Archive::decoded_bytes() const {
  const la_int64_t n = g_la->archive_filter_bytes(s_->a, 0);
  return n > 0 ? static_cast<uint64_t>(n) : 0;
}

Result<std::unique_ptr<Archive>> Archive::open_xar(const Source& src, std::string label) {
  UPSCOPE_CHECK(libarchive());
  auto s = std::make_unique<State>();
  s->label = std::move(label);
  s->src = &src;
  s->a = g_la->archive_read_new();
  if (!s->a) return fail(ErrorCode::kIo, s->label, "libarchive could not allocate a reader");
  g_la->archive_read_support_format_xar(s->a);
  g_la->archive_read_set_callback_data(s->a, s.get());
  g_la->archive_read_set_read_callback(s->a, read_cb);
  g_la->archive_read_set_skip_callback(s->a, skip_cb);
  g_la->archive_read_set_seek_callback(s->a, seek_cb);
  if (g_la->archive_read_open1(s->a) != ARCHIVE_OK) return fail(s->error("opening the xar archive"));
  return std::unique_ptr<Archive>(new Archive(std::move(s)));
}

Result<std::unique_ptr<Archive>> Archive::open_cpio(Pull pull, std::string label) {
  UPSCOPE_CHECK(libarchive());
  auto s = std::make_unique<State>();
  s->label = std::move(label);
  s->pull = std::move(pull);
  s->a = g_la->archive_read_new();
  if (!s->a) return fail(ErrorCode::kIo, s->label, "libarchive could not allocate a reader");
  g_la->archive_read_support_format_cpio(s->a);
  g_la->archive_read_support_filter_none(s->a);
  g_la->archive_read_support_filter_gzip(s->a);
  g_la->archive_read_support_filter_bzip2(s->a);
  g_la->archive_read_support_filter_xz(s->a);
  g_la->archive_read_set_callback_data(s->a, s.get());
  g_la->archive_read_set_read_callback(s->a, read_cb);
  if (g_la->archive_read_open1(s->a) != ARCHIVE_OK) return fail(s->error("opening the cpio archive"));
  return std::unique_ptr<Archive>(new Archive(std::move(s)));
}

Result<std::optional<ArchiveEntry>> Archive::next() {
  struct archive_entry* e = nullptr;
  int rc = g_la->archive_read_next_header(s_->a, &e);
  if (rc == ARCHIVE_EOF) return std::optional<ArchiveEntry>();
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return fail(s_->error("reading an entry header"));
  ArchiveEntry out;
  const char* p = g_la->archive_entry_pathname(e);
  out.path = p ? p : "";
  out.mode = static_cast<uint32_t>(g_la->archive_entry_mode(e));
  out.type = type_letter(g_la->archive_entry_filetype(e));
  out.uid = g_la->archive_entry_uid(e);
  out.gid = g_la->archive_entry_gid(e);
  out.size = g_la->archive_entry_size_is_set(e) && g_la->archive_entry_size(e) > 0 ? static_cast<uint64_t>(g_la->archive_entry_size(e)) : 0;
  out.mtime = g_la->archive_entry_mtime(e);
  if (const char* h = g_la->archive_entry_hardlink(e)) {
    out.type = 'H';
    out.link = h;
  } else if (const char* l = g_la->archive_entry_symlink(e)) {
    out.link = l;
  }
  return std::optional<ArchiveEntry>(std::move(out));
}

Result<size_t> Archive::read(std::span<uint8_t> out) {
  la_ssize_t n = g_la->archive_read_data(s_->a, out.data(), out.size());
  if (n < 0) return fail(s_->error("reading entry data"));
  return static_cast<size_t>(n);
}

}  // namespace upscope::pkg
