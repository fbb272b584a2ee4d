# Debian 12 packages we build on (see README's set-up command for the apt list).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

find_package(fmt 9 REQUIRED CONFIG)
find_package(nlohmann_json 3.11 REQUIRED CONFIG)
find_package(CLI11 2.1 REQUIRED CONFIG)
find_package(zstd REQUIRED CONFIG)
find_package(LibArchive 3.6 REQUIRED)
find_package(LibLZMA REQUIRED)
find_package(BZip2 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)
find_package(SQLite3 REQUIRED)

pkg_check_modules(CAPSTONE REQUIRED IMPORTED_TARGET capstone>=4.0)
pkg_check_modules(PLIST    REQUIRED IMPORTED_TARGET libplist-2.0>=2.2)
pkg_check_modules(XXHASH   REQUIRED IMPORTED_TARGET libxxhash>=0.8)
pkg_check_modules(LZ4      REQUIRED IMPORTED_TARGET liblz4>=1.9)
# The catalogue's PostgreSQL backend (catalog/src/pg.cpp): its header at build time; libpq.so.5 is
# opened at run time (dlopen) when a catalogue is a PostgreSQL URI.
pkg_check_modules(LIBPQ    REQUIRED IMPORTED_TARGET libpq>=13)
# libdeflate inflates zlib chunks several times faster than zlib; optional, zlib is the fallback.
pkg_check_modules(DEFLATE  IMPORTED_TARGET libdeflate)

# Static archives where Debian's -dev packages ship them (all of the above but libplist, libfmt,
# libarchive and capstone), and the C++ runtime in the upscope executable (tools/CMakeLists.txt).
# A shared library costs every run of upscope its symbol lookups in the dynamic loader: 7,162
# relocations to resolve at start-up with these shared, 1,943 with them static (libcrypto alone has
# thousands), about 1 ms of a 3-4 ms `upscope --version`. Off for sanitizer and fuzzing builds, which
# keep the shared libraries their runtimes are tested with.
if(UPSCOPE_SANITIZE OR UPSCOPE_FUZZ)
  set(_upscope_static_default OFF)
else()
  set(_upscope_static_default ON)
endif()
option(UPSCOPE_STATIC_DEPS "Link zlib, bzip2, xz, zstd, lz4, libdeflate, xxhash, libcrypto and SQLite statically"
       ${_upscope_static_default})
set(UPSCOPE_ZSTD_TARGET zstd::libzstd_shared)
set(UPSCOPE_FMT_TARGET fmt::fmt)
if(UPSCOPE_STATIC_DEPS)
  # libfmt has no archive in Debian: its compiled part is built here once (libinspect/fmt), so that
  # nothing upscope loads needs the shared libstdc++ and tools/ can link the C++ runtime statically
  # (UPSCOPE_STATIC_DEPS there). The header-only form would do the same at several seconds of compile
  # time for each of our ~300 files.
  add_library(upscope_fmt STATIC ${CMAKE_CURRENT_LIST_DIR}/../libinspect/fmt/fmt_compiled.cpp)
  get_target_property(_fmt_includes fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  if(_fmt_includes)
    target_include_directories(upscope_fmt SYSTEM PUBLIC ${_fmt_includes})
  endif()
  set_target_properties(upscope_fmt PROPERTIES POSITION_INDEPENDENT_CODE ON)
  set(UPSCOPE_FMT_TARGET upscope_fmt)
  # Points an imported target at lib<name>.a instead of lib<name>.so[.N] when the archive exists.
  function(upscope_use_archive target)
    foreach(prop IMPORTED_LOCATION IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_NOCONFIG INTERFACE_LINK_LIBRARIES)
      get_target_property(value ${target} ${prop})
      if(NOT value)
        continue()
      endif()
      set(out "")
      foreach(item IN LISTS value)
        if(item MATCHES "^(.*)\\.so(\\.[0-9.]+)?$")
          # A separate if(): ${CMAKE_MATCH_1} is expanded before MATCHES runs in the same condition.
          if(EXISTS "${CMAKE_MATCH_1}.a")
            set(item "${CMAKE_MATCH_1}.a")
          endif()
        endif()
        list(APPEND out "${item}")
      endforeach()
      set_target_properties(${target} PROPERTIES ${prop} "${out}")
    endforeach()
  endfunction()
  foreach(t ZLIB::ZLIB BZip2::BZip2 LibLZMA::LibLZMA OpenSSL::Crypto SQLite::SQLite3 PkgConfig::LZ4 PkgConfig::XXHASH)
    upscope_use_archive(${t})
  endforeach()
  if(TARGET PkgConfig::DEFLATE)
    upscope_use_archive(PkgConfig::DEFLATE)
  endif()
  set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads ${CMAKE_DL_LIBS})
  set_property(TARGET SQLite::SQLite3 APPEND PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads ${CMAKE_DL_LIBS} m)
  if(TARGET zstd::libzstd_static)
    set(UPSCOPE_ZSTD_TARGET zstd::libzstd_static)
  endif()
endif()

# LIEF 0.9 ships neither a CMake config nor a .pc file: wrap it by hand, tests only.
if(WITH_LIEF_ORACLE)
  find_path(LIEF_INCLUDE_DIR LIEF/LIEF.hpp)
  find_library(LIEF_LIBRARY NAMES LIEF)
  if(LIEF_INCLUDE_DIR AND LIEF_LIBRARY)
    add_library(LIEF::LIEF UNKNOWN IMPORTED)
    set_target_properties(LIEF::LIEF PROPERTIES
      IMPORTED_LOCATION "${LIEF_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${LIEF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES nlohmann_json::nlohmann_json)
  else()
    message(WARNING "WITH_LIEF_ORACLE is ON but LIEF was not found: oracle tests are off")
  endif()
endif()
