# Every third-party library comes from Debian packages (scripts/deps.sh installs them).
#
# SREMON_STATIC_DEPS links them statically (the .a files Debian ships; fmt and spdlog, shipped
# only as shared libraries, are compiled from their headers by cmake/fmt_spdlog_static.cc).
# Why: the six services are one binary run six times; linked dynamically, each process maps and
# relocates every library whole (about 13 MB of file pages per process, docs/benchmarks.md
# "footprint"), statically it maps only the code it runs. glibc stays dynamic (NSS, getaddrinfo).
# On by default for GCC Release builds; off for the fuzz (clang + sanitizers) build. Turn it off
# (-DSREMON_STATIC_DEPS=OFF) to link the shared libraries instead: the code is the same.
set(_sremon_static_default OFF)
if(CMAKE_BUILD_TYPE STREQUAL "Release" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND NOT SREMON_FUZZ)
  set(_sremon_static_default ON)
endif()
option(SREMON_STATIC_DEPS "Link third-party libraries statically (smaller resident memory)" ${_sremon_static_default})

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Boost 1.81 REQUIRED)             # Beast + Asio are header-only
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)

# Forget the libraries a previous configure found, so switching SREMON_STATIC_DEPS (or a build
# dir configured before it existed) finds the right kind again.
foreach(var ZLIB_LIBRARY ZLIB_LIBRARY_RELEASE ZLIB_LIBRARY_DEBUG SQLite3_LIBRARY OPENSSL_CRYPTO_LIBRARY
    OPENSSL_SSL_LIBRARY Protobuf_LIBRARY Protobuf_LIBRARY_RELEASE Protobuf_LIBRARY_DEBUG Protobuf_LITE_LIBRARY
    Protobuf_LITE_LIBRARY_RELEASE Protobuf_LITE_LIBRARY_DEBUG Protobuf_PROTOC_LIBRARY_RELEASE
    Protobuf_PROTOC_LIBRARY_DEBUG SNAPPY_LIB pkgcfg_lib_RE2_re2 pkgcfg_lib_ZSTD_zstd pkgcfg_lib_SODIUM_sodium
    __pkg_config_checked_RE2 __pkg_config_checked_ZSTD __pkg_config_checked_SODIUM)
  unset(${var} CACHE)
endforeach()
if(SREMON_STATIC_DEPS)
  # Find modules and pkg-config's imported targets resolve -lNAME with find_library: make them
  # pick libNAME.a. A library without its .a fails here, with the name of the missing file.
  set(_sremon_saved_suffixes ${CMAKE_FIND_LIBRARY_SUFFIXES})
  set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
  set(OPENSSL_USE_STATIC_LIBS ON)
  set(Protobuf_USE_STATIC_LIBS ON)
  set(ZLIB_USE_STATIC_LIBS ON)
endif()
find_package(ZLIB REQUIRED)
find_package(Protobuf REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)                # SMTP STARTTLS (http/smtp.cc), MD5 for hashmod (scrape)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
find_library(SNAPPY_LIB snappy REQUIRED)
find_package(yaml-cpp REQUIRED)
if(SREMON_STATIC_DEPS)
  set(CMAKE_FIND_LIBRARY_SUFFIXES ${_sremon_saved_suffixes})
  foreach(lib SQLite::SQLite3 OpenSSL::Crypto OpenSSL::SSL protobuf::libprotobuf-lite ZLIB::ZLIB)
    get_target_property(_loc ${lib} IMPORTED_LOCATION)
    if(NOT _loc)
      get_target_property(_loc ${lib} IMPORTED_LOCATION_RELEASE)
    endif()
    if(NOT _loc MATCHES "\\.a$")
      message(FATAL_ERROR "SREMON_STATIC_DEPS: ${lib} resolved to ${_loc}, not a static library")
    endif()
  endforeach()
  # yaml-cpp's CMake package names only its shared library; the .a is in the same directory.
  get_target_property(_yaml_so yaml-cpp IMPORTED_LOCATION_NONE)
  get_filename_component(_yaml_dir ${_yaml_so} DIRECTORY)
  if(NOT EXISTS ${_yaml_dir}/libyaml-cpp.a)
    message(FATAL_ERROR "SREMON_STATIC_DEPS: ${_yaml_dir}/libyaml-cpp.a not found (-DSREMON_STATIC_DEPS=OFF)")
  endif()
  set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION_NONE ${_yaml_dir}/libyaml-cpp.a IMPORTED_SONAME_NONE "")

  # fmt and spdlog: one static library from their headers, under the names modules link.
  add_library(sremon_fmt_spdlog STATIC ${CMAKE_CURRENT_LIST_DIR}/fmt_spdlog_static.cc)
  target_compile_definitions(sremon_fmt_spdlog PUBLIC SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL)
  target_link_libraries(sremon_fmt_spdlog PUBLIC Threads::Threads)
  add_library(fmt::fmt ALIAS sremon_fmt_spdlog)
  add_library(spdlog::spdlog ALIAS sremon_fmt_spdlog)

  # Each process touches only the code it runs: libstdc++ and libgcc inside the binary, unused
  # sections dropped, no shared library that nothing references, and no position-independent
  # executable (no load-time relocation dirtying the vtables and pointer tables of every process).
  add_compile_options(-ffunction-sections -fdata-sections)
  add_link_options(-static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,-O1 -Wl,--as-needed -no-pie)
  set(CMAKE_POSITION_INDEPENDENT_CODE OFF)
else()
  find_package(fmt REQUIRED)
  find_package(spdlog REQUIRED)
endif()
message(STATUS "SREMON_STATIC_DEPS=${SREMON_STATIC_DEPS}")

if(SREMON_TESTS)
  # scripts/up.sh installs only the build packages: without GoogleTest the binary still builds.
  # scripts/test.sh installs it and reconfigures.
  find_package(GTest)
  if(NOT GTest_FOUND)
    message(STATUS "GoogleTest not found: test suites are not built (scripts/deps.sh test installs it)")
    set(SREMON_TESTS OFF)
  endif()
endif()
