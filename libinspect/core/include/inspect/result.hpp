// Result<T>: a value or an Error. The member names follow std::expected so the type can become
// an alias once the toolchain has it; no exceptions cross library boundaries.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "inspect/error.hpp"

namespace upscope {

// Marks an Error as the failure branch when returning from a function of type Result<T>.
struct Unexpected {
  Error error;
};
inline Unexpected fail(Error e) { return Unexpected{std::move(e)}; }
inline Unexpected fail(ErrorCode code, std::string structure, std::string rule,
                       std::optional<uint64_t> offset = std::nullopt) {
  return Unexpected{make_error(code, std::move(structure), std::move(rule), offset)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  Result(const T& v) : v_(std::in_place_index<0>, v) {}                 // NOLINT(implicit)
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}           // NOLINT(implicit)
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, Result> &&
                                                    !std::is_same_v<std::decay_t<U>, Unexpected>>>
  Result(U&& v) : v_(std::in_place_index<0>, std::forward<U>(v)) {}     // NOLINT(implicit)
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT(implicit)

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!has_value()); return std::get<1>(v_); }
  Error&& error() && { assert(!has_value()); return std::get<1>(std::move(v_)); }

  template <typename U>
  T value_or(U&& fallback) const& { return has_value() ? value() : T(std::forward<U>(fallback)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : err_(std::move(u.error)), ok_(false) {}  // NOLINT(implicit)
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const { assert(!ok_); return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace upscope

// Early return of the error of a Result-returning expression: UPSCOPE_TRY(auto x, expr);
#define UPSCOPE_CONCAT_INNER(a, b) a##b
#define UPSCOPE_CONCAT(a, b) UPSCOPE_CONCAT_INNER(a, b)
#define UPSCOPE_TRY_IMPL(tmp, decl, expr)          \
  auto tmp = (expr);                               \
  if (!tmp) return ::upscope::fail(std::move(tmp).error()); \
  decl = std::move(tmp).value()
#define UPSCOPE_TRY(decl, expr) UPSCOPE_TRY_IMPL(UPSCOPE_CONCAT(upscope_try_, __LINE__), decl, expr)
#define UPSCOPE_CHECK(expr)                                  \
  do {                                                       \
    auto upscope_chk_ = (expr);                              \
    if (!upscope_chk_) return ::upscope::fail(upscope_chk_.error()); \
  } while (0)
