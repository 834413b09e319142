"""Simulated participants: Telegram users, team names and head counts with realistic variety.

Names mix plain Italian ones with accents, apostrophes (D'Angelo), HTML special characters
("<b>Tom & Jerry</b>") and emoji, so that every text the bot builds from a name gets exercised.
Everything is drawn from the `random.Random` passed in, so one seed always gives the same people.
"""

from __future__ import annotations

import random
import re
import unicodedata

from quizkit.emulator.profiles import MAX_HEAD_COUNT, MIN_HEAD_COUNT
from quizkit.emulator.updates import SimUser

__all__ = ["fit_head_counts", "make_team_names", "make_users"]

# Nine-digit positive user ids; each crowd draws its ids from this range without repeats.
USER_ID_RANGE = range(100_000_000, 1_000_000_000)

_FIRST_NAMES = (
    "Giulia", "Sofia", "Aurora", "Alice", "Ginevra", "Emma", "Giorgia", "Beatrice", "Anna", "Vittoria",
    "Martina", "Chiara", "Francesca", "Elena", "Sara", "Maria", "Laura", "Valentina", "Federica", "Ilaria",
    "Leonardo", "Francesco", "Alessandro", "Lorenzo", "Mattia", "Andrea", "Gabriele", "Riccardo", "Tommaso",
    "Edoardo", "Matteo", "Giuseppe", "Antonio", "Marco", "Luca", "Davide", "Simone", "Federico", "Pietro",
    "Stefano", "Paolo", "Roberto", "Giovanni", "Salvatore", "Vincenzo", "Rosa", "Caterina", "Nicola",
)
_ACCENTED_FIRST_NAMES = (
    "Niccolò", "Nicolò", "Noè", "Mosè", "Zoè", "José", "Chloé", "Jürgen", "François", "Raphaël", "Søren",
    "Agnès", "Inès", "Björn", "Łukasz", "Ciarán",
)
_TEACHER_NAMES = ("Prof.ssa Maria", "Maestra Anna", "Prof. Bianchi", "Maestro Luca", "Prof.ssa Rita")
_MARKUP_NAMES = (
    "<b>Tom & Jerry</b>", "Anna <3", "Luca & Marco", "<i>Prof</i>", "x < y", "Sara &amp; Co", "R&D Lab",
    "<script>alert(1)</script>",
)
_EMOJI_NAMES = (
    "Giulia 🌸", "Marco 🇮🇹", "🤖", "Sofia ✨", "Luca ⚽", "Prof 👩‍🏫", "🐱 Scratch", "Ale 😎", "Bea 💜",
)
_LAST_NAMES = (
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
    "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
    "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone",
    "Longo", "Gentile", "Martinelli", "Vitale", "Serra", "Coppola", "De Santis", "Marchetti", "Parisi",
    "Villa", "Conte", "Fabbri", "Marini", "Grasso", "Sala", "Gatti", "Pellegrini", "Palumbo", "Sanna",
    "Farina", "Monti", "Cattaneo", "Morelli", "Amato", "Testa", "Carbone", "Barone", "Guerra", "Piras",
    "Lo Iacono", "Di Stefano", "La Rosa",
)
_MARKED_LAST_NAMES = (
    "D'Angelo", "D'Amico", "Dell'Acqua", "D'Alessandro", "Sant'Elia", "Dall'Olio", "D'Urso", "Cantù",
    "Carrà", "Pirrò", "Mazzù", "Nicolò", "Müller", "Nuñez",
)

