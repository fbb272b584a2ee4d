#include "disasm/symbolic.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <set>

#include "disasm/x86_decode.hpp"
#include "inspect/hash.hpp"

namespace upscope::disasm {

namespace {

// Collects the normalised stream of the image and, when asked, of each function. The stream is
// written into one buffer; the image hash takes it a buffer at a time, and each function's hash its
// span of the buffer when the function ends (or the buffer fills), not an instruction at a time.
class Emitter {
 public:
  Emitter(AddressMap& map, CodeDetail detail, ImageCode& out)
      : map_(map), detail_(detail), out_(out), buf_(new uint8_t[kBuffer]) {}

  // Moves to the function holding `pc` (or none), closing the previous one.
  void at(uint64_t pc) {
    if (pc >= fn_begin_ && pc < fn_end_) return;
    close();
    const AddressMap::Function* f = map_.function_at(pc);
    if (f) {
      fn_ = f;
      fn_begin_ = f->addr;
      fn_end_ = map_.function_end(*f);
      if (detail_ != CodeDetail::kImage) {
        fn_hasher_.emplace(HashKind::kXxh3_128);
        fn_mark_ = len_;
        current_ = FunctionCode{};
        current_.addr = f->addr;
        current_.identity = f->identity;
        current_.display = f->display;
      }
    } else {
      fn_ = nullptr;
      fn_begin_ = pc;
      fn_end_ = pc + 1;  // unknown extent: re-checked at the next instruction
    }
  }

  bool local(uint64_t target) const { return fn_ && target >= fn_begin_ && target < fn_end_; }
  uint64_t run_end() const { return fn_end_; }  // where the current function (or unknown stretch) ends
  bool per_instruction() const { return detail_ == CodeDetail::kFull; }

  // `n` bytes of instructions that refer to nothing, as they are (never per_instruction()).
  void emit_run(const uint8_t* bytes, size_t n, uint32_t instructions) {
    while (n) {
      if (len_ == kBuffer) flush();
      const size_t k = std::min(n, kBuffer - len_);
      std::memcpy(buf_.get() + len_, bytes, k);
      len_ += k;
      bytes += k;
      n -= k;
    }
    if (fn_ && fn_hasher_) current_.instructions += instructions;
  }
  uint64_t function_begin() const { return fn_ ? fn_begin_ : 0; }

  // One instruction: its bytes with address operands cleared, and what those referred to.
  void emit(const uint8_t* bytes, size_t n, const Ref* ref, bool call) {
    if (len_ + 16 + 8 > kBuffer) flush();
    uint8_t* p = buf_.get() + len_;
    std::memcpy(p, bytes, n);
    size_t len = n;
    if (ref) {
      const uint64_t tok = map_.token(*ref);
      std::memcpy(p + len, &tok, 8);
      len += 8;
      ++out_.references;
    }
    len_ += len;
    if (fn_ && fn_hasher_) {
      ++current_.instructions;
      if (detail_ == CodeDetail::kFull) {
        current_.tokens.push_back(xxh3_64(Bytes(p, len)));
        if (ref) (call ? calls_ : refs_).insert(map_.describe(*ref));
      }
    }
  }

  void finish() {
    close();
    flush();
    out_.hash = image_.hex_digest();
  }

 private:
  static constexpr size_t kBuffer = 256 << 10;

  void flush() {
    if (fn_hasher_) fn_hasher_->update(Bytes(buf_.get() + fn_mark_, len_ - fn_mark_));
    fn_mark_ = 0;
    image_.update(Bytes(buf_.get(), len_));
    len_ = 0;
  }
  void close() {
    if (fn_ && fn_hasher_) {
      fn_hasher_->update(Bytes(buf_.get() + fn_mark_, len_ - fn_mark_));
      current_.hash = fn_hasher_->hex_digest();
      current_.calls.assign(calls_.begin(), calls_.end());
      current_.refs.assign(refs_.begin(), refs_.end());
      out_.functions.push_back(std::move(current_));
      current_ = FunctionCode{};
    }
    fn_hasher_.reset();
    calls_.clear();
    refs_.clear();
    fn_ = nullptr;
    fn_begin_ = fn_end_ = 0;
  }

