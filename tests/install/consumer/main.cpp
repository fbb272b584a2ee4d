// A program built on an installed libinspect, as someone else's project would build on it: maps a
// file, walks it with the bounds-checked reader, and hashes it.
#include <cstdio>

#include "inspect/byte_reader.hpp"
#include "inspect/hash.hpp"
#include "inspect/mapped_file.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer FILE\n");
    return 2;
  }
  auto file = upscope::MappedFile::open(argv[1]);
  if (!file) {
    std::fprintf(stderr, "%s\n", file.error().message().c_str());
    return 2;
  }
  upscope::ByteReader r((*file)->bytes());
  auto first = r.u8(0);
  auto past_end = r.u32le(r.size());  // fails: one past the end
  upscope::Hasher h(upscope::HashKind::kSha256);
  h.update((*file)->bytes());
  std::printf("%llu %s %d %s\n", static_cast<unsigned long long>(r.size()), h.hex_digest().c_str(),
              first ? int(*first) : -1, past_end ? "read" : "refused");
  return 0;
}
