// Image-list input: a build given as the images it is made of, one per line of a text file.
// Read by the same role table and reader as an IPSW, so the same images give the same components.
#include <cctype>
#include <filesystem>

#include <fmt/format.h>

#include "analysis/build_images.hpp"
#include "inspect/text.hpp"

namespace fs = std::filesystem;

namespace upscope::build {

namespace {

constexpr uint64_t kMaxListSize = 1u << 20;
constexpr size_t kMaxEntries = 10000;
constexpr std::string_view kHeader = "# upscope image list";

struct Entry {
  std::string path;  // as written
  const ImageRole* role = nullptr;
  bool explicit_role = false;
  size_t line = 0;
};

}  // namespace

const char* image_list_help() {
  return "An image list is a text file naming the images of one build, one per line: PATH [ROLE] (PATH relative to "
         "the list's directory; '#' starts a comment; a first line '# upscope image list' marks it, otherwise every "
         "PATH must exist). ROLE is one of kernelcache, boot-kc, system-kc, aux-kc, system-volume, cryptex-os, "
         "cryptex-app, system-seal, cryptex-os-seal, cryptex-app-seal, restore, firmware, manifest (a "
         "BuildManifest.plist: product, version, build), or a BuildManifest key such as Cryptex1,SystemOS; without "
         "one the file name decides (kernelcache*, *.im4p, BuildManifest.plist), and a disk image must have one.";
}

std::optional<Result<BuildInventory>> read_image_list(const std::string& path, const SourcePtr& src,
                                                      const InventoryOptions& opt, Diagnostics& diags) {
  if (src->size() == 0 || src->size() > kMaxListSize) return std::nullopt;
  std::vector<uint8_t> scratch;
  auto view = src->view(0, src->size(), scratch, "image list");
  if (!view) return std::nullopt;
  std::string_view text(reinterpret_cast<const char*>(view->data().data()), view->data().size());
  if (text.find('\0') != std::string_view::npos) return std::nullopt;

  const fs::path dir = fs::path(path).parent_path();
  bool marked = false;
  std::vector<Entry> entries;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (line.front() == '#') {
      if (entries.empty() && line_no == 1 && line == kHeader) marked = true;
      continue;
    }
    if (entries.size() >= kMaxEntries) {
      if (!marked) return std::nullopt;
      return Result<BuildInventory>(fail(make_error(ErrorCode::kLimit, "image list",
                                                    fmt::format("more than {} images", kMaxEntries)).in_file(path)));
    }
    Entry e;
    e.line = line_no;
    // The role is the last word when it names one; otherwise the whole line is the path (spaces allowed).
    size_t sp = line.find_last_of(" \t");
    if (sp != std::string_view::npos) {
      if (const ImageRole* r = find_image_role(line.substr(sp + 1))) {
        e.role = r;
        e.explicit_role = true;
        line = trim(line.substr(0, sp));
      }
    }
    e.path = std::string(line);
    if (!marked) {
      std::error_code ec;
      if (!fs::is_regular_file(dir / e.path, ec)) return std::nullopt;  // not a list: some other text
    }
    entries.push_back(std::move(e));
  }
  if (entries.empty()) return std::nullopt;

  BuildInventory inv;
  inv.source = path;
  std::vector<BuildImage> images;
  for (const auto& e : entries) {
    const fs::path file = fs::path(e.path).is_absolute() ? fs::path(e.path) : dir / e.path;
    const ImageRole* role = e.explicit_role ? e.role : role_for_member(file.filename().string());
    if (role && role->read == ImageRead::kMetadata) {
      if (std::string_view(role->name) != "manifest") continue;
      auto msrc = FileSource::open(file.string());
      std::vector<uint8_t> buf;
      auto bytes = msrc ? (*msrc)->view(0, (*msrc)->size(), buf, "BuildManifest.plist") : Result<ByteReader>(fail(msrc.error()));
      Status st = bytes ? read_build_manifest_header(bytes->data(), inv) : Status(fail(bytes.error()));
      if (!st) inv.not_analysed.push_back({e.path, st.error().message()});
      continue;
    }
    BuildImage img;
    img.name = e.path;
    img.role = role;
    std::error_code ec;
    img.size = fs::file_size(file, ec);
    if (ec) img.size = 0;
    img.open = [file]() { return FileSource::open(file.string()); };
    images.push_back(std::move(img));
  }
  read_build_images(images, opt, inv, diags);
  return Result<BuildInventory>(std::move(inv));
}

}  // namespace upscope::build
