"""Declares the C extension; every other piece of metadata is in pyproject.toml."""

import os
import sys
import sysconfig

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.join("csrc")


def sources(platform: str) -> list[str]:
    """The C sources for `platform` ("windows" or "posix"), from csrc/SOURCES."""
    chosen = []
    with open(os.path.join(HERE, CSRC, "SOURCES"), encoding="utf-8") as listing:
        for line in listing:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            where, name = line.split()
            if where in ("all", platform):
                chosen.append(os.path.join(CSRC, name))
    return chosen


# Free-threaded CPython cannot use the limited API before 3.15: those builds
# get a version-specific extension, every other build one abi3 extension.
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
LIMITED = not FREE_THREADED

macros = [("Py_LIMITED_API", "0x030B0000")] if LIMITED else []
if sys.platform == "win32":
    compile_args: list[str] = []
else:
    compile_args = ["-std=c11", "-Wall", "-Wextra", "-Wno-missing-field-initializers"]
    compile_args += os.environ.get("CLUSUPGRADE_CFLAGS", "").split()

setup(
    ext_modules=[
        Extension(
            "clusupgrade._clusupgrade",
            sources=sources("windows" if sys.platform == "win32" else "posix"),
            define_macros=macros,
            py_limited_api=LIMITED,
            extra_compile_args=compile_args,
            extra_link_args=os.environ.get("CLUSUPGRADE_LDFLAGS", "").split(),
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp311"}} if LIMITED else {},
)
