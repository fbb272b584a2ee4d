// IOKit's XML plist dialect (plist/iokit_xml.hpp): values, ID/IDREF links, entities and CDATA, one
// malformed text per rule with its exact message, and a cross-check against libplist reading the
// same text after kc::resolve_idrefs has expanded it.
#include <string>

#include <fmt/format.h>

#include "inspect/limits.hpp"
#include "kc/prelink.hpp"
#include "plist/iokit_xml.hpp"
#include "plist/parse.hpp"
#include "test_support.hpp"

using namespace upscope;
using plist::IokitXml;
using plist::XmlType;

namespace {

ByteReader reader(const std::string& xml) {
  return ByteReader(Bytes(reinterpret_cast<const uint8_t*>(xml.data()), xml.size()), 0x100);
}

Result<IokitXml> parse(const std::string& xml, plist::XmlLimits lim = {}) {
  return IokitXml::parse(reader(xml), "test plist", lim);
}

std::string message(const std::string& xml) {
  auto r = parse(xml);
  return r ? std::string("(parsed)") : r.error().message();
}

}  // namespace

TEST_CASE("iokit xml: values, links and lookups", "[plist][kc]") {
  const std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE plist>\n<plist version=\"1.0\">\n<dict>\n"
      "  <key>name</key><string ID=\"1\">a &amp; b &lt;c&gt; &#65;&#x42; &#x263A;</string>\n"
      "  <key>same</key><string IDREF=\"1\"/>\n"
      "  <key>cdata</key><string><![CDATA[<raw> & ]]>tail<!-- note --></string>\n"
      "  <key>hex</key><integer size=\"64\" ID=\"2\">0xfffffe0007004000</integer>\n"
      "  <key>dec</key><integer> 42 </integer>\n"
      "  <key>neg</key><integer>-1</integer>\n"
      "  <key>href</key><integer IDREF=\"2\"></integer>\n"
      "  <key>uuid</key><data>AAECAwQFBgcICQoLDA0O\n  Dw==</data>\n"
      "  <key>bad64</key><data>A$==</data>\n"
      "  <key>set</key><set ID=\"3\"><true/><false/><string>x</string></set>\n"
      "  <key>again</key><array IDREF=\"3\"/>\n"
      "  <key>k&amp;y</key><real>1.5</real>\n"
      "  <key>name</key><string>second</string>\n"
      "</dict>\n</plist>\n";
  auto doc = parse(xml);
  REQUIRE(doc);
  const auto root = doc->root();
  CHECK(doc->type(root) == XmlType::kDict);
  CHECK(doc->references() == 3);
  auto get = [&](const char* k) {
    auto n = doc->dict_get(root, k);
    REQUIRE(n);
    return *n;
  };
  CHECK(doc->text(get("name")) == "a & b <c> AB \xE2\x98\xBA");  // the first of a repeated key
  CHECK(doc->text(get("same")) == doc->text(get("name")));
  CHECK(doc->type(get("same")) == XmlType::kString);
  CHECK(doc->text(get("cdata")) == "<raw> & tail");
  CHECK(doc->unsigned_integer(get("hex")) == 0xfffffe0007004000ull);
  CHECK(doc->unsigned_integer(get("href")) == 0xfffffe0007004000ull);
  CHECK(doc->unsigned_integer(get("dec")) == 42u);
  CHECK_FALSE(doc->unsigned_integer(get("neg")));
  CHECK_FALSE(doc->unsigned_integer(get("name")));  // not an <integer>
  auto uuid = doc->data(get("uuid"));
  REQUIRE(uuid);
  CHECK(*uuid == std::vector<uint8_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  CHECK_FALSE(doc->data(get("bad64")));
  CHECK(doc->type(get("k&y")) == XmlType::kReal);
  for (const char* k : {"set", "again"}) {
    INFO(k);
    auto items = doc->children(get(k));
    REQUIRE(items.size() == 3);
    CHECK(doc->type(items[0]) == XmlType::kTrue);
    CHECK(doc->type(items[1]) == XmlType::kFalse);
    CHECK(doc->text(items[2]) == "x");
    CHECK(plist::type_name(doc->type(get(k))) == std::string("array"));
  }
  CHECK_FALSE(doc->dict_get(root, "missing"));
  std::vector<std::string> keys;
  doc->for_each_item(root, [&](std::string_view k, IokitXml::Node) { keys.emplace_back(k); });
  CHECK(keys == std::vector<std::string>{"name", "same", "cdata", "hex", "dec", "neg", "href", "uuid", "bad64", "set",
                                         "again", "k&y", "name"});
  // Without the <plist> wrapper, as the kernel writes PRELINK_INFO; a second top-level value is ignored.
  auto bare = parse("<array><integer>1</integer></array><string>ignored</string>");
  REQUIRE(bare);
  CHECK(bare->type(bare->root()) == XmlType::kArray);
  CHECK(bare->children(bare->root()).size() == 1);
  for (const char* rest : {"<string>ignored</string></plist>", "</plist>", ""}) {
    INFO(rest);
    auto wrapped = parse(std::string("<plist version=\"1.0\"><dict/>") + rest);
    REQUIRE(wrapped);
    CHECK(wrapped->type(wrapped->root()) == XmlType::kDict);
  }
}

TEST_CASE("iokit xml: a reference bomb costs one node per reference", "[plist][kc][limits]") {
  // Forty levels that each reference the one before twice: 2^40 strings when expanded.
  std::string bomb = "<array><array ID=\"0\"><string>aaaaaaaaaaaaaaaa</string></array>";
  for (int i = 1; i < 40; ++i)
    bomb += fmt::format("<array ID=\"{}\"><array IDREF=\"{}\"/><array IDREF=\"{}\"/></array>", i, i - 1, i - 1);
  bomb += "</array>";
  auto doc = parse(bomb);
  REQUIRE(doc);
  CHECK(doc->size() == 1 + 2 + 39 * 3);
  CHECK(doc->references() == 78);
}

TEST_CASE("iokit xml: short tags read as their spelled-out forms", "[plist][kc]") {
  // <name>, </name> and <name/> take a one-pass path; with a space or an attribute the general one.
  auto shape = [](const std::string& xml) {
    auto doc = parse(xml);
    REQUIRE(doc);
    std::string s;
    for (IokitXml::Node n = 0; n < doc->size(); ++n)
      s += fmt::format("{}:{}:{};", plist::type_name(doc->type(n)), doc->text(n), doc->offset(n) - 0x100);
    return s;
  };
  CHECK(shape("<dict><key>a</key><string/><key>b</key><true/></dict>") ==
        "dict::0;key:a:6;string::18;key:b:27;boolean::39;");
  CHECK(shape("<dict ><key >a</key ><string /><key\t>b</key\n><true  /></dict\r>") ==
        "dict::0;key:a:7;string::21;key:b:31;boolean::45;");
  CHECK(shape("<array><string></string><string ID=\"1\">x</string><string IDREF=\"1\"/></array>") ==
        "array::0;string::7;string:x:24;string:x:49;");
}

TEST_CASE("iokit xml: malformed text, one rule each, exact messages", "[plist][kc]") {
  const std::pair<const char*, const char*> rules[] = {
      {"<dict><key>a</key><string IDREF=\"9\"/></dict>", "test plist at 0x112: IDREF=\"9\" refers to no earlier ID"},
      {"<dict ID=\"1\"><key>a</key><dict IDREF=\"1\"/></dict>",
       "test plist at 0x119: IDREF=\"1\" refers to an element that contains it (cycle)"},
      {"<array><string IDREF=\"x\"/></array>", "test plist at 0x107: IDREF=\"x\" is not a number"},
      {"<array><string ID=\"-1\">a</string></array>", "test plist at 0x107: ID=\"-1\" is not a number"},
      {"<dict><key>a</key></array>", "test plist at 0x112: end tag </array> does not close <dict> (opened at 0x100)"},
      {"</dict>", "test plist at 0x100: end tag </dict> without a start tag"},
      {"<dict><key>a</key>", "test plist at 0x100: <dict> is not closed before the end of the text"},
      {"<plist><array>", "test plist at 0x107: <array> is not closed before the end of the text"},
      {"<plist>", "test plist at 0x100: <plist> is not closed before the end of the text"},
      {"<plist><array></plist>", "test plist at 0x10e: end tag </plist> does not close <array> (opened at 0x107)"},
      {"<array><string>abc", "test plist at 0x107: <string> is not closed before the end of the text"},
      {"<array><!-- open", "test plist at 0x107: comment is not terminated"},
      {"<array><string><![CDATA[abc</string></array>", "test plist at 0x10f: CDATA section is not terminated"},
      {"<array><string", "test plist at 0x107: tag is not closed with '>'"},
      {"<array><string a=1>x</string></array>", "test plist at 0x107: malformed tag <string a=1>"},
      {"<array><widget/></array>", "test plist at 0x107: unknown element <widget>"},
      // Tags the one-pass reader of <name>, </name> and <name/> hands to the general one.
      {"<array><str/ing/></array>", "test plist at 0x107: unknown element <str/ing>"},
      {"<array></></array>", "test plist at 0x107: malformed tag </>"},
      {"<array><></array>", "test plist at 0x107: malformed tag <>"},
      {"<array><string>a<b/></string></array>", "test plist at 0x110: <b/> inside <string>"},
      {"<dict><string>a</string><string>b</string></dict>",
       "test plist at 0x106: <string> where a <key> was expected in the <dict> opened at 0x100"},
      {"<dict><key>lonely</key></dict>", "test plist at 0x106: <key>lonely</key> has no value"},
      {"<!-- nothing --> text", "test plist at 0x100: no element in the text"},
  };
  for (const auto& [xml, want] : rules) {
    INFO(xml);
    CHECK(message(xml) == want);
  }
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "<array>";
  auto r = parse(deep);
  REQUIRE_FALSE(r);
  CHECK(r.error().rule == "nesting deeper than 256 elements");
  plist::XmlLimits shallow;
  shallow.max_depth = 3;
  CHECK(parse("<array><array><array><array/></array></array></array>", shallow));  // a leaf adds no depth
  CHECK_FALSE(parse("<array><array><array><array></array></array></array></array>", shallow));
}

TEST_CASE("iokit xml: the node array stays within --max-memory", "[plist][limits]") {
  std::string xml = "<array>";
  for (int i = 0; i < 20000; ++i) xml += "<true/>";
  xml += "</array>";
  REQUIRE(parse(xml));
  set_memory_limit(64 << 10);
  auto r = parse(xml);
  set_memory_limit(0);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kLimit);
  CHECK(r.error().message().find("test plist nodes") != std::string::npos);
}

