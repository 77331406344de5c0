"""Findings: every problem in the inputs is a record with a stable code and a Chinese message.

Checks yield findings; they are collected, sorted and written to the 校验问题 sheet and the receipts.
The message templates live here, next to their codes, so the wording is reviewed in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from types import MappingProxyType


class Severity(StrEnum):
    ERROR = "错误"
    WARNING = "警告"
    INFO = "提示"

    @property
    def order(self) -> int:
        return {"错误": 0, "警告": 1, "提示": 2}[self.value]


E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO

# findings said of a group of files (every file named in the message): one per file on 校验问题, where each
# file has its rows, but once on the receipt and in the mail that go to the center
GROUP_CODES = frozenset({"duplicate-submission", "duplicate-undecided"})

# code -> (severity, message template). Templates take keyword fields; see Finding.make.
CODES: dict[str, tuple[Severity, str]] = MappingProxyType(
    {
        # files
        "file-skipped": (N, "已跳过：{reason}。"),
        "file-not-workbook": (
            E,
            "这个文件不是Excel工作簿（{detail}）。请用Excel或WPS打开填报模板填写后，另存为 .xlsx 文件再报送。",
        ),
        "file-corrupt": (
            E,
            "文件已损坏或不完整，无法读取（{detail}）。请重新从邮件附件保存，或用Excel打开后重新保存再报送。",
        ),
        "file-other-format": (
            W,
            "这是{kind}，本工具不能读取，未计入。如果这是报送的填报表，请{fix}后重新报送。",
        ),
        "file-empty": (E, "文件是空的（0字节）。请重新保存附件或重新报送。"),
        "file-missing": (
            E,
            "找不到这个文件（可能已被移动、删除，或是指向不存在文件的快捷方式）。请确认文件还在后重试。",
        ),
        "file-no-permission": (
            E,
            "没有读取这个文件的权限，未读取。请检查文件的权限设置（或请管理员开放读取权限），或把文件复制到自己的文件夹后重试。",
        ),
        "file-not-regular": (
            E,
            "这不是普通文件（是{kind}），未读取。请把报送的Excel文件本身放在这里，不要放管道、设备等特殊文件。",
        ),
        "file-link-loop": (E, "这是一个循环的快捷方式（符号链接指向自身），未读取。请删除它，换成文件本身。"),
        "file-io-error": (E, "读取文件时出错（{detail}），未读取。请把文件重新复制或保存一份后重试。"),
        "file-name-encoding": (
            N,
            "文件名不是UTF-8编码（常见于解压时中文文件名乱码），显示为“{shown}”。文件照常读取，建议把文件改为正常的中文名。",
        ),
        "sheet-too-large": (
            E,
            "工作表“{sheet}”的范围过大（最远的单元格为 {far}），远超本表应有的大小，出于安全考虑未读取。请删除多余的行列，或把填写内容复制到新的填报模板后重新报送。",
        ),
        "csv-malformed": (
            E,
            "CSV文件第{line}行{detail}，无法读取。请用Excel打开该文件检查后另存为CSV或Excel文件再试。",
        ),
        "folder-unreadable": (
            E,
            "文件夹“{file}”无法打开（{detail}），其中的文件都没有读取。"
            "请检查文件夹的访问权限（路径过长时，把其中的文件移到路径较短的文件夹）后重试。",
        ),
        "folder-link": (
            E,
            "“{file}”是指向其他文件夹的快捷方式（符号链接），其中的文件没有读取。"
            "请把那个文件夹本身（而不是快捷方式）放进来，或在命令中直接给出那个文件夹。",
        ),
        "folder-too-deep": (
            E,
            "文件夹“{file}”嵌套超过 {depth} 层，更深处的文件没有读取。请把报送的文件放到层次较浅的文件夹中。",
        ),
        "archive-member-encrypted": (
            E,
            "压缩包中的这个Excel文件设置了解压密码，无法读取。请解压后把Excel文件放入文件夹，或请报送单位重新发送不加密码的压缩包。",
        ),
        "file-encrypted": (
            E,
            "文件设置了打开密码，无法读取。请在Excel中打开文件，点“文件→信息→保护工作簿→用密码进行加密”，清空密码后保存，再重新报送。",
        ),
        "file-unsafe": (
            E,
            "文件结构异常，出于安全考虑未读取（{detail}）。请用Excel打开填报模板重新填写后报送。",
        ),
        "file-no-extension": (
            N,
            "文件名{what}，已按文件内容作为{actual}读取。以后请在文件名后保留扩展名（如 {example}）再报送。",
        ),
        "file-extension-mismatch": (N, "文件扩展名为 {ext}，实际格式为 {actual}，已按实际格式读取。"),
        "file-macros-ignored": (N, "文件含有宏，宏不会被运行，只读取单元格中的数值。"),
        # saved e-mails
        "mail-unreadable": (
            E,
            "邮件文件无法读取（{detail}）。请在邮件程序中打开这封邮件，重新“另存为”.eml 文件，或直接保存其附件。",
        ),
        "mail-mailbox": (
            N,
            "这是一个邮箱文件（mbox，邮件程序的收件箱导出），其中有 {count} 封邮件，已逐封读取（“第几封邮件”即文件中的顺序）。",
        ),
        "mail-no-attachment": (
            W,
            "{sender} 于 {sent} 发来的邮件“{subject}”没有可读取的Excel附件，填报表需要作为附件重新发送。",
        ),
        "mail-unsafe": (
            E,
            "邮件结构异常，出于安全考虑只读取了一部分（{detail}）。请直接保存邮件中的填报表附件。",
        ),
        "mail-draft": (
            W,
            "这是一封尚未发出的邮件草稿（例如本工具生成的回执或催报草稿），不是报送邮件，其附件未读取。如果它确是收到的报送邮件，请在邮件程序中打开原邮件重新另存为 .eml 文件。",
        ),
        "mail-nested-too-deep": (
            W,
            "这是邮件中转发的邮件里再附带的邮件，未读取。请打开原邮件，直接保存其中的填报表附件。",
        ),
        "attachment-duplicate": (
            N,
            "同一个文件（SHA-256 相同）收到了{count}次：{mails}。按一份报送读取。",
        ),
        "not-template": (E, "没有找到本次考核的填报表（{detail}）。请使用下发的填报模板填写后报送。"),
        "not-submission": (
            W,
            "这是{what}，不是填报表，校验时不作为报送文件读取；排名时会作为{what}使用（也可以用 --assessment 指定，双击脚本：放到 assessment 文件夹）。",
        ),
        "own-output": (N, "这是本工具生成的{what}，不是填报表，未作为报送文件读取。"),
        "ranking-workbook": (
            N,
            "这是本工具生成的排名结果表，不是填报表，未作为报送文件读取。如需据此公示，请用 kjjr publish。",
        ),
        "recognised-by-labels": (
            W,
            "文件不是下发的模板（或已另存为其他格式），已按指标名称识别数据，请核对读取结果。",
        ),
        "wrong-scheme": (
            E,
            "这是“{actual}”的模板，不是本次考核“{expected}”的模板。请使用本次下发的填报模板重新填写。",
        ),
        "wrong-year": (E, "填报年度为 {actual} 年，本次考核年度为 {expected} 年。请使用本年度的填报模板。"),
        "year-conflict": (
            E,
            "“{field}”{where}填写为 {value} 年，但这份填报模板是 {actual} 年度的，无法确定填报的是哪一年的数据，本表未计分。"
            "请使用 {expected} 年度的填报模板填写 {expected} 年度的数据后重新报送。",
        ),
        "old-template-version": (
            W,
            "模板版本为 {actual}，当前版本为 {expected}。数据已读取，下次请使用最新模板。",
        ),
        "sheet-copy-filled": (
            N,
            "模板中的“{template_sheet}”表没有填写，填写的是复制出来的“{sheet}”表，已读取“{sheet}”表。"
            "以后请直接在“{template_sheet}”表中填写，不要复制工作表。",
        ),
        "sheet-renamed": (
            N,
            "填报表的工作表名称被改为“{sheet}”（模板中为“{template_sheet}”），表格的行列没有改动，已照常读取。"
            "以后请不要修改工作表名称。",
        ),
        "layout-tampered": (
            W,
            "模板的表格结构被改动过（插入或删除了行列），已按指标名称识别数据，请核对读取结果。",
        ),
        # header
        "header-inline": (
            N,
            "“{field}”和所填内容写在了同一个单元格（{cell}：“{raw}”），已按“{value}”读取。请核对；"
            "以后请把内容填在“{field}”右侧的单元格。",
        ),
        "header-reporting-unit": (
            N,
            "表中没有“{field}”，已把“填报单位”填写的“{value}”作为{field}读取。请核对；以后请使用下发的填报模板。",
        ),
        "header-reporting-unit-unclear": (
            W,
            "表中没有“{field}”，“填报单位”填写的“{value}”不是{center_label}的名称（可能是依托单位），"
            "没有作为{field}使用。请在表中写明“{field}”后重新报送。",
        ),
        "header-missing": (E, "“{field}”未填写。请{where}填写。"),
        "submission-empty": (
            E,
            "填报表中的指标一项也没有填写（可能寄回的是空白模板），本文件不参加排名，也不替代该单位的其他报送文件。请填写后重新报送。",
        ),
        "center-unknown": (
            E,
            "“{name}”不在{center_label}名录中。请核对名称或编号是否与名录一致（名录见考核通知）。",
        ),
        "center-missing": (W, "名录中的“{name}”（编号 {roster_code}）没有报送有效的填报表，请催报。"),
        "duplicate-submission": (
            W,
            "同一{center_label}报送了{count}份：{files}。已采用 {kept}（{rule}），其余未计分。如采用的不是最终版本，请只保留最终版本后重新报送。",
        ),
        "time-in-future": (
            W,
            "{when} 晚于本次运行的时间，发件或保存时电脑的时钟可能不准：判断同一单位的几份文件哪一份最新时，不按这个时间。",
        ),
        "duplicate-undecided": (
            E,
            "同一{center_label}报送了{count}份：{files}，填报的数字不同，无法判断哪一份是最终版本（{why}），均未计分。请只保留最终版本后重新报送。",
        ),
        "center-name-differs": (
            W,
            "名称“{name}”与名录中编号 {typed_code} 的名称“{roster_name}”不一致，已按编号计入{roster_name}。如果不是{roster_name}，请核对名称和编号后重新报送。",
        ),
        "center-identity-conflict": (
            E,
            "这份文件的名称“{name}”、编号“{typed_code}”与 {others} 的名称或编号相同而另一项不同，无法判断是不是同一个{center_label}，这些文件都未计分。请核对名称和编号后重新报送（或用 --roster 提供名录）。",
        ),
        "center-code-from-name": (
            N,
            "这份文件没有填写编号，名称“{name}”与 {others} 相同，按同一个{center_label}（编号 {same_code}）处理。以后请填写编号。",
        ),
        "center-name-code-mismatch": (
            E,
            "名称“{name}”是名录中的{name_center}（编号 {name_code}），编号“{typed_code}”却是{code_center}的编号，无法判断是哪个{center_label}报送的，这份文件未计分。请核对名称和编号后重新报送。",
        ),
        # values
        "value-missing": (E, "“{label}”未填写。请在 {cell} 单元格填写数字（没有请填0）。"),
        "value-beside": (
            E,
            "“{label}”的 {cell} 单元格未填写，右侧的 {beside} 单元格却填写了“{raw}”，这个数字没有使用，这一项未计分。"
            "请把数字移到 {cell} 单元格（{beside} 单元格只保留单位）后重新报送。",
        ),
        "value-merged": (
            E,
            "“{label}”的 {cell} 单元格被合并到 {merged} 中，填写的内容（“{raw}”）在表格中看不到，这一项未计分。"
            "请取消合并单元格（开始→合并后居中→取消合并），核对 {cell} 单元格的数字后重新报送。",
        ),
        "value-in-row": (
            E,
            "“{label}”的 {cell} 单元格未填写，同一行的 {beside} 单元格却填写了“{raw}”，这个数字没有使用，这一项未计分。"
            "请把数字填在 {cell} 单元格（{beside} 单元格恢复原样）后重新报送。",
        ),
        "value-row-missing": (
            E,
            "表中找不到“{label}”这一行，这一项未计分。请在表中补上这一行，在“{value_header}”列填写数字（没有请填0），或改用下发的填报模板。",
        ),
        "value-row-unit": (
            E,
            "表中“{label}”这一行写明的单位是“{written}”（{cell} 单元格），与本项的单位“{unit}”不同，"
            "无法确定数字是按哪个单位填写的，这一项未计分。请把这一行的数字换算为“{unit}”填写，并把单位改为“{unit}”，"
            "或改用下发的填报模板。",
        ),
        "value-column-ambiguous": (
            E,
            "表中的数字有不止一列（表头 {columns}），分不清哪一列是本年度填报的，“{label}”未计分。请只保留本年度的"
            "一列数字，或把这一列的表头写为“{value_header}”或“{year}年”，或改用下发的填报模板。",
        ),
        "value-row-ambiguous": (
            E,
            "表中的“{label}”（{cells} 单元格）没有写明一级指标，而{categories}下各有一个“{label}”，分不清是哪一项，"
            "“{category}”的这一项未计分。请在这一行的一级指标列写明（如“{category}”），或改用下发的填报模板。",
        ),
        "value-unit-converted": (
            W,
            "“{label}”填写为“{raw}”，单位不是“{unit}”，已换算为 {value}（单位：{unit}）计算。请核对；以后请按“{unit}”只填写数字。",
        ),
        "value-unit-wrong": (
            E,
            "“{label}”填写为“{raw}”，单位与本项的单位“{unit}”不同，无法确定数值，这一项未计分。请在 {cell} 单元格按“{unit}”只填写数字。",
        ),
        "value-unit-inexact": (
            E,
            "“{label}”填写为“{raw}”，换算为“{unit}”是 {value}，不是整数，无法确定数值，这一项未计分。请在 {cell} 单元格按“{unit}”填写数字。",
        ),
        "value-conflict": (
            E,
            "“{label}”在 {cell} 单元格填写为“{raw}”，{other_place}却填写为“{other}”，无法确定以哪个为准，这一项未计分。"
            "请只保留一份填报表（删除复制出来的工作表、表格或行；隐藏的工作表可在工作表标签上右键“取消隐藏”后删除），核对数字后重新报送。",
        ),
        "sheet-other-center": (
            W,
            "工作表“{other_sheet}”填的是另一个单位（{other_center}）的数据，本文件只按“{center}”读取，"
            "“{other_sheet}”中的数据没有读取。每个单位请用一个文件报送：请把“{other_sheet}”另存为单独的文件后报送。",
        ),
        "value-normalised": (N, "“{label}”填写为“{raw}”，已按 {value} 读取。以后请只填写数字。"),
        "value-yes-no-word": (N, "“{label}”填写为“{raw}”，已按“{value}”读取。以后请只填写“是”或“否”。"),
        "value-zero-word": (W, "“{label}”填写为“{raw}”，已按0读取。如果不是0，请填写实际数字。"),
        "value-text-number": (N, "“{label}”是以文本形式保存的数字“{raw}”，已按 {value} 读取。"),
        "value-not-number": (
            E,
            "“{label}”填写为“{raw}”，不是一个确定的数字。请在 {cell} 单元格只填写一个数字，例如 30。",
        ),
        "value-too-large": (
            E,
            "“{label}”填写为“{raw}”，数值大得不合常理（没有这么大的数量或金额，电子表格也无法精确保存）。"
            "请核对单位和数字后，在 {cell} 单元格填写实际数字。",
        ),
        "value-date": (E, "“{label}”填写的是日期（{raw}），不是数量。请在 {cell} 单元格改为数字。"),
        "value-percent": (
            E,
            "“{label}”填写的是百分数（{raw}），不是数量，无法确定数值，这一项未计分。请在 {cell} 单元格去掉百分比格式，按“{unit}”只填写数字。",
        ),
        "value-negative": (E, "“{label}”为负数（{raw}）。请在 {cell} 单元格填写0或正数。"),
        "value-not-integer": (E, "“{label}”应为整数，填写为 {raw}。请在 {cell} 单元格填写整数。"),
        "value-too-many-places": (W, "“{label}”最多保留{places}位小数，填写为 {raw}，已按 {value} 计算。"),
        "value-over-max": (E, "“{label}”为 {raw}，超过上限 {max}。请在 {cell} 单元格核对后重新填写。"),
        "value-under-min": (E, "“{label}”为 {raw}，低于下限 {min}。请在 {cell} 单元格核对后重新填写。"),
        "value-bool": (E, "“{label}”应选择“是”或“否”，填写为“{raw}”。请在 {cell} 单元格从下拉列表中选择。"),
        "formula-external": (
            W,
            "“{label}”是引用其他文件的公式（{raw}），已按那个文件当时的数字 {value} 读取：数字来自另一个文件，"
            "可能不是本单位的，文件改动后也不会更新。请核对后在 {cell} 单元格直接填写数字。",
        ),
        "formula-cached": (N, "“{label}”是公式（{raw}），已按公式计算结果 {value} 读取。请直接填写数字。"),
        "formula-error": (
            E,
            "“{label}”是公式（{raw}），计算结果是错误值 {error}，没有数值，这一项未计分。请在 {cell} 单元格直接填写数字。",
        ),
        "formula-no-cache": (
            E,
            "“{label}”是公式（{raw}），文件中没有保存计算结果。请用Excel打开文件、保存后重新报送，或直接填写数字。",
        ),
        # consistency
        "cross-paired": (
            W,
            "“{label_a}”为 {value_a}，但“{label_b}”为 {value_b}：{rule}。请核对。",
        ),
        "cross-requires": (W, "“{label_a}”为 {value_a}，但“{label_b}”为0：{rule}。请核对。"),
        "cross-unit-suspect": (
            W,
            "平均每{per}{label_a}为 {ratio} {expected}，明显{direction}{guess}（{rule}）。请核对“{label}”的数字。",
        ),
        "value-outlier": (
            W,
            "“{label}”为 {value}，与其他{center_label}相差悬殊（其他{center_label}的中位数为 {median}）。请核对{where}填写的数字是否有误，例如单位或位数。",
        ),
        # assessment and reviews
        "assessment-unknown-center": (
            E,
            "考核表中的“{name}”不在报送名单中，这一行未使用。请核对名称或编号。",
        ),
        "table-code-name-conflict": (
            E,
            "这一行的编号“{typed_code}”是“{code_center}”的编号，名称却是“{name_center}”，无法判断是哪个单位，"
            "这一行未使用，两个单位都按缺少这一行处理。请核对编号和名称后重新排名。",
        ),
        "assessment-conflict": (
            E,
            "“{name}”在 {files} 中的考核评价不同，无法判断以哪一份为准，都未使用。请只保留最终的考核评价表后重新排名。",
        ),
        "assessment-missing": (
            E,
            "考核评价表中没有“{name}”的一行：考核方填写的指标只能按未填写计，结果为初步结果。请在考核评价表中补上这一行后重新排名。",
        ),
        "assessment-note": (
            N,
            "考核评价表中“{name}”的备注写了“{note}”：备注不计分。如其中是{items}等考核评价的内容，"
            "请填到对应的列中后重新排名。",
        ),
        "assessment-duplicate": (W, "考核表中“{name}”出现了{count}次（{rows}），填写的内容相同，按一次计。"),
        "verified-differs": (N, "“{label}”自报 {reported}，核定 {verified}，按核定数计分。"),
        "review-veto-unclear": (
            E,
            "评审表中“{name}”的“否决原因”写了“{reason}”，“一票否决”却{veto}：是否一票否决无法判断，这个单位暂不参加排名。"
            "请评审人确认：否决的在“一票否决”中填写“是”；不否决的删去否决原因，重新提交。",
        ),
        "review-partial": (
            E,
            "评审表中“{name}”的评分只填了一部分（{missing}未填），这一行未计入。请补全后重新提交。",
        ),
        "review-over-max": (
            E,
            "评审表中“{name}”的“{label}”为 {raw}，超过满分 {max}。这一行未计入。请改为0–{max}之间的分数后重新提交。",
        ),
        "review-not-number": (
            E,
            "评审表中“{name}”的“{label}”填写为“{raw}”，不是 0–{max} 之间的分数。这一行未计入。请填写数字后重新提交。",
        ),
        "review-row-empty": (
            N,
            "评审人“{reviewer}”没有给“{name}”评分（这一行空着）：“{name}”的定性得分按其他评审人的评分计算。如是漏填，请补上后重新排名。",
        ),
        "review-total-only": (
            E,
            "评审表中“{name}”只在“合计”中填写了 {total}，没有填写各项评分：这一行未计入。请按各项填写评分"
            "（合计自动计算）后重新提交。",
        ),
        "review-total-differs": (
            W,
            "评审表中“{name}”的“合计”填写为 {total}，各项评分之和为 {parts}，按各项评分之和计。请核对各项评分。",
        ),
        "review-row-missing": (
            N,
            "评审人“{reviewer}”的评审表中没有“{name}”这一行（可能被删除了）：“{name}”的定性得分按其他评审人的评分计算。"
            "如是漏评，请补上这一行后重新排名。",
        ),
        "review-missing": (E, "“{name}”没有任何评审人的定性评分，定性得分按0计。请补充评审表。"),
        "review-veto": (
            W,
            "评审表“{file}”对“{name}”作了一票否决，原因：{reason}。该{center_label}评定为{failing}，不参与排名。",
        ),
        "review-unknown-center": (E, "评审表中的“{name}”不在名录中，这一行未使用。请核对名称。"),
        "review-no-reviewer": (
            E,
            "评审表没有填写评审人姓名，整份评审表未计入（其中的评分和一票否决都没有使用），本次结果为暂定结果。请评审人在“评审人”右侧的单元格填写姓名后重新提交，再重新运行排名。",
        ),
        "review-reviewer-copies": (
            W,
            "评审人“{name}”提交了多份评审表：{files}。只采用保存时间最新的一份（{kept}），其余未计入。",
        ),
        "review-reviewer-unclear": (
            E,
            "评审人“{name}”提交了多份评审表：{files}，无法从保存时间判断哪一份最新，都未计入，本次结果为暂定结果。请只保留评审人确认的一份后重新运行排名。",
        ),
        "review-center-twice": (
            E,
            "评审表中“{name}”出现了两次（{first} 和 {cell}），无法确定评审人的评分，这位评审人对它的评分未计入。请评审人删去多余的一行后重新提交。",
        ),
        "table-unusable": (
            E,
            "{what}“{file}”无法使用（{detail}），其中的{content}没有计入，本次结果为暂定结果，{money}暂不确定。请用Excel或LibreOffice打开该文件核对（需要时另存为 .xlsx），再重新运行排名；确认不使用该文件时，加 --allow-missing-assessment 运行。",
        ),
        "veto": (W, "{reason}，不参与排名。"),
        # history
        "history-unreadable": (E, "历年结果文件无法读取：{detail}。"),
        "history-unmatched": (
            W,
            "历年结果中的“{name}”（{year}年）与本年度任何{center_label}都对不上，未使用。",
        ),
        "history-ambiguous": (
            W,
            "历年结果中的“{name}”（{year}年）对应多个{center_label}，未使用。请改用编号。",
        ),
        "history-year-ignored": (
            W,
            "历年结果中有{year}年的记录，不早于本次考核年度（{current}年），未使用。请只提供往年的考核结果。",
        ),
        "history-conflict": (
            W,
            "历年结果中“{name}”的{year}年结果出现了不一致的多条记录（另一条在 {kept}），无法判断哪一条正确，"
            "这一年按没有记录处理，不据此判断摘牌。请核对后只保留正确的一条。",
        ),
        "history-year-missing": (
            W,
            "历年结果中没有{year}年度的结果（读到的年度：{found}）：是否连续不合格或排名最后无法判断，摘牌只按本年度给出预警。请核对 --history 给出的文件是不是{year}年度的排名结果表。",
        ),
        "history-center-missing": (
            N,
            "历年结果中没有“{name}”{year}年度的记录：按没有往年结果计（不据此连续计算摘牌）。如该{center_label}那一年参加了考核，请核对名称和编号。",
        ),
        "history-edited": (
            W,
            "历年结果中的“排名”表在生成后被改动过（{rows}）：改动过的行的等次和排名不作为连续计算摘牌的依据，"
            "据此的摘牌为“摘牌待定”；少了行时，那一年排名最后的是谁无法判断。请使用那一年原始的排名结果表。",
        ),
        "history-rank-gap": (
            W,
            "历年结果中{year}年度的排名不连续（没有{missing}），可能少了几行：那一年排名最后的是谁无法判断，"
            "据“连续排名最后”计算的摘牌为“摘牌待定”。请使用那一年完整的排名结果表。",
        ),
        "history-provisional": (
            W,
            "这份历年结果的标题写着“{said}”，不是最终结果：据它连续计算的摘牌为“摘牌待定”。请改用那一年最终的排名结果表。",
        ),
        "history-bad-year": (
            W,
            "历年结果中“{name}”的年度“{raw}”无法识别，这一行未使用。请填写四位数的年份，例如 2018。",
        ),
    }
)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    center: str = ""
    indicator: str = ""
    value: str = ""

    @classmethod
    def make(
        cls,
        code: str,
        *,
        file: str = "",
        sheet: str = "",
        cell: str = "",
        center: str = "",
        indicator: str = "",
        value: object = "",
        severity: Severity | None = None,
        **fields: object,
    ) -> Finding:
        """Build a finding from its code's template; unknown codes are a programming error."""
        default_severity, template = CODES[code]
        for name, given in (("cell", cell), ("file", file), ("sheet", sheet), ("center", center)):
            fields.setdefault(name, given)
        fields.setdefault("where", f"在 {cell} 单元格" if cell else "在表中相应位置")
        fields.setdefault("value", "" if value is None else value)
        fields.setdefault("center_label", "单位")  # callers pass the scheme's own
        try:
            message = template.format(**fields)
        except KeyError as exc:  # a missing field must not hide the finding itself
            message = f"{template}（缺少 {exc}）"
        return cls(
            code=code,
            severity=severity or default_severity,
            message=message,
            file=file,
            sheet=sheet,
            cell=cell,
            center=center,
            indicator=indicator,
            value="" if value is None else str(value),
        )

    @classmethod
    def make_typed(cls, code: str, typed: str, **fields: object) -> Finding:
        """Finding.make for a cell read with a normalisation: the message shows `value` (as read), the finding
        keeps `typed` (as the clerk typed it)."""
        return replace(cls.make(code, **fields), value=typed)

    def sort_key(self) -> tuple:
        return (
            self.severity.order,
            self.center,
            self.file,
            self.sheet,
            _cell_order(self.cell),
            self.code,
            self.indicator,
            self.message,
        )

    def as_dict(self) -> dict[str, str]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


def _cell_order(cell: str) -> tuple[int, str]:
    digits = "".join(ch for ch in cell if ch.isdigit())
    letters = "".join(ch for ch in cell if ch.isalpha())
    return (int(digits) if digits else 0, letters.rjust(3))


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    """Severity first, then center, file and cell: the order of the 校验问题 sheet."""
    unique = dict.fromkeys(findings)
    return sorted(unique, key=Finding.sort_key)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
