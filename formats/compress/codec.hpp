// One decoder interface for every codec Apple's formats use: our own LZFSE, LZVN, ADC, LZSS and LZBITMAP,
// and Debian's zlib/libdeflate, bzip2, liblzma, zstd and LZ4 behind the same signature.
//
// Contract of every DecodeFn: decode the whole of `in` into `out` and return the number of bytes
// produced. A decoder never writes past out.size(): output that would not fit is an Error with
// ErrorCode::kLimit (the caller sized `out` from what the container promised, capped against what
// it allows: the decompression-bomb guard). Malformed or truncated input is an Error whose offset
// is relative to the start of `in` (callers shift it with Error::shifted()).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::compress {

enum class Codec {
  kZlib,      // RFC 1950 (zlib header), UDIF 0x80000005, decmpfs 3/4, pbzz
  kDeflate,   // RFC 1951 raw deflate
  kBzip2,     // UDIF 0x80000006
  kXz,        // xz container (pbzx chunks, BXDIFF50 sections)
  kLzma,      // raw LZMA1 "lzma alone" as UDIF 0x80000008 uses it
  kZstd,
  kLz4Frame,  // LZ4 frame format (04 22 4d 18)
  kLz4Block,  // Apple's LZ4 block framing (bv41 / bv4- / bv4$) as in pbz4 chunks
  kLzfse,     // bvx2 / bvx1 / bvxn / bvx- / bvx$ streams
  kLzvn,      // a bare LZVN stream (decmpfs 7/8, UDIF chunk data inside bvxn)
  kAdc,       // Apple Data Compression, UDIF 0x80000004
  kLzss,      // "complzss" kernelcache payloads (the LZSS body, after the 384-byte header)
  kLzbitmap,  // a "ZBM" LZBITMAP stream (decmpfs 13/14, pbzb chunks): docs/formats/lzbitmap.md
};

// liblzma's memory limit per decoder, for every xz/LZMA stream we decode: xz -9 needs about 65 MiB;
// a header asking for a larger dictionary is refused rather than allocated (several chunks decode at once).
inline constexpr uint64_t kLzmaMemLimit = uint64_t{256} << 20;
// The rule every xz/LZMA decoder reports for LZMA_MEMLIMIT_ERROR (a kLimit error).
inline std::string lzma_memlimit_rule() {
  return "dictionary needs more than " + std::to_string(kLzmaMemLimit >> 20) + " MiB of memory";
}

using DecodeFn = Result<size_t> (*)(Bytes in, std::span<uint8_t> out);

const char* codec_name(Codec c);                        // "zlib", "lzfse", ...
std::optional<Codec> codec_from_name(std::string_view);  // inverse of codec_name
DecodeFn decoder_for(Codec c);

// Decodes into out (exact-size destination: a UDIF chunk, a decmpfs block).
Result<size_t> decode(Codec c, Bytes in, std::span<uint8_t> out);
// Decodes when the output size is unknown: grows the buffer geometrically, never beyond max_output
// (exceeding it is ErrorCode::kLimit, naming the cap).
Result<std::vector<uint8_t>> decode_to_vector(Codec c, Bytes in, uint64_t max_output);

// Our own decoders (formats/compress/<codec>.cpp).
Result<size_t> lzfse_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> lzvn_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> adc_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> lzss_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> lz4_block_stream_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> lzbitmap_decode(Bytes in, std::span<uint8_t> out);
// Debian's libraries behind the same contract (formats/compress/library_codecs.cpp).
Result<size_t> zlib_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> deflate_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> bzip2_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> xz_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> lzma_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> zstd_decode(Bytes in, std::span<uint8_t> out);
Result<size_t> lz4_frame_decode(Bytes in, std::span<uint8_t> out);

}  // namespace upscope::compress
