# Sourced by the GPU-machine scripts (gpu-runtime-tests.sh, gpu-check.sh),
# which build GoogleTest suites with ATTN_BUILD_COMPILER=OFF on machines
# that may have no system GoogleTest.
#
# attn_gtest_prefix BUILD_DIR [DEFAULT_SRC]
#   Sets the array attn_gtest_args to the CMake arguments that find
#   GoogleTest. The sources are $ATTN_GTEST_SRC, else DEFAULT_SRC when the
#   machine has no GoogleTest package and DEFAULT_SRC holds GoogleTest's
#   sources (e.g. build-gtest-src, a copy of /usr/src/googletest carried to
#   the machine). With sources, builds and installs them under BUILD_DIR and
#   points CMAKE_PREFIX_PATH there; without, leaves the arguments empty (the
#   system's GoogleTest). Returns 1 when building GoogleTest fails.
attn_gtest_prefix() {
  local build=$1 src=${ATTN_GTEST_SRC:-}
  attn_gtest_args=()
  if [ -z "$src" ] && [ -n "${2:-}" ] && [ -f "$2/CMakeLists.txt" ] &&
    ! compgen -G "/usr/lib*/cmake/GTest/GTestConfig.cmake" >/dev/null &&
    ! compgen -G "/usr/lib/*/cmake/GTest/GTestConfig.cmake" >/dev/null &&
    ! compgen -G "/usr/local/lib*/cmake/GTest/GTestConfig.cmake" >/dev/null; then
    src=$2
  fi
  [ -n "$src" ] || return 0
  cmake -S "$src" -B "$build/gtest" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$build/gtest-install" -DBUILD_GMOCK=ON >/dev/null &&
    ninja -C "$build/gtest" install >/dev/null || return 1
  attn_gtest_args=(-DCMAKE_PREFIX_PATH="$build/gtest-install")
}
