"""Texts that `quizkit bench` prints, in English or Italian after the user's locale settings."""

from __future__ import annotations

from dataclasses import dataclass

from quizkit.console import locale_is_italian


@dataclass(frozen=True)
class BenchTexts:
    """Column names and line templates of the benchmark's tables and summaries."""

    machine: str
    columns: tuple[str, ...]
    fastest: str
    yes: str
    no: str
    floor: str
    quizkit: str
    answers: str
    baseline: str
    generator: str
    at_rate: str
    closing: str
    pushpull_title: str
    pushpull_columns: tuple[str, str]
    pull_single: str
    pull_batched: str
    push: str


ENGLISH = BenchTexts(
    machine="{date}: {cores} cores ({cpu_model}), {memory_gib} GiB, Python {python}, load average {load}",
    columns=("run", "target/s", "handled/s", "p50 ms", "p99 ms", "max ms", "errors", "server CPU %", "wrk CPU %",
             "harness CPU %", "machine CPU %", "peak RSS MB", "answers acked/lost/dup", "sustained"),
    fastest="max",
    yes="yes",
    no="no",
    floor="Floor: {rate:.0f} requests/s ({stack})",
    quizkit="quizkit: {rate:.0f} updates/s sustained ({share} of the floor), {fastest:.0f}/s as fast as it responds",
    answers="Answers acknowledged: {acknowledged}, lost: {lost}, duplicated: {duplicated}; peak RSS {rss:.0f} MB",
    baseline="Baseline: {rate:.0f} updates/s sustained; quizkit / baseline = {ratio}",
    generator="Generator: wrk {wrk_cpu_us_per_request} µs of CPU per request, the server {server_cpu_us_per_request} µs "
              "({wrk_share_of_cpu:.0%} of their CPU is wrk's)",
    at_rate="quizkit near {rate}/s (step {target:g}/s): p50 {p50} ms, p99 {p99} ms, server CPU {cpu}%, peak RSS {rss} MB",
    closing=("Closing a question with {close_answers:,} answers: {close_s:.3f} s; leaderboard over {board_answers:,} "
             "answers: {top_s:.3f} s (top 10), {full_s:.3f} s (all rows)"),
    pushpull_title="With a {round_trip:.0f} ms round trip to the Bot API:",
    pushpull_columns=("transport", "updates/s"),
    pull_single="pull, 1 update per getUpdates, synchronous",
    pull_batched="pull, up to 100 per getUpdates, concurrent replies (quizkit polling)",
    push="push, webhook, 40 connections (quizkit webhook)",
)

ITALIAN = BenchTexts(
    machine="{date}: {cores} core ({cpu_model}), {memory_gib} GiB, Python {python}, carico medio {load}",
    columns=("prova", "obiettivo/s", "gestiti/s", "p50 ms", "p99 ms", "max ms", "errori", "CPU server %", "CPU wrk %",
             "CPU harness %", "CPU macchina %", "RSS di picco MB", "risposte confermate/perse/doppie", "sostenuto"),
    fastest="max",
    yes="sì",
    no="no",
    floor="Pavimento: {rate:.0f} richieste/s ({stack})",
    quizkit="quizkit: {rate:.0f} update/s sostenuti ({share} del pavimento), {fastest:.0f}/s alla massima velocità",
    answers="Risposte confermate: {acknowledged}, perse: {lost}, doppie: {duplicated}; RSS di picco {rss:.0f} MB",
    baseline="Riferimento: {rate:.0f} update/s sostenuti; quizkit / riferimento = {ratio}",
    generator="Generatore: wrk usa {wrk_cpu_us_per_request} µs di CPU per richiesta, il server "
              "{server_cpu_us_per_request} µs (a wrk va il {wrk_share_of_cpu:.0%} della loro CPU)",
    at_rate="quizkit vicino a {rate}/s (gradino {target:g}/s): p50 {p50} ms, p99 {p99} ms, CPU server {cpu}%, "
            "RSS di picco {rss} MB",
    closing=("Chiusura di una domanda con {close_answers:,} risposte: {close_s:.3f} s; classifica su {board_answers:,} "
             "risposte: {top_s:.3f} s (primi 10), {full_s:.3f} s (tutte le righe)"),
    pushpull_title="Con {round_trip:.0f} ms di andata e ritorno verso la Bot API:",
    pushpull_columns=("trasporto", "update/s"),
    pull_single="pull, 1 update per getUpdates, gestione sincrona",
    pull_batched="pull, fino a 100 per getUpdates, risposte concorrenti (polling di quizkit)",
    push="push, webhook, 40 connessioni (webhook di quizkit)",
)


def bench_texts(environ: dict[str, str] | None = None) -> BenchTexts:
    """Return the Italian texts when the locale is Italian (see quizkit.console.locale_is_italian)."""
    return ITALIAN if locale_is_italian(environ) else ENGLISH
