"""Which tablets make a dose: the exact fewest-tablets combination, not a greedy fill.

The search is a dynamic programme over the dose in whole "quanta" (the largest amount every
tablet, half tablet and the dose are multiples of). Strengths are processed one at a time, so a
combination's cost adds up over strengths, and the cost compared is, in order: tablets that must
be split, tablets (counted in halves), then different strengths. Whole tablets therefore win
whenever the strengths make the dose, and halves are used only where they must be, as few as
can be (issue 18 item 6: 5 mg from 10 and 5 mg tablets is one 5 mg tablet, not ½ × 10 mg).
Greedy filling from the largest strength fails on doses such as 60 mg from 25 and 20 mg
tablets; this does not.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from math import gcd

from taper.read.units import plain

MAX_TABLETS_AT_ONCE = 100

Combination = tuple[tuple[Decimal, Decimal], ...]  # (strength, count) largest strength first
_Cost = tuple[int, int, int]  # (split tablets, tablets counted in halves, strengths used)


def _scale(values: list[Decimal]) -> int:
    exponent = min(int(plain(v).as_tuple().exponent) for v in values)
    return int(10 ** max(0, -exponent))


def tablets_for(
    dose: Decimal, strengths: tuple[Decimal, ...], split: bool = False
) -> Combination | None:
    """The tablets that make ``dose`` exactly, or None when no combination does.

    ``dose`` and ``strengths`` share one unit. Counts are whole numbers, or halves with ``split``.
    At most ``MAX_TABLETS_AT_ONCE`` tablets are used.
    """
    if dose <= 0 or not strengths:
        return None
    ordered = tuple(sorted({plain(s) for s in strengths}))
    found = _solve(plain(dose), ordered, split)
    if found is None and split:
        # Whole tablets need more than MAX_TABLETS_AT_ONCE: a half saves them (it must be used).
        found = _solve(plain(dose), ordered, split, halves_first=False)
    return found


@lru_cache(maxsize=4096)
def _solve(
    dose: Decimal, strengths: tuple[Decimal, ...], split: bool, halves_first: bool = True
) -> Combination | None:
    """The combination of least cost; ``halves_first=False`` ranks by tablets first instead."""

    def rank(cost: _Cost) -> _Cost:
        return cost if halves_first else (cost[1], cost[2], cost[0])

    halves = [s / 2 for s in strengths] if split else []
    scale = _scale([dose, *strengths, *halves])
    whole_units = [int(s * scale) for s in strengths]
    half_units = [int(h * scale) for h in halves]
    target = int(dose * scale)
    if target != dose * scale:
        return None
    quantum = 0
    for value in (*whole_units, *half_units):
        quantum = gcd(quantum, value)
    if target % quantum:
        return None
    if dose / max(strengths) > MAX_TABLETS_AT_ONCE:
        return None
    total = target // quantum
    order = sorted(range(len(strengths)), key=lambda i: strengths[i], reverse=True)

    best: list[_Cost | None] = [None] * (total + 1)
    best[0] = (0, 0, 0)
    choices: list[tuple[int, list[tuple[int, int]]]] = []
    for i in order:
        whole = whole_units[i] // quantum
        half = half_units[i] // quantum if split else 0
        previous = best
        # using_whole[a]: best cost for amount a using at least one whole tablet of strength i
        using_whole: list[_Cost | None] = [None] * (total + 1)
        wholes_used = [0] * (total + 1)
        for a in range(whole, total + 1):
            chosen: _Cost | None = None
            count = 0
            more = using_whole[a - whole]
            if more is not None:
                chosen, count = (more[0], more[1] + 2, more[2]), wholes_used[a - whole] + 1
            first = previous[a - whole]
            if first is not None:
                candidate = (first[0], first[1] + 2, first[2] + 1)
                if chosen is None or rank(candidate) < rank(chosen):
                    chosen, count = candidate, 1
            using_whole[a] = chosen
            wholes_used[a] = count
        current: list[_Cost | None] = list(previous)
        picked = [(0, 0)] * (total + 1)
        for a in range(total + 1):
            with_wholes = using_whole[a]
            held = current[a]
            if with_wholes is not None and (held is None or rank(with_wholes) < rank(held)):
                current[a], picked[a] = with_wholes, (wholes_used[a], 0)
            if half and a >= half:
                options: list[tuple[_Cost, tuple[int, int]]] = []
                base = previous[a - half]
                if base is not None:
                    options.append(((base[0] + 1, base[1] + 1, base[2] + 1), (0, 1)))
                with_whole = using_whole[a - half]
                if with_whole is not None:
                    options.append(
                        (
                            (with_whole[0] + 1, with_whole[1] + 1, with_whole[2]),
                            (wholes_used[a - half], 1),
                        )
                    )
                for cost, pick in options:
                    held = current[a]
                    if held is None or rank(cost) < rank(held):
                        current[a], picked[a] = cost, pick
        choices.append((i, picked))
        best = current

    final = best[total]
    if final is None or final[1] > 2 * MAX_TABLETS_AT_ONCE:
        return None
    counts: dict[int, Decimal] = {}
    remaining = total
    for i, picked in reversed(choices):
        wholes, half_pieces = picked[remaining]
        if wholes or half_pieces:
            counts[i] = Decimal(wholes) + Decimal(half_pieces) / 2
        remaining -= wholes * (whole_units[i] // quantum)
        if half_pieces:
            remaining -= half_units[i] // quantum
    assert remaining == 0
    return tuple((strengths[i], counts[i]) for i in order if i in counts)


def makeable_quantum(strengths: tuple[Decimal, ...], split: bool) -> Decimal:
    """The smallest step between doses the strengths can make (the gcd of the pieces)."""
    pieces = [*strengths, *([s / 2 for s in strengths] if split else [])]
    scale = _scale(pieces)
    quantum = 0
    for piece in pieces:
        quantum = gcd(quantum, int(piece * scale))
    return Decimal(quantum) / scale


def nearest_makeable(
    target: Decimal, strengths: tuple[Decimal, ...], split: bool, below: Decimal | None = None
) -> Decimal | None:
    """The makeable dose nearest ``target`` (ties to the lower dose), strictly under ``below``."""
    quantum = makeable_quantum(strengths, split)
    base = (target / quantum).to_integral_value(rounding=ROUND_FLOOR) * quantum
    window = 400
    candidates = [base - k * quantum for k in range(window)]
    candidates += [base + (k + 1) * quantum for k in range(window)]
    candidates.sort(key=lambda c: (abs(c - target), c))
    for candidate in candidates:
        if candidate <= 0 or (below is not None and candidate >= below):
            continue
        if tablets_for(candidate, strengths, split) is not None:
            return plain(candidate)
    return None