_SCHOOLS = (
    "IC Rodari", "IC Montessori", "Scuola Media Dante Alighieri", "Primaria Collodi", "Liceo Galilei",
    "ITIS Fermi", "IIS Volta", "Liceo Scientifico Marconi", "IC Don Milani", "Primaria Pascoli",
    "ITT Olivetti", "Liceo Classico Carducci", "IC Falcone e Borsellino", "IC Leonardo da Vinci",
    "IC Levi Montalcini", "Scuola Media Manzoni", "IC Pertini", "IC Calvino", "ITE Einaudi",
    "Liceo Artistico Modigliani", "IC Sant'Elia", "Primaria Giovanni XXIII", "IC Città di Castello",
    "IC Gianni Rodari – Urbino", "Primaria Don Bosco", "IC Nicolò Tommaseo",
)
_TEAM_NICKNAMES = (
    "Coders", "Smanettoni", "Bit Bandits", "Programmatori", "Piccoli Hacker", "Robottini", "Geni del Codice",
    "Pixel", "Cervelloni", "Bit & Byte", "<Coding Kids>", "🚀 Razzi", "Gli Algoritmi", "Cody's Angels",
)
_TOWNS = (
    "Roma", "Milano", "Torino", "Napoli", "Bari", "Palermo", "Urbino", "Pesaro", "Bologna", "Firenze",
    "Genova", "Cagliari", "Catania", "Verona", "Padova", "Trieste", "Lecce", "Ancona", "Perugia", "Trento",
    "Bolzano", "Aosta", "Potenza", "Campobasso", "L'Aquila", "Forlì", "Cantù", "Paternò", "Ragusa",
    "Sassari", "Brescia", "Bergamo", "Como", "Reggio Emilia", "Modena", "Parma", "Rimini", "Pisa", "Siena",
    "Arezzo",
)
_SECTIONS = "ABCDEFGH"

_USERNAME_CHARACTERS = re.compile(r"[^a-z0-9]+")


def make_users(rng: random.Random, count: int) -> list[SimUser]:
    """Return `count` users with unique ids and usernames and a realistic mix of optional fields.

    About 60% have a username and 70% a last name. The language_code is "it" for about 80%, "en" for
    7% and "de", "fr" or "es" for 4%. The rest have none.
    """
    user_ids = rng.sample(USER_ID_RANGE, count)
    usernames: set[str] = set()
    users = []
    for user_id in user_ids:
        first_name = _draw_first_name(rng)
        last_name = _draw_last_name(rng) if rng.random() < 0.7 else None
        username = _draw_username(rng, first_name, last_name, usernames) if rng.random() < 0.6 else None
        users.append(SimUser(user_id, first_name, last_name, username, _draw_language(rng)))
    return users


def _draw_first_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.80:
        return rng.choice(_FIRST_NAMES)
    if roll < 0.87:
        return rng.choice(_ACCENTED_FIRST_NAMES)
    if roll < 0.91:
        return rng.choice(_EMOJI_NAMES)
    if roll < 0.94:
        return rng.choice(_MARKUP_NAMES)
    return rng.choice(_TEACHER_NAMES)


