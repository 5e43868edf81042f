"""installer/package, install.sh and uninstall.sh on a tiny stand-in folder (our scripts, not the app)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "installer" / "package"
SIZES = (16, 32, 48, 64, 128, 256, 512)

pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in ("zstd", "dpkg-deb", "ldd")),
                                reason="needs zstd, dpkg-deb and ldd (Debian)")


def tiny_bundle(root: Path) -> Path:
    """A folder shaped like dist/lmgpa: an executable `lmgpa` and an _internal/ folder."""
    bundle = root / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "_internal" / "data.txt").write_text("inside\n")
    exe = bundle / "lmgpa"
    exe.write_text('#!/bin/sh\necho "tiny lmgpa $*"\n')
    exe.chmod(0o755)
    return bundle


def package(bundle: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PACKAGE), "--bundle", str(bundle), "--out", str(out), "--version", "0.0.1", *args],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The portable archive built once from the tiny folder, unpacked (each test takes its own copy)."""
    root = tmp_path_factory.mktemp("archive")
    done = package(tiny_bundle(root), root / "dist", "--only", "archive", "--skip-deps-check")
    assert done.returncode == 0, done.stderr
    (root / "unpacked").mkdir()
    subprocess.run(["tar", "-I", "zstd", "-xf", str(root / "dist" / "lmgpa-0.0.1-linux-x86_64.tar.zst"),
                    "-C", str(root / "unpacked")], check=True)
    assert [p.name for p in (root / "unpacked").iterdir()] == ["lmgpa-0.0.1"]
    return root / "unpacked" / "lmgpa-0.0.1"


@pytest.fixture
def top(archive, tmp_path) -> Path:
    """A fresh copy of the unpacked lmgpa-<version>/ folder."""
    return Path(shutil.copytree(archive, tmp_path / "lmgpa-0.0.1", symlinks=True))


