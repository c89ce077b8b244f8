"""Invented but news-shaped stories for layout tests: editor's titles of 50-90 characters, a byline
and an outlet, bodies of plain sentences, and names and places of their own so that clustering
keeps every story apart. Deterministic for a given seed.
"""

from __future__ import annotations

import random

OUTLETS = ["Harbour Herald", "Valley Times", "Island Gazette", "Northline News", "Coastal Courier", "Metro Ledger"]
FIRST = ["Anna", "Marek", "Lucia", "Tomas", "Ines", "Pavel", "Sofia", "Jonas", "Elena", "Karim", "Maya", "Otto"]
ROOTS = "bar vel kor lin mar tes dun ost rav pel gra nor sil ben hal tor vik lam sor fen".split()
ENDS = "ova ach burg dal mund sk ova ia ene heim ovo ica".split()
SUBJECTS = ["Council", "Port authority", "Regional parliament", "Water board", "Transport ministry", "Court",
            "Teachers' union", "Hospital trust", "Energy regulator", "City hall"]
VERBS = ["approves", "rejects", "delays", "expands", "opens an inquiry into", "agrees to fund", "suspends",
         "publishes a plan for"]
OBJECTS = ["a new tram line", "winter flood defences", "school repairs", "a wind farm", "night ferry services",
           "rent controls", "a hospital wing", "grain storage", "border rail links", "a water reservoir"]
TAILS = ["after months of talks", "despite protests", "as costs rise", "before the spring election",
         "in a narrow vote", "after a court ruling"]
COMMON = ("the officials said on that would a for of in and to with after before its their new plan vote budget "
          "council residents workers ministers report committee costs years month week local regional national "
          "public services support critics agreed expected million percent").split()


def name(rnd: random.Random) -> str:
    return (rnd.choice(ROOTS) + rnd.choice(ENDS)).capitalize()


def story(n: int, topic: str, rnd: random.Random) -> dict:
    place, other, person = name(rnd), name(rnd), f"{rnd.choice(FIRST)} {name(rnd)}"
    title = f"{place} {rnd.choice(SUBJECTS).lower()} {rnd.choice(VERBS)} {rnd.choice(OBJECTS)} {rnd.choice(TAILS)}"
    own = [place, other, person.split()[1]] + [name(rnd).lower() for _ in range(12)]

    def sentence() -> str:
        words = [rnd.choice(own) if rnd.random() < 0.25 else rnd.choice(COMMON) for _ in range(rnd.randint(16, 26))]
        return " ".join(words).capitalize() + "."
    body = "\n\n".join(" ".join(sentence() for _ in range(3)) for _ in range(8))
    return {"title": title[0].upper() + title[1:], "body": body, "labels": [topic], "author": person,
            "source": rnd.choice(OUTLETS), "published": f"2026-11-25T0{n % 10}:00:00Z"}


def edition(count: int = 30, topics: tuple[str, ...] = ("Europe", "Politics", "World"), seed: int = 30) -> list[dict]:
    """`count` stories spread evenly over `topics`."""
    rnd = random.Random(seed)
    return [story(n, topics[n % len(topics)], rnd) for n in range(count)]
