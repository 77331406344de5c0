@echo off
chcp 65001 >nul
setlocal EnableExtensions DisableDelayedExpansion
rem 考核排名：把收到的报送文件放进本脚本旁边的 inbox 文件夹，然后双击本脚本。
rem 结果写入 outputs 文件夹。换考核方案时改下面一行（qingdao 或 guangdong）。
set "SCHEME=qingdao"

cd /d "%~dp0"
set "HERE=%CD%"
set "OUTPUT=outputs\%SCHEME%_排名结果.xlsx"
if not exist "inbox\" mkdir "inbox"
if not exist "outputs\" mkdir "outputs"

dir /b /s /a-d "inbox" >nul 2>&1
if not errorlevel 1 goto have_files
echo inbox 文件夹是空的。
echo 请把各分中心的来信（从邮件程序直接拖入，.eml 或 .msg）或报送的Excel文件保存到这个文件夹，然后重新运行本脚本：
echo   %HERE%\inbox
set "STATUS=1"
goto finish

:have_files
rem Optional inputs next to this script: a roster, the assessor's / reviewers' workbooks, earlier results.
set "EXTRA="
set "EXTRA_ROSTER="
for %%F in (名录.xlsx 名录.xls 名录.csv roster.xlsx roster.xls roster.csv) do (
    if not defined ROSTER if exist "%%F" set "ROSTER=%%F"
)
if defined ROSTER (
    echo 使用名录：%ROSTER%
    set EXTRA=--roster "%ROSTER%"
    set EXTRA_ROSTER=--roster "%ROSTER%"
)
if exist "assessment\" for %%F in ("assessment\*") do call :add assessment "%%~fF" "%%~xF" "%%~nxF"
if exist "history\" for %%F in ("history\*") do call :add history "%%~fF" "%%~xF" "%%~nxF"

echo 正在对 inbox 中的文件进行考核排名（方案：%SCHEME%）……
where kjjr >nul 2>&1
if errorlevel 1 goto use_python
kjjr rank %SCHEME% inbox -o "%OUTPUT%" %EXTRA%
goto ran
:use_python
python -m kjjr_excel rank %SCHEME% inbox -o "%OUTPUT%" %EXTRA%
:ran
set "STATUS=%ERRORLEVEL%"
echo.
if not "%STATUS%"=="0" goto failed
echo 完成。排名结果在 outputs 文件夹中：%HERE%\outputs
echo 报送文件中发现的问题列在结果文件的“校验问题”工作表，未报送的分中心列在“未提交”工作表。
rem Receipts with mail drafts (.eml) for every sender, and 催报 drafts where a roster says who is expected
set "REMIND="
if defined ROSTER set "REMIND=1"
if /i "%SCHEME:~0,9%"=="guangdong" set "REMIND=1"
where kjjr >nul 2>&1
if errorlevel 1 goto mail_python
kjjr receipts %SCHEME% inbox -o "outputs\回执" --mail %EXTRA_ROSTER%
if defined REMIND kjjr remind %SCHEME% inbox -o "outputs\催报" %EXTRA_ROSTER%
goto mailed
:mail_python
python -m kjjr_excel receipts %SCHEME% inbox -o "outputs\回执" --mail %EXTRA_ROSTER%
if defined REMIND python -m kjjr_excel remind %SCHEME% inbox -o "outputs\催报" %EXTRA_ROSTER%
:mailed
echo 回执和邮件草稿在 outputs\回执，催报草稿和催报名单在 outputs\催报：双击 .eml 文件，核对后发送。
if not defined CI start "" explorer "%HERE%\outputs"
goto finish

:failed
echo 排名没有完成（错误代码 %STATUS%）。请查看上面的提示；如果结果文件正在Excel中打开，请先关闭。

:finish
if not defined CI pause
endlocal & exit /b %STATUS%

rem ---- add one optional input file (kind, full path, extension, name); skips Office lock files
:add
if /i not "%~3"==".xlsx" if /i not "%~3"==".xls" if /i not "%~3"==".csv" goto :eof
set "NAME=%~4"
if "%NAME:~0,2%"=="~$" goto :eof
set EXTRA=%EXTRA% --%~1 "%~2"
if "%~1"=="assessment" echo 使用考核评价表或评审表：%~4
if "%~1"=="history" echo 使用历年结果：%~4
goto :eof
