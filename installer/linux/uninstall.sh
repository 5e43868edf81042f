#!/usr/bin/env bash
# Remove what install.sh added for this user: the app copy, the `lmgpa` link, the menu entry, icons and MIME type.
# Never touches your study data. Usage: ./uninstall.sh
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
APP_DIR="$DATA_HOME/lmgpa-app"
BIN_DIR="$HOME/.local/bin"
CONFIG="${XDG_CONFIG_HOME:-$HOME/.config}/lmgpa/config.json"

[ -n "${HOME:-}" ] || { echo "uninstall.sh: error: HOME is not set" >&2; exit 1; }

# The link only if it points into an lmgpa app folder (one holding uninstall.sh) or nowhere any more.
if [ -L "$BIN_DIR/lmgpa" ]; then
    target="$(readlink "$BIN_DIR/lmgpa")"
    if [ "$target" = "$APP_DIR/lmgpa" ] || [ -f "$(dirname "$target")/uninstall.sh" ] || [ ! -e "$target" ]; then
        rm -f "$BIN_DIR/lmgpa"
        echo "Removed $BIN_DIR/lmgpa"
    fi
fi
# The menu entry only if install.sh wrote it (the .deb's entry lives in /usr/share and is dpkg's).
desktop="$DATA_HOME/applications/lmgpa.desktop"
if [ -f "$desktop" ] && grep -q '^X-LMGPA-Installed-By=install.sh' "$desktop"; then
    rm -f "$desktop"
    echo "Removed the menu entry"
fi
for icon in "$DATA_HOME"/icons/hicolor/*/apps/lmgpa.png "$DATA_HOME"/icons/hicolor/scalable/apps/lmgpa.svg; do
    [ -f "$icon" ] && rm -f "$icon"
done
# Folders left empty by that (never ones another program still uses).
for dir in "$DATA_HOME"/icons/hicolor/*/apps; do
    [ -d "$dir" ] && rmdir --ignore-fail-on-non-empty "$dir" "$(dirname "$dir")"
done
rm -f "$DATA_HOME/mime/packages/lmgpa.xml"
if [ -d "$DATA_HOME/mime/packages" ] && [ -z "$(ls -A "$DATA_HOME/mime/packages")" ]; then
    rm -rf "$DATA_HOME/mime"  # no definitions left: the rest is update-mime-database's output for ours alone
elif command -v update-mime-database >/dev/null 2>&1 && [ -d "$DATA_HOME/mime/packages" ]; then
    update-mime-database "$DATA_HOME/mime" >/dev/null 2>&1 || true
fi
if command -v update-desktop-database >/dev/null 2>&1 && [ -d "$DATA_HOME/applications" ]; then
    update-desktop-database -q "$DATA_HOME/applications" 2>/dev/null || true
fi
echo "Removed the icons and the .apkg association"

# The app folder: the copy install.sh made; a folder used in place (--here) is yours to delete.
if [ -x "$APP_DIR/lmgpa" ]; then
    rm -rf "$APP_DIR"
    echo "Removed $APP_DIR"
fi
if [ "$SRC" != "$APP_DIR" ] && [ -x "$SRC/lmgpa" ]; then
    echo "This folder ($SRC) is still here: delete it yourself if you no longer want it."
fi

data="$DATA_HOME/lmgpa"
if [ -f "$CONFIG" ]; then
    chosen="$(sed -n 's/.*"data_dir"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$CONFIG" | head -1)"
    [ -n "$chosen" ] && data="$chosen"
fi
echo
echo "Your study data was NOT removed: it is in $data"
echo "(settings in $(dirname "$CONFIG")). Delete those folders yourself if you no longer want them."
