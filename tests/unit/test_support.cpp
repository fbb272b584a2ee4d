#include "test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace upscope::test {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
  std::string s = read_file(p);
  return std::vector<uint8_t>(s.begin(), s.end());
}

void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

RunResult run_shell(const std::string& command) {
  RunResult r;
  FILE* f = ::popen(command.c_str(), "r");
  if (!f) return r;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int status = ::pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string writer_script(const std::string& script) {
  return shell_quote((source_dir() / "samples/gen" / script).string());
}

RunResult run_writer(const std::string& script, const std::string& args) {
  return run_shell("python3 " + writer_script(script) + " " + args + " 2>&1");
}

RunResult run_upscope(const std::vector<std::string>& args) {
  static int counter = 0;
  auto err_path = std::filesystem::temp_directory_path() /
                  ("upscope-test-stderr-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::string cmd = shell_quote(upscope_binary());
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " 2>" + shell_quote(err_path.string()) + " </dev/null";
  RunResult r = run_shell(cmd);
  r.err = read_file(err_path);
  std::filesystem::remove(err_path);
  return r;
}

std::vector<std::string> texts(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d.items()) out.push_back(x.text());
  return out;
}

std::string joined(const Diagnostics& d) {
  std::string s;
  for (const auto& t : texts(d)) s += t + "\n";
  return s;
}

std::optional<std::filesystem::path> npm_package_file(const std::string& package, const std::string& rel) {
  std::string name = "npm-" + package;
  for (char& c : name)
    if (c == '/' || c == '@') c = '-';
  auto dir = scratch_dir(name);
  auto r = run_shell("cd " + shell_quote(dir.string()) + " && timeout 60 npm pack " + shell_quote(package) +
                     " --silent >/dev/null 2>&1 && tar xzf *.tgz 2>&1");
  auto file = dir / "package" / rel;
  if (r.exit_code != 0 || !std::filesystem::exists(file)) {
    WARN("SKIPPED: npm pack " << package << " failed (offline?)");
    return std::nullopt;
  }
  return file;
}

}  // namespace upscope::test
