"""The records floor: the immutable records a plan is made of, and their arithmetic."""
