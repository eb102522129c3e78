"""winwheel.py LINUX_WHEEL PYD PLATFORM OUTDIR: makes the Windows wheel for
PLATFORM (win_amd64 or win_arm64) from the Linux wheel that setuptools
built from the same sources and pyproject.toml, so that both carry the
same metadata, the same Python files, the same .pyi, py.typed, license and
console-script entry point; only the extension differs.

The Linux extension (_clusupgrade.abi3.so) is replaced by PYD, installed
as clusupgrade/_clusupgrade.pyd (the name CPython gives an abi3 extension
on Windows), the WHEEL file's tag becomes cp311-abi3-PLATFORM, and RECORD
is written anew with every file's sha256 and size.  Prints the new wheel's
path.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

PACKAGE = "clusupgrade"
# What a wheel of this project must hold besides its Python modules.
REQUIRED = (f"{PACKAGE}/py.typed", f"{PACKAGE}/_clusupgrade.pyi", f"{PACKAGE}/cli/__init__.py")


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def retag(wheel_text: str, platform: str) -> str:
    lines = wheel_text.splitlines()
    tags = [line for line in lines if line.startswith("Tag: ")]
    if len(tags) != 1 or not tags[0].startswith("Tag: cp311-abi3-"):
        raise ValueError(f"expected one cp311-abi3 tag in WHEEL, found {tags}")
    return "\n".join(f"Tag: cp311-abi3-{platform}" if line in tags else line for line in lines) + "\n"


def check_contents(names: list[str], dist_info: str) -> None:
    missing = [n for n in REQUIRED if n not in names]
    for name in ("METADATA", "WHEEL", "entry_points.txt"):
        if f"{dist_info}/{name}" not in names:
            missing.append(f"{dist_info}/{name}")
    if not any(n.startswith(f"{dist_info}/licenses/") for n in names):
        missing.append(f"{dist_info}/licenses/*")
    if missing:
        raise ValueError(f"the wheel lacks {missing}")


def build(linux_wheel: Path, pyd: Path, platform: str, outdir: Path) -> Path:
    name, version, python, abi, _ = linux_wheel.name[: -len(".whl")].split("-")
    if (python, abi) != ("cp311", "abi3"):
        raise ValueError(f"{linux_wheel.name} is not a cp311-abi3 wheel")
    dist_info = f"{name}-{version}.dist-info"
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(linux_wheel) as src:
        natives = [n for n in src.namelist() if n.endswith((".so", ".pyd", ".dll"))]
        if natives != [f"{PACKAGE}/_clusupgrade.abi3.so"]:
            raise ValueError(f"expected one abi3 extension in {linux_wheel.name}, found {natives}")
        for info in src.infolist():
            if info.is_dir() or info.filename in natives or info.filename == f"{dist_info}/RECORD":
                continue
            files[info.filename] = src.read(info)
    files[f"{PACKAGE}/_clusupgrade.pyd"] = pyd.read_bytes()
    files[f"{dist_info}/WHEEL"] = retag(files[f"{dist_info}/WHEEL"].decode(), platform).encode()
    entry_points = files.get(f"{dist_info}/entry_points.txt", b"").decode()
    if f"{PACKAGE} = {PACKAGE}.cli:main" not in entry_points:
        raise ValueError(f"no console script in entry_points.txt: {entry_points!r}")
    check_contents([*files], dist_info)

    # The package first, the .dist-info last with RECORD at its end, as
    # the wheel specification recommends.
    order = sorted(files, key=lambda n: (n.startswith(f"{dist_info}/"), n))
    record = [record_line(n, files[n]) for n in order] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    order.append(f"{dist_info}/RECORD")

    outdir.mkdir(parents=True, exist_ok=True)
    out = outdir / f"{name}-{version}-cp311-abi3-{platform}.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for n in order:
            info = zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, files[n])
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[2] not in ("win_amd64", "win_arm64"):
        print(__doc__, file=sys.stderr)
        return 2
    print(build(Path(argv[0]), Path(argv[1]), argv[2], Path(argv[3])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