  AddressMap& map_;
  const CodeDetail detail_;
  ImageCode& out_;
  Hasher image_{HashKind::kXxh3_128};
  std::unique_ptr<uint8_t[]> buf_;
  size_t len_ = 0, fn_mark_ = 0;  // bytes in buf_; where the current function's bytes start in it
  const AddressMap::Function* fn_ = nullptr;
  uint64_t fn_begin_ = 0, fn_end_ = 0;
  std::optional<Hasher> fn_hasher_;
  FunctionCode current_;
  std::set<std::string> calls_, refs_;
};

void put_word(uint8_t* p, uint32_t w) {
  for (int k = 0; k < 4; ++k) p[k] = static_cast<uint8_t>(w >> (8 * k));
}

// AArch64 (arm64, arm64e, arm64_32): fixed-width words classified by their encoding, no disassembler.
void arm64(AddressMap& map, const CodeSection& sec, Emitter& e) {
  uint64_t page[32] = {};
  uint32_t adrp = 0;  // registers holding an ADRP page (their consumers carry the reference)
  const Bytes code = sec.bytes;
  // Words that name no address (not a branch, ADR/ADRP or literal load), while no ADRP page is live:
  // most of any code. They are copied as they are, a run at a time.
  auto plain = [](uint32_t w) {
    return (w & 0x7C000000) != 0x14000000 && (w & 0xFF000010) != 0x54000000 && (w & 0x7C000000) != 0x34000000 &&
           (w & 0x1F000000) != 0x10000000 && (w & 0x3B000000) != 0x18000000;
  };
  for (size_t i = 0; i + 4 <= code.size(); i += 4) {
    const uint64_t pc = sec.addr + i;
    e.at(pc);
    const uint32_t w = load_u32le(code.data() + i);
    if (adrp == 0 && !e.per_instruction() && plain(w)) {
      const uint64_t limit = std::min<uint64_t>(code.size() & ~size_t{3}, i + (e.run_end() - pc));
      size_t j = i + 4;
      while (j + 4 <= limit && plain(load_u32le(code.data() + j))) j += 4;
      e.emit_run(code.data() + i, j - i, static_cast<uint32_t>((j - i) / 4));
      i = j - 4;
      continue;
    }
    const uint32_t rd = w & 31, rn = (w >> 5) & 31;
    uint32_t out = w;
    std::optional<Ref> ref;
    bool call = false, writes_rd = true;
    auto branch = [&](int64_t disp, uint32_t keep, bool is_call) {
      const uint64_t target = pc + static_cast<uint64_t>(disp);
      if (!is_call && e.local(target) && target != e.function_begin()) {
        writes_rd = false;  // a jump inside the function: its displacement is the function's own layout
        return;
      }
      out = w & keep;
      ref = map.resolve(target);
      call = true;  // a call, or a tail call to another function
      writes_rd = false;
    };
    if ((w & 0x7C000000) == 0x14000000) {  // B, BL: imm26
      branch(sign_extend(w, 26) * 4, 0xFC000000, (w >> 31) != 0);
      if (w >> 31) adrp &= ~(1u << 30);  // BL writes the link register
    } else if ((w & 0xFF000010) == 0x54000000 || (w & 0x7E000000) == 0x34000000) {  // B.cond, CBZ/CBNZ: imm19
      branch(sign_extend(w >> 5, 19) * 4, 0xFF00001F, false);
    } else if ((w & 0x7E000000) == 0x36000000) {  // TBZ/TBNZ: imm14
      branch(sign_extend(w >> 5, 14) * 4, 0xFFF8001F, false);
    } else if ((w & 0x1F000000) == 0x10000000) {  // ADR / ADRP
      const int64_t imm = sign_extend(((w >> 29) & 3) | (((w >> 5) & 0x7FFFF) << 2), 21);
      out = w & 0x9F00001F;
      if (w >> 31) {  // ADRP: the page goes with the instruction that adds the low bits
        page[rd] = (pc & ~uint64_t{0xFFF}) + static_cast<uint64_t>(imm * 4096);
        adrp |= 1u << rd;
        writes_rd = false;
      } else {
        ref = map.resolve(pc + static_cast<uint64_t>(imm));
      }
    } else if ((w & 0x3B000000) == 0x18000000) {  // LDR (literal): imm19
      out = w & 0xFF00001F;
      ref = map.resolve(pc + static_cast<uint64_t>(sign_extend(w >> 5, 19) * 4));
    } else if ((w & 0x7F800000) == 0x11000000 && (adrp >> rn & 1)) {  // ADD (immediate) on an ADRP page
      const uint64_t imm = ((w >> 10) & 0xFFF) << ((w >> 22 & 1) ? 12 : 0);
      out = w & 0xFFC003FF;
      ref = map.resolve(page[rn] + imm);
    } else if ((w & 0x3B000000) == 0x39000000 && (adrp >> rn & 1)) {  // LDR/STR (unsigned offset) on a page
      const uint32_t size = w >> 30, opc = (w >> 22) & 3;
      const bool simd = (w >> 26) & 1;
      const unsigned scale = simd && (opc & 2) && size == 0 ? 4 : size;
      out = w & 0xFFC003FF;
      ref = map.resolve(page[rn] + ((uint64_t{(w >> 10) & 0xFFF}) << scale));
      writes_rd = simd ? (opc & 1) : opc != 0;  // loads write Rt; stores do not
    } else if ((w & 0x3A000000) == 0x28000000) {  // LDP/STP: a load writes Rt and Rt2
      writes_rd = (w >> 22) & 1;
      if (writes_rd) adrp &= ~(1u << ((w >> 10) & 31));
    } else if ((w & 0x3B000000) == 0x39000000 || (w & 0x3B200C00) == 0x38000000 || (w & 0x3B200C00) == 0x38200800) {
      const uint32_t opc = (w >> 22) & 3;  // other loads and stores: stores keep Rt
      writes_rd = ((w >> 26) & 1) ? (opc & 1) : opc != 0;
    } else if ((w & 0xFFFFFC1F) == 0xD65F0000 || (w & 0xFC000000) == 0xD4000000 || (w & 0xFFFFF01F) == 0xD503201F) {
      writes_rd = false;  // RET, exceptions, hints (NOP, PAC hints)
    }
    if (writes_rd) adrp &= ~(1u << rd);
    uint8_t bytes[4];
    put_word(bytes, out);
    e.emit(bytes, 4, ref ? &*ref : nullptr, call && ref);
  }
  // A trailing partial word is data, kept as it is.
  if (code.size() % 4) e.emit(code.data() + (code.size() & ~size_t{3}), code.size() % 4, nullptr, false);
}

void x86_64(AddressMap& map, const CodeSection& sec, Emitter& e) {
  const Bytes code = sec.bytes;
  X86Insn insn;
  for (size_t i = 0; i < code.size();) {
    const uint64_t pc = sec.addr + i;
    e.at(pc);
    if (!decode_x86_64(code.data() + i, code.size() - i, insn)) {
      e.emit(code.data() + i, 1, nullptr, false);
      ++i;
      continue;
    }
    uint8_t bytes[16];
    std::memcpy(bytes, code.data() + i, insn.length);
    const uint64_t next = pc + insn.length;
    std::optional<Ref> ref;
    bool call = false;
    // A relocated operand (an x86-64 kext before linking) names its symbol directly.
    auto relocated = [&](uint8_t off) -> bool {
      const AddressMap::Slot* s = map.slot_at(pc + off);
      if (!s || s->import == AddressMap::kNoName) return false;
      Ref r;
      r.kind = RefKind::kImport;
      r.name = s->import;
      r.offset = s->addend;
      ref = r;
      return true;
    };
    if (insn.branch_relative && insn.imm_size) {
      const int64_t disp = insn.imm_size == 1 ? static_cast<int8_t>(bytes[insn.imm_offset])
                           : insn.imm_size == 2 ? static_cast<int16_t>(load_u16le(bytes + insn.imm_offset))
                                                : static_cast<int32_t>(load_u32le(bytes + insn.imm_offset));
      const uint64_t target = next + static_cast<uint64_t>(disp);
      const bool is_call = insn.imm_offset > 0 && bytes[insn.imm_offset - 1] == 0xE8;
      if (relocated(insn.imm_offset) || is_call || !e.local(target) || target == e.function_begin()) {
        if (!ref) ref = map.resolve(target);
        std::memset(bytes + insn.imm_offset, 0, insn.imm_size);
        call = true;
      }
    }
    if (insn.rip_relative && insn.disp_size == 4) {
      if (!relocated(insn.disp_offset)) {
        const int64_t disp = static_cast<int32_t>(load_u32le(bytes + insn.disp_offset));
        if (!ref) ref = map.resolve(next + static_cast<uint64_t>(disp));
      }
      std::memset(bytes + insn.disp_offset, 0, insn.disp_size);
    }
    e.emit(bytes, insn.length, ref ? &*ref : nullptr, call);
    i += insn.length;
  }
}

}  // namespace

ImageCode normalise_code(AddressMap& map, Arch arch, const std::vector<CodeSection>& sections, CodeDetail detail) {
  ImageCode out;
  Emitter e(map, detail, out);
  for (const auto& s : sections) {
    out.bytes += s.bytes.size();
    if (arch == Arch::kArm64) arm64(map, s, e);
    else if (arch == Arch::kX86_64) x86_64(map, s, e);
    else {
      for (size_t i = 0; i < s.bytes.size(); i += 4096) {
        e.at(s.addr + i);
        const size_t n = std::min<size_t>(4096, s.bytes.size() - i);
        for (size_t k = 0; k < n; k += 16) e.emit(s.bytes.data() + i + k, std::min<size_t>(16, n - k), nullptr, false);
      }
    }
  }
  e.finish();
  return out;
}

std::string normalise_data(AddressMap& map, uint64_t addr, Bytes bytes, unsigned pointer_size) {
  Hasher h(HashKind::kXxh3_128);
  auto [slot, end] = map.slots_in(addr, addr + bytes.size());
  uint64_t at = 0;
  for (; slot != end; ++slot) {
    const uint64_t off = slot->addr - addr;
    if (off < at || off + pointer_size > bytes.size()) continue;  // overlapping or cut off: kept as bytes
    h.update(bytes.subspan(at, off - at));
    Ref r;
    if (slot->import != AddressMap::kNoName) {
      r.kind = RefKind::kImport;
      r.name = slot->import;
      r.offset = slot->addend;
    } else {
      r = map.resolve(slot->target);
    }
    uint8_t tok[9] = {0xFE};
    const uint64_t t = map.token(r);
    std::memcpy(tok + 1, &t, 8);
    h.update(Bytes(tok, sizeof tok));
    at = off + pointer_size;
  }
  if (at < bytes.size()) h.update(bytes.subspan(at));
  return h.hex_digest();
}

}  // namespace upscope::disasm
