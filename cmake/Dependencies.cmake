# Third-party libraries as Debian 12 ships them (DESIGN.md section 9).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
# LMDB links statically (liblmdb-dev ships the archive) so that its writev can be
# wrapped: cache/lmdb_store.cc, __wrap_writev, says why. The wrap applies to the static
# code of every program that links the cache; libc, libuv and the other shared
# libraries keep the real writev.
find_path(LMDB_INCLUDE_DIR lmdb.h REQUIRED)
find_library(LMDB_ARCHIVE NAMES liblmdb.a REQUIRED)
add_library(lmdb_static STATIC IMPORTED GLOBAL)
set_target_properties(lmdb_static PROPERTIES IMPORTED_LOCATION ${LMDB_ARCHIVE})
target_include_directories(lmdb_static SYSTEM INTERFACE ${LMDB_INCLUDE_DIR})
target_link_options(lmdb_static INTERFACE "LINKER:--wrap=writev")
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
# The gnutls variant: the -openssl one loads OpenSSL 3 next to BoringSSL and crashes.
pkg_check_modules(COAP REQUIRED IMPORTED_TARGET libcoap-3-gnutls)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Catch2 2 REQUIRED)

# BoringSSL: Debian's Android build. Headers first on the include path so that
# <openssl/...> never resolves to OpenSSL 3; libraries outside the loader path.
set(BORINGSSL_INCLUDE_DIR /usr/include/android)
set(BORINGSSL_LIB_DIR /usr/lib/x86_64-linux-gnu/android)
if(NOT EXISTS ${BORINGSSL_INCLUDE_DIR}/openssl/is_boringssl.h)
  message(FATAL_ERROR "BoringSSL headers not found in ${BORINGSSL_INCLUDE_DIR}: "
                      "install android-libboringssl-dev (scripts/install-deps)")
endif()
add_library(bssl_crypto SHARED IMPORTED GLOBAL)
set_target_properties(bssl_crypto PROPERTIES IMPORTED_LOCATION ${BORINGSSL_LIB_DIR}/libcrypto.so
                      IMPORTED_NO_SONAME OFF)
target_include_directories(bssl_crypto SYSTEM BEFORE INTERFACE ${BORINGSSL_INCLUDE_DIR})
add_library(bssl_ssl SHARED IMPORTED GLOBAL)
set_target_properties(bssl_ssl PROPERTIES IMPORTED_LOCATION ${BORINGSSL_LIB_DIR}/libssl.so)
target_include_directories(bssl_ssl SYSTEM BEFORE INTERFACE ${BORINGSSL_INCLUDE_DIR})
target_link_libraries(bssl_ssl INTERFACE bssl_crypto)
add_library(bssl::crypto ALIAS bssl_crypto)
add_library(bssl::ssl ALIAS bssl_ssl)
set(CMAKE_BUILD_RPATH ${BORINGSSL_LIB_DIR})
set(CMAKE_INSTALL_RPATH ${BORINGSSL_LIB_DIR})

# llhttp: Debian ships only the C sources; build them as a static library.
set(LLHTTP_SRC_DIR /usr/share/llhttp)
set(LLHTTP_INCLUDE_DIR /usr/share/include/llhttp)
add_library(llhttp STATIC ${LLHTTP_SRC_DIR}/api.c ${LLHTTP_SRC_DIR}/http.c
                          ${LLHTTP_SRC_DIR}/llhttp.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
set_target_properties(llhttp PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)
target_compile_options(llhttp PRIVATE -w)

# Time zones from the system tzdb (libstdc++ 12 has no std::chrono::tzdb).
find_package(date CONFIG QUIET)
