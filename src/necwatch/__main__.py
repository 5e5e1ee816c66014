from necwatch.cli import main

main()
