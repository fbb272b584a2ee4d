// Markdown and HTML reports: the verdict, changes grouped by location with kernel/user marked,
// drill-down to functions; the HTML is one self-contained file, and renders (headless Chromium
// screenshot, when chromium is installed).
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace upscope::test;
namespace fs = std::filesystem;

namespace {

void put(const fs::path& root, const std::string& rel, const fs::path& from) {
  fs::create_directories((root / rel).parent_path());
  fs::copy_file(from, root / rel, fs::copy_options::overwrite_existing);
}

// Old and new trees: WebKit (OS cryptex) and the kernel changed.
std::pair<fs::path, fs::path> make_pair_of_builds(const fs::path& r2, const fs::path& dir) {
  const fs::path a = dir / "old", b = dir / "new";
  put(a, "System/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/WebKit", r2 / "TestMacOS-arm64e");
  put(a, "System/Library/Kernels/kernel", r2 / "hello-macos-arm64-chained");
  put(b, "System/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/WebKit", r2 / "TestRTTI-arm64e");
  put(b, "System/Library/Kernels/kernel", r2 / "TestMacOS-arm64e");
  return {a, b};
}

}  // namespace

TEST_CASE("verdict --format html is one self-contained page with the verdict and grouped changes",
          "[reports][cli][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(r2, "r2");
  auto dir = scratch_dir("report-html");
  auto [a, b] = make_pair_of_builds(r2, dir);
  const fs::path html = dir / "report.html";
  auto r = run_upscope({"report", a.string(), b.string(), "-o", html.string()});
  CHECK(r.exit_code == 1);
  const std::string page = read_file(html);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("RSR verdict: not eligible") != std::string::npos);
  CHECK(page.find("class=\"verdict v-no\"") != std::string::npos);
  CHECK(page.find("<h3 id=\"loc-system-volume\">") != std::string::npos);
  CHECK(page.find("<h3 id=\"loc-cryptex-os\">") != std::string::npos);
  CHECK(page.find("sp-kernel\">kernel</span>") != std::string::npos);
  CHECK(page.find("sp-user\">user</span>") != std::string::npos);
  CHECK(page.find("<details><summary>what changed") != std::string::npos);  // the drill-down: functions, sections
  CHECK(page.find("<th>classes</th>") != std::string::npos);
  // Self-contained: no script, no external asset of any kind.
  for (const char* bad : {"<script", "src=", "<link", "http://", "https://", "url("}) {
    INFO(bad);
    CHECK(page.find(bad) == std::string::npos);
  }
  // The same through verdict --format html, and the Markdown form.
  auto v = run_upscope({"verdict", "--format", "html", a.string(), b.string()});
  CHECK(v.exit_code == 1);
  CHECK(v.out == page);
  auto md = run_upscope({"diff", "--format", "md", a.string(), b.string()});
  CHECK(md.exit_code == 1);
  CHECK(md.out.find("## Changes: 2 (1 kernel space, 1 user space)") != std::string::npos);
  CHECK(md.out.find("### system-volume\n\n| change | space | kind | classes | component | evidence |") !=
        std::string::npos);
  CHECK(md.out.find("| modified | **kernel** | kernel | code, data, signature, metadata | `/System/Library/Kernels/kernel` |") !=
        std::string::npos);
}

TEST_CASE("the HTML report renders in headless Chromium", "[reports][render][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(r2, "r2");
  if (run_shell("command -v chromium >/dev/null 2>&1").exit_code != 0) {
    WARN("SKIPPED: chromium is not installed; reports/screenshot.sh needs it (apt-get install chromium)");
    return;
  }
  auto dir = scratch_dir("report-render");
  auto [a, b] = make_pair_of_builds(r2, dir);
  const fs::path html = dir / "report.html", png = dir / "report.png";
  REQUIRE(run_upscope({"report", a.string(), b.string(), "-o", html.string()}).exit_code == 1);
  auto shot = run_shell(shell_quote((source_dir() / "reports/screenshot.sh").string()) + " " +
                        shell_quote(html.string()) + " " + shell_quote(png.string()) + " 1000x700");
  REQUIRE(shot.exit_code == 0);
  // Not blank, and the "not eligible" banner's background colour (#fde8e8) is on screen.
  auto colours = run_shell("python3 " + shell_quote((source_dir() / "tests/schema/png_colors.py").string()) + " " +
                           shell_quote(png.string()) + " fde8e8");
  INFO(colours.out);
  CHECK(colours.exit_code == 0);
  CHECK(colours.out.find("1000x700") != std::string::npos);
}

TEST_CASE("commands without a rich rendering wrap their text for md and html", "[reports][cli][samples]") {
  UPSCOPE_REQUIRE_SAMPLE(img, "r2/apfs.img");
  auto md = run_upscope({"ls", "--format", "md", img.string()});
  CHECK(md.exit_code == 0);
  CHECK(md.out.rfind("```\n", 0) == 0);
  CHECK(md.out.find("/bin/ls") != std::string::npos);
  auto html = run_upscope({"ls", "--format", "html", img.string()});
  CHECK(html.exit_code == 0);
  CHECK(html.out.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.out.find("<pre>") != std::string::npos);
}
