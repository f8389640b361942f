"""The engine floor: a Regimen becomes a Plan (taper.engine.schedules)."""
