#!/usr/bin/env bash
# 考核排名：把收到的报送文件放进本脚本旁边的 inbox/ 文件夹，然后双击（或在终端运行）本脚本。
# 结果写入 outputs/ 文件夹。换考核方案时改下面一行（qingdao 或 guangdong）。
SCHEME=qingdao

set -u
cd "$(dirname "$0")" || exit 1
HERE="$(pwd)"
OUTPUT="outputs/${SCHEME}_排名结果.xlsx"

finish() {
    # Wait for a key so a double-clicked window stays open; never in a pipe or on CI.
    if [ -t 0 ] && [ -z "${CI:-}" ]; then
        read -n 1 -s -r -p "按任意键关闭……"
        echo
    fi
    exit "$1"
}

for dir in inbox outputs; do
    if [ -e "$dir" ] && [ ! -d "$dir" ]; then  # mkdir would only say, in English, that it exists
        echo "这里的 ${dir} 是一个文件，不是文件夹：请把它改名或移走后重新运行本脚本（${HERE}/${dir}）。"
        finish 1
    fi
done
mkdir -p inbox outputs
if [ -z "$(find inbox -type f ! -name '.*' 2>/dev/null | head -n 1)" ]; then
    echo "inbox 文件夹是空的。"
    echo "请把各分中心的来信（从邮件程序直接拖入，.eml 或 .msg）或报送的Excel文件保存到这个文件夹，然后重新运行本脚本："
    echo "  ${HERE}/inbox"
    finish 1
fi

# The program: the bundle's own lib/ (a release unpacked here) first, then an installed kjjr, then python3.
export PYTHONUTF8=1
if [ -f lib/kjjr_excel/__init__.py ]; then
    want="$(cat lib/PYTHON_VERSION 2>/dev/null)"
    have="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)"
    if [ -n "$want" ] && [ "$have" != "$want" ]; then
        echo "这个发布包需要 Python ${want}，本机的 python3 是 ${have:-（未安装）}。"
        echo "请安装 Python ${want}，或使用与本机 Python 版本相同的发布包。"
        finish 1
    fi
    export PYTHONPATH="${HERE}/lib"
    KJJR=(python3 -s -m kjjr_excel)
elif command -v kjjr >/dev/null 2>&1; then
    KJJR=(kjjr)
elif command -v python3 >/dev/null 2>&1; then
    KJJR=(python3 -m kjjr_excel)
else
    KJJR=(python -m kjjr_excel)
fi

ARGS=(rank "$SCHEME" inbox -o "$OUTPUT")
ROSTER_ARGS=()
for f in 名录.xlsx 名录.xls 名录.csv roster.xlsx roster.xls roster.csv; do
    if [ -f "$f" ]; then
        ROSTER_ARGS=(--roster "$f")
        ARGS+=("${ROSTER_ARGS[@]}")
        echo "使用名录：$f"
        break
    fi
done
# Optional: the assessor's workbook(s) / reviewers' score sheets, and earlier years' results.
# Put them in assessment/ and history/ next to this script.
# Every format a submission may be in is read for the tables too (.xlsx .xlsm .xls .ods, and inside .zip).
for dir in assessment history; do
    if [ "$dir" = assessment ]; then
        what="考核评价表/评审表"
        kinds=(-iname '*.xlsx' -o -iname '*.xlsm' -o -iname '*.xls' -o -iname '*.ods' -o -iname '*.zip')
    else
        what="历年结果"
        kinds=(-iname '*.xlsx' -o -iname '*.xlsm' -o -iname '*.xls' -o -iname '*.ods' -o -iname '*.csv')
    fi
    if [ -d "$dir" ]; then
        while IFS= read -r -d '' f; do
            ARGS+=("--$dir" "$f")
            echo "使用${what}：$f"
        done < <(find "$dir" -maxdepth 1 -type f \( "${kinds[@]}" \) ! -name '~$*' ! -name '.*' -print0 | sort -z)
    fi
done

echo "正在对 inbox 中的文件进行考核排名（方案：${SCHEME}）……"
"${KJJR[@]}" "${ARGS[@]}"
STATUS=$?
echo
if [ "$STATUS" -eq 0 ]; then
    echo "完成。排名结果在 outputs 文件夹中（${HERE}/outputs）。"
    echo "报送文件中发现的问题列在结果文件的“校验问题”工作表，未报送的分中心列在“未提交”工作表。"
    # Receipts with mail drafts (.eml) for every sender, and 催报 drafts where a roster says who is expected;
    # if either fails (a full disk...), the window says so and the script ends with its status
    PAPERS=0
    "${KJJR[@]}" receipts "$SCHEME" inbox -o outputs/回执 --mail "${ROSTER_ARGS[@]}" || PAPERS=$?
    if [ "${#ROSTER_ARGS[@]}" -gt 0 ] || [[ "$SCHEME" == guangdong* ]]; then
        "${KJJR[@]}" remind "$SCHEME" inbox -o outputs/催报 "${ROSTER_ARGS[@]}" || PAPERS=$?
    fi
    if [ "$PAPERS" -eq 0 ]; then
        echo "回执和邮件草稿在 outputs/回执，催报草稿和催报名单在 outputs/催报：双击 .eml 文件，核对后发送。"
    else
        echo "排名结果已生成，但回执或催报草稿没有全部生成（错误代码 ${PAPERS}）：请查看上面的提示，处理后重新运行本脚本。"
        STATUS=$PAPERS
    fi
    if [ -z "${CI:-}" ] && [ -t 1 ]; then
        { xdg-open outputs || open outputs; } >/dev/null 2>&1 &
    fi
elif [ "$STATUS" -eq 1 ]; then
    echo "排名结果已生成，但是暂定结果：assessment 文件夹中有考核评价表或评审表无法使用（见上面的提示和结果文件的“校验问题”表），补助金额暂不确定。"
    echo "请核对这些文件（需要时用Excel或LibreOffice另存为 .xlsx）后重新运行本脚本。"
elif [ "$STATUS" -eq 130 ]; then
    echo "已中止，排名没有完成（原有的结果文件没有改动）。需要结果时请重新运行本脚本。"
else
    echo "排名没有完成（错误代码 ${STATUS}）。请查看上面的提示；如果结果文件正在Excel中打开，请先关闭。"
fi
finish "$STATUS"
