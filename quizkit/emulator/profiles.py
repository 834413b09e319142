"""Event profiles for the simulated crowd: who takes part, which questions run and how many answer.

A profile is data only. `codeweek2016` reproduces the totals of the first real event (974 participants,
9,689 people reached, 14 questions, 7,004 answers); `classroom` is a class of 25 students. The crowd
turns a profile into users and a timed plan of updates, see `quizkit.emulator.crowd`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from quizkit.answers import is_correct, parse_number

__all__ = ["PROFILES", "NoiseRates", "Profile", "ProfileQuestion", "classroom_profile", "scale_profile"]

# The engine accepts a team's head count from 1 to 499 people.
MIN_HEAD_COUNT = 1
MAX_HEAD_COUNT = 499


@dataclass(frozen=True)
class ProfileQuestion:
    """A question of a profile: its text, the accepted answers and typical wrong answers."""

    text: str
    answers: tuple[str, ...]
    wrong_answers: tuple[str, ...]


@dataclass(frozen=True)
class NoiseRates:
    """Shares of behaviour besides the counted answers.

    The first eight are shares of answering participants per question, the last three shares of
    registering teams. None of it changes which answer counts: repeats and edits follow the first
    answer, stickers and photos arrive while the question is selected, and `/help` and unknown codes
    come before the selection.
    """

    repeat: float = 0.06
    sticker: float = 0.02
    photo: float = 0.01
    help: float = 0.01
    unknown_code: float = 0.015
    edit: float = 0.01
    lowercase_code: float = 0.05
    bare_code: float = 0.05
    start_register: float = 0.3
    short_team_name: float = 0.04
    invalid_head_count: float = 0.04


@dataclass(frozen=True)
class Profile:
    """The shape of an event: participants, teams, head counts, questions and answers per question.

    `answers[i]` counts the first answers to question i, late ones included; `late[i]` of them arrive
    after the question closed. `correct_shares[i]` is the share of those answers that is correct.
    Window lengths are seconds of sending at time_scale 1.0.
    """

    name: str
    participants: int
    teams: int
    head_count_sum: int
    questions: tuple[ProfileQuestion, ...]
    answers: tuple[int, ...]
    late: tuple[int, ...]
    correct_shares: tuple[float, ...]
    registration_s: float
    question_s: float
    late_s: float
    noise: NoiseRates = field(default_factory=NoiseRates)

    def __post_init__(self) -> None:
        count = len(self.questions)
        for label, values in (("answers", self.answers), ("late", self.late), ("correct_shares", self.correct_shares)):
            if len(values) != count:
                raise ValueError(
                    f"Profile {self.name!r} has {count} questions but {len(values)} values in {label}; "
                    f"give one value per question."
                )

        if not 0 <= self.teams <= self.participants:
            raise ValueError(
                f"Profile {self.name!r} has {self.teams} teams for {self.participants} participants; "
                f"teams must be between 0 and the number of participants."
            )
        lowest = self.participants
        highest = self.participants - self.teams + self.teams * MAX_HEAD_COUNT
        if not lowest <= self.head_count_sum <= highest:
            raise ValueError(
                f"Profile {self.name!r} cannot reach a head-count sum of {self.head_count_sum}: with "
                f"{self.teams} teams of {MIN_HEAD_COUNT} to {MAX_HEAD_COUNT} people the sum lies in {lowest}..{highest}."
            )

        for index, (answers, late) in enumerate(zip(self.answers, self.late)):
            if not 0 <= late <= answers <= self.participants:
                raise ValueError(
                    f"Profile {self.name!r}, question {index + 1}: {answers} answers with {late} late do not fit "
                    f"{self.participants} participants; need 0 <= late <= answers <= participants."
                )

    @property
    def total_answers(self) -> int:
        """Number of first answers over all questions, late ones included."""
        return sum(self.answers)


def scale_profile(profile: Profile, participants: int) -> Profile:
    """Return `profile` resized to `participants`, with teams, head counts and answers scaled alike.

    Counts are rounded, so the totals of a scaled profile are proportional within one per question.
    """
    if participants < 1:
        raise ValueError(f"participants must be a positive integer, got {participants!r}.")
    if participants == profile.participants:
        return profile

    factor = participants / profile.participants
    teams = min(participants, round(profile.teams * factor))
    individuals = participants - teams
    head_count_sum = round(profile.head_count_sum * factor)
    head_count_sum = max(participants, min(individuals + teams * MAX_HEAD_COUNT, head_count_sum))

    answers = tuple(min(participants, round(count * factor)) for count in profile.answers)
    late = tuple(min(count, round(late * factor)) for count, late in zip(answers, profile.late))
    return replace(profile, participants=participants, teams=teams, head_count_sum=head_count_sum,
                   answers=answers, late=late)


# The first real event, during Code Week 2016: 974 participants who reached 9,689 people, 14 questions
# and 7,004 answers. The questions are written for this profile, not copied from the event.
# NOTE: 900 teams and 74 individuals reaching 9,689 people leave a mean of 10.7 people per team, so
# about four fifths of the teams are small groups (2-12) and only a fifth class-sized (15-30).
# Mostly class-sized teams at the same total would need about 480 teams.
_CODEWEEK2016_QUESTIONS = (
    ProfileQuestion(
        "Come si chiama il linguaggio di programmazione a blocchi creato al MIT, che ha un gatto come mascotte?",
        ("Scratch",),
        ("Snap", "Blockly", "Logo", "Python", "Code.org", "Java"),
    ),
    ProfileQuestion(
        "Quanti bit ci sono in un byte?",
        ("8", "otto"),
        ("10", "16", "4", "1024", "2", "dieci"),
    ),
    ProfileQuestion(
        "Chi è considerata la prima programmatrice della storia?",
        ("Ada Lovelace", "Lovelace", "Ada Byron", "Ada"),
        ("Grace Hopper", "Margaret Hamilton", "Marie Curie", "Hedy Lamarr", "Rita Levi Montalcini"),
    ),
    ProfileQuestion(
        "Come si scrive il numero 5 in binario?",
        ("101",),
        ("110", "111", "100", "1001", "11", "5"),
    ),
    ProfileQuestion(
        "Come si chiama, in gergo, un errore in un programma?",
        ("bug", "baco"),
        ("virus", "crash", "glitch", "errore", "worm", "patch"),
    ),
    ProfileQuestion(
        "Quale linguaggio di programmazione prende il nome da un gruppo comico inglese?",
        ("Python",),
        ("Java", "Ruby", "Perl", "JavaScript", "C++", "Scratch"),
    ),
    ProfileQuestion(
        "Quale azienda italiana costruì nel 1965 la Programma 101, considerata il primo personal computer?",
        ("Olivetti",),
        ("Fiat", "IBM", "Pirelli", "Apple", "Ferrari", "Montedison"),
    ),
    ProfileQuestion(
        "Come si chiama una sequenza finita di istruzioni che risolve un problema?",
        ("algoritmo", "un algoritmo", "algorithm"),
        ("programma", "codice", "funzione", "ciclo", "istruzioni"),
    ),
    ProfileQuestion(
        "Nella sigla CPU, che cosa significa la U?",
        ("unità", "unit"),
        ("utente", "universale", "user", "uso", "ufficio"),
    ),
    ProfileQuestion(
        "Quale matematico inglese ha descritto la macchina astratta che porta il suo nome, modello di ogni computer?",
        ("Turing", "Alan Turing"),
        ("Babbage", "Charles Babbage", "von Neumann", "Newton", "Boole", "Pascal"),
    ),
    ProfileQuestion(
        "In che anno si è svolta la prima Europe Code Week?",
        ("2013",),
        ("2014", "2012", "2015", "2016", "2010"),
    ),
    ProfileQuestion(
        "Come si chiama la struttura che ripete più volte un blocco di istruzioni?",
        ("ciclo", "loop", "iterazione", "ripetizione"),
        ("condizione", "funzione", "variabile", "se allora", "blocco"),
    ),
    ProfileQuestion(
        "Come si chiama il gioco unplugged di CodeMOOC in cui si guida un robot su una scacchiera con le carte?",
        ("CodyRoby", "Cody Roby", "Cody e Roby", "Cody & Roby"),
        ("Bee-Bot", "Lego", "Robottino", "Scratch", "Codey"),
    ),
    ProfileQuestion(
        "Quale numero decimale si scrive 1111 in binario?",
        ("15", "quindici"),
        ("1111", "16", "14", "4", "11"),
    ),
)

CODEWEEK2016 = Profile(
    name="codeweek2016",
    participants=974,
    teams=900,
    head_count_sum=9_689,
    questions=_CODEWEEK2016_QUESTIONS,
    answers=(642, 611, 574, 538, 529, 497, 486, 512, 468, 455, 437, 421, 398, 436),
    late=(9, 8, 7, 10, 6, 9, 5, 8, 7, 6, 9, 5, 6, 7),
    correct_shares=(0.86, 0.82, 0.58, 0.61, 0.77, 0.44, 0.49, 0.84, 0.52, 0.57, 0.31, 0.63, 0.40, 0.33),
    registration_s=8.0,
    question_s=3.0,
    late_s=0.2,
)

_CLASSROOM_QUESTIONS = (
    ProfileQuestion("Qual è la capitale d'Italia?", ("Roma",), ("Milano", "Torino", "Napoli", "Firenze")),
    ProfileQuestion("Quanto fa 7 × 8?", ("56", "cinquantasei"), ("54", "48", "64", "58")),
    ProfileQuestion(
        "Chi ha scritto la Divina Commedia?",
        ("Dante", "Dante Alighieri", "Alighieri"),
        ("Petrarca", "Boccaccio", "Manzoni", "Leopardi"),
    ),
    ProfileQuestion("Qual è il fiume più lungo d'Italia?", ("Po", "il Po"), ("Tevere", "Adige", "Arno")),
    ProfileQuestion("In quale città si trova la Torre pendente?", ("Pisa",), ("Firenze", "Bologna", "Siena", "Lucca")),
)

# A class of 25 with one phone each, except two desks that register as a team of 3 and a team of 2.
CLASSROOM = Profile(
    name="classroom",
    participants=25,
    teams=2,
    head_count_sum=28,
    questions=_CLASSROOM_QUESTIONS,
    answers=(25, 24, 23, 24, 22),
    late=(0, 1, 0, 1, 0),
    correct_shares=(0.92, 0.75, 0.80, 0.70, 0.88),
    registration_s=2.0,
    question_s=2.0,
    late_s=0.2,
)

PROFILES: dict[str, Profile] = {profile.name: profile for profile in (CODEWEEK2016, CLASSROOM)}


# The reply of a student who does not know, offered as a wrong answer to every text question.
_UNSURE = "non lo so"


def classroom_profile(questions: Sequence[tuple]) -> Profile:
    """Return the classroom profile (25 students) playing `questions`, given as (text, accepted answers, kind).

    Kind is "text", "number" or "choice"; a choice question adds its options as a fourth item. The
    crowd types one of a text question's accepted answers or a wrong one: the other text questions'
    first answers or "non lo so". For a number question it types the accepted value with a dot or a
    comma, or a value outside the tolerance. For a choice question it types the right option or
    another one, as a student who writes instead of tapping. Answer counts and correct shares
    repeat the classroom profile's five questions in turn.
    """
    if not questions:
        raise ValueError("The classroom profile needs at least one question; pass (text, answers, kind) tuples.")

    firsts = [str(question[1][0]) for question in questions if question[1] and question[2] == "text"]
    profile_questions = tuple(_classroom_question(*question, firsts=firsts) for question in questions)
    count = len(profile_questions)
    return replace(
        CLASSROOM,
        questions=profile_questions,
        answers=tuple(CLASSROOM.answers[index % 5] for index in range(count)),
        late=tuple(CLASSROOM.late[index % 5] for index in range(count)),
        correct_shares=tuple(CLASSROOM.correct_shares[index % 5] for index in range(count)),
    )


def _classroom_question(text: str, answers: Sequence[str], kind: str, options: Sequence[str] = (), *,
                        firsts: list[str]) -> ProfileQuestion:
    answers = tuple(answers)
    if not answers:
        raise ValueError(f"Question {text!r} has no accepted answers; the simulated class needs one to answer right.")
    if kind == "number":
        return _number_question(text, answers)
    if kind == "choice":
        return _choice_question(text, answers, tuple(options))

    wrong = tuple(item for item in (*firsts, _UNSURE) if not is_correct(item, answers))
    return ProfileQuestion(text, answers, wrong)


def _choice_question(text: str, answers: tuple[str, ...], options: tuple[str, ...]) -> ProfileQuestion:
    wrong = tuple(option for option in options if not is_correct(option, answers))
    if len(wrong) == len(options):
        raise ValueError(f"Choice question {text!r} accepts {list(answers)!r}, which is none of its options {list(options)!r}.")
    if not wrong:
        raise ValueError(f"Choice question {text!r} accepts every option {list(options)!r}, so nobody can answer wrong.")
    return ProfileQuestion(text, answers, wrong)


def _number_question(text: str, answers: tuple[str, ...]) -> ProfileQuestion:
    # "3.14 ± 0.01" (also written "+-" or "+/-") becomes 3.14. The tolerance is not needed here,
    # because every wrong value below is checked against the accepted answers as the engine will.
    written = answers[0].replace("+/-", "±").replace("+-", "±").partition("±")[0]
    value = parse_number(written)
    if value is None:
        raise ValueError(
            f"Accepted answer {answers[0]!r} of question {text!r} is not a number; write it as '42' or '3.14 ± 0.01'."
        )

    # NOTE: the crowd plan judges its own answers as text, so a typed "3,14..." counts as right in
    # `Crowd.expected` while the engine rejects it as no number. Read number questions' counts from the engine.
    typed = f"{value:g}"
    accepted = (typed, typed.replace(".", ",")) if "." in typed else (typed,)
    candidates = (value + 1, value - 1, value * 10 + 1)
    wrong = tuple(f"{item:g}" for item in candidates if not is_correct(f"{item:g}", answers, "number"))
    return ProfileQuestion(text, accepted, wrong)
