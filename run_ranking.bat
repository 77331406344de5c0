@echo off
rem Lines before "chcp 65001" stay ASCII: cmd decodes each line in the code page current when it reads it.
for /f "tokens=*" %%C in ('chcp') do for %%D in (%%C) do set "KJJR_OLDCP=%%D"
chcp 65001 >nul
setlocal EnableExtensions DisableDelayedExpansion
rem 考核排名：把收到的报送文件放进本脚本旁边的 inbox 文件夹，然后双击本脚本。
rem 结果写入 outputs 文件夹。换考核方案时改下面一行（qingdao 或 guangdong）。
set "SCHEME=qingdao"

rem pushd, not cd: it also works when this folder is on a network share (\\server\share).
rem No ( ) blocks around a path: a folder such as "新建文件夹 (2)" would close them early.
pushd "%~dp0"
set "HERE=%CD%"
set "OUTPUT=outputs\%SCHEME%_排名结果.xlsx"
set "PYTHONUTF8=1"
set "STATUS=1"
if exist "templates\" goto unpacked
echo 请先把整个压缩包解压到一个文件夹（例如桌面），再双击解压后文件夹里的 run_ranking.bat。
echo 不要在压缩包里直接双击运行。
goto finish
:unpacked
if not exist "inbox\" mkdir "inbox" 2>nul
if not exist "outputs\" mkdir "outputs" 2>nul
if exist "outputs\" goto writable
echo 无法在这个文件夹中建立 outputs 文件夹（可能没有写入权限）：
call :say "%HERE%"
echo 请把整个文件夹复制到桌面或“文档”中再运行。
goto finish
:writable

dir /b /s /a-d "inbox" >nul 2>&1
if not errorlevel 1 goto have_files
echo inbox 文件夹是空的。
echo 请把各分中心的来信（从邮件程序直接拖入，.eml 或 .msg）或报送的Excel文件保存到这个文件夹，然后重新运行本脚本：
call :say "%HERE%\inbox"
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
rem The program: the bundled interpreter first, then an installed kjjr, then the Python launcher.
if not exist "%~dp0python\python.exe" goto try_kjjr
set KJJR="%~dp0python\python.exe" -X utf8 -m kjjr_excel
goto have_program
:try_kjjr
where kjjr >nul 2>&1
if errorlevel 1 goto try_py
set KJJR=call kjjr
goto have_program
:try_py
where py >nul 2>&1
if errorlevel 1 goto no_program
set KJJR=py -3 -m kjjr_excel
goto have_program
:no_program
echo 没有找到考核程序。请使用完整的发布包（解压后应有 python 文件夹），
echo 或在本机安装 Python 3.11 或更新版本后执行：pip install kjjr-excel
set "STATUS=9009"
goto finish
:have_program
%KJJR% rank %SCHEME% inbox -o "%OUTPUT%" %EXTRA%
:ran
set "STATUS=%ERRORLEVEL%"
echo.
if "%STATUS%"=="1" goto provisional
if not "%STATUS%"=="0" goto failed
echo 完成。排名结果在 outputs 文件夹中：
call :say "%HERE%\outputs"
echo 报送文件中发现的问题列在结果文件的“校验问题”工作表，未报送的分中心列在“未提交”工作表。
rem Receipts with mail drafts (.eml) for every sender, and 催报 drafts where a roster says who is expected
set "REMIND="
if defined ROSTER set "REMIND=1"
if /i "%SCHEME:~0,9%"=="guangdong" set "REMIND=1"
rem If either fails (a full disk...), the window says so and the script ends with its status.
set "PAPERS=0"
%KJJR% receipts %SCHEME% inbox -o "outputs\回执" --mail %EXTRA_ROSTER%
if errorlevel 1 set "PAPERS=%ERRORLEVEL%"
if defined REMIND %KJJR% remind %SCHEME% inbox -o "outputs\催报" %EXTRA_ROSTER%
if defined REMIND if errorlevel 1 set "PAPERS=%ERRORLEVEL%"
if not defined CI start "" explorer "%HERE%\outputs"
if not "%PAPERS%"=="0" goto papers_failed
echo 回执和邮件草稿在 outputs\回执，催报草稿和催报名单在 outputs\催报：双击 .eml 文件，核对后发送。
goto finish

:papers_failed
echo 排名结果已生成，但回执或催报草稿没有全部生成（错误代码 %PAPERS%）：请查看上面的提示，处理后重新运行本脚本。
set "STATUS=%PAPERS%"
goto finish

:provisional
echo 排名结果已生成，但是暂定结果：assessment 文件夹中有考核评价表或评审表无法使用（见上面的提示和结果文件的“校验问题”表），补助金额暂不确定。
echo 请核对这些文件（需要时用Excel或LibreOffice另存为 .xlsx）后重新运行本脚本。
goto finish

:failed
echo 排名没有完成（错误代码 %STATUS%）。请查看上面的提示；如果结果文件正在Excel中打开，请先关闭。

:finish
if not defined CI pause
popd
rem An undefined variable would garble the line below (cmd would pair its percent signs anew).
if not defined KJJR_OLDCP set "KJJR_OLDCP=65001"
rem One line, expanded before it runs: restores the console's code page and leaves no variable behind.
endlocal & chcp %KJJR_OLDCP:.=% >nul 2>&1 & set "KJJR_OLDCP=" & exit /b %STATUS%

rem ---- print a path that may contain & ) or ! (delayed expansion does not parse what it expands)
:say
set "KJJR_SAY=%~1"
setlocal EnableDelayedExpansion
echo   !KJJR_SAY!
endlocal
goto :eof

rem ---- add one optional input file (kind, full path, extension, name); skips Office lock files
rem      tables: every format a submission may be in (.xlsx .xlsm .xls .ods, .zip); history: also .csv
:add
set "OK="
for %%E in (.xlsx .xlsm .xls .ods) do if /i "%~3"=="%%E" set "OK=1"
if /i "%~1"=="assessment" if /i "%~3"==".zip" set "OK=1"
if /i "%~1"=="history" if /i "%~3"==".csv" set "OK=1"
if not defined OK goto :eof
set "NAME=%~4"
if "%NAME:~0,2%"=="~$" goto :eof
set EXTRA=%EXTRA% --%~1 "%~2"
if "%~1"=="assessment" echo 使用考核评价表或评审表：%~4
if "%~1"=="history" echo 使用历年结果：%~4
goto :eof
