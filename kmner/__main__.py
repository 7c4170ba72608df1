from kmner.cli import main

main()
