// LazyMapSource: userfaultfd-backed span over a non-contiguous Source (docs/lazy-map.md).
#include "inspect/lazy_map.hpp"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace upscope {

struct LazyMapSource::State {
  SourcePtr inner;
  uint8_t* base = nullptr;
  uint64_t size = 0, mapped = 0, page = 4096;
  int uffd = -1, stop = -1;
  std::vector<std::thread> handlers;
  std::mutex mu;
  std::condition_variable done;
  std::vector<uint64_t> in_flight;  // blocks a handler is filling
  std::string error;                // the first failed block (under mu)
  std::atomic<uint64_t> faults{0};
  // Hashing as it fills (make_hashed): blocks [0, next) are in `hasher`. kept[b]: block b was
  // installed whole and no page of it released since. Under hash_mu, which release() also takes, so
  // a kept block's pages cannot vanish while they are hashed from the span.
  std::mutex hash_mu;
  std::unique_ptr<Hasher> hasher;
  uint64_t next = 0, blocks = 0;
  std::vector<uint8_t> kept;

  ~State() {
    if (stop >= 0) {
      const uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(stop, &one, sizeof one);
    }
    for (auto& t : handlers) t.join();
    if (base) ::munmap(base, mapped);
    if (uffd >= 0) ::close(uffd);
    if (stop >= 0) ::close(stop);
  }

  void wake(uint64_t off, uint64_t len) {
    uffdio_range r{reinterpret_cast<uint64_t>(base + off), len};
    ::ioctl(uffd, UFFDIO_WAKE, &r);
  }

  bool resident(uint64_t off) {
    unsigned char v = 0;
    return ::mincore(base + off, page, &v) == 0 && (v & 1);
  }

  // Installs [off, off+len) from buf; pages already present (another fault filled them, or they were
  // never released) are skipped one by one, and every waiter in the range is woken at the end.
  void install(uint64_t off, uint64_t len, const uint8_t* buf) {
    uffdio_copy c{reinterpret_cast<uint64_t>(base + off), reinterpret_cast<uint64_t>(buf), len, 0, 0};
    if (::ioctl(uffd, UFFDIO_COPY, &c) == 0 && uint64_t(c.copy) == len) return;
    for (uint64_t p = 0; p < len; p += page) {
      uffdio_copy one{reinterpret_cast<uint64_t>(base + off + p), reinterpret_cast<uint64_t>(buf + p), page,
                      UFFDIO_COPY_MODE_DONTWAKE, 0};
      for (int tries = 0; tries < 8; ++tries)
        if (::ioctl(uffd, UFFDIO_COPY, &one) == 0 || errno != EAGAIN) break;
    }
    wake(off, len);
  }

  uint64_t block_bytes(uint64_t b) const { return std::min(kBlock, size - b * kBlock); }

  // Every page of block b present (mincore), so reading it from the span cannot fault.
  bool all_resident(uint64_t b) {
    const uint64_t start = b * kBlock, len = std::min(kBlock, mapped - start);
    std::vector<unsigned char> v((len + page - 1) / page);
    if (::mincore(base + start, len, v.data()) != 0) return false;
    return std::all_of(v.begin(), v.end(), [](unsigned char x) { return (x & 1) != 0; });
  }

  // Under hash_mu: hashes the kept blocks that now follow the hashed prefix.
  void advance() {
    while (next < blocks && kept[next] && all_resident(next)) {
      hasher->update(Bytes(base + next * kBlock, block_bytes(next)));
      ++next;
    }
  }

  // Installs a block read whole into buf; hashes it when it is next in order.
  void install_block(uint64_t block, uint64_t len, const uint8_t* buf) {
    const uint64_t start = block * kBlock;
    std::lock_guard hl(hash_mu);  // also orders this read of `hasher` after make_hashed set it
    install(start, len, buf);
    if (!hasher) return;
    kept[block] = 1;
    if (block == next) {
      hasher->update(Bytes(buf, block_bytes(block)));
      ++next;
      advance();
    }
  }

  void fill(uint64_t fault_off, std::vector<uint8_t>& buf) {
    const uint64_t block = fault_off / kBlock;
    {
      std::unique_lock lk(mu);
      done.wait(lk, [&] { return std::find(in_flight.begin(), in_flight.end(), block) == in_flight.end(); });
      in_flight.push_back(block);
    }
    const uint64_t fault_page = fault_off / page * page;
    if (resident(fault_page)) {
      wake(fault_page, page);  // filled by the handler this one waited for
    } else {
      const uint64_t start = block * kBlock;
      const uint64_t n = std::min(kBlock, size - start);
      const uint64_t len = std::min(kBlock, mapped - start);
      auto st = inner->read_at(start, std::span<uint8_t>(buf.data(), n));
      if (!st) {
        std::memset(buf.data(), 0, len);
        std::lock_guard lk(mu);
        if (error.empty()) error = st.error().message();
      } else if (len > n) {
        std::memset(buf.data() + n, 0, len - n);
      }
      faults.fetch_add(1, std::memory_order_relaxed);  // before the faulting thread is woken
      install_block(block, len, buf.data());
    }
    std::lock_guard lk(mu);
    in_flight.erase(std::find(in_flight.begin(), in_flight.end(), block));
    done.notify_all();
  }

