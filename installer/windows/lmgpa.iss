; Inno Setup 6 script for Little Monster GPA (NOT built or tested on this project's machines).
; Made by installer\windows\build.ps1:  ISCC /DAppVersion=0.1.0 /DSourceDir=...\dist\lmgpa /O...\dist lmgpa.iss
; Installs per user by default (no admin prompt; the student may choose "all users"), adds the Start menu entry and
; the .apkg association; the uninstaller removes the program but never the study data in %LOCALAPPDATA%.
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\lmgpa"
#endif
#define AppName "Little Monster GPA"
#define ProgId "LittleMonsterGPA.apkg"

[Setup]
AppId={{6F1B4C1E-9A57-4B8E-9C1D-2B7E0F4C7A11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Little Monster GPA
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=lmgpa-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\app.ico
UninstallDisplayIcon={app}\lmgpa.exe
; The models do not compress: fast LZMA2, not solid, keeps the build minutes short and costs little size.
Compression=lzma2/fast
SolidCompression=no
ChangesAssociations=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "apkg"; Description: "Open Anki deck packages (.apkg) with {#AppName}"; GroupDescription: "File types:"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\lmgpa.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\lmgpa.exe"; Tasks: desktopicon

[Registry]
; .apkg -> our ProgId, offered in "Open with" (Anki, when installed, keeps the default unless the student picks us).
Root: HKA; Subkey: "Software\Classes\.apkg\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue; Tasks: apkg
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "Anki deck package"; Flags: uninsdeletekey; Tasks: apkg
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\lmgpa.exe,0"; Tasks: apkg
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\lmgpa.exe"" ""%1"""; Tasks: apkg
Root: HKA; Subkey: "Software\Classes\Applications\lmgpa.exe\SupportedTypes"; ValueType: string; ValueName: ".apkg"; ValueData: ""; Flags: uninsdeletekey; Tasks: apkg

[Run]
Filename: "{app}\lmgpa.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Messages]
UninstalledAll=%1 was removed. Your study data was kept (in %LOCALAPPDATA%\lmgpa); delete that folder yourself if you no longer want it.
