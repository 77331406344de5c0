@echo off
rem Lines before "chcp 65001" stay ASCII: cmd decodes each line in the code page current when it reads it.
for /f "tokens=*" %%C in ('chcp') do for %%D in (%%C) do set "KJJR_OLDCP=%%D"
chcp 65001 >nul
setlocal EnableExtensions DisableDelayedExpansion
rem 生成填报模板：双击本脚本，模板写入本脚本旁边的“模板”文件夹。
rem 本脚本旁边有名录（名录.xlsx 或 名录.csv）时，为名录中每个分中心各生成一份预填名称、编号的模板，
rem 并生成考核评价表（青岛）或定性评分表（广东）。换考核方案时改下面一行（qingdao 或 guangdong）。
set "SCHEME=qingdao"

pushd "%~dp0"
set "HERE=%CD%"
set "PYTHONUTF8=1"
set "STATUS=1"
if exist "templates\" goto unpacked
echo 请先把整个压缩包解压到一个文件夹（例如桌面），再双击解压后文件夹里的 生成模板.bat。
goto finish
:unpacked
set "ARGS=template %SCHEME% -o 模板"
for %%F in (名录.xlsx 名录.xls 名录.csv roster.xlsx roster.xls roster.csv) do (
    if not defined ROSTER if exist "%%F" set "ROSTER=%%F"
)
if not defined ROSTER goto blank
echo 使用名录：%ROSTER%，为每个分中心各生成一份模板……
set ARGS=%ARGS% --roster "%ROSTER%" --per-center --assessment
goto run
:blank
echo 没有找到名录（名录.xlsx 或 名录.csv），只生成空白模板和考核评价表……
set "ARGS=%ARGS% --assessment"
:run
if not exist "%~dp0python\python.exe" goto try_kjjr
"%~dp0python\python.exe" -X utf8 -m kjjr_excel %ARGS%
goto ran
:try_kjjr
where kjjr >nul 2>&1
if errorlevel 1 goto try_py
call kjjr %ARGS%
goto ran
:try_py
where py >nul 2>&1
if errorlevel 1 goto no_program
py -3 -m kjjr_excel %ARGS%
goto ran
:no_program
echo 没有找到考核程序。请使用完整的发布包（解压后应有 python 文件夹）。
set "STATUS=9009"
goto finish
:ran
set "STATUS=%ERRORLEVEL%"
echo.
if not "%STATUS%"=="0" goto failed
echo 完成。模板在“模板”文件夹中：
call :say "%HERE%\模板"
echo 把模板作为邮件附件发给各分中心即可。
if not defined CI start "" explorer "%HERE%\模板"
goto finish
:failed
echo 模板没有生成（错误代码 %STATUS%）。请查看上面的提示。

:finish
if not defined CI pause
popd
rem An undefined variable would garble the line below (cmd would pair its percent signs anew).
if not defined KJJR_OLDCP set "KJJR_OLDCP=65001"
endlocal & chcp %KJJR_OLDCP:.=% >nul 2>&1 & set "KJJR_OLDCP=" & exit /b %STATUS%

:say
set "KJJR_SAY=%~1"
setlocal EnableDelayedExpansion
echo   !KJJR_SAY!
endlocal
goto :eof