  void serve() {
    std::vector<uint8_t> buf(kBlock);
    pollfd fds[2] = {{uffd, POLLIN, 0}, {stop, POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) return;
      uffd_msg msg;
      if (::read(uffd, &msg, sizeof msg) != ssize_t(sizeof msg)) continue;  // another handler took it
      if (msg.event != UFFD_EVENT_PAGEFAULT) continue;
      const uint64_t addr = msg.arg.pagefault.address;
      const uint64_t b = reinterpret_cast<uint64_t>(base);
      if (addr < b || addr >= b + mapped) continue;
      fill(addr - b, buf);
    }
  }
};

namespace {

Error unavailable(const std::string& why) {
  return make_error(ErrorCode::kUnsupported, "lazy map", "the span cannot be filled on demand: " + why);
}

Error sys(const char* call) { return unavailable(fmt::format("{}: {}", call, std::strerror(errno))); }

}  // namespace

LazyMapSource::LazyMapSource(std::unique_ptr<State> s) : s_(std::move(s)) {}
LazyMapSource::~LazyMapSource() = default;

Result<std::shared_ptr<const LazyMapSource>> LazyMapSource::make_hashed(SourcePtr inner, HashKind kind) {
  auto lazy = make(std::move(inner));
  if (!lazy) return lazy;
  State& s = *(*lazy)->s_;
  std::lock_guard hl(s.hash_mu);
  s.blocks = (s.size + kBlock - 1) / kBlock;
  s.kept.assign(s.blocks, 0);
  s.hasher = std::make_unique<Hasher>(kind);
  return lazy;
}

