# -*- Python -*-
# lit configuration of the attn tests. Loaded through the generated
# build/test/lit.site.cfg.py, which sets config.attn_* and config.llvm_tools_dir.

import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "ATTN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")

config.substitutions.append(("%attn_src_root", config.attn_src_root))

# Files and folders that are not tests. Integration/ is added below unless a
# device is available.
config.excludes = [
    "CMakeLists.txt",
    "README.md",
    "README.txt",
    "lit.cfg.py",
    "lit.site.cfg.py",
    "lit.site.cfg.py.in",
    "lit.local.cfg",
    "Inputs",
]

# Tools: attn-opt (optionally with --verify-roundtrip, see below),
# attn-translate when it has been built, and FileCheck / not / count from
# LLVM.
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.attn_tools_dir, append_path=True)

# ATTN_OPT_VERIFY_ROUNDTRIP=1 makes every `attn-opt` in a RUN line
# `attn-opt --verify-roundtrip` (print and reparse the output, generic and
# custom forms, and fail on any difference), as CIRCT does.
attn_opt_extra_args = []
if os.environ.get("ATTN_OPT_VERIFY_ROUNDTRIP", "0") not in ("", "0"):
    attn_opt_extra_args.append("--verify-roundtrip")

tool_dirs = [config.attn_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("attn-opt", extra_args=attn_opt_extra_args, unresolved="fatal"),
    ToolSubst("attn-translate", unresolved="ignore"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

if os.path.exists(os.path.join(config.attn_tools_dir, "attn-translate")):
    config.available_features.add("attn-translate")

for backend in getattr(config, "attn_backends", []):
    if backend:
        config.available_features.add("backend-" + backend.lower())


# Device features. `--param cuda_device=1|0` (or ATTN_TEST_CUDA_DEVICE=1|0)
# forces the answer; otherwise a device counts as present when nvidia-smi
# (rocminfo) lists one. Integration tests need one of these.
def _device_present(param, env, command, needle):
    value = lit_config.params.get(param, os.environ.get(env, "auto")).lower()
    if value in ("1", "on", "true", "yes"):
        return True
    if value in ("0", "off", "false", "no"):
        return False
    tool = shutil.which(command[0])
    if not tool:
        return False
    try:
        out = subprocess.run(
            [tool] + command[1:],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and needle in out.stdout.decode(errors="replace")


if _device_present("cuda_device", "ATTN_TEST_CUDA_DEVICE", ["nvidia-smi", "-L"], "GPU "):
    config.available_features.add("cuda-device")
if _device_present("hip_device", "ATTN_TEST_HIP_DEVICE", ["rocminfo"], "gfx"):
    config.available_features.add("hip-device")

# test/Integration needs a device. Without one it is not even discovered;
# with one, Integration/lit.local.cfg (when present) marks the tests of the
# other vendor unsupported.
if not ({"cuda-device", "hip-device"} & config.available_features):
    config.excludes.append("Integration")
