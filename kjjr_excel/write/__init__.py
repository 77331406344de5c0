"""Everything the tool writes: templates, the ranking workbook, receipts, notices, drafts."""
