"""Pure domain logic: imports neither xlsxwriter nor calamine nor zipfile."""
