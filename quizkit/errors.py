"""Exceptions raised by quizkit.

Every error that quizkit raises on purpose derives from `QuizkitError`, so callers can catch one class.
The messages name the value that failed and the next step to take.

    QuizkitError
     ├── EventError
     │    ├── EventNotFound        load() names an event that the database does not contain
     │    ├── EventExists          create_event() names an event that already exists
     │    ├── InvalidEvent         create_event() gets an invalid name, language or bot username
     │    └── InvalidEventFile     an event file cannot be read, or a key or question in it is invalid
     ├── QuestionError
     │    ├── QuestionNotFound     no question has the given number or code
     │    ├── InvalidQuestion      question text, answers, kind or code are invalid
     │    └── QuestionStateError   the action does not fit the question's state (draft, open, closed)
     ├── TokenError                the bot token is missing, or its file is missing or readable by others
     ├── OutboxItemNotFound        outbox_sent()/outbox_failed() get an id that is not in the outbox
     ├── StoreError
     │    └── SchemaVersionError   the database was written by a newer quizkit
     ├── ServerNotRunning          (quizkit.server) a host action needs the server, which is stopped
     ├── ServerStartFailed         (quizkit.server) the port, the Bot API or the database failed at start
     ├── PollerAlreadyRunning      (quizkit.server.polling) a second poller for the same bot token
     ├── EventAlreadyServed        (quizkit.server) a second server for the same event and database
     ├── BotApiFailed              (quizkit.serving) getMe before `quizkit serve` starts failed
     ├── CertificateError          (quizkit.certificate) no self-signed certificate for the given host
     ├── UsageError                (quizkit.cli) a combination of command-line options is invalid
     ├── ControlError              (quizkit.control) the control endpoint of `quizkit serve` failed or is down
     ├── RemoteEmulatorError       (quizkit.emulator.remote) an emulator in another process failed or is down
     └── EmulatorError             the Bot API emulator cannot listen on the requested address
"""

from __future__ import annotations


class QuizkitError(Exception):
    """Base class of every error that quizkit raises on purpose."""


class EventError(QuizkitError):
    """An event cannot be created or loaded."""


class EventNotFound(EventError):
    """The database contains no event with the given name."""


class EventExists(EventError):
    """An event with the given name already exists in the database."""


class InvalidEvent(EventError):
    """The event's name, language or bot username is invalid."""


class InvalidEventFile(EventError):
    """An event file cannot be read, or one of its keys or questions is invalid."""


class QuestionError(QuizkitError):
    """A question cannot be found, created or changed."""


class QuestionNotFound(QuestionError):
    """No question of the event has the given number or code."""


class InvalidQuestion(QuestionError):
    """The question's text, accepted answers, kind or code are invalid."""


class QuestionStateError(QuestionError):
    """The requested action does not fit the question's state."""


class TokenError(QuizkitError):
    """The bot token is missing, or the file that should contain it is missing, empty or not private."""


class OutboxItemNotFound(QuizkitError):
    """The outbox contains no item with the given id."""


class StoreError(QuizkitError):
    """The database cannot be opened or used."""


class SchemaVersionError(StoreError):
    """The database schema is newer than this version of quizkit supports."""


class EmulatorError(QuizkitError, RuntimeError):
    """The Bot API emulator cannot start, for example because its port is taken."""
