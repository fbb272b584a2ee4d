// libfmt's compiled part, built once, for static builds (cmake/Dependencies.cmake). Debian ships
// libfmt only as a shared library; its header-only form would compile the same functions into every
// file that formats, several seconds of compiler time each. format-inl.h defines the non-template
// functions; the two templates below are the ones format.h declares extern for char.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
template FMT_API auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl<char>(locale_ref) -> char;
}  // namespace detail
FMT_END_NAMESPACE
