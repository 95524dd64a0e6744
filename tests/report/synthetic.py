"""Made-up figures for a week, as :meth:`bot.report.prometheus.Source.figures` returns them:
for the report's own tests, its browser test and the README's screenshot. Deterministic."""

from __future__ import annotations

import datetime as dt
import random

from bot.report.prometheus import Daily

FIRST = dt.date(2026, 11, 23)
LAST = dt.date(2026, 11, 29)
DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


def _spread(total: int, rng: random.Random) -> dict[dt.date, int]:
    """``total`` over the week, more on weekdays."""
    weights = [3, 3, 4, 3, 5, 1, 1]
    found = dict.fromkeys(DAYS, 0)
    for _ in range(total):
        found[rng.choices(DAYS, weights)[0]] += 1
    return found


def _series(rng: random.Random, counts: dict[tuple[tuple[str, str], ...], int]) -> Daily:
    return {key: _spread(n, rng) for key, n in counts.items() if n}


def week() -> dict[str, Daily]:
    """A plausible week of a small organisation: some figures large, some below 10."""
    rng = random.Random(24)

    def key(**labels: str) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(labels.items()))

    started = _series(
        rng,
        {
            key(channel="web", lang="nl", way="direct"): 96,
            key(channel="web", lang="nl", way="poster_school"): 41,
            key(channel="web", lang="en", way="direct"): 14,
            key(channel="web", lang="pl", way="direct"): 6,
            key(channel="telegram", lang="nl", way="zelf"): 38,
            key(channel="telegram", lang="nl", way="iemand"): 22,
            key(channel="telegram", lang="nl", way="instagram"): 17,
            key(channel="telegram", lang="nl", way="other"): 3,
        },
    )
    path = [
        ("welcome", 237, 231, 0, 2),
        ("role", 170, 166, 0, 3),
        ("danger", 229, 224, 0, 1),
        ("self_age", 118, 92, 21, 2),
        ("self_do", 112, 81, 24, 4),
        ("self_life", 103, 74, 25, 1),
        ("self_reflect", 71, 69, 0, 2),
        ("self_region", 74, 47, 25, 0),
        ("self_handoff", 72, 68, 0, 1),
        ("other_age", 64, 63, 0, 0),
        ("other_do", 61, 52, 8, 1),
        ("other_handoff", 47, 45, 0, 0),
        ("feedback", 113, 61, 37, 0),
    ]
    funnel: dict[tuple[tuple[str, str], ...], int] = {}
    for question, reached, answered, skipped, left in path:
        for step, n in (
            ("reached", reached),
            ("answered", answered),
            ("skipped", skipped),
            ("left", left),
        ):
            funnel[key(channel="web", question=question, step=step)] = n
    shown = {
        "fier": (72, "self_handoff"),
        "kindertelefoon": (31, "self_handoff"),
        "veilig_thuis": (38, "self_handoff"),
        "keerpunt": (12, "self_handoff"),
        "csg": (8, "self_handoff"),
        "mma": (47, "other_handoff"),
        "zorgcoordinator_groningen": (19, "other_handoff"),
    }
    handoffs = {key(channel="web", service=s, audience=a): n for s, (n, a) in shown.items()}
    opened = {"fier": 29, "kindertelefoon": 11, "veilig_thuis": 9, "mma": 4}
    return {
        "baken_conversations_started_total": started,
        "baken_funnel_total": _series(rng, funnel),
        "baken_handoff_services_total": _series(rng, handoffs),
        "baken_links_opened_total": _series(rng, {key(service=s): n for s, n in opened.items()}),
        "baken_crisis_screens_total": _series(
            rng,
            {
                key(channel="web", kind="suicide", outcome="sure"): 4,
                key(channel="web", kind="danger", outcome="possible"): 13,
                key(channel="web", kind="danger", outcome="yes"): 2,
                key(channel="web", kind="any", outcome="no"): 11,
            },
        ),
        "baken_leaving_total": _series(
            rng,
            {key(channel="web", how="erase"): 23, key(channel="web", how="quick_exit"): 7},
        ),
        "baken_answers_total": _series(
            rng,
            {
                key(channel="web", question="feedback", option="helped_yes"): 34,
                key(channel="web", question="feedback", option="helped_bit"): 21,
                key(channel="web", question="feedback", option="helped_no"): 6,
            },
        ),
    }
