from kjjr_excel.cli import main

main()
