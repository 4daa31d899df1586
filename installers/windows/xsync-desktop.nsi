; xsync desktop installer (NSIS 3, Modern UI 2, MultiUser).
;
; Built by scripts/build_bundle.py, which passes the defines from one version source:
;   makensis -DVERSION=0.1.0 -DVERSION_QUAD=0.1.0.0 -DPRODUCT_NAME="xsync desktop" -DPUBLISHER=xsync
;            -DDESCRIPTION=... -DCOPYRIGHT=... -DEXE_NAME=xsync-desktop.exe -DCLI_EXE_NAME=xsync-desktop-cli.exe
;            -DDATA_SUBDIR=xsync\xsync-desktop
;            -DBUNDLE_DIR=dist\xsync-desktop -DOUTFILE=dist\xsync-desktop-0.1.0-setup.exe xsync-desktop.nsi
;
; Install modes (MultiUser.nsh):
;   a standard user (or /CurrentUser) installs for themselves, no admin:  $LOCALAPPDATA\Programs\xsync desktop,
;     uninstall entry in HKCU;
;   an elevated run (or /AllUsers) installs for everyone:  $PROGRAMFILES64\xsync desktop, entry in HKLM.
;   An upgrade goes back to the mode and folder of the installation it finds.
; Switches: /S silent, /D=C:\path (last, unquoted), /AllUsers, /CurrentUser, /DESKTOP (desktop shortcut),
;   IT presets for every user of the PC (several desks on one database), written to
;   %ProgramData%\xsync-desktop\config.ini where the app reads them (xsync_desktop/machine_config.py):
;   /DATABASE_URL=postgresql+psycopg://user@server/db  /CLIENT_ID=<Xero app client id>  /DESK_NAME=<name>
;   (no password in the URL: each person stores it with `xsync-desktop-cli set-database-password`).
;   A switch left out keeps what the file already says (an upgrade keeps IT's presets).
; Uninstaller switches: /S, /PURGE (also delete this user's data folder), /AllUsers, /CurrentUser.
;
; User data (database, logs, exports, backups) lives in %LOCALAPPDATA%\${DATA_SUBDIR}\<profile>, never in the
; install folder. Install and upgrade never touch it; uninstall deletes it only when asked (/PURGE or the
; "Remove my data" component). Keyring entries (Credential Manager) are the app's: "Disconnect" removes them.

Unicode true
; 64-bit installer for a 64-bit app (and the only kind 64-bit-only Wine runs, for the installer test).
Target amd64-unicode
ManifestDPIAware true
!ifdef FAST_COMPRESSION
  ; CI on Linux only proves the script compiles; zlib takes a fraction of LZMA's minutes there.
  SetCompressor zlib
!else
  SetCompressor /SOLID lzma
  SetCompressorDictSize 32
!endif

!macro _require NAME
  !ifndef ${NAME}
    !error "define ${NAME} missing: build with scripts/build_bundle.py, or pass -D${NAME}=..."
  !endif
!macroend
!insertmacro _require VERSION
!insertmacro _require VERSION_QUAD
!insertmacro _require PRODUCT_NAME
!insertmacro _require PUBLISHER
!insertmacro _require DESCRIPTION
!insertmacro _require COPYRIGHT
!insertmacro _require EXE_NAME
!insertmacro _require CLI_EXE_NAME
!insertmacro _require DATA_SUBDIR
!insertmacro _require BUNDLE_DIR
!ifndef OUTFILE
  !define OUTFILE "xsync-desktop-${VERSION}-setup.exe"
!endif

!define APP_ID "xsync-desktop"
!define UNINSTALLER "uninstall.exe"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define SHORTCUT_NAME "${PRODUCT_NAME}.lnk"

Name "${PRODUCT_NAME}"
OutFile "${OUTFILE}"
BrandingText "${PRODUCT_NAME} ${VERSION}"
; No InstallDir: $INSTDIR stays empty unless /D= was given, so .onInit can tell (MultiUser would overwrite it).

VIProductVersion "${VERSION_QUAD}"
VIFileVersion "${VERSION_QUAD}"
VIAddVersionKey /LANG=1033 "ProductName" "${PRODUCT_NAME}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "${COPYRIGHT}"
VIAddVersionKey /LANG=1033 "FileDescription" "${PRODUCT_NAME} setup"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"

; ---- MultiUser: per-user without admin, per-machine when elevated ----
!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR "${PRODUCT_NAME}"
; An upgrade finds the previous folder and mode in the uninstall entry it wrote (HKLM first, then HKCU).
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${UNINST_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallLocation"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${UNINST_KEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallLocation"
!define MULTIUSER_INSTALLMODE_FUNCTION OnInstallModeChosen
!define MULTIUSER_INSTALLMODEPAGE_SHOWUSERNAME

!include MultiUser.nsh
!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include x64.nsh

Var CmdLineInstDir  ; /D= value, which wins over MultiUser's default folder
Var PresetDatabaseUrl  ; /DATABASE_URL=
Var PresetClientId     ; /CLIENT_ID=
Var PresetDeskName     ; /DESK_NAME=

; ---- Pages ----
!define MUI_ICON "..\..\resources\app.ico"
!define MUI_UNICON "..\..\resources\app.ico"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN
!define MUI_FINISHPAGE_RUN_TEXT "Start ${PRODUCT_NAME}"
!define MUI_FINISHPAGE_RUN_FUNCTION LaunchAsUser

!insertmacro MUI_PAGE_WELCOME
!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_COMPONENTSPAGE_TEXT_TOP "Your database, logs, exports and backups are kept unless you tick the box below."
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

; A running copy (the app, or a scheduled `xsync-desktop-cli sync`) keeps its files locked, and a
; half-replaced or half-removed bundle would not start. Opening a running exe for writing fails, so the
; check changes nothing and removes nothing before it knows every exe is free.
!macro ENSURE_NOT_RUNNING
  retry_not_running:
  StrCpy $0 ""
  StrCpy $1 ""
  ClearErrors
  ${If} ${FileExists} "$INSTDIR\${EXE_NAME}"
    FileOpen $0 "$INSTDIR\${EXE_NAME}" a
  ${EndIf}
  ${If} ${FileExists} "$INSTDIR\${CLI_EXE_NAME}"
    FileOpen $1 "$INSTDIR\${CLI_EXE_NAME}" a
  ${EndIf}
  ${If} $0 != ""
    FileClose $0
  ${EndIf}
  ${If} $1 != ""
    FileClose $1
  ${EndIf}
  ${If} ${Errors}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION \
      "${PRODUCT_NAME} is running. Close it (and any scheduled sync), then choose Retry." \
      /SD IDCANCEL IDRETRY retry_not_running
    SetErrorLevel 2
    Quit
  ${EndIf}
!macroend

; ---- Install ----
Section "${PRODUCT_NAME} (required)" SecApp
  SectionIn RO
  SetOutPath "$INSTDIR"
  !insertmacro ENSURE_NOT_RUNNING

  ; Upgrade in place: the old program files go first so nothing stale from an older version stays
  ; behind. Only when our exe shows it is our folder, and only our files: user data is elsewhere.
  ${If} ${FileExists} "$INSTDIR\${EXE_NAME}"
    RMDir /r "$INSTDIR\_internal"
  ${EndIf}
  File /r "${BUNDLE_DIR}\*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  ; Add/Remove Programs, in HKLM or HKCU depending on the mode (SHCTX follows SetShellVarContext).
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayName" "${PRODUCT_NAME}"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINST_KEY}" "Comments" "${DESCRIPTION}"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE_NAME},0"
  WriteRegStr SHCTX "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINST_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD SHCTX "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

; IT's presets, machine-wide in %ProgramData% ($APPDATA of the all-users context, whatever the install mode):
; only the switches given are written, the rest of the file is kept.
Section "-Machine presets" SecPresets
  ${If} $PresetDatabaseUrl$PresetClientId$PresetDeskName != ""
    SetShellVarContext all
    StrCpy $R9 "$APPDATA\xsync-desktop\config.ini"
    ${If} $MultiUser.InstallMode == "CurrentUser"
      SetShellVarContext current
    ${EndIf}
    ${GetParent} $R9 $R8
    CreateDirectory $R8
    ${If} $PresetDatabaseUrl != ""
      WriteINIStr $R9 "xsync-desktop" "database_url" "$PresetDatabaseUrl"
    ${EndIf}
    ${If} $PresetClientId != ""
      WriteINIStr $R9 "xsync-desktop" "client_id" "$PresetClientId"
    ${EndIf}
    ${If} $PresetDeskName != ""
      WriteINIStr $R9 "xsync-desktop" "desk_name" "$PresetDeskName"
    ${EndIf}
  ${EndIf}
SectionEnd

Section "Start menu shortcut" SecStartMenu
  CreateShortcut "$SMPROGRAMS\${SHORTCUT_NAME}" "$INSTDIR\${EXE_NAME}" "" "$INSTDIR\${EXE_NAME}" 0 \
    SW_SHOWNORMAL "" "${DESCRIPTION}"
SectionEnd

Section /o "Desktop shortcut" SecDesktop
  CreateShortcut "$DESKTOP\${SHORTCUT_NAME}" "$INSTDIR\${EXE_NAME}" "" "$INSTDIR\${EXE_NAME}" 0 \
    SW_SHOWNORMAL "" "${DESCRIPTION}"
SectionEnd

; The value of a preset switch: from after NAME to the next " /" or the end, surrounding quotes removed.
; Not GetOptions: it ends a value at any "/", and a database URL is full of them.
!macro SWITCH_VALUE NAME OUT
  Push "${NAME}"
  Call SwitchValue
  Pop ${OUT}
!macroend

Function SwitchValue
  Exch $0          ; the switch name, e.g. "/DATABASE_URL="
  Push $1
  Push $2
  Push $3
  Push $4
  ${GetParameters} $1
  StrLen $2 $0
  StrCpy $3 0
  find_name:
    StrCpy $4 $1 $2 $3
    StrCmp $4 "" not_found
    StrCmp $4 $0 found_name
    IntOp $3 $3 + 1
    Goto find_name
  found_name:
    IntOp $3 $3 + $2
    StrCpy $1 $1 "" $3   ; the rest of the command line, from the value on
    StrCpy $3 0
  find_end:
    StrCpy $4 $1 2 $3
    StrCmp $4 "" value_end
    StrCmp $4 " /" value_end
    IntOp $3 $3 + 1
    Goto find_end
  value_end:
    StrCpy $0 $1 $3
    StrCpy $4 $0 1
    StrCmp $4 '"' 0 done
    StrCpy $0 $0 "" 1
    StrCpy $4 $0 1 -1
    StrCmp $4 '"' 0 done
    StrCpy $0 $0 -1
    Goto done
  not_found:
    StrCpy $0 ""
  done:
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "${PRODUCT_NAME} needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  StrCpy $CmdLineInstDir $INSTDIR
  !insertmacro MULTIUSER_INIT
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/DESKTOP" $R1
  ${IfNot} ${Errors}
    SectionSetFlags ${SecDesktop} ${SF_SELECTED}
  ${EndIf}
  !insertmacro SWITCH_VALUE "/DATABASE_URL=" $PresetDatabaseUrl
  !insertmacro SWITCH_VALUE "/CLIENT_ID=" $PresetClientId
  !insertmacro SWITCH_VALUE "/DESK_NAME=" $PresetDeskName
FunctionEnd


; Called by MultiUser each time the mode is set (at start, and on the install-mode page).
Function OnInstallModeChosen
  ${If} $CmdLineInstDir != ""
    StrCpy $INSTDIR $CmdLineInstDir
  ${EndIf}
FunctionEnd

; An elevated installer would start the app elevated too; Explorer starts it as the signed-in user.
Function LaunchAsUser
  Exec '"$WINDIR\explorer.exe" "$INSTDIR\${EXE_NAME}"'
FunctionEnd

; ---- Uninstall ----
Section "un.${PRODUCT_NAME}" SecUnApp
  SectionIn RO
  !insertmacro ENSURE_NOT_RUNNING
  Delete "$SMPROGRAMS\${SHORTCUT_NAME}"
  Delete "$DESKTOP\${SHORTCUT_NAME}"
  ; Only what the installer put there; never RMDir /r $INSTDIR (it may be a folder the user shares).
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE_NAME}"
  Delete "$INSTDIR\${CLI_EXE_NAME}"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"
  DeleteRegKey SHCTX "${UNINST_KEY}"
SectionEnd

Section /o "un.Remove my data (database, logs, exports, backups)" SecUnPurge
  ; The data folder is per user, under the *current* user's local app data even in an all-users uninstall.
  SetShellVarContext current
  RMDir /r "$LOCALAPPDATA\${DATA_SUBDIR}"
  ${If} $MultiUser.InstallMode == "AllUsers"
    SetShellVarContext all
  ${EndIf}
SectionEnd

Function un.onInit
  SetRegView 64
  !insertmacro MULTIUSER_UNINIT
  ${un.GetParameters} $R0
  ClearErrors
  ${un.GetOptions} $R0 "/PURGE" $R1
  ${IfNot} ${Errors}
    SectionSetFlags ${SecUnPurge} ${SF_SELECTED}
  ${EndIf}
FunctionEnd
