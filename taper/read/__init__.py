"""The read floor: a regimen file in, a Regimen out, with every problem and its place; the
data tables, the zones and the printed form of numbers and times."""
