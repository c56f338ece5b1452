# Thin wrappers over the MLIR CMake helpers, so every attn library links the
# shared libMLIR/libLLVM and every generated doc joins the attn-doc target.

# add_attn_library(name src... [DEPENDS tgt...] [LINK_LIBS lib...])
# A static library of the compiler. MLIR and LLVM come from the shared
# libraries (never the static component libraries).
function(add_attn_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
endfunction()

# add_attn_doc(td_file out_name flag): runs mlir-tblgen FLAG on TD_FILE and
# keeps docs/dialect/OUT_NAME.md in the source tree up to date.
function(add_attn_doc td_file out_name flag)
  set(LLVM_TARGET_DEFINITIONS ${td_file}.td)
  tablegen(MLIR ${out_name}.md ${flag} ${ARGN})
  set(dst ${ATTN_SOURCE_DIR}/docs/dialect/${out_name}.md)
  add_custom_command(OUTPUT ${dst}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different
            ${CMAKE_CURRENT_BINARY_DIR}/${out_name}.md ${dst}
    DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/${out_name}.md)
  add_custom_target(${out_name}DocGen DEPENDS ${dst})
  add_dependencies(attn-doc ${out_name}DocGen)
endfunction()

# add_attn_tool(name src... [LINK_LIBS lib...])
function(add_attn_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS} MLIR LLVM)
endfunction()
