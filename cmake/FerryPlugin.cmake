# ferry_add_plugin(NAME name SOURCES ... [LIBS ...])
# Builds a connector plugin as a shared library named ferry-<name>.so into the build's plugins/
# directory, where the host finds it. Plugins link only the SDK (plus what their protocol needs).
function(ferry_add_plugin)
  cmake_parse_arguments(P "" "NAME" "SOURCES;LIBS" ${ARGN})
  set(target ferry_plugin_${P_NAME})
  add_library(${target} MODULE ${P_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME "ferry-${P_NAME}"
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${FERRY_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE ferry_sdk ${P_LIBS} ferry_options)
  install(TARGETS ${target} LIBRARY DESTINATION lib/ferry/plugins)
endfunction()