Result<std::shared_ptr<const LazyMapSource>> LazyMapSource::make(SourcePtr inner) {
  if (std::getenv("UPSCOPE_NO_LAZY_MAP")) return fail(unavailable("UPSCOPE_NO_LAZY_MAP is set"));
  if (!inner || inner->size() == 0) return fail(unavailable("the source is empty"));
  auto s = std::make_unique<State>();
  s->inner = std::move(inner);
  s->size = s->inner->size();
  s->page = uint64_t(::sysconf(_SC_PAGESIZE));
  if (s->size > UINT64_MAX - s->page) return fail(unavailable("the source is too large"));
  s->mapped = (s->size + s->page - 1) / s->page * s->page;
  // User-mode faults only: that needs no privilege (Linux 5.11 on); older kernels refuse the flag.
  int flags = O_CLOEXEC | O_NONBLOCK;
#ifdef UFFD_USER_MODE_ONLY
  s->uffd = int(::syscall(SYS_userfaultfd, flags | UFFD_USER_MODE_ONLY));
  if (s->uffd < 0 && errno == EINVAL) s->uffd = int(::syscall(SYS_userfaultfd, flags));
#else
  s->uffd = int(::syscall(SYS_userfaultfd, flags));
#endif
  if (s->uffd < 0) return fail(sys("userfaultfd"));
  uffdio_api api{UFFD_API, 0, 0};
  if (::ioctl(s->uffd, UFFDIO_API, &api) < 0) return fail(sys("UFFDIO_API"));
  void* p = ::mmap(nullptr, s->mapped, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return fail(sys("mmap"));
  s->base = static_cast<uint8_t*>(p);
  ::madvise(p, s->mapped, MADV_NOHUGEPAGE);  // blocks are installed 4 KiB pages at a time anyway
  uffdio_register reg{{reinterpret_cast<uint64_t>(p), s->mapped}, UFFDIO_REGISTER_MODE_MISSING, 0};
  if (::ioctl(s->uffd, UFFDIO_REGISTER, &reg) < 0) return fail(sys("UFFDIO_REGISTER"));
  if (!(reg.ioctls & (uint64_t(1) << _UFFDIO_COPY))) return fail(unavailable("UFFDIO_COPY is not offered"));
  s->stop = ::eventfd(0, EFD_CLOEXEC);
  if (s->stop < 0) return fail(sys("eventfd"));
  // Faults from several reader threads are served side by side (the inner reads decode).
  const unsigned n = std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
  State* raw = s.get();
  for (unsigned i = 0; i < n; ++i) s->handlers.emplace_back([raw] { raw->serve(); });
  return std::shared_ptr<const LazyMapSource>(new LazyMapSource(std::move(s)));
}

uint64_t LazyMapSource::size() const { return s_->size; }
std::string LazyMapSource::name() const { return s_->inner->name(); }
Status LazyMapSource::read_at(uint64_t off, std::span<uint8_t> out) const { return s_->inner->read_at(off, out); }
std::optional<Bytes> LazyMapSource::contiguous() const { return Bytes(s_->base, s_->size); }
const Source* LazyMapSource::parent() const { return s_->inner.get(); }

void LazyMapSource::release(uint64_t off, uint64_t n) const {
  if (off >= s_->size || n == 0) return;
  const uint64_t end = n > s_->size - off ? s_->size : off + n;
  const uint64_t pg = s_->page;
  // Whole pages inside the range (the tail page counts): a page shared with bytes outside it stays.
  const uint64_t first = (off + pg - 1) / pg * pg;
  const uint64_t last = end == s_->size ? s_->mapped : end / pg * pg;
  if (first < last) {
    if (!s_->hasher) {
      ::madvise(s_->base + first, last - first, MADV_DONTNEED);
    } else {
      // Blocks past the hashed prefix stay (the nearest kKeepAhead of them): their turn will come.
      std::lock_guard hl(s_->hash_mu);
      uint64_t ahead = 0, drop_from = first;  // [drop_from, lo) is dropped in one call
      for (uint64_t b = s_->next; b < first / kBlock; ++b) ahead += s_->kept[b];
      for (uint64_t b = first / kBlock; b * kBlock < last; ++b) {
        const uint64_t lo = std::max(first, b * kBlock), hi = std::min(last, (b + 1) * kBlock);
        if (b >= s_->next && s_->kept[b] && ahead < kKeepAhead) {
          ++ahead;
          if (drop_from < lo) ::madvise(s_->base + drop_from, lo - drop_from, MADV_DONTNEED);
          drop_from = hi;
          continue;
        }
        s_->kept[b] = 0;
      }
      if (drop_from < last) ::madvise(s_->base + drop_from, last - drop_from, MADV_DONTNEED);
    }
  }
  s_->inner->release(off, end - off);
}

Result<std::string> LazyMapSource::digest() const {
  State& s = *s_;
  if (!s.hasher) return fail(ErrorCode::kInvalidArgument, "lazy map", "digest() of a span made without hashing");
  std::vector<uint8_t> buf;
  for (;;) {
    uint64_t b;
    {
      std::lock_guard hl(s.hash_mu);
      b = s.next;
    }
    if (b >= s.blocks) break;
    // A missing page faults, and the handler reads and hashes the whole block (it is next).
    const uint64_t start = b * kBlock, len = std::min(kBlock, s.mapped - start);
    for (uint64_t p = 0; p < len; p += s.page) (void)*static_cast<volatile const uint8_t*>(s.base + start + p);
    {
      std::lock_guard hl(s.hash_mu);
      if (s.next == b) {  // every page was present but the block was not kept whole: read it again
        buf.resize(s.block_bytes(b));
        UPSCOPE_CHECK(s.inner->read_at(start, buf));
        s.hasher->update(Bytes(buf.data(), buf.size()));
        ++s.next;
        s.advance();
      }
    }
    release(start, std::min(s.next * kBlock, s.size) - start);
  }
  if (auto e = error()) return fail(ErrorCode::kIo, "lazy map", *e);
  std::lock_guard hl(s.hash_mu);
  return s.hasher->hex_digest();
}

std::optional<std::string> LazyMapSource::error() const {
  std::lock_guard lk(s_->mu);
  if (s_->error.empty()) return std::nullopt;
  return s_->error;
}

uint64_t LazyMapSource::faults() const { return s_->faults.load(std::memory_order_relaxed); }

SourcePtr lazy_contiguous(SourcePtr inner, uint64_t min_size) {
  if (!inner || inner->contiguous() || inner->size() < min_size) return inner;
  auto lazy = LazyMapSource::make(inner);
  if (!lazy) return inner;
  return *lazy;
}

std::shared_ptr<const LazyMapSource> lazy_hashed(SourcePtr inner, HashKind kind) {
  if (!inner || inner->contiguous()) return nullptr;
  auto lazy = LazyMapSource::make_hashed(std::move(inner), kind);
  return lazy ? *lazy : nullptr;
}

std::optional<std::string> lazy_map_error(const Source& src) {
  if (const auto* l = dynamic_cast<const LazyMapSource*>(&src)) return l->error();
  return std::nullopt;
}

}  // namespace upscope
