"""Which Debian packages a one-folder bundle takes from the system: ldd of every ELF file, mapped by dpkg -S."""

from __future__ import annotations

import os
import re
import struct
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(\S+)(?:\s+\(0x[0-9a-f]+\))?\s*$")
LOADER_LINE = re.compile(r"^\s*(/\S+)\s+\(0x[0-9a-f]+\)\s*$")  # the dynamic loader itself


@dataclass
class SystemLibs:
    """What the bundle's ELF files resolve outside the bundle."""

    used: dict[str, str] = field(default_factory=dict)  # soname -> host path (a bundle file names it in DT_NEEDED)
    indirect: dict[str, str] = field(default_factory=dict)  # soname -> host path, needed only by host libraries
    missing: dict[str, list[str]] = field(default_factory=dict)  # soname -> bundle files that need it
    packages: dict[str, str] = field(default_factory=dict)  # soname -> Debian package
    unowned: list[str] = field(default_factory=list)  # host paths no package owns


def elf_files(bundle: Path) -> list[Path]:
    """Every regular ELF file in the bundle (executables, shared libraries, Qt plugins)."""
    found = []
    for root, _dirs, names in os.walk(bundle):
        for name in names:
            path = Path(root, name)
            if path.is_symlink() or not path.is_file():
                continue
            try:
                with path.open("rb") as fh:
                    if fh.read(4) == ELF_MAGIC:
                        found.append(path)
            except OSError:
                continue
    return sorted(found)


def needed(path: Path) -> list[str] | None:
    """DT_NEEDED names of a 64-bit little-endian ELF file (None when it cannot be read: then every ldd line counts)."""
    try:
        data = path.read_bytes()
        if data[4] != 2 or data[5] != 1:  # ELFCLASS64, ELFDATA2LSB: the only kind an x86_64 bundle holds
            return None
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        for _name, kind, _flags, _addr, offset, size, link, *_rest in sections:
            if kind != 6:  # SHT_DYNAMIC
                continue
            strtab = sections[link][4]
            names = []
            for pos in range(offset, offset + size, 16):
                tag, val = struct.unpack_from("<qQ", data, pos)
                if tag == 0:
                    break
                if tag == 1:  # DT_NEEDED
                    end = data.index(b"\0", strtab + val)
                    names.append(data[strtab + val : end].decode())
            return names
        return []
    except (OSError, IndexError, ValueError, struct.error):
        return None


def library_dirs(bundle: Path) -> list[str]:
    """What PyInstaller's bootloader puts on LD_LIBRARY_PATH: _internal/ only (RPATHs reach the rest, as at run time)."""
    internal = bundle / "_internal"
    return [str(internal if internal.is_dir() else bundle)]


def ldd_all(files: list[Path], lib_dirs: list[str], batch: int = 64) -> dict[Path, str]:
    """ldd output per file, in batches (one ldd process per file is slow on a 1,000-file bundle)."""
    env = {**os.environ, "LD_LIBRARY_PATH": ":".join(lib_dirs), "LC_ALL": "C"}

    def run(chunk: list[Path]) -> dict[Path, str]:
        proc = subprocess.run(["ldd", *map(str, chunk)], capture_output=True, text=True, env=env)
        if len(chunk) == 1:
            return {chunk[0]: proc.stdout}
        part: dict[Path, str] = {}
        current = None
        names = {str(f): f for f in chunk}
        for line in proc.stdout.splitlines():
            if line.endswith(":") and line[:-1] in names:
                current = names[line[:-1]]
                part[current] = ""
            elif current is not None:
                part[current] += line + "\n"
        return part

    out: dict[Path, str] = {}
    chunks = [files[i : i + batch] for i in range(0, len(files), batch)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for part in pool.map(run, chunks):
            out.update(part)
    return out


def system_libs(bundle: Path) -> SystemLibs:
    """Libraries resolved outside the bundle, and those that resolve nowhere on this host."""
    bundle = bundle.resolve()
    files = elf_files(bundle)
    result = SystemLibs()
    for path, text in ldd_all(files, library_dirs(bundle)).items():
        direct = needed(path)
        for line in text.splitlines():
            m = LDD_LINE.match(line)
            if m:
                soname, target = m.groups()
                if target == "not":
                    result.missing.setdefault(soname, []).append(str(path.relative_to(bundle)))
                elif not Path(target).resolve().is_relative_to(bundle):
                    # Only what a bundle file links to itself belongs in Depends; the rest comes with those packages.
                    kind = result.used if direct is None or soname in direct else result.indirect
                    kind.setdefault(soname, target)
                continue
            m = LOADER_LINE.match(line)
            if m and not Path(m.group(1)).resolve().is_relative_to(bundle):
                result.used.setdefault(Path(m.group(1)).name, m.group(1))
    for soname in result.used:
        result.indirect.pop(soname, None)
    return result


def _aliases(path: str) -> list[str]:
    """Names dpkg may know a library by: merged-/usr twins and the symlink's target."""
    names = []
    for p in (path, os.path.realpath(path)):
        names.append(p)
        if p.startswith("/usr/"):
            names.append(p[4:])
        else:
            names.append("/usr" + p)
    return list(dict.fromkeys(names))


def owning_packages(paths: list[str]) -> dict[str, str]:
    """Debian package owning each host path (architecture suffix dropped); paths no package owns are left out."""
    wanted = {alias: path for path in paths for alias in _aliases(path)}
    proc = subprocess.run(["dpkg", "-S", *wanted], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    owners: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        pkgs, _, owned = line.partition(": ")
        if owned in wanted and "diversion" not in pkgs:
            owners.setdefault(wanted[owned], pkgs.split(",")[0].strip().split(":")[0])
    return owners


def resolve_packages(libs: SystemLibs) -> SystemLibs:
    """Fill libs.packages and libs.unowned from dpkg's database."""
    owners = owning_packages(sorted(set(libs.used.values())))
    for soname, path in libs.used.items():
        if path in owners:
            libs.packages[soname] = owners[path]
        else:
            libs.unowned.append(path)
    return libs


def read_depends(path: Path) -> tuple[list[str], list[str]]:
    """(relations checked against ldd, relations needed although ldd cannot see them) from installer/linux/depends."""
    checked: list[str] = []
    extra: list[str] = []
    target = checked
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("# not-from-ldd"):
            target = extra
        elif line and not line.startswith("#"):
            target.append(line)
    return checked, extra


def relation_names(relations: list[str]) -> set[str]:
    """Package names in Depends relations ("a (>= 1) | b" gives a and b)."""
    names = set()
    for rel in relations:
        for alt in rel.split("|"):
            names.add(alt.split("(")[0].strip())
    return names


def check(libs: SystemLibs, relations: list[str]) -> list[str]:
    """Problems that must fail the package step: missing libraries and packages absent from Depends."""
    problems = []
    for soname, users in sorted(libs.missing.items()):
        problems.append(f"{soname} is not found on this build host (needed by {', '.join(users[:3])})")
    for path in libs.unowned:
        problems.append(f"{path} is used by the bundle but no Debian package owns it (bundle it instead)")
    declared = relation_names(relations)
    for pkg in sorted(set(libs.packages.values()) - declared):
        sonames = sorted(s for s, p in libs.packages.items() if p == pkg)
        problems.append(f"package {pkg} (for {', '.join(sonames)}) is not in installer/linux/depends")
    return problems


def glibc_version() -> str:
    """The build host's glibc version: the bundle needs this one or newer."""
    text = subprocess.run(["ldd", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+\.\d+)\s*$", text.splitlines()[0] if text else "")
    return m.group(1) if m else "2.36"
