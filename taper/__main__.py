from taper.cli import entry

entry()
