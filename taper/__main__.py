from taper.cli import main

main()
