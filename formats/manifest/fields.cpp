#include "manifest/fields.hpp"

#include <fmt/format.h>

namespace upscope::manifest {

std::string a_type(plist::Type t) {
  const std::string_view name = plist::to_string(t);
  return fmt::format("{} {}", name.find_first_of("aeio") == 0 ? "an" : "a", name);
}

std::string field_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

void Fields::warn(std::string message) { diags_.warning(std::nullopt, structure_, std::move(message)); }

const plist::Value* Fields::typed(const plist::Value& dict, std::string_view key, plist::Type t, std::string_view path) {
  const plist::Value* v = dict.get(key);
  if (!v) return nullptr;
  if (v->type != t) {
    warn(fmt::format("{} is {}, not {}", field_path(path, key), a_type(v->type), a_type(t)));
    return nullptr;
  }
  return v;
}

std::string Fields::string(const plist::Value& dict, std::string_view key, std::string_view path) {
  const plist::Value* v = typed(dict, key, plist::Type::kString, path);
  return v ? v->text : std::string();
}

std::optional<int64_t> Fields::integer(const plist::Value& dict, std::string_view key, std::string_view path) {
  const plist::Value* v = typed(dict, key, plist::Type::kInteger, path);
  return v ? std::optional<int64_t>(v->integer) : std::nullopt;
}

std::optional<bool> Fields::boolean(const plist::Value& dict, std::string_view key, std::string_view path) {
  const plist::Value* v = typed(dict, key, plist::Type::kBoolean, path);
  return v ? std::optional<bool>(v->boolean) : std::nullopt;
}

std::vector<std::string> Fields::strings(const plist::Value& dict, std::string_view key, std::string_view path) {
  std::vector<std::string> out;
  const plist::Value* a = typed(dict, key, plist::Type::kArray, path);
  if (!a) return out;
  out.reserve(a->children.size());
  for (size_t i = 0; i < a->children.size(); ++i) {
    const plist::Value& e = a->children[i];
    if (e.is(plist::Type::kString)) out.push_back(e.text);
    else warn(fmt::format("{}[{}] is {}, not a string", field_path(path, key), i, a_type(e.type)));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Fields::string_map(const plist::Value& dict, std::string_view key,
                                                                    std::string_view path) {
  std::vector<std::pair<std::string, std::string>> out;
  const plist::Value* d = typed(dict, key, plist::Type::kDict, path);
  if (!d) return out;
  out.reserve(d->children.size());
  for (size_t i = 0; i < d->children.size(); ++i) {
    const plist::Value& e = d->children[i];
    if (e.is(plist::Type::kString)) out.emplace_back(d->keys[i], e.text);
    else warn(fmt::format("{}.{} is {}, not a string", field_path(path, key), d->keys[i], a_type(e.type)));
  }
  return out;
}

Status require_dict(const plist::Value& root, std::string_view structure) {
  if (root.is(plist::Type::kDict)) return {};
  return fail(ErrorCode::kMalformed, std::string(structure),
              fmt::format("the root is {}, not a dictionary", a_type(root.type)));
}

}  // namespace upscope::manifest
