# Warnings and sanitizers applied to every ferry target through ferry_set_options().
add_library(ferry_options INTERFACE)
target_compile_options(ferry_options INTERFACE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
if(FERRY_WERROR)
  target_compile_options(ferry_options INTERFACE -Werror)
endif()
if(FERRY_SANITIZE)
  target_compile_options(ferry_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=undefined)
  target_link_options(ferry_options INTERFACE -fsanitize=address,undefined)
endif()

# Adds a GoogleTest executable registered with ctest. Usage:
#   ferry_add_test(NAME test_name SOURCES a.cpp b.cpp LIBS lib1 lib2 [LABELS l1 l2])
function(ferry_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main ferry_options)
  # gtest_discover_tests cannot carry a list of labels through to ctest, so several labels become
  # one ("integration-slow"); ctest's -L/-LE take regular expressions, so `-L slow` still selects it.
  list(JOIN T_LABELS "-" label)
  gtest_discover_tests(${T_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${label}")
endfunction()