def _draw_last_name(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return rng.choice(_MARKED_LAST_NAMES)
    return rng.choice(_LAST_NAMES)


def _draw_username(rng: random.Random, first_name: str, last_name: str | None, taken: set[str]) -> str:
    """Return an unused Telegram-style username: 5 to 32 of a-z, 0-9 and _, starting with a letter."""
    parts = [_ascii_word(first_name) or "user", _ascii_word(last_name or "") or rng.choice(("coder", "quiz", "it"))]
    separator = rng.choice(("", "_", "."))
    base = (parts[0] + separator.replace(".", "") + parts[1])[:24]
    if rng.random() < 0.15:
        base = base.title()

    candidate = base if len(base) >= 5 else f"{base}{rng.randint(10, 99)}"
    while candidate.casefold() in taken:
        candidate = f"{base}{rng.randint(1, 9999)}"
    taken.add(candidate.casefold())
    return candidate


def _ascii_word(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = decomposed.encode("ascii", "ignore").decode()
    return _USERNAME_CHARACTERS.sub("", ascii_only)


def _draw_language(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.80:
        return "it"
    if roll < 0.87:
        return "en"
    if roll < 0.91:
        return rng.choice(("de", "fr", "es"))
    return None


def make_team_names(rng: random.Random, count: int) -> list[str]:
    """Return `count` distinct team names of Italian school classes, each 3 to 64 characters long.

    A drawn name that is already used gets a town in brackets, the way two classes with the same
    name would tell themselves apart.
    """
    names: list[str] = []
    used: set[str] = set()
    for _ in range(count):
        name = _draw_team_name(rng)
        attempts = 0
        while name in used:
            attempts += 1
            town = rng.choice(_TOWNS)
            name = f"{_draw_team_name(rng)} ({town})" if attempts < 20 else f"{_draw_team_name(rng)} {attempts}"
        used.add(name)
        names.append(name)
    return names


def _draw_team_name(rng: random.Random) -> str:
    grade = rng.randint(1, 5)
    section = rng.choice(_SECTIONS)
    grade_section = f"{grade}{section}"
    school = rng.choice(_SCHOOLS)
    pattern = rng.random()
    if pattern < 0.40:
        return f"{grade_section} {school}"
    if pattern < 0.60:
        return f"Classe {grade_section} - {school}"
    if pattern < 0.75:
        return f"{rng.choice(_TEAM_NICKNAMES)} {grade_section}"
    if pattern < 0.85:
        return f"I ragazzi della {grade_section}"
    if pattern < 0.93:
        return f"{grade}^{section} {school}"
    institute = rng.choice([name for name in _SCHOOLS if name.startswith("I")])
    return f"I ragazzi dell'{institute} {grade_section}"


def fit_head_counts(rng: random.Random, teams: int, total: int) -> list[int]:
    """Return `teams` head counts between 1 and 499 that sum to exactly `total`.

    A few big teams (a whole school, 31 to 499) come first. The others are class-sized (15-30) or
    small groups (2-12), mixed so that their mean matches what is left of `total`.
    Raises ValueError when `total` cannot be split that way.
    """
    if not teams * MIN_HEAD_COUNT <= total <= teams * MAX_HEAD_COUNT:
        raise ValueError(
            f"Cannot split {total} people into {teams} teams of {MIN_HEAD_COUNT} to {MAX_HEAD_COUNT}."
        )
    if teams == 0:
        return []

    bands = [(31, MAX_HEAD_COUNT)] * round(teams * 0.006)
    counts = [_draw_big_team(rng) for _ in bands]
    if sum(counts) + (teams - len(counts)) * 2 > total:
        bands, counts = [], []

    rest = teams - len(counts)
    rest_mean = (total - sum(counts)) / rest if rest else 0.0
    # Uniform draws from 15..30 average 22.5, from 2..12 average 7.
    class_share = min(1.0, max(0.0, (rest_mean - 7.0) / (22.5 - 7.0)))
    for _ in range(rest):
        band = (15, 30) if rng.random() < class_share else (2, 12)
        bands.append(band)
        counts.append(rng.randint(*band))

    _adjust_to_total(rng, counts, bands, total)
    order = list(range(teams))
    rng.shuffle(order)
    return [counts[index] for index in order]


def _draw_big_team(rng: random.Random) -> int:
    # Log-uniform over 31..499, skewed towards the low end: many big classes merged, rarely a whole school.
    return min(MAX_HEAD_COUNT, int(31 * (MAX_HEAD_COUNT / 31) ** (rng.random() ** 2)))


def _adjust_to_total(rng: random.Random, counts: list[int], bands: list[tuple[int, int]], total: int) -> None:
    """Move counts one by one towards `total`, inside each team's band first and then inside 1..499."""
    for limits in (bands, [(MIN_HEAD_COUNT, MAX_HEAD_COUNT)] * len(counts)):
        difference = total - sum(counts)
        step = 1 if difference > 0 else -1
        movable = [index for index, (low, high) in enumerate(limits)
                   if (counts[index] < high if step > 0 else counts[index] > low)]
        while difference and movable:
            position = rng.randrange(len(movable))
            index = movable[position]
            counts[index] += step
            difference -= step
            low, high = limits[index]
            if counts[index] == (high if step > 0 else low):
                movable[position] = movable[-1]
                movable.pop()
        if difference == 0:
            return
