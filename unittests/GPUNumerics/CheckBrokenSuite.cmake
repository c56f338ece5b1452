# Runs AttnGPUNumericsTests (TEST_PROGRAM) on a broken CUDA suite directory
# made in WORK_DIR and checks that it fails as a test program does (exit
# status 1, not a crash) and names each problem.
#   cmake -DTEST_PROGRAM=... -DWORK_DIR=... -P CheckBrokenSuite.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
# causal: no bundle; line 2: not name|batch|tolerance; h64: image without
# its manifest.
file(WRITE ${WORK_DIR}/suite.txt "causal|1:300,17:40|1e-3\nnot a suite line\nh64|1:10|1e-3\n")
file(WRITE ${WORK_DIR}/h64.ptx "// no manifest beside me\n")
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env ATTN_GPU_BUNDLES=${WORK_DIR}
    ${TEST_PROGRAM} --gtest_filter=CUDA/*
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)
message("${out}")
if(NOT rc STREQUAL "1")
  message(FATAL_ERROR "expected the test program to fail with exit status 1, got '${rc}'")
endif()
foreach(expected
    "[  FAILED  ] CUDA/GPUNumerics.Variant/line_1"
    "suite.txt line 1: variant 'causal' has no bundle in ${WORK_DIR} (no causal.cubin or causal.ptx)"
    "[  FAILED  ] CUDA/GPUNumerics.Variant/line_2"
    "suite.txt line 2: expected name|batch|tolerance, got 'not a suite line' (1 field)"
    "[  FAILED  ] CUDA/GPUNumerics.Variant/line_3"
    "suite.txt line 3: variant 'h64': its manifest ${WORK_DIR}/h64.json does not exist"
    "3 FAILED TESTS")
  string(FIND "${out}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the output lacks: ${expected}")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
