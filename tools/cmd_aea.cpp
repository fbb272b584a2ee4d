// Apple Encrypted Archives: the keys of the global options and the plaintext they unlock, shared by
// inspect, ls, aa and decompress (aea_input.hpp); and `upscope aea decrypt FILE -o OUT` (the
// plaintext, every segment checked) and `upscope aea verify FILE` (every check, nothing written).
#include "aea_input.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "inspect/checked.hpp"
#include "inspect/hash.hpp"
#include "inspect/limits.hpp"
#include "inspect/progress.hpp"
#include "inspect/text.hpp"
#include "reports/aea.hpp"

namespace upscope::cli {

Result<aea::Keys> aea_keys(const GlobalOptions& g) {
  aea::Keys keys;
  if (!g.aea_key.empty() && !g.aea_key_file.empty())
    return fail(ErrorCode::kInvalidArgument, "", "give the key once: --key or --key-file, not both");
  if (!g.aea_key.empty()) {
    UPSCOPE_TRY(keys, aea::keys_from_base64(g.aea_key));
  } else if (!g.aea_key_file.empty()) {
    UPSCOPE_TRY(keys, aea::keys_from_file(g.aea_key_file));
  }
  if (!g.aea_password_file.empty()) {
    UPSCOPE_TRY(auto pw, aea::password_from_file(g.aea_password_file));
    keys.password = std::move(pw);
  }
  return keys;
}

Status set_build_keys(const GlobalOptions& g, build::InventoryOptions& opt) {
  if (!g.aea_key.empty() || !g.aea_key_file.empty() || !g.aea_password_file.empty()) {
    UPSCOPE_TRY(opt.aea_default_keys, aea_keys(g));
  }
  if (g.aea_keys_file.empty()) return {};
  auto src = FileSource::open(g.aea_keys_file);
  if (!src) return fail(src.error());
  auto bytes = (*src)->contiguous();
  if (!bytes || bytes->size() > (1u << 20))
    return fail(ErrorCode::kInvalidArgument, g.aea_keys_file, "--aea-keys: not a readable JSON file of at most 1 MiB");
  auto doc = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (!doc.is_object())
    return fail(ErrorCode::kInvalidArgument, g.aea_keys_file,
                "--aea-keys: not a JSON object mapping file names to base64 keys");
  for (const auto& [name, value] : doc.items()) {
    if (!value.is_string())
      return fail(ErrorCode::kInvalidArgument, g.aea_keys_file, fmt::format("--aea-keys: \"{}\": not a string", name));
    auto keys = aea::keys_from_base64(value.get<std::string>());
    if (!keys)
      return fail(ErrorCode::kInvalidArgument, g.aea_keys_file,
                  fmt::format("--aea-keys: \"{}\": {}", name, keys.error().message()));
    opt.aea_keys[name] = std::move(*keys);
  }
  return {};
}

std::string aea_key_hint(uint32_t profile) {
  switch (profile) {
    case 1:
    case 2: return "give it with --key BASE64 or --key-file PATH";
    case 3:
    case 4: return "give it with --key-file KEY.pem";
    case 5: return "give it with --password-file PATH";
    default: return {};
  }
}

Result<std::shared_ptr<const aea::PlainSource>> open_aea(const Context& ctx, const SourcePtr& file,
                                                         const std::string& shown) {
  auto keys = aea_keys(ctx.global);
  if (!keys) return fail(keys.error());
  auto plain = aea::open_plaintext(file, *keys);
  if (!plain) {
    Error e = plain.error().in_file(shown.empty() ? file->name() : shown);
    if (e.code == ErrorCode::kUnsupported && e.structure == "AEA prologue") {
      auto h = aea::read_header(*file);
      if (h) e.rule += "; " + aea_key_hint(h->profile);
    }
    return fail(std::move(e));
  }
  return *plain;
}

Result<std::vector<uint8_t>> read_aea_plaintext(const Context& ctx, const aea::PlainSource& plain) {
  const aea::Archive& a = plain.archive();
  UPSCOPE_CHECK(check_memory(a.root.plain_size, "AEA plaintext"));
  auto size = to_size(a.root.plain_size);
  if (!size) return fail(ErrorCode::kLimit, "AEA plaintext", "does not fit in memory");
  std::vector<uint8_t> out;
  // The declared size is only a claim until the segments decode: reserve a bounded part of it.
  out.reserve(std::min<size_t>(*size, size_t{64} << 20));
  auto st = aea::stream_plaintext(a, plain.file(), ctx.global.jobs, [&](Bytes b) -> Status {
    out.insert(out.end(), b.begin(), b.end());
    return {};
  });
  if (!st) return fail(st.error().in_file(plain.file()->name()));
  return out;
}

Result<std::optional<AeaPlaintext>> read_if_aea(const Context& ctx, const std::string& path) {
  UPSCOPE_TRY(SourcePtr file, FileSource::open(path));
  uint8_t magic[4] = {0};
  if (file->size() < 4 || !file->read_at(0, magic) || std::memcmp(magic, "AEA1", 4) != 0)
    return std::optional<AeaPlaintext>();
  UPSCOPE_TRY(auto plain, open_aea(ctx, file, path));
  AeaPlaintext out;
  UPSCOPE_TRY(out.bytes, read_aea_plaintext(ctx, *plain));
  const aea::Archive& a = plain->archive();
  out.summary = fmt::format("AEA profile {} ({}), {} segments", a.header.profile, a.header.info->summary,
                            aea::compression_name(a.root.compression));
  out.diagnostics = a.diagnostics;
  return std::optional<AeaPlaintext>(std::move(out));
}

Result<uint64_t> write_aea_plaintext(const Context& ctx, const SourcePtr& file, const std::string& shown,
                                     uint64_t max_output, const std::function<Status(Bytes)>& write,
                                     std::string& summary) {
  UPSCOPE_TRY(auto plain, open_aea(ctx, file, shown));
  const aea::Archive& a = plain->archive();
  if (a.root.plain_size > max_output)
    return fail(ErrorCode::kLimit, "AEA root header",
                fmt::format("plaintext size {} exceeds the limit of {} bytes (decompression bomb guard)", a.root.plain_size,
                            max_output),
                a.header.layout.root_header);
  print_diagnostics(ctx, file->name(), a.diagnostics);
  Progress bar("decompress", a.root.plain_size);
  auto st = aea::stream_plaintext(a, file, ctx.global.jobs, [&](Bytes b) -> Status {
    UPSCOPE_CHECK(write(b));
    bar.advance(b.size());
    return {};
  });
  bar.finish();
  if (!st) return fail(st.error());
  summary = fmt::format("AEA profile {} ({}), {} segments ({}), every segment checked", a.header.profile,
                        a.header.info->summary, a.segments.size(), aea::compression_name(a.root.compression));
  return a.root.plain_size;
}

namespace {

struct AeaOptions {
  std::string input;
};

// Streams the plaintext to -o (a file, or - for stdout); a failed check removes the partial output.
int decrypt_cmd(Context& ctx, const AeaOptions& opt) {
  const std::string& out_path = ctx.global.output;
  if (out_path.empty()) {
    std::cerr << "upscope aea decrypt: no output: give -o OUT (or -o - for stdout)\n";
    return kExitError;
  }
  if (output_is_input("aea decrypt", out_path, opt.input)) return kExitError;
  auto file = FileSource::open(opt.input);
  if (!file) { print_error(file.error()); return kExitError; }
  auto plain = open_aea(ctx, *file, opt.input);
  if (!plain) { print_error(plain.error()); return kExitError; }
  const aea::Archive& a = (*plain)->archive();
  print_diagnostics(ctx, opt.input, a.diagnostics);
  FILE* fp = out_path == "-" ? stdout : std::fopen(out_path.c_str(), "wb");
  if (!fp) {
    print_error(make_error(ErrorCode::kIo, out_path, "cannot open for writing"));
    return kExitError;
  }
  Progress bar("aea decrypt", a.root.plain_size);
  auto st = aea::stream_plaintext(a, *file, ctx.global.jobs, [&](Bytes b) -> Status {
    if (std::fwrite(b.data(), 1, b.size(), fp) != b.size()) return fail(ErrorCode::kIo, out_path, "write failed (disk full?)");
    bar.advance(b.size());
    return {};
  });
  bar.finish();
  const bool closed = fp == stdout ? std::fflush(fp) == 0 : std::fclose(fp) == 0;
  if (!st || !closed) {
    if (out_path != "-") { std::error_code ec; std::filesystem::remove(out_path, ec); }
    print_error(st ? make_error(ErrorCode::kIo, out_path, "write failed") : st.error().in_file(opt.input));
    return kExitError;
  }
  if (!ctx.global.quiet)
    std::cerr << fmt::format("{}: {}: wrote {} bytes ({}) to {}; every segment checked\n", opt.input, reports::aea_summary(a),
                             a.root.plain_size, human_size(a.root.plain_size), out_path);
  return a.diagnostics.has_errors() ? kExitError : kExitOk;
}

// Decodes every segment (HMAC, decryption, decompression, checksum) and reports the plaintext's SHA-256.
int verify_cmd(Context& ctx, const AeaOptions& opt) {
  auto file = FileSource::open(opt.input);
  if (!file) { print_error(file.error()); return kExitError; }
  auto plain = open_aea(ctx, *file, opt.input);
  if (!plain) { print_error(plain.error()); return kExitError; }
  const aea::Archive& a = (*plain)->archive();
  uint64_t total = 0;
  Progress bar("aea verify", a.root.plain_size);
  Hasher hasher(HashKind::kSha256);
  auto st = aea::stream_plaintext(a, *file, ctx.global.jobs, [&](Bytes b) -> Status {
    hasher.update(b);
    total += b.size();
    bar.advance(b.size());
    return {};
  });
  bar.finish();
  if (!st) { print_error(st.error().in_file(opt.input)); return kExitError; }
  const reports::AeaPlaintext plaintext{total, hasher.hex_digest()};
  int rc = a.diagnostics.has_errors() ? kExitError : kExitOk;
  if (ctx.global.output_format() == Format::kJson) {
    if (ctx.global.strict && a.diagnostics.count(Severity::kWarning)) rc = kExitError;
    int out = emit(ctx, reports::aea_verify_document(opt.input, a, plaintext));
    return out != kExitOk ? out : rc;
  }
  if (print_diagnostics(ctx, opt.input, a.diagnostics)) rc = kExitError;
  int out = emit(ctx, reports::aea_verify_text(opt.input, a, plaintext));
  return out != kExitOk ? out : rc;
}

const CommandRegistrar registered_cmd_aea("aea", 66, [](CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<AeaOptions>();
  auto* sub = app.add_subcommand("aea", "Apple Encrypted Archive (AEA1): decrypt or verify (keys: --key, --key-file, --password-file)");
  sub->require_subcommand(1);
  auto* dec = sub->add_subcommand("decrypt", "Write the plaintext to -o OUT, checking every segment");
  dec->add_option("input", opt->input, "AEA file")->required();
  dec->footer("Exit codes: 0 written; 2 error (a missing or wrong key, a failed check: nothing is kept).");
  dec->callback([&ctx, opt] { ctx.exit_code = decrypt_cmd(ctx, *opt); });
  auto* ver = sub->add_subcommand("verify", "Check the signature, every HMAC and every segment checksum");
  ver->add_option("input", opt->input, "AEA file")->required();
  ver->footer("Exit codes: 0 every check passed; 2 a check failed or the file could not be read.");
  ver->callback([&ctx, opt] { ctx.exit_code = verify_cmd(ctx, *opt); });
});

}  // namespace
}  // namespace upscope::cli
