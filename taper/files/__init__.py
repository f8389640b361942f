"""The files floor: the packet registry, reading and writing files, signals, the clock, the
print run."""
