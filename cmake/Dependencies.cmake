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
# libdeflate inflates zlib chunks several times faster than zlib; optional, zlib is the fallback.
pkg_check_modules(DEFLATE  IMPORTED_TARGET libdeflate)

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