def run_script(script: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C"}
    done = subprocess.run(["bash", str(script), *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def added_files(home: Path) -> list[Path]:
    share = home / ".local" / "share"
    icons = [share / "icons" / "hicolor" / f"{s}x{s}" / "apps" / "lmgpa.png" for s in SIZES]
    return [home / ".local" / "bin" / "lmgpa", share / "applications" / "lmgpa.desktop",
            share / "mime" / "packages" / "lmgpa.xml", share / "icons" / "hicolor" / "scalable" / "apps" / "lmgpa.svg",
            *icons]


def test_archive_install_adds_everything_and_uninstall_removes_it_but_not_the_data(top, tmp_path):
    assert {"install.sh", "uninstall.sh", "README.txt", "lmgpa", "_internal"} <= {p.name for p in top.iterdir()}
    assert "uninstall" in (top / "README.txt").read_text() and "not built or tested here" in (top / "README.txt").read_text()
    home = tmp_path / "home"
    data = home / ".local" / "share" / "lmgpa"
    data.mkdir(parents=True)
    (data / "lmgpa.sqlite3").write_text("the student's work")

    out = run_script(top / "install.sh", home).stdout
    app = home / ".local" / "share" / "lmgpa-app"
    assert (app / "lmgpa").is_file() and (app / "_internal" / "data.txt").is_file()
    for path in added_files(home):
        assert path.exists(), path
    link = home / ".local" / "bin" / "lmgpa"
    assert link.is_symlink() and os.readlink(link) == str(app / "lmgpa")
    assert subprocess.run([str(link), "x.apkg"], capture_output=True, text=True).stdout == "tiny lmgpa x.apkg\n"
    desktop = (home / ".local" / "share" / "applications" / "lmgpa.desktop").read_text()
    assert f'Exec="{app}/lmgpa" %f' in desktop and "MimeType=application/x-apkg;" in desktop
    assert "not on your PATH" in out
    assert "System libraries: all found" in out

    run_script(top / "install.sh", home)  # again: an update, idempotent
    out = run_script(app / "uninstall.sh", home).stdout
    for path in [app, *added_files(home)]:
        assert not path.exists() and not path.is_symlink(), path
    assert not (home / ".local" / "share" / "mime").exists()  # the MIME database install.sh made for ours alone
    assert not list((home / ".local" / "share" / "icons" / "hicolor").iterdir())  # no empty size folders left
    assert (data / "lmgpa.sqlite3").read_text() == "the student's work"
    assert f"NOT removed: it is in {data}" in out


def test_install_here_runs_in_place_and_uninstall_keeps_that_folder(top, tmp_path):
    home = tmp_path / "home"
    run_script(top / "install.sh", home, "--here")
    assert os.readlink(home / ".local" / "bin" / "lmgpa") == str(top.resolve() / "lmgpa")
    assert not (home / ".local" / "share" / "lmgpa-app").exists()
    assert f'Exec="{top.resolve()}/lmgpa" %f' in (home / ".local/share/applications/lmgpa.desktop").read_text()
    out = run_script(top / "uninstall.sh", home).stdout
    assert not any(p.exists() or p.is_symlink() for p in added_files(home))
    assert (top / "lmgpa").is_file() and "delete it yourself" in out


@pytest.mark.skipif(not shutil.which("patchelf"), reason="needs patchelf")
def test_install_prints_the_apt_get_line_for_a_missing_library(top, tmp_path):
    lib = top / "_internal" / "libneedy.so.1"
    shutil.copyfile("/usr/bin/true", lib)  # any ELF file; it now needs a library no system has
    subprocess.run(["patchelf", "--add-needed", "libnowhere-lmgpa.so.3", str(lib)], check=True)
    (top / "share" / "system-libs.txt").write_text("libnowhere-lmgpa.so.3 libnowhere3\n")
    out = run_script(top / "install.sh", tmp_path / "home", "--here").stdout
    assert "lacks libraries the app needs: libnowhere-lmgpa.so.3" in out
    assert "sudo apt-get install libnowhere3" in out


def test_deb_holds_the_contract_files_and_control_fields(tmp_path):
    done = package(tiny_bundle(tmp_path), tmp_path, "--only", "deb", "--skip-deps-check")
    assert done.returncode == 0, done.stderr
    deb = tmp_path / "lmgpa_0.0.1_amd64.deb"
    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True, check=True).stdout
    for field in ("Package: lmgpa", "Version: 0.0.1", "Architecture: amd64", "Maintainer:", "Installed-Size:",
                  "Depends: libc6 (>= ", "Section:", "Priority:", "Description:", "postinst", "postrm"):
        assert field in info, field
    assert "tesseract-ocr-eng" in info  # the tiny folder bundles no Tesseract, so the .deb depends on Debian's
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True).stdout
    for line in contents.splitlines():
        assert " root/root " in line
    paths = {line.split()[5] for line in contents.splitlines()}
    for want in ("./opt/lmgpa/lmgpa", "./opt/lmgpa/_internal/data.txt", "./usr/share/applications/lmgpa.desktop",
                 "./usr/share/mime/packages/lmgpa.xml", "./usr/share/icons/hicolor/scalable/apps/lmgpa.svg",
                 *(f"./usr/share/icons/hicolor/{s}x{s}/apps/lmgpa.png" for s in SIZES)):
        assert want in paths, want
    assert "./usr/bin/lmgpa -> /opt/lmgpa/lmgpa" in contents
    extract = tmp_path / "x"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(extract)], check=True)
    desktop = (extract / "usr/share/applications/lmgpa.desktop").read_text()
    assert "Exec=lmgpa %f" in desktop and "MimeType=application/x-apkg;" in desktop


def test_deps_check_fails_when_the_bundle_links_a_package_depends_does_not_list(tmp_path):
    bundle = tiny_bundle(tmp_path)
    shutil.copyfile("/usr/bin/true", bundle / "lmgpa")  # links only libc6: listed, so the check passes
    assert package(bundle, tmp_path / "ok", "--only", "deb").returncode == 0
    lib = bundle / "_internal" / "libcompress.so"
    shutil.copyfile(shutil.which("zstd"), lib)  # links liblzma5, liblz4-1, zlib1g: none listed
    done = package(bundle, tmp_path / "bad", "--only", "deb")
    assert done.returncode == 1
    assert "package liblzma5 (for liblzma.so.5) is not in installer/linux/depends" in done.stderr
    assert not (tmp_path / "bad" / "lmgpa_0.0.1_amd64.deb").exists()