// libplist, given the text with every IDREF expanded, must see the same values.
TEST_CASE("iokit xml: the same values as libplist after resolve_idrefs", "[plist][kc]") {
  std::string xml = "<dict><key>_PrelinkInfoDictionary</key><array>";
  for (int i = 0; i < 50; ++i)
    xml += fmt::format(
        "<dict><key>CFBundleIdentifier</key><string ID=\"{0}\">com.example.k{1}&amp;x</string>"
        "<key>CFBundleVersion</key><string ID=\"{2}\">{1}.0</string><key>CFBundleShortVersionString</key>"
        "<string IDREF=\"{2}\"/><key>_PrelinkBundlePath</key><string><![CDATA[/S/L/E/K{1}.kext]]></string>"
        "<key>_PrelinkExecutableLoadAddr</key><integer size=\"64\">{3:#x}</integer>"
        "<key>_PrelinkExecutableSize</key><integer>{4}</integer></dict>",
        1000 + 2 * i, i, 1001 + 2 * i, 0xfffffe0007000000ull + 0x4000ull * i, 4096 + i);
  xml += "</array><key>_PrelinkKCID</key><data>ESIzRFVmd4iZqrvM3e7/AA==</data></dict>";
  Diagnostics d;
  auto info = kc::parse_prelink_info(reader(xml), d);
  REQUIRE(info);
  CHECK(d.empty());
  auto text = kc::resolve_idrefs(reader(xml));
  REQUIRE(text);
  auto root = plist::parse(Bytes(reinterpret_cast<const uint8_t*>(text->data()), text->size()), "x", plist::Syntax::kXml);
  REQUIRE(root);
  REQUIRE(plist::get(*root));
  plist_t arr = plist_dict_get_item(plist::get(*root), "_PrelinkInfoDictionary");
  REQUIRE(arr);
  REQUIRE(info->kexts.size() == plist_array_get_size(arr));
  for (uint32_t i = 0; i < plist_array_get_size(arr); ++i) {
    INFO("kext " << i);
    plist_t k = plist_array_get_item(arr, i);
    const auto& x = info->kexts[i];
    CHECK(x.bundle_id == plist::string_item(k, "CFBundleIdentifier"));
    CHECK(x.version == plist::string_item(k, "CFBundleVersion"));
    CHECK(x.short_version == plist::string_item(k, "CFBundleShortVersionString"));
    CHECK(x.bundle_path == plist::string_item(k, "_PrelinkBundlePath"));
    uint64_t v = 0;
    plist_get_uint_val(plist_dict_get_item(k, "_PrelinkExecutableLoadAddr"), &v);
    CHECK(x.load_addr == v);
    plist_get_uint_val(plist_dict_get_item(k, "_PrelinkExecutableSize"), &v);
    CHECK(x.executable_size == v);
  }
  CHECK(info->kexts[3].bundle_id == "com.example.k3&x");
  CHECK(info->kexts[3].bundle_path == "/S/L/E/K3.kext");
  REQUIRE(info->kc_id);
  CHECK((*info->kc_id)[0] == 0x11);
  CHECK((*info->kc_id)[15] == 0x00);
}
