# sremon_library(NAME SRCS a.cc b.cc DEPS lib...): one static library per module; DEPS says
# what the module may depend on, so the linker enforces the layering of STYLE.md.
function(sremon_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    # Lock annotations (util/thread_annotations.h) are checked wherever they are used; modules
    # that are fully annotated make them errors (sremon_strict_locking below).
    target_compile_options(${name} PRIVATE -Wthread-safety)
  endif()
  set_property(GLOBAL APPEND PROPERTY SREMON_MODULES ${name})
endfunction()

# sremon_strict_locking(TARGET): under clang, a lock annotation broken in TARGET (a guarded field
# used without its lock, a lock taken against the ACQUIRED_AFTER order) fails the build.
function(sremon_strict_locking target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety-beta -Werror=thread-safety -Werror=thread-safety-beta)
  endif()
endfunction()

# sremon_test(NAME SRCS a_test.cc DEPS lib... [LABELS unit]): a GoogleTest binary registered
# with ctest. Label "unit" (the default) must stay fast; slow suites use "integration"/"e2e".
function(sremon_test name)
  if(NOT SREMON_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "SREMON_BIN=$<TARGET_FILE:sremon>;SREMON_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# sremon_fuzzer(NAME SRCS f.cc DEPS lib...): a libFuzzer target (clang, -DSREMON_FUZZ=ON).
function(sremon_fuzzer name)
  if(NOT SREMON_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()
