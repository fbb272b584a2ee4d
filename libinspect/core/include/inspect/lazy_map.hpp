// LazyMapSource: a non-contiguous Source (a file inside an APFS volume inside a dmg) presented as one
// contiguous span of memory that is filled on first touch and can be dropped again, like a mapped
// file. Readers built on whole-file views (the dyld cache reader) then read a multi-GB member without
// copying all of it first, and release() bounds what stays resident.
//
// How: an anonymous read-only mapping registered with userfaultfd (missing-page mode). A page fault
// is answered by handler threads that read the block around it from the inner Source and install it
// (UFFDIO_COPY); release() zaps pages (MADV_DONTNEED), which fault back in on the next read.
// docs/lazy-map.md gives the rules and the limits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "inspect/hash.hpp"
#include "inspect/source.hpp"

namespace upscope {

class LazyMapSource final : public Source {
 public:
  // Block read from the inner source per fault (a dmg chunk is about this size).
  static constexpr uint64_t kBlock = 1u << 20;

  // The lazy span over inner, or an Error saying why not (userfaultfd unavailable or refused, e.g.
  // by a container's seccomp policy, or UPSCOPE_NO_LAZY_MAP set): callers then copy as before.
  static Result<std::shared_ptr<const LazyMapSource>> make(SourcePtr inner);
  // The same span, also hashing the source as its own readers fill it: a block read for a reader is
  // hashed then if every block before it has been, and a filled block ahead of that point is kept
  // through release() (up to kKeepAhead) until it can be. digest() reads what no reader did. A file
  // both read and hashed is then decoded once, not twice (docs/lazy-map.md, "Hashing as it fills").
  static Result<std::shared_ptr<const LazyMapSource>> make_hashed(SourcePtr inner, HashKind kind);
  ~LazyMapSource() override;

  // Blocks past the hashed prefix that release() keeps resident so they need not be read again.
  static constexpr uint64_t kKeepAhead = 64;

  uint64_t size() const override;
  std::string name() const override;
  // Straight from the inner source: a read_at does not fill the span.
  Status read_at(uint64_t off, std::span<uint8_t> out) const override;
  std::optional<Bytes> contiguous() const override;
  const Source* parent() const override;
  void release(uint64_t off, uint64_t n) const override;

  // A fault whose block could not be read is answered with zeros, since the faulting thread cannot
  // be given an error; the first such failure is kept here. A caller that read through the span
  // must check it before trusting what it read.
  std::optional<std::string> error() const;
  // Blocks installed so far (for tests and benchmarks).
  uint64_t faults() const;

  // The hash of the whole source (make_hashed spans only): the blocks not hashed yet are faulted in
  // and hashed in order, and released behind. Fails when a block could not be read (the span then
  // holds zeros there). Called once, after the span's readers are done.
  Result<std::string> digest() const;

  struct State;

 private:
  explicit LazyMapSource(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

// inner wrapped in a LazyMapSource when it is not contiguous and at least min_size bytes; inner itself
// otherwise, or when the lazy span cannot be made.
SourcePtr lazy_contiguous(SourcePtr inner, uint64_t min_size);

// inner in a hashing LazyMapSource (LazyMapSource::make_hashed); nullptr when the span cannot be made.
std::shared_ptr<const LazyMapSource> lazy_hashed(SourcePtr inner, HashKind kind);

// The error a LazyMapSource recorded, when src is one.
std::optional<std::string> lazy_map_error(const Source& src);

}  // namespace upscope
