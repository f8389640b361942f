"""The checks floor: the clinical checks, the emergency number, a previous plan read back."""
