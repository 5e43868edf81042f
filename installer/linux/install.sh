#!/usr/bin/env bash
# Install Little Monster GPA for the current user, no root: the app folder, `lmgpa` on the PATH, the menu entry,
# the icon and the .apkg association. Run it again to update. Usage: ./install.sh [--here]
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
APP_DIR="$DATA_HOME/lmgpa-app"
BIN_DIR="$HOME/.local/bin"
HERE=0

die() { echo "install.sh: error: $*" >&2; exit 1; }

for arg in "$@"; do
    case "$arg" in
        --here) HERE=1 ;;
        -h|--help) sed -n '2,3s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) die "unknown option $arg (use --here to run the app from this folder)" ;;
    esac
done

[ -x "$SRC/lmgpa" ] || die "$SRC/lmgpa is missing: run install.sh from the unpacked lmgpa-<version> folder"
[ -d "$SRC/share" ] || die "$SRC/share is missing: the archive was not unpacked completely"
[ -n "${HOME:-}" ] || die "HOME is not set"

# 1. The app folder: a copy in ~/.local/share/lmgpa-app (replaced whole on update), or this folder with --here.
if [ "$HERE" = 1 ] || [ "$SRC" = "$(cd "$APP_DIR" 2>/dev/null && pwd -P)" ]; then
    TARGET="$SRC"
else
    if [ -e "$APP_DIR" ] && [ ! -x "$APP_DIR/lmgpa" ]; then
        die "$APP_DIR exists but is not an lmgpa app folder: move it away first"
    fi
    mkdir -p "$DATA_HOME"
    rm -rf "$APP_DIR.new"
    cp -a "$SRC/." "$APP_DIR.new"
    rm -rf "$APP_DIR"
    mv "$APP_DIR.new" "$APP_DIR"
    TARGET="$APP_DIR"
    echo "Copied the app to $TARGET"
fi
case "$TARGET" in
    *\"*|*\\*|*\`*|*\$*) die "the folder path $TARGET has a quote, backslash, backquote or dollar: move it" ;;
esac

# 2. `lmgpa` on the PATH (a symlink, so the app finds its own folder).
mkdir -p "$BIN_DIR"
if [ -e "$BIN_DIR/lmgpa" ] && [ ! -L "$BIN_DIR/lmgpa" ]; then
    die "$BIN_DIR/lmgpa exists and is not our link (another install, e.g. pip --user?): remove it first"
fi
ln -sfn "$TARGET/lmgpa" "$BIN_DIR/lmgpa"

# 3. Menu entry (absolute Exec path: ~/.local/bin is not on every desktop session's PATH), icons, MIME type.
mkdir -p "$DATA_HOME/applications"
sed -e "s|@EXEC@|\"$TARGET/lmgpa\"|" -e "s|@TRYEXEC@|$TARGET/lmgpa|" -e "s|@BY@|install.sh|" \
    "$SRC/share/lmgpa.desktop.in" > "$DATA_HOME/applications/lmgpa.desktop"
chmod 644 "$DATA_HOME/applications/lmgpa.desktop"
for icon in "$SRC"/share/icons/hicolor/*/apps/lmgpa.*; do
    rel="${icon#"$SRC/share/icons/"}"
    mkdir -p "$DATA_HOME/icons/$(dirname "$rel")"
    cp -f "$icon" "$DATA_HOME/icons/$rel"
done
mkdir -p "$DATA_HOME/mime/packages"
cp -f "$SRC/share/mime/packages/lmgpa.xml" "$DATA_HOME/mime/packages/lmgpa.xml"
if command -v update-mime-database >/dev/null 2>&1; then
    update-mime-database "$DATA_HOME/mime" >/dev/null 2>&1 || echo "note: update-mime-database failed (harmless)"
fi
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$DATA_HOME/applications" 2>/dev/null || true
fi
touch "$DATA_HOME/icons/hicolor" 2>/dev/null || true  # icon themes rescan a folder whose time changed
echo "Added the menu entry, icon and .apkg association"

# 4. System libraries: ldd every library of the app as the app loads them (its _internal/ folder first, as the
#    launcher sets it; RPATHs reach the rest); list what is missing.
missing=""
if command -v ldd >/dev/null 2>&1; then
    libdirs="$TARGET/_internal"
    missing="$( { find "$TARGET" -type f \( -name '*.so*' -o -path "$TARGET/lmgpa" -o -path '*/tesseract/tesseract' \) \
        -print0 | LD_LIBRARY_PATH="$libdirs" xargs -0 -r -n 32 -P "$(nproc 2>/dev/null || echo 2)" ldd 2>/dev/null || true; } \
        | awk '/=> not found/ {print $1}' | sort -u | paste -sd' ' -)"
fi
# Data files the bundled libraries read from the system (no ldd can see these): fonts, keyboard layouts, ALSA.
pkgs=""
[ -f /etc/fonts/fonts.conf ] || pkgs="$pkgs fontconfig-config"
ls /usr/share/fonts/truetype/*/*.ttf >/dev/null 2>&1 || ls /usr/share/fonts/*/*/*.otf >/dev/null 2>&1 \
    || pkgs="$pkgs fonts-dejavu-core"
[ -d /usr/share/X11/xkb ] || pkgs="$pkgs xkb-data"
[ -f /usr/share/alsa/alsa.conf ] || pkgs="$pkgs libasound2-data"
files="$pkgs"
if [ -n "$missing$pkgs" ]; then
    unknown=""
    for lib in $missing; do
        pkg="$(awk -v l="$lib" '$1 == l {print $2; exit}' "$SRC/share/system-libs.txt" 2>/dev/null || true)"
        if [ -n "$pkg" ]; then pkgs="$pkgs $pkg"; else unknown="$unknown $lib"; fi
    done
    pkgs="$(echo $pkgs | tr ' ' '\n' | sort -u | paste -sd' ' -)"
    echo
    [ -n "$missing" ] && echo "WARNING: this system lacks libraries the app needs:$(printf ' %s' $missing)"
    [ -n "$files" ] && echo "WARNING: this system lacks data files the app needs (from:$files)"
    [ -n "$pkgs" ] && echo "Install them with:  sudo apt-get install $pkgs"
    [ -n "$unknown" ] && echo "No package known for:$unknown (try: apt-file search NAME)"
else
    echo "System libraries: all found"
fi

# 5. Where to go from here.
echo
echo "Installed. Start \"Little Monster GPA\" from the menu, or run: lmgpa   (lmgpa --self-test checks every part)"
case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) echo "Note: $BIN_DIR is not on your PATH. Log out and in again (Debian and Ubuntu add it when it exists),"
       echo "      or add this line to ~/.profile:  export PATH=\"\$HOME/.local/bin:\$PATH\"" ;;
esac
echo "To uninstall: $TARGET/uninstall.sh"
