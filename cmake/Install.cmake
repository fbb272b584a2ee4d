# `cmake --install BUILD [--prefix DIR]`: the upscope binary, its man page, and the core library
# libinspect (mapped files, the bounds-checked ByteReader, Result<T>, diagnostics, hashing, threads)
# with its headers, for others to build on:
#   CMake:      find_package(upscope CONFIG) and link upscope::inspect
#   pkg-config: pkg-config --cflags --libs upscope-inspect
# tests/install/check_install.sh builds a small consumer both ways against an installed tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(libinspect PROPERTIES OUTPUT_NAME inspect EXPORT_NAME inspect)
set(_upscope_exported libinspect)
set(UPSCOPE_PC_FMT "")
set(UPSCOPE_PC_REQUIRES "fmt nlohmann_json")
if(UPSCOPE_STATIC_DEPS)
  # fmt's compiled part is built here (cmake/Dependencies.cmake): it goes with the library.
  list(APPEND _upscope_exported upscope_fmt)
  set(UPSCOPE_PC_FMT "-lupscope_fmt")
  set(UPSCOPE_PC_REQUIRES "nlohmann_json")
endif()
install(TARGETS upscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ${_upscope_exported} EXPORT upscopeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/libinspect/core/include/inspect DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT upscopeTargets NAMESPACE upscope:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/upscope)

set(_upscope_cfg ${PROJECT_BINARY_DIR}/upscope-package)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/upscopeConfig.cmake.in ${_upscope_cfg}/upscopeConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/upscope)
write_basic_package_version_file(${_upscope_cfg}/upscopeConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${_upscope_cfg}/upscopeConfig.cmake ${_upscope_cfg}/upscopeConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/upscope)

# The .pc file finds its prefix from where it lies, so an install with --prefix needs no rewrite.
file(RELATIVE_PATH UPSCOPE_PC_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")  # any prefix: only the distance counts
configure_file(${CMAKE_CURRENT_LIST_DIR}/upscope-inspect.pc.in ${_upscope_cfg}/upscope-inspect.pc @ONLY)
install(FILES ${_upscope_cfg}/upscope-inspect.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/docs/upscope.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
